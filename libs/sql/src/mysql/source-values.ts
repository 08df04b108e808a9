// What MySQL and MariaDB column types mean in JSON, for the source. The connection (connection.ts)
// hands values over as mysql2 reads them with our options: integers as numbers (64-bit ones as a
// string when beyond ±2^53), decimals, dates and JSON as the server's text, binary data as Buffers.
// They are converted here exactly, so that a value saved in a state and sent back as a query
// parameter compares equal to the row it came from.

import type { JsonObject } from '@conveyor/protocol';
import { mysqlDriver } from '../drivers.js';
import type { JsonValue, SourceColumn, ValueConverter } from '../source/driver.js';
import { decimalToJson, integerToJson } from '../source/values.js';

type Kind =
  | 'boolean'
  | 'integer'
  | 'bigint'
  | 'decimal'
  | 'float'
  | 'date'
  | 'datetime'
  | 'timestamp'
  | 'time'
  | 'year'
  | 'json'
  | 'binary'
  | 'geometry'
  | 'bit'
  | 'enum'
  | 'set'
  | 'text';

/**
 * The kind of a column from its `COLUMN_TYPE` (`tinyint(1)`, `bigint(20) unsigned`,
 * `decimal(10,2)`, `enum('a','b')`); MariaDB's JSON columns are reported as `json` by the driver.
 */
export function kindOf(databaseType: string): Kind {
  const type = databaseType.toLowerCase().trim();
  if (type === 'tinyint(1)' || type === 'bit(1)' || type === 'boolean' || type === 'bool') return 'boolean';
  const base = /^[a-z]+/.exec(type)?.[0] ?? '';
  switch (base) {
    case 'tinyint':
    case 'smallint':
    case 'mediumint':
    case 'int':
    case 'integer':
      return 'integer';
    case 'bigint':
    case 'serial':
      return 'bigint';
    case 'decimal':
    case 'numeric':
    case 'dec':
    case 'fixed':
      return 'decimal';
    case 'float':
    case 'double':
    case 'real':
      return 'float';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'timestamp':
      return 'timestamp';
    case 'time':
      return 'time';
    case 'year':
      return 'year';
    case 'json':
      return 'json';
    case 'bit':
      return 'bit';
    case 'enum':
      return 'enum';
    case 'set':
      return 'set';
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return 'binary';
    case 'geometry':
    case 'point':
    case 'linestring':
    case 'polygon':
    case 'multipoint':
    case 'multilinestring':
    case 'multipolygon':
    case 'geometrycollection':
      return 'geometry';
    default:
      // char, varchar, the text types, and anything newer (inet6, uuid) read as text
      return 'text';
  }
}

export function mysqlJsonSchema(column: SourceColumn): JsonObject {
  switch (kindOf(column.databaseType)) {
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
    case 'bigint':
    case 'year':
      return { type: 'integer' };
    case 'bit':
      return { type: 'integer' };
    case 'decimal':
    case 'float':
      return { type: 'number' };
    case 'date':
      return { type: 'string', format: 'date' };
    case 'datetime':
      return { type: 'string', format: 'date-time', airbyte_type: 'timestamp_without_timezone' };
    case 'timestamp':
      return { type: 'string', format: 'date-time', airbyte_type: 'timestamp_with_timezone' };
    case 'time':
      // MySQL TIME is a duration as much as a time of day (-838:59:59 to 838:59:59): plain text.
      return { type: 'string' };
    case 'json':
    case 'geometry':
      return { type: ['object', 'array', 'string', 'number', 'boolean'] };
    case 'binary':
      return { type: 'string', contentEncoding: 'base64' };
    case 'enum':
    case 'set':
    case 'text':
      return { type: 'string' };
  }
}

/** MySQL writes an invalid ("zero") date as `0000-00-00`, or with a zero month or day: none is a date. */
function isZeroDate(text: string): boolean {
  return text.startsWith('0000') || text.slice(5, 7) === '00' || text.slice(8, 10) === '00';
}

function dateToJson(value: unknown): JsonValue {
  const text = value as string;
  return isZeroDate(text) ? null : text;
}

/** `2024-05-01 10:00:00.5` → `2024-05-01T10:00:00.5`. */
function datetimeToJson(value: unknown): JsonValue {
  const text = value as string;
  return isZeroDate(text) ? null : `${text.slice(0, 10)}T${text.slice(11)}`;
}

/** TIMESTAMP values are read in the session's UTC. */
function timestampToJson(value: unknown): JsonValue {
  const text = value as string;
  return isZeroDate(text) ? null : `${text.slice(0, 10)}T${text.slice(11)}+00:00`;
}

/** BIT(n) arrives as big-endian bytes. */
function bitsToJson(value: unknown): JsonValue {
  let n = 0n;
  for (const byte of value as Buffer) n = (n << 8n) | BigInt(byte);
  return integerToJson(n);
}

export function mysqlConverter(column: SourceColumn): ValueConverter | undefined {
  const kind = kindOf(column.databaseType);
  switch (kind) {
    case 'boolean':
      return column.databaseType.toLowerCase().startsWith('bit')
        ? (value) => (value as Buffer)[0] === 1
        : (value) => value !== 0 && value !== '0';
    case 'integer':
    case 'float':
    case 'year':
    case 'enum':
    case 'set':
    case 'text':
    case 'time':
      // numbers and text arrive as they are meant
      return undefined;
    case 'bigint':
      // mysql2 (supportBigNumbers) gives a number when it is safe and the exact text otherwise
      return undefined;
    case 'decimal':
      return (value) => decimalToJson(value as string);
    case 'date':
      return dateToJson;
    case 'datetime':
      return datetimeToJson;
    case 'timestamp':
      return timestampToJson;
    case 'json':
      return (value) => JSON.parse(typeof value === 'string' ? value : String(value)) as JsonValue;
    case 'binary':
      return (value) => (value as Buffer).toString('base64');
    case 'geometry':
      // mysql2 reads points, lines and polygons as objects ({x, y}, arrays of them)
      return (value) => (Buffer.isBuffer(value) ? value.toString('base64') : (value as JsonValue));
    case 'bit':
      return bitsToJson;
  }
}

/** `decimal(10,2) unsigned` → `DECIMAL(10,2)`: the cast that keeps a bound's digits exact. */
function decimalCast(databaseType: string): string {
  const precision = /\(\s*(\d+)\s*(?:,\s*(\d+))?\s*\)/.exec(databaseType);
  return precision ? `DECIMAL(${precision[1]},${precision[2] ?? 0})` : 'DECIMAL(65,30)';
}

/** `2024-05-01T10:00:00.5+00:00` → `2024-05-01 10:00:00.5`, as a DATETIME or TIMESTAMP literal reads. */
function sqlDatetime(text: string): string {
  return text.replace('T', ' ').replace(/(Z|[+-]00:?00)$/, '');
}

/**
 * The members of an `enum('a','it''s')` or `set(...)` COLUMN_TYPE, in list order. The server
 * writes a quote in a member as `''` and a backslash as `\\`.
 */
export function listMembers(databaseType: string): string[] {
  const open = databaseType.indexOf('(');
  const members: string[] = [];
  const member = /'((?:[^'\\]|''|\\.)*)'/gs;
  for (const match of databaseType.slice(open + 1).matchAll(member)) {
    members.push(
      (match[1] ?? '').replace(/''|\\(.)/gs, (all, escaped: string | undefined) => {
        if (all === "''") return "'";
        return ESCAPES[escaped as string] ?? (escaped as string);
      }),
    );
  }
  return members;
}

const ESCAPES: Record<string, string> = { '0': '\0', n: '\n', r: '\r', t: '\t', Z: '\x1a', b: '\b' };

/** Each column type's members by value, parsed once. */
const memberPositions = new Map<string, Map<string, number>>();

/** 1-based positions of an ENUM's or SET's members, by member. */
function positionsOf(databaseType: string): Map<string, number> {
  let positions = memberPositions.get(databaseType);
  if (!positions) {
    positions = new Map(listMembers(databaseType).map((m, i) => [m, i + 1]));
    memberPositions.set(databaseType, positions);
  }
  return positions;
}

/** A member's position; a value spelled in another case finds its member the way the server would. */
function positionOf(positions: Map<string, number>, value: string): number | undefined {
  const exact = positions.get(value);
  if (exact !== undefined) return exact;
  const folded = value.toLowerCase();
  const matches = [...positions].filter(([member]) => member.toLowerCase() === folded);
  return matches.length === 1 ? matches[0]?.[1] : undefined;
}

/**
 * An ENUM sorts by its members' list positions but compares with a string as text, so a keyset
 * bound `k > 'z'` would skip members listed after `z` that sort before it as text. Bound by the
 * position instead (an integer compares by position): `''`, the value of an invalid member, is 0.
 */
function enumParameter(databaseType: string, value: JsonValue): unknown {
  if (typeof value !== 'string') return value;
  if (value === '') return 0;
  return positionOf(positionsOf(databaseType), value) ?? value;
}

/** A SET sorts by its bit mask (member n is bit n-1), and compares with an integer by it too. */
function setParameter(databaseType: string, value: JsonValue): unknown {
  if (typeof value !== 'string') return value;
  const positions = positionsOf(databaseType);
  let mask = 0n;
  for (const member of value === '' ? [] : value.split(',')) {
    const position = positionOf(positions, member);
    if (position === undefined) return value;
    mask |= 1n << BigInt(position - 1);
  }
  return mask;
}

/**
 * The query parameter for a JSON value of a column, compared exactly: big integers as BigInt (a
 * quoted string would be compared as a double), decimals cast to the column's own precision for
 * the same reason, base64 back to bytes, ISO timestamps back to MySQL's spelling, ENUM and SET
 * members as the numbers they sort by.
 */
export function mysqlParameter(column: SourceColumn, value: JsonValue): unknown {
  if (value === null) return null;
  switch (kindOf(column.databaseType)) {
    case 'boolean':
      return value === true || value === 1 || value === '1' ? 1 : 0;
    case 'integer':
    case 'bigint':
    case 'year':
    case 'bit':
      return typeof value === 'string' && /^[+-]?\d+$/.test(value) ? BigInt(value) : value;
    case 'decimal': {
      const mysql = mysqlDriver();
      return mysql.raw(`CAST(${mysql.escape(String(value))} AS ${decimalCast(column.databaseType)})`);
    }
    case 'datetime':
    case 'timestamp':
      return typeof value === 'string' ? sqlDatetime(value) : value;
    case 'binary':
      return typeof value === 'string' ? Buffer.from(value, 'base64') : value;
    case 'json':
      return JSON.stringify(value);
    case 'enum':
      return enumParameter(column.databaseType, value);
    case 'set':
      return setParameter(column.databaseType, value);
    default:
      return value;
  }
}
