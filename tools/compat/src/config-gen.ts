// A config generated from a manifest's `spec.connection_specification`, the same for both engines:
// every required field and every field with a default, with a value of the right type. Deterministic:
// the same spec and options give the same config, so runs can be compared and repeated.

import { formatDatetime } from './fake-data.js';
import { isObject, type Json, type JsonObject, walkObjects } from './manifest-model.js';
import { exampleForPattern } from './pattern-example.js';

export interface ConfigOptions {
  /** what date-time fields get (start dates above all): an ISO instant at midnight UTC */
  startDate: string;
  /** fill every optional field too (the fallback when the reference cannot run on the minimal config) */
  allFields?: boolean;
}

/** Midnight UTC `days` before `now`: recent enough that daily windows stay few, fixed for a run. */
export function defaultStartDate(now: Date, days = 10): string {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days));
  return day.toISOString().replace('.000Z', 'Z');
}

function typesOf(schema: JsonObject): string[] {
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string' && t !== 'null');
  if (isObject(schema.properties)) return ['object'];
  if (Array.isArray(schema.enum)) return [typeof schema.enum[0] === 'number' ? 'number' : 'string'];
  return ['string'];
}

/** The first of a few typical values that `pattern` accepts (dates above all); a fixed word otherwise. */
function stringForPattern(pattern: string, options: ConfigOptions, examples: string[]): string {
  const dates = dateCandidates(options);
  const candidates = [
    ...dates.written,
    '12345',
    ...dates.compact,
    'user@example.com',
    'https://example.com',
    'mockvalue',
    'MOCK',
  ];
  const regex = patternRegex(pattern);
  if (!regex) return 'mockvalue';
  return (
    candidates.find((candidate) => regex.test(candidate)) ??
    examples.find((example) => regex.test(example)) ??
    exampleForPattern(pattern) ??
    'mockvalue'
  );
}

function patternRegex(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

function epochSeconds(options: ConfigOptions): number {
  return Math.floor(Date.parse(options.startDate) / 1000);
}

/** The start date written the ways specs ask for it: with separators, and as bare digits. */
function dateCandidates(options: ConfigOptions): { written: string[]; compact: string[] } {
  const date = options.startDate.slice(0, 10);
  const [year, month, day] = date.split('-');
  return {
    written: [
      options.startDate,
      options.startDate.replace('Z', '.000Z'),
      options.startDate.replace('Z', ''),
      options.startDate.replace('Z', '+00:00'),
      date,
      `${date} 00:00:00`,
      date.slice(0, 7),
      `${day}-${month}-${year}`,
      // day first, as the corpus's slash formats are (`%d/%m/%Y %H:%M`)
      `${day}/${month}/${year} 00:00`,
      `${day}/${month}/${year}`,
    ],
    compact: [`${year}${month}${day}T000000Z`, `${year}${month}${day}`, String(epochSeconds(options))],
  };
}

const digitsShape = (text: string): string => text.replace(/\d/g, '9');

/** The start date in the shape of `value` (a date string or Unix seconds/milliseconds); others as given. */
function startDateLike(value: Json, options: ConfigOptions): Json {
  if (typeof value === 'number' && value > 1e8)
    return value > 1e11 ? epochSeconds(options) * 1000 : epochSeconds(options);
  if (typeof value !== 'string' || !/\d{4}/.test(value)) return value;
  const shape = digitsShape(value);
  const dates = dateCandidates(options);
  return [...dates.written, ...dates.compact].find((candidate) => digitsShape(candidate) === shape) ?? value;
}

/** A field that holds a point in time, by its name or description. */
function isDateField(name: string, schema: JsonObject): boolean {
  const description = typeof schema.description === 'string' ? schema.description : '';
  return (
    /(^|_)(start|end)_?(date|time)|_date$|date_from|from_date|timestamp|date_created/i.test(name) ||
    /unix|epoch|timestamp/i.test(description)
  );
}

/** The spec's first example of the field's type (strings must match its pattern), if any. */
function exampleOf(schema: JsonObject, type: string | undefined): Json | undefined {
  if (!Array.isArray(schema.examples)) return undefined;
  for (const example of schema.examples) {
    if (type === 'integer' && Number.isInteger(example)) return example;
    if (type === 'number' && typeof example === 'number') return example;
    if (type === 'string' && typeof example === 'string') {
      const regex = typeof schema.pattern === 'string' ? patternRegex(schema.pattern) : undefined;
      if (!regex || regex.test(example)) return example;
    }
  }
  return undefined;
}

function stringFor(name: string, schema: JsonObject, options: ConfigOptions): string {
  const format = typeof schema.format === 'string' ? schema.format : '';
  if (typeof schema.pattern === 'string') {
    const examples = Array.isArray(schema.examples)
      ? schema.examples.filter((e): e is string => typeof e === 'string')
      : [];
    return stringForPattern(schema.pattern, options, examples);
  }
  if (format === 'date-time') return options.startDate;
  if (format === 'date') return options.startDate.slice(0, 10);
  if (format === 'email') return 'user@example.com';
  if (format === 'uri' || format === 'url') return 'https://example.com';
  if (isDateField(name, schema)) return options.startDate;
  if (schema.airbyte_secret === true) return `secret-${name}`;
  // a spec's example is what the templates were written against (a region, a host, an account id)
  const example = exampleOf(schema, 'string');
  if (typeof example === 'string') return example;
  return `mock-${name}`;
}

/**
 * Whether a spec's `default` is a value of the field's type. Some specs get it wrong (a number
 * field whose default is the string "1000", a oneOf whose default is a copy of one of its schemas):
 * such a default fails the spec's own check, so a value of the right shape is generated instead.
 */
function defaultFits(schema: JsonObject): boolean {
  const value = schema.default;
  if (
    isObject(value) &&
    (Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf)) &&
    'properties' in value
  )
    return false;
  // only an explicit type decides (a typeless field's default is whatever its spec says)
  const types =
    typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type : [];
  if (types.length === 0) return true;
  const kind =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : typeof value === 'number'
          ? Number.isInteger(value)
            ? 'integer'
            : 'number'
          : typeof value === 'object'
            ? 'object'
            : typeof value;
  return types.some((type) => type === kind || (type === 'number' && kind === 'integer'));
}

/** A value for one field of the spec; `name` is the property name, used for secrets and hints. */
export function valueFor(name: string, schema: JsonObject, options: ConfigOptions, depth = 0): Json {
  if ('const' in schema) return schema.const ?? null;
  if ('default' in schema && schema.default !== undefined && defaultFits(schema)) {
    // a default start date years back means years of windows: the start date, written the same way
    const format = schema.format;
    const dated = isDateField(name, schema) || format === 'date' || format === 'date-time';
    // an end date's default (often far ahead, or today) is kept: it bounds the windows, not starts them
    if (dated && !/(^|_)end|_to$|until/i.test(name)) return startDateLike(schema.default, options);
    return schema.default;
  }
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] ?? null;
  const variants = Array.isArray(schema.oneOf)
    ? schema.oneOf
    : Array.isArray(schema.anyOf)
      ? schema.anyOf
      : [];
  const first = variants.find(isObject);
  // the variant is generated on its own: the field's default (a misplaced schema) does not come along
  const { default: _ignored, ...withoutDefault } = schema;
  if (first && depth < 8)
    return valueFor(name, { ...withoutDefault, oneOf: null, anyOf: null, ...first }, options, depth + 1);
  const type = typesOf(schema)[0];
  switch (type) {
    case 'integer':
    case 'number':
      // a Unix timestamp where a start date goes; otherwise the spec's example, its minimum, or 10
      if (isDateField(name, schema)) return epochSeconds(options);
      return (
        exampleOf(schema, type) ??
        (typeof schema.minimum === 'number'
          ? type === 'integer'
            ? Math.ceil(schema.minimum)
            : schema.minimum
          : 10)
      );
    case 'boolean':
      return false;
    case 'array': {
      const items = isObject(schema.items) ? schema.items : { type: 'string' };
      const minItems = typeof schema.minItems === 'number' ? Math.max(1, schema.minItems) : 1;
      return Array.from({ length: minItems }, () => valueFor(name, items, options, depth + 1));
    }
    case 'object':
      return depth < 8 ? objectFor(schema, options, depth + 1) : {};
    default:
      return stringFor(name, schema, options);
  }
}

function objectFor(schema: JsonObject, options: ConfigOptions, depth: number): JsonObject {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(
    Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [],
  );
  const out: JsonObject = {};
  for (const name of Object.keys(properties).sort()) {
    const property = properties[name];
    if (!isObject(property)) continue;
    const hasDefault = 'default' in property || 'const' in property;
    // an optional choice of variants (an auth block, mostly) is read by templates that assume it is set
    const isChoice = Array.isArray(property.oneOf);
    if (required.has(name) || hasDefault || isChoice || options.allFields)
      out[name] = valueFor(name, property, options, depth);
  }
  for (const name of [...required].sort()) {
    if (!(name in out)) out[name] = `mock-${name}`;
  }
  return out;
}

/** The config for a manifest: required fields, fields with defaults, optional `oneOf` blocks; no spec gives `{}`. */
export function generateConfig(manifest: JsonObject, options: ConfigOptions): JsonObject {
  const spec = manifest.spec;
  const schema = isObject(spec) ? spec.connection_specification : undefined;
  if (!isObject(schema)) return {};
  const config = objectFor(schema, options, 0);
  // a start date the manifest parses with its own format (`%Y-%m-%d`, `%s`) is written that way,
  // when the spec's pattern (if any) accepts it
  const properties = isObject(schema.properties) ? schema.properties : {};
  for (const [key, format] of datetimeFormatsOfConfig(manifest)) {
    const value = config[key];
    const property = properties[key];
    if (!isObject(property) || typeof value !== 'string' || value !== options.startDate) continue;
    const written = formatDatetime(new Date(options.startDate), format);
    if (written.includes('%')) continue; // a directive the formatter does not know
    const regex = typeof property.pattern === 'string' ? patternRegex(property.pattern) : undefined;
    if (!regex || regex.test(written)) config[key] = written;
  }
  return config;
}

const CONFIG_KEY = /^\{\{\s*config(?:\[\s*['"]([^'"]+)['"]\s*\]|\.(\w+))\s*\}\}$/;

/**
 * Config keys a manifest parses as datetimes, with the format it parses them with: a
 * MinMaxDatetime `{datetime: "{{ config['start_date'] }}", datetime_format: ...}`, or a cursor's
 * start given as that template alone (parsed with the cursor's datetime_format).
 */
export function datetimeFormatsOfConfig(manifest: JsonObject): Map<string, string> {
  const formats = new Map<string, string>();
  const keyOf = (template: unknown): string | undefined => {
    const match = typeof template === 'string' ? CONFIG_KEY.exec(template.trim()) : null;
    return match ? (match[1] ?? match[2]) : undefined;
  };
  for (const { node } of walkObjects(manifest)) {
    const key = keyOf(node.datetime);
    if (key && typeof node.datetime_format === 'string' && !formats.has(key))
      formats.set(key, node.datetime_format);
    if (node.type === 'DatetimeBasedCursor' && typeof node.datetime_format === 'string') {
      const startKey = keyOf(node.start_datetime);
      if (startKey && !formats.has(startKey)) formats.set(startKey, node.datetime_format);
    }
  }
  return formats;
}
