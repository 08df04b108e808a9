// What Postgres column types mean in JSON, for the source. The source reads every value as the
// text Postgres sends (no Date objects, no floats for numerics), with the session in UTC and ISO
// date style, and converts that text here: exactly, so that a value saved in a state and sent back
// as a query parameter compares equal to the row it came from.

import type { JsonObject } from '@conveyor/protocol';
import type { JsonValue, SourceColumn, ValueConverter } from '../source/driver.js';
import { base64FromBytes, decimalToJson, integerToJson } from '../source/values.js';

/** `numeric(12,2)` → `numeric`, `timestamp(3) with time zone` → `timestamp with time zone`. */
export function baseTypeName(databaseType: string): string {
  return databaseType
    .replace(/\(\s*\d+(\s*,\s*-?\d+)?\s*\)/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

type Kind =
  | 'integer'
  | 'bigint'
  | 'numeric'
  | 'float'
  | 'boolean'
  | 'timestamp'
  | 'timestamptz'
  | 'date'
  | 'time'
  | 'timetz'
  | 'json'
  | 'bytea'
  | 'text';

const KINDS: Record<string, Kind> = {
  smallint: 'integer',
  integer: 'integer',
  int: 'integer',
  int2: 'integer',
  int4: 'integer',
  bigint: 'bigint',
  int8: 'bigint',
  oid: 'bigint',
  numeric: 'numeric',
  decimal: 'numeric',
  real: 'float',
  'double precision': 'float',
  float4: 'float',
  float8: 'float',
  boolean: 'boolean',
  bool: 'boolean',
  'timestamp without time zone': 'timestamp',
  timestamp: 'timestamp',
  'timestamp with time zone': 'timestamptz',
  timestamptz: 'timestamptz',
  date: 'date',
  'time without time zone': 'time',
  time: 'time',
  'time with time zone': 'timetz',
  timetz: 'timetz',
  json: 'json',
  jsonb: 'json',
  bytea: 'bytea',
};

interface TypeInfo {
  kind: Kind;
  /** array dimensions: `integer[]` → 1 (Postgres treats every array type alike whatever the depth) */
  array: boolean;
}

function typeInfo(databaseType: string): TypeInfo {
  let name = baseTypeName(databaseType);
  const array = name.endsWith('[]');
  while (name.endsWith('[]')) name = name.slice(0, -2).trim();
  return { kind: KINDS[name] ?? 'text', array };
}

function scalarSchema(kind: Kind): JsonObject {
  switch (kind) {
    case 'integer':
    case 'bigint':
      return { type: 'integer' };
    case 'numeric':
    case 'float':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'timestamp':
      return { type: 'string', format: 'date-time', airbyte_type: 'timestamp_without_timezone' };
    case 'timestamptz':
      return { type: 'string', format: 'date-time', airbyte_type: 'timestamp_with_timezone' };
    case 'date':
      return { type: 'string', format: 'date' };
    case 'time':
      return { type: 'string', format: 'time', airbyte_type: 'time_without_timezone' };
    case 'timetz':
      return { type: 'string', format: 'time', airbyte_type: 'time_with_timezone' };
    case 'json':
      return { type: ['object', 'array', 'string', 'number', 'boolean'] };
    case 'bytea':
      return { type: 'string', contentEncoding: 'base64' };
    case 'text':
      return { type: 'string' };
  }
}

export function postgresJsonSchema(column: SourceColumn): JsonObject {
  const { kind, array } = typeInfo(column.databaseType);
  if (!array) return scalarSchema(kind);
  const items = scalarSchema(kind);
  const itemType = items.type;
  return {
    type: 'array',
    items: { ...items, type: Array.isArray(itemType) ? [...itemType, 'null'] : [itemType, 'null'] },
  };
}

/** `2024-05-01 10:00:00.5` → `2024-05-01T10:00:00.5`; infinity and BC dates are kept as Postgres writes them. */
function timestampText(text: string): string {
  return text.length > 10 && text.charCodeAt(10) === 32 && !text.endsWith(' BC')
    ? `${text.slice(0, 10)}T${text.slice(11)}`
    : text;
}

/** `...+00` → `...+00:00`, `+05:30` kept: ISO-8601 wants hours and minutes. */
function zonedTimestampText(text: string): string {
  const iso = timestampText(text);
  const sign = iso.charCodeAt(iso.length - 3);
  return sign === 43 || sign === 45 ? `${iso}:00` : iso; // '+' or '-'
}

function floatToJson(text: string): JsonValue {
  const value = Number(text);
  // NaN and ±Infinity have no JSON number; keep Postgres' spelling
  return Number.isFinite(value) ? value : text;
}

function scalarConverter(kind: Kind): ValueConverter | undefined {
  switch (kind) {
    case 'integer':
      return (value) => Number(value);
    case 'bigint':
      return (value) => integerToJson(value as string);
    case 'numeric':
      return (value) => decimalToJson(value as string);
    case 'float':
      return (value) => floatToJson(value as string);
    case 'boolean':
      return (value) => value === 't' || value === true;
    case 'timestamp':
      return (value) => timestampText(value as string);
    case 'timestamptz':
      return (value) => zonedTimestampText(value as string);
    case 'timetz':
      return (value) => (/[+-]\d\d$/.test(value as string) ? `${value}:00` : (value as string));
    case 'json':
      return (value) => JSON.parse(value as string) as JsonValue;
    case 'bytea':
      return (value) => base64FromBytes(byteaBytes(value as string));
    case 'date':
    case 'time':
    case 'text':
      return undefined;
  }
}

export function postgresConverter(column: SourceColumn): ValueConverter | undefined {
  const { kind, array } = typeInfo(column.databaseType);
  if (!array) return scalarConverter(kind);
  const element = scalarConverter(kind) ?? ((value: unknown) => value as JsonValue);
  return (value) => parseArrayLiteral(value as string, element);
}

/** Hex output (`\x0a0b`, the default since Postgres 9.0) or the old escape format. */
function byteaBytes(text: string): Buffer {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      if (text[i + 1] === '\\') {
        bytes.push(92);
        i += 1;
      } else {
        bytes.push(Number.parseInt(text.slice(i + 1, i + 4), 8));
        i += 3;
      }
    } else {
      bytes.push(text.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
}

/**
 * Parses Postgres' array output: `{1,2,NULL}`, `{"a b","x\"y"}`, `{{1,2},{3,4}}`, optionally
 * prefixed with dimensions (`[0:1]={1,2}`). Unquoted NULL is null; every other element goes through
 * `element`.
 */
export function parseArrayLiteral(text: string, element: ValueConverter): JsonValue {
  let i = text.startsWith('[') ? text.indexOf('=') + 1 : 0;
  const parseLevel = (): JsonValue[] => {
    // at '{'
    i += 1;
    const out: JsonValue[] = [];
    if (text[i] === '}') {
      i += 1;
      return out;
    }
    for (;;) {
      if (text[i] === '{') {
        out.push(parseLevel());
      } else if (text[i] === '"') {
        i += 1;
        let value = '';
        while (text[i] !== '"') {
          if (text[i] === '\\') i += 1;
          value += text[i];
          i += 1;
        }
        i += 1;
        out.push(element(value));
      } else {
        let end = i;
        while (text[end] !== ',' && text[end] !== '}') end += 1;
        // never trimmed: Postgres quotes every element with (ASCII) white space, and keeps others as they are
        const raw = text.slice(i, end);
        i = end;
        out.push(raw === 'NULL' ? null : element(raw));
      }
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      // at '}'
      i += 1;
      return out;
    }
  };
  return parseLevel();
}

/**
 * The query parameter for a JSON value of a column: text the server parses back exactly, bytes
 * for bytea, a JSON text for json columns. pg sends JS arrays as array literals.
 */
export function postgresParameter(column: SourceColumn, value: JsonValue): unknown {
  if (value === null) return null;
  const { kind, array } = typeInfo(column.databaseType);
  if (array) return value;
  if (kind === 'bytea' && typeof value === 'string') return Buffer.from(value, 'base64');
  if (kind === 'json') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}
