// What is wrong with a manifest, and where. Every stage of loading (YAML syntax, `$ref` resolution,
// `$parameters`, schema validation) reports `ManifestIssue`s; loading stops with one `ManifestError`
// that carries them all and whose message lists the first few as `file:line:col path: message`.

import { ConveyorError } from '@conveyor/protocol';

export interface ManifestIssue {
  /** YAML path of the bad node, such as `streams[2].retriever.requester.url_base` ('' for the document) */
  path: string;
  line?: number;
  column?: number;
  /** what was wrong and what was expected there */
  message: string;
}

const LISTED = 10;

export function formatIssue(issue: ManifestIssue, file?: string): string {
  const where = [file, issue.line, issue.line === undefined ? undefined : issue.column]
    .filter((part) => part !== undefined)
    .join(':');
  const path = issue.path === '' ? '' : `${issue.path}: `;
  return `${where === '' ? '' : `${where} `}${path}${issue.message}`;
}

/** A manifest that cannot run: a configuration problem the connector's author has to fix. */
export class ManifestError extends ConveyorError {
  readonly issues: ManifestIssue[];
  readonly file?: string;

  /** `note` is a closing sentence, e.g. that the manifest also needs custom Python components */
  constructor(issues: ManifestIssue[], file?: string, note?: string) {
    const shown = issues.slice(0, LISTED).map((issue) => `  ${formatIssue(issue, file)}`);
    const more = issues.length > LISTED ? [`  ... and ${issues.length - LISTED} more`] : [];
    const subject = file === undefined ? 'The manifest' : `The manifest ${file}`;
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    const closing = note === undefined ? [] : [note];
    super([`${subject} is not valid (${count}):`, ...shown, ...more, ...closing].join('\n'), {
      failureType: 'config_error',
    });
    this.name = 'ManifestError';
    this.issues = issues;
    if (file !== undefined) this.file = file;
  }
}
