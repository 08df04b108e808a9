// Column types: what a sampled value looks like, how the kinds seen in one column widen into a
// single JSON Schema type, and how CSV text becomes a value of that type. CSV cells are text, so
// their kind is read from their spelling; JSONL and Parquet values already have JSON types.

import type { JsonObject } from '@conveyor/protocol';

/** Bit flags, so a column's kinds accumulate with `|` while sampling. */
export const Kind = {
  integer: 1,
  number: 2,
  boolean: 4,
  dateTime: 8,
  string: 16,
  object: 32,
  array: 64,
} as const;

/** The type a column is declared with; `mixed` only arises for JSON values of unrelated types. */
export type ColumnType = 'integer' | 'number' | 'boolean' | 'date-time' | 'string' | 'object' | 'array';

const INTEGER_TEXT = /^[+-]?\d+$/;
// A leading zero ("007", "-012") marks an identifier or code whose zeros matter: keep it text.
const LEADING_ZERO = /^[+-]?0\d/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** RFC 3339 exactly as JSON Schema's `date-time` format wants it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** What CSV files also write for a timestamp: a space for the T, no seconds, no zone, `+0100`. */
const LOOSE_DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?\s?([Zz]|[+-]\d{2}:?\d{2})?$/;

export function kindOfText(text: string): number {
  if (INTEGER_TEXT.test(text)) {
    if (!LEADING_ZERO.test(text) && Number.isSafeInteger(Number(text))) return Kind.integer;
    return Kind.string;
  }
  if (NUMBER_TEXT.test(text)) return LEADING_ZERO.test(text) ? Kind.string : Kind.number;
  const lower = text.length <= 5 ? text.toLowerCase() : '';
  if (lower === 'true' || lower === 'false') return Kind.boolean;
  if (normalizeDateTime(text) !== undefined) return Kind.dateTime;
  return Kind.string;
}

export function kindOfValue(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return Number.isSafeInteger(value) ? Kind.integer : Kind.number;
    case 'boolean':
      return Kind.boolean;
    case 'string':
      return RFC3339.test(value) && !Number.isNaN(Date.parse(value)) ? Kind.dateTime : Kind.string;
    case 'object':
      if (value === null) return 0;
      return Array.isArray(value) ? Kind.array : Kind.object;
    default:
      return Kind.string;
  }
}

const TYPE_OF_KIND: [number, ColumnType][] = [
  [Kind.integer, 'integer'],
  [Kind.number, 'number'],
  [Kind.boolean, 'boolean'],
  [Kind.dateTime, 'date-time'],
  [Kind.string, 'string'],
  [Kind.object, 'object'],
  [Kind.array, 'array'],
];

/**
 * The JSON Schema of a column from the kinds seen in it. Every column is nullable (a later row
 * may leave it empty). Integers widen to numbers and timestamps to strings; for CSV anything else
 * mixed is text, for JSON values the schema lists the types seen.
 */
export function columnSchema(kinds: number, fromText: boolean): JsonObject {
  let k = kinds;
  if (k & Kind.number) k &= ~Kind.integer;
  if (k & Kind.string) k &= ~Kind.dateTime;
  const types = TYPE_OF_KIND.filter(([bit]) => k & bit).map(([, type]) => type);
  if (types.length === 0) return { type: ['null', 'string'] };
  if (types.length === 1 || fromText) {
    const only = types.length === 1 ? types[0]! : 'string';
    return only === 'date-time'
      ? { type: ['null', 'string'], format: 'date-time' }
      : { type: ['null', only] };
  }
  return { type: ['null', ...new Set(types.map((t) => (t === 'date-time' ? 'string' : t)))] };
}

/** The single type a column schema declares, or undefined for unions and untyped columns. */
export function declaredType(schema: unknown): ColumnType | undefined {
  if (schema === null || typeof schema !== 'object') return undefined;
  const { type, format } = schema as { type?: unknown; format?: unknown };
  const types = (Array.isArray(type) ? type : [type]).filter((t) => t !== 'null');
  if (types.length !== 1) return undefined;
  const only = types[0];
  if (only === 'string') return format === 'date-time' ? 'date-time' : 'string';
  if (
    only === 'integer' ||
    only === 'number' ||
    only === 'boolean' ||
    only === 'object' ||
    only === 'array'
  ) {
    return only;
  }
  return undefined;
}

function pad2(text: string): string {
  return text.length === 1 ? `0${text}` : text;
}

/**
 * A timestamp as RFC 3339. Text already in that form is returned as is (no allocation); looser
 * spellings are rewritten, a missing zone meaning UTC. Undefined when the text is no timestamp.
 */
export function normalizeDateTime(text: string): string | undefined {
  if (RFC3339.test(text)) return Number.isNaN(Date.parse(text)) ? undefined : text;
  const match = LOOSE_DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, date, hoursMinutes, seconds, zone] = match;
  let offset = 'Z';
  if (zone && zone !== 'Z' && zone !== 'z') {
    offset = zone.includes(':') ? zone : `${zone.slice(0, 3)}:${pad2(zone.slice(3))}`;
  }
  const normalized = `${date}T${hoursMinutes}${seconds ?? ':00'}${offset}`;
  return Number.isNaN(Date.parse(normalized)) ? undefined : normalized;
}

/** Marks a CSV cell that does not fit its column's type. */
export const MISMATCH: unique symbol = Symbol('mismatch');

/** CSV text as a value of `type`; empty text is null. */
export function convertText(text: string, type: ColumnType | undefined): unknown {
  if (text === '') return null;
  switch (type) {
    case 'integer': {
      const n = Number(text);
      return INTEGER_TEXT.test(text) && Number.isSafeInteger(n) ? n : MISMATCH;
    }
    case 'number':
      return NUMBER_TEXT.test(text) ? Number(text) : MISMATCH;
    case 'boolean': {
      const lower = text.toLowerCase();
      return lower === 'true' ? true : lower === 'false' ? false : MISMATCH;
    }
    case 'date-time':
      return normalizeDateTime(text) ?? MISMATCH;
    case 'object':
    case 'array':
      return parseJsonCell(text, type);
    default:
      return text;
  }
}

// A catalog may declare a CSV column as an object or array when cells hold JSON text.
function parseJsonCell(text: string, type: 'object' | 'array'): unknown {
  try {
    const value: unknown = JSON.parse(text);
    const isArray = Array.isArray(value);
    if (value !== null && typeof value === 'object' && isArray === (type === 'array')) return value;
  } catch {
    // not JSON: falls through to the mismatch
  }
  return MISMATCH;
}
