// Loading a manifest the way the reference implementation prepares one before running it: parse the
// YAML, resolve `$ref`s, fill in default component types and hand `$parameters` down, then validate
// the result against the component schema. Any problem ends loading with a `ManifestError` listing
// every issue found at that stage with its YAML path and position.

import { readFile } from 'node:fs/promises';
import { type CustomComponent, findCustomComponents } from './components.js';
import { applyDefaults, describe, PARAMETERS_KEY } from './defaults.js';
import { ManifestError, type ManifestIssue } from './issues.js';
import { formatPath, isPlainObject, type PathStep, type Position, type SourceMap } from './positions.js';
import { resolveReferences } from './references.js';
import {
  DEFAULT_SCHEMA_LOCATION,
  findSchemaIssues,
  type SchemaIssue,
  type SchemaLocation,
} from './schema-validation.js';
import { parseYaml } from './yaml-source.js';

export interface LoadedManifest {
  /** the manifest after $ref resolution, type defaults and $parameters propagation (plain JSON, key order kept) */
  readonly manifest: Record<string, unknown>;
  readonly file?: string;
  /** position in the original YAML of a node of the resolved manifest, by its path in the resolved manifest (follows the $ref it came from) */
  locate(path: readonly (string | number)[]): { line: number; column: number } | undefined;
  /** components that need custom Python code (type Custom* or class_name), with their paths; empty when none */
  readonly customComponents: readonly CustomComponent[];
}

export interface ParseOptions {
  /** the file name used in messages */
  file?: string;
  /** the component schema; defaults to the copy shipped with this package */
  schema?: SchemaLocation;
}

function positioned(
  sources: SourceMap,
  root: unknown,
  path: readonly PathStep[],
  message: string,
): ManifestIssue {
  // A missing field has no position of its own: point at the nearest node that exists.
  let trace = sources.trace(root, path);
  for (let length = path.length - 1; trace === undefined && length >= 0; length--) {
    trace = sources.trace(root, path.slice(0, length));
  }
  if (trace === undefined) return { path: formatPath(path), message };
  const via = trace.via.length === 0 ? '' : ` (in a definition used from ${describeSites(trace.via)})`;
  return { path: formatPath(path), line: trace.at.line, column: trace.at.column, message: message + via };
}

/**
 * A mistake in a definition used by many streams is one mistake: report it once, at the definition,
 * with the other places it shows up in.
 */
function groupRepeats(
  issues: readonly SchemaIssue[],
  sources: SourceMap,
  manifest: Record<string, unknown>,
): ManifestIssue[] {
  const groups = new Map<string, { first: ManifestIssue; others: string[] }>();
  for (const issue of issues) {
    const placed = positioned(sources, manifest, issue.path, issue.message);
    const key =
      placed.line === undefined
        ? `${placed.path}\u0000${issue.message}`
        : `${placed.line}:${placed.column}\u0000${issue.message}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { first: placed, others: [] });
    else group.others.push(placed.path);
  }
  return [...groups.values()].map(({ first, others }) => {
    if (others.length === 0) return first;
    const shown = others.slice(0, 3).join(', ') + (others.length > 3 ? ` and ${others.length - 3} more` : '');
    return { ...first, message: `${first.message}; the same applies to ${shown}` };
  });
}

/** Innermost reference first: "line 40:9, through line 12:5". */
function describeSites(sites: readonly Position[]): string {
  return [...sites]
    .reverse()
    .map((site, index) => `${index === 0 ? 'line' : 'through line'} ${site.line}:${site.column}`)
    .join(', ');
}

/** "CustomAuthenticator at streams[0]...authenticator (source_x.components.Auth), ..." — the first few. */
export function describeCustomComponents(custom: readonly CustomComponent[]): string {
  const shown = custom
    .slice(0, 3)
    .map((c) => `${c.type} at ${c.path}${c.className === undefined ? '' : ` (${c.className})`}`);
  return custom.length > 3 ? `${shown.join(', ')} and ${custom.length - 3} more` : shown.join(', ');
}

/** Adds `parameters` beside `$parameters` on every component that has some: templates read that name. */
export function exposeParameters(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) exposeParameters(item);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) exposeParameters(value[key]);
  const parameters = value[PARAMETERS_KEY];
  if (isPlainObject(parameters) && typeof value.type === 'string') value.parameters = parameters;
}

/**
 * Parses, resolves and validates a manifest. Throws `ManifestError` for YAML syntax errors, a `$ref`
 * to nothing, reference cycles and schema violations. A manifest that uses custom Python components
 * loads; `customComponents` lists them.
 */
export function parseManifest(text: string, options: ParseOptions = {}): LoadedManifest {
  const { file } = options;
  const parsed = parseYaml(text);
  if (parsed.issues.length > 0) throw new ManifestError(parsed.issues, file);
  const document = parsed.value;
  if (!isPlainObject(document)) {
    throw new ManifestError(
      [
        {
          path: '',
          line: 1,
          column: 1,
          message: `a manifest is a YAML mapping, found ${describe(document)}`,
        },
      ],
      file,
    );
  }
  const { sources } = parsed;
  // The root type may be left out; it is set before references are resolved, as the reference does.
  if (!Object.hasOwn(document, 'type')) document.type = 'DeclarativeSource';

  const issues: ManifestIssue[] = [];
  const resolved = resolveReferences(document, sources, issues);
  if (issues.length > 0) throw new ManifestError(issues, file);
  if (!isPlainObject(resolved)) {
    throw new ManifestError(
      [{ path: '', message: `a manifest is a YAML mapping, found ${describe(resolved)}` }],
      file,
    );
  }

  const manifest = applyDefaults(resolved, sources, issues);
  if (issues.length > 0) throw new ManifestError(issues, file);

  const schemaIssues = findSchemaIssues(manifest, options.schema ?? DEFAULT_SCHEMA_LOCATION);
  if (schemaIssues.length > 0) {
    const custom = findCustomComponents(manifest);
    const note =
      custom.length === 0
        ? undefined
        : `It also needs custom Python components (${describeCustomComponents(custom)}), which this engine does not run.`;
    throw new ManifestError(groupRepeats(schemaIssues, sources, manifest), file, note);
  }
  exposeParameters(manifest);

  const locate = (path: readonly (string | number)[]) => {
    const trace = sources.trace(manifest, path);
    return trace === undefined ? undefined : { line: trace.at.line, column: trace.at.column };
  };
  return {
    manifest,
    ...(file === undefined ? {} : { file }),
    locate,
    customComponents: findCustomComponents(manifest),
  };
}

/** Reads and parses a manifest file (see `parseManifest`). */
export async function loadManifest(
  file: string,
  options: Omit<ParseOptions, 'file'> = {},
): Promise<LoadedManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new ManifestError([{ path: '', message: `cannot read the manifest: ${reason}` }], file);
  }
  return parseManifest(text, { ...options, file });
}

/**
 * Validates an already resolved manifest (see `LoadedManifest.manifest`) against the component
 * schema, compiled once per process. Issues carry YAML paths but no positions.
 */
export function validateManifest(
  manifest: Record<string, unknown>,
  options: { schema?: SchemaLocation } = {},
): ManifestIssue[] {
  return findSchemaIssues(manifest, options.schema ?? DEFAULT_SCHEMA_LOCATION).map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
}
