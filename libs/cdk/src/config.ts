// Config validation against a connector's spec. One compiled validator per spec object (compiling
// is the slow part); errors name each bad field as a path and the rule it breaks, and never echo a
// value, because the value may be a secret.

import { isDeepStrictEqual } from 'node:util';
import { type ConnectorSpecification, configError, type JsonObject, systemError } from '@conveyor/protocol';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigPreparation } from './types.js';

const ajv = new Ajv({
  strict: false,
  allErrors: true,
  useDefaults: true,
  // a spec with a harmless flaw (a field listed twice in `required`) still checks configs, as the
  // reference's validator does; the acceptance kit's spec suite is where a spec is judged
  validateSchema: false,
  // Unknown formats (uri, email, ...) are accepted as written rather than logged about on stderr.
  logger: false,
  formats: {
    date: /^\d{4}-\d{2}-\d{2}$/,
    'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/,
  },
});

/** The same rules without `format`: for specs written for a validator that ignores formats. */
const ajvWithoutFormats = new Ajv({
  strict: false,
  allErrors: true,
  useDefaults: true,
  validateSchema: false,
  logger: false,
  validateFormats: false,
});

const validators = new WeakMap<object, ValidateFunction>();
const formatsUnchecked = new WeakSet<object>();

/**
 * Configs for this connectionSpecification are checked without their `format`s (types, patterns,
 * required fields and the rest still apply). For specs written for the declarative manifests'
 * reference implementation, which never checks formats: a manifest may declare `format: date-time`
 * and parse the field with `%Y-%m-%d`, so the only config that works breaks the format.
 */
export function withoutFormatChecks(connectionSpecification: JsonObject): void {
  formatsUnchecked.add(connectionSpecification);
}

function validatorFor(spec: ConnectorSpecification): ValidateFunction {
  const schema = spec.connectionSpecification;
  const cached = validators.get(schema);
  if (cached) return cached;
  // Specs often declare draft-04 or draft-07 in `$schema`; the keywords they use validate the same
  // under ajv's default draft, and ajv would refuse a `$schema` it has no meta-schema for.
  const { $schema: _ignored, ...rest } = schema;
  let validate: ValidateFunction;
  try {
    const compiler = formatsUnchecked.has(schema) ? ajvWithoutFormats : ajv;
    validate = compiler.compile(rest);
  } catch (error) {
    throw systemError(
      `The connector's spec is not a valid JSON Schema, so no config can be checked against it. Fix connectionSpecification in the connector's spec.`,
      { internalMessage: error instanceof Error ? error.message : String(error), cause: error },
    );
  }
  validators.set(schema, validate);
  return validate;
}

/**
 * Checks `config` against the spec's connectionSpecification and returns a copy with the schema's
 * defaults filled in. Throws a config_error listing every bad field. `Config` is the caller's
 * type for a config that passed; the schema is what makes that true.
 */
export function validateConfig<Config extends JsonObject = JsonObject>(
  spec: ConnectorSpecification,
  config: unknown,
): Config {
  const validate = validatorFor(spec);
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw configError(
      'The config must be a JSON object. Pass a file containing { ... } with the fields the spec asks for.',
    );
  }
  const copy = structuredClone(config) as JsonObject;
  if (validate(copy)) return copy as Config;
  const problems = describeErrors(validate.errors ?? []);
  const shown = problems.slice(0, 20);
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
  throw configError(
    `The config is invalid: ${shown.join('; ')}${more}. Fix ${problems.length === 1 ? 'this field' : 'these fields'} and try again.`,
  );
}

/** A config ready to run, and the migrated stored config when the connector's migrations changed it. */
export interface RunConfig<Config extends JsonObject = JsonObject> {
  config: Config;
  /** set only when a migration changed the stored config: persist it */
  updated?: JsonObject;
}

/**
 * The one way a stored config becomes the config a connector runs with, in the CLI and in the
 * engine's process alike: the connector's migrations and transformations (when it has any), then
 * the spec's checks and defaults.
 */
export function configForRun<Config extends JsonObject = JsonObject>(
  connector: ConfigPreparation & { spec(): ConnectorSpecification },
  stored: JsonObject,
): RunConfig<Config> {
  const spec = connector.spec();
  if (!connector.prepareConfig) return { config: validateConfig<Config>(spec, stored) };
  const { migrated, effective } = connector.prepareConfig(structuredClone(stored));
  const config = validateConfig<Config>(spec, effective);
  return isDeepStrictEqual(migrated, stored) ? { config } : { config, updated: migrated };
}

function describeErrors(errors: ErrorObject[]): string[] {
  const kept = pruneAlternatives(errors);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const error of kept) {
    const text = describe(error);
    if (!seen.has(text)) {
      seen.add(text);
      out.push(text);
    }
  }
  return out;
}

/**
 * With allErrors, a failed `oneOf`/`anyOf` reports every alternative's errors, most of them noise
 * ("client_id is required" when the user chose an API key). Specs mark the chosen alternative
 * with a const or enum property (`auth_type: "api_key"`); when exactly one alternative has no
 * error on such a property, only its errors are kept. Otherwise one line says no option matched.
 */
function pruneAlternatives(errors: ErrorObject[]): ErrorObject[] {
  let kept = errors;
  const groups = errors
    .filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const group of groups) {
    if (!kept.includes(group)) continue;
    const prefix = `${group.schemaPath}/`;
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of kept) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const branch = e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
      const list = byBranch.get(branch) ?? [];
      list.push(e);
      byBranch.set(branch, list);
    }
    if (byBranch.size === 0) continue;
    const discriminated = (e: ErrorObject) =>
      (e.keyword === 'const' || e.keyword === 'enum') &&
      e.instancePath.startsWith(`${group.instancePath}/`) &&
      !e.instancePath.slice(group.instancePath.length + 1).includes('/');
    const candidates = [...byBranch.values()].filter((list) => !list.some(discriminated));
    const chosen = candidates.length === 1 ? candidates[0] : undefined;
    kept = kept.filter((e) => {
      if (e === group) return chosen === undefined;
      if (!e.schemaPath.startsWith(prefix)) return true;
      return chosen?.includes(e) ?? false;
    });
  }
  return kept;
}

function isIdentifier(key: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(key);
}

/** `/credentials/api_key` → `config.credentials.api_key`; array items as `[0]`, odd keys quoted. */
function fieldPath(instancePath: string, child?: string): string {
  const keys = instancePath === '' ? [] : instancePath.slice(1).split('/');
  if (child !== undefined) keys.push(child.replace(/~/g, '~0').replace(/\//g, '~1'));
  let path = 'config';
  for (const raw of keys) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) path += `[${key}]`;
    else path += isIdentifier(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return path;
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const at = fieldPath(error.instancePath);
  switch (error.keyword) {
    case 'required':
      return `${fieldPath(error.instancePath, String(params.missingProperty))} is required`;
    case 'additionalProperties':
      return `${fieldPath(error.instancePath, String(params.additionalProperty))} is not a known field (remove it)`;
    case 'type':
      return `${at} must be ${String(params.type).replace(/,/g, ' or ')}`;
    case 'enum':
      return `${at} must be one of: ${(params.allowedValues as unknown[]).map(formatAllowed).join(', ')}`;
    case 'const':
      return `${at} must be ${formatAllowed(params.allowedValue)}`;
    case 'oneOf':
    case 'anyOf':
      return params.passingSchemas
        ? `${at} matches more than one of the allowed options; keep the fields of one option only`
        : `${at} does not match any of the allowed options`;
    default:
      // ajv's own messages state the rule without the value ("must be >= 1", "must match pattern ...").
      return `${at} ${error.message ?? `breaks the "${error.keyword}" rule`}`;
  }
}

function formatAllowed(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
