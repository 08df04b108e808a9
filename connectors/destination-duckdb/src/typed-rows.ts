// The fast path for `objects` batches: each record becomes a row of the values its columns get,
// each checked in JavaScript against exactly the rules the SQL path applies (column-types.ts), and
// the rows are written with one native JSON.stringify per batch. DuckDB then reads each row as a
// list of JSON values and casts each to its column's type (no JSON-pointer extraction per record),
// on its own threads. Where JavaScript cannot be sure to reach DuckDB's answer (a string in a
// number column, a date-time in an unusual shape, a number in a text column), the whole batch goes
// through the SQL path instead, so both paths always produce the same rows. Measured against
// DuckDB's appender fed typed data chunks (one native call per value, on the main thread): see the
// destination's README.

import { quoteIdentifier } from './identifiers.js';
import {
  EXTRACTED_AT_COLUMN,
  GENERATION_COLUMN,
  type LoadLayout,
  MAX_OBJECT_SIZE,
  META_COLUMN,
  RAW_DATA_COLUMN,
  RAW_ID_COLUMN,
} from './load-sql.js';

/** The value does not fit its column: NULL, noted in `_conveyor_meta`. */
const NOTED = Symbol('noted');
/** Only DuckDB's own cast can tell: load the batch through SQL. */
const DEFER = Symbol('defer');

/** The record's value fits its column as DuckDB reads it, or it is NOTED, or only SQL can tell. */
const FITS = 0;
type Typed = typeof FITS | typeof NOTED | typeof DEFER;
type Typer = (value: unknown) => Typed;

const INT64_MIN = -(2 ** 63);
const INT64_LIMIT = 2 ** 63;
const INT64_MIN_BIG = -(2n ** 63n);
const INT64_LIMIT_BIG = 2n ** 63n;

/**
 * What a value is once written as JSON, which is what the SQL path sees: `absent` for undefined,
 * null and the numbers JSON writes as null (NaN, Infinity), `container` for arrays and plain
 * objects, `other` for values JSON.stringify transforms (Dates, class instances) or rejects.
 */
type JsonKind = 'absent' | 'number' | 'string' | 'boolean' | 'container' | 'other';

function jsonKind(value: unknown): JsonKind {
  switch (typeof value) {
    case 'undefined':
      return 'absent';
    case 'number':
      return Number.isFinite(value) ? 'number' : 'absent';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'object': {
      if (value === null) return 'absent';
      if (Array.isArray(value)) return 'container';
      const prototype: unknown = Object.getPrototypeOf(value);
      return prototype === Object.prototype || prototype === null ? 'container' : 'other';
    }
    default:
      return 'other';
  }
}

function integerCell(value: unknown): Typed {
  switch (jsonKind(value)) {
    case 'absent':
      return FITS;
    case 'number': {
      const n = value as number;
      if (Number.isSafeInteger(n)) return FITS;
      if (!Number.isInteger(n) || n < INT64_MIN || n >= INT64_LIMIT) return NOTED;
      // Beyond 2^53 DuckDB reads the number's JSON text, its shortest round-trip digits, not its
      // binary value; at the edges of the int64 range those digits may not fit, and SQL decides.
      const digits = BigInt(String(n));
      return digits >= INT64_MIN_BIG && digits < INT64_LIMIT_BIG ? FITS : DEFER;
    }
    case 'boolean':
    case 'container':
      return NOTED;
    default:
      return DEFER;
  }
}

function doubleCell(value: unknown): Typed {
  switch (jsonKind(value)) {
    case 'absent':
    case 'number': // JSON has no negative zero: -0 is written as 0, as the SQL path reads it
      return FITS;
    case 'boolean':
    case 'container':
      return NOTED;
    default:
      return DEFER;
  }
}

function booleanCell(value: unknown): Typed {
  const kind = jsonKind(value);
  return kind === 'absent' || kind === 'boolean' ? FITS : DEFER;
}

function varcharCell(value: unknown): Typed {
  const kind = jsonKind(value);
  return kind === 'absent' || kind === 'string' ? FITS : DEFER;
}

/** DuckDB keeps a JSON column's value as minified JSON text, as the SQL path does. */
function jsonCell(value: unknown): Typed {
  return jsonKind(value) === 'other' ? DEFER : FITS;
}

// Dates and date-times are taken here only in the ISO shapes DuckDB reads the same way:
// `YYYY-MM-DD` and `YYYY-MM-DD[T ]hh:mm:ss[.ffffff][Z|±hh:mm]`, years 1000-9999. DuckDB reads the
// text and casts it; checked char by char, so a value costs no allocation.

/** The number in `count` ASCII digits at `start`, or -1. */
function digitsAt(text: string, start: number, count: number): number {
  let n = 0;
  for (let i = start; i < start + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether the text starts with a valid `YYYY-MM-DD` of years 1000-9999. */
function startsWithDate(text: string): boolean {
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false; // '-'
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 1000 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

/**
 * Whether the text is an ISO date-time DuckDB reads as this function does. Without
 * `offsetAllowed` a date-time naming an offset (meaningless for a TIMESTAMP without time zone) is not.
 */
function isDateTime(text: string, offsetAllowed: boolean): boolean {
  if (text.length < 19 || !startsWithDate(text)) return false;
  const separator = text.charCodeAt(10);
  if (separator !== 84 && separator !== 32) return false; // 'T' or ' '
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return false; // ':'
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  let position = 19;
  if (text.charCodeAt(position) === 46) {
    // '.'
    const start = ++position;
    while (position < text.length && position - start < 7 && digitsAt(text, position, 1) >= 0) position++;
    const count = position - start;
    if (count < 1 || count > 6) return false;
  }
  if (position === text.length) return true;
  if (!offsetAllowed) return false;
  const sign = text.charCodeAt(position);
  if (sign === 90) return position + 1 === text.length; // 'Z'
  if ((sign !== 43 && sign !== 45) || position + 6 !== text.length || text.charCodeAt(position + 3) !== 58)
    return false;
  const hours = digitsAt(text, position + 1, 2);
  const minutes = digitsAt(text, position + 4, 2);
  return hours >= 0 && hours <= 15 && minutes >= 0 && minutes <= 59;
}

function dateTimeCell(offsetAllowed: boolean): Typer {
  return (value) => {
    const kind = jsonKind(value);
    if (kind === 'absent') return FITS;
    return kind === 'string' && isDateTime(value as string, offsetAllowed) ? FITS : DEFER;
  };
}

function dateCell(value: unknown): Typed {
  const kind = jsonKind(value);
  if (kind === 'absent') return FITS;
  const text = value as string;
  return kind === 'string' && text.length === 10 && startsWithDate(text) ? FITS : DEFER;
}

interface ColumnRule {
  typer: Typer;
  /** SQL turning a row's element (JSON) into the column's type */
  convert: (element: string) => string;
}

const RULES: Record<string, ColumnRule> = {
  BIGINT: { typer: integerCell, convert: (e) => `${e}::BIGINT` },
  DOUBLE: { typer: doubleCell, convert: (e) => `${e}::DOUBLE` },
  BOOLEAN: { typer: booleanCell, convert: (e) => `${e}::BOOLEAN` },
  VARCHAR: { typer: varcharCell, convert: (e) => `${e} ->> '$'` },
  JSON: { typer: jsonCell, convert: (e) => e },
  TIMESTAMPTZ: { typer: dateTimeCell(true), convert: (e) => `CAST(${e} ->> '$' AS TIMESTAMPTZ)` },
  TIMESTAMP: { typer: dateTimeCell(false), convert: (e) => `CAST(${e} ->> '$' AS TIMESTAMP)` },
  DATE: { typer: dateCell, convert: (e) => `CAST(${e} ->> '$' AS DATE)` },
};

/**
 * A row is an array (shorter to write and to read than an object): emitted at (epoch ms), the meta
 * note, the whole record (streams kept whole only), then the properties; positions 1-based, as SQL
 * indexes the list DuckDB reads a row into.
 */
const EMITTED_AT = 1;
const META = 2;

export interface RowsPlan {
  properties: { name: string; typer: Typer }[];
  rawData: boolean;
  /** the INSERT reading a file of rows (`$file`, one JSON array), with `$generation` and `$max_object_size` */
  sql: string;
}

/**
 * How to write a stream's `objects` batches as typed rows, or undefined when a column has a type
 * this path does not check (an existing column of another type), in which case they take the SQL path.
 */
export function planRows(layout: LoadLayout): RowsPlan | undefined {
  const properties: RowsPlan['properties'] = [];
  const outputs = [
    `gen_random_uuid() AS ${quoteIdentifier(RAW_ID_COLUMN)}`,
    `make_timestamptz(r[${EMITTED_AT}]::BIGINT * 1000) AS ${quoteIdentifier(EXTRACTED_AT_COLUMN)}`,
    `$generation::BIGINT AS ${quoteIdentifier(GENERATION_COLUMN)}`,
    `(r[${META}] ->> '$')::JSON AS ${quoteIdentifier(META_COLUMN)}`,
  ];
  let next = META + 1;
  if (layout.rawData) outputs.push(`r[${next++}] AS ${quoteIdentifier(RAW_DATA_COLUMN.name)}`);
  for (const column of layout.columns) {
    const rule = RULES[column.type];
    // A property named __proto__ cannot be read off a parsed object as a plain key.
    if (!rule || column.property === '__proto__') return undefined;
    properties.push({ name: column.property, typer: rule.typer });
    outputs.push(`${rule.convert(`r[${next++}]`)} AS ${quoteIdentifier(column.column)}`);
  }
  const sql = `INSERT INTO ${layout.target} BY NAME
SELECT ${outputs.join(',\n  ')}
FROM read_json($file, format = 'array', records = 'false', maximum_object_size = $max_object_size,
  columns = {r: 'JSON[]'})`;
  return { properties, rawData: layout.rawData, sql };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return jsonKind(value) === 'container' && !Array.isArray(value);
}

function metaOf(fields: readonly string[]): string {
  return JSON.stringify({
    changes: fields.map((field) => ({ field, change: 'NULLED', reason: 'DESTINATION_TYPECAST_ERROR' })),
  });
}

/** A UTF-16 surrogate without its pair: JSON escapes it, and DuckDB refuses the escape. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * The batch as the JSON text of one array of rows, each value checked against its column (NULL,
 * noted in the row's meta note, where one does not fit), or undefined when a value needs DuckDB's
 * own cast (or a record is not an object), in which case the caller takes the SQL path.
 */
export function typedRows(
  plan: RowsPlan,
  records: readonly unknown[],
  emittedAt: number,
): string | undefined {
  const { properties, rawData } = plan;
  const first = rawData ? META + 1 : META;
  const rows: unknown[][] = new Array(records.length);
  for (let r = 0; r < records.length; r++) {
    const record = records[r];
    if (!isRecord(record)) return undefined;
    const row: unknown[] = new Array(first + properties.length);
    row[0] = emittedAt;
    row[1] = null;
    if (rawData) row[2] = record;
    let nulled: string[] | undefined;
    for (let p = 0; p < properties.length; p++) {
      const property = properties[p] as RowsPlan['properties'][number];
      const value = record[property.name];
      const typed = property.typer(value);
      if (typed === DEFER) return undefined;
      if (typed === NOTED) {
        row[first + p] = null;
        nulled ??= [];
        nulled.push(property.name);
      } else {
        row[first + p] = value === undefined ? null : value;
      }
    }
    if (nulled) row[1] = metaOf(nulled);
    rows[r] = row;
  }
  let text = JSON.stringify(rows);
  // JSON.stringify writes a lone surrogate as an escape (`\udXXX`); anything else with `\ud` in it
  // is written as `\\ud`, so this finds every batch that has one, at the cost of one scan.
  if (text.includes('\\ud')) text = JSON.stringify(rows, wellFormed);
  // a batch that may be longer (in UTF-8 bytes) than DuckDB reads as one value could hold a row
  // that long: the SQL path reads each record on its own
  if (text.length * 3 >= MAX_OBJECT_SIZE && Buffer.byteLength(text) >= MAX_OBJECT_SIZE && records.length > 1)
    return undefined;
  return text;
}

/** A JSON.stringify replacer that writes lone surrogates, in strings and in keys, as U+FFFD. */
function wellFormed(_: string, value: unknown): unknown {
  if (typeof value === 'string') return value.replace(LONE_SURROGATES, '\ufffd');
  if (jsonKind(value) !== 'container' || Array.isArray(value)) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.some(([key]) => LONE_SURROGATE.test(key))) return value;
  return Object.fromEntries(entries.map(([key, v]) => [key.replace(LONE_SURROGATES, '\ufffd'), v]));
}
