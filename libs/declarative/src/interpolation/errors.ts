// The errors of the template engine. A TemplateError is a config error (the manifest's template
// is wrong or does something a template may not do); its message names the template, cut to 200
// characters, never the values of the context (they may hold secrets).

import { ConveyorError } from '@conveyor/protocol';

const SOURCE_LIMIT = 200;

export function excerpt(source: string): string {
  return source.length > SOURCE_LIMIT ? `${source.slice(0, SOURCE_LIMIT)}…` : source;
}

/** Why a template failed: bad syntax, a Python exception at run time, a forbidden access, too much work. */
export type TemplateErrorKind = 'syntax' | 'runtime' | 'undefined' | 'forbidden' | 'budget';

export class TemplateError extends ConveyorError {
  readonly kind: TemplateErrorKind;
  /** the template, cut to 200 characters */
  readonly template: string;

  constructor(kind: TemplateErrorKind, what: string, source: string, options: { cause?: unknown } = {}) {
    const template = excerpt(source);
    super(`Template ${JSON.stringify(template)}: ${what}`, {
      failureType: 'config_error',
      cause: options.cause,
    });
    this.name = 'TemplateError';
    this.kind = kind;
    this.template = template;
  }
}

/** Bad template syntax; the message gives the line and column. */
export class TemplateSyntaxError extends TemplateError {
  readonly line: number;
  readonly column: number;

  constructor(what: string, source: string, offset: number) {
    const before = source.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    super('syntax', `${what} (line ${line}, column ${column}); fix the template in the manifest`, source);
    this.name = 'TemplateSyntaxError';
    this.line = line;
    this.column = column;
  }
}
