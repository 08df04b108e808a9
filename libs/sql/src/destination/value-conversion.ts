// Converting JSON values to the values a column of each logical type holds, in JavaScript, for
// every dialect that loads from JS. A value either converts to its column's type (see `SqlValue`
// in dialect.ts for the exact shapes) or does not fit, in which case the column gets NULL and the
// row's `_conveyor_meta` names the field. Never an error, never a dropped record.
//
// What fits, by column type:
// - integer: JSON integers within int64, and strings of an integer (`"42"`, `"4.0"`);
// - number: finite numbers, and strings of a decimal number (one with more significant digits
//   than a double keeps is stored rounded and noted as TRUNCATED in `_conveyor_meta`);
// - boolean: booleans, `0`/`1`, and the strings true/false/t/f/1/0 (any case);
// - string: strings; numbers and booleans as their JSON text; objects and arrays as JSON text;
// - timestamp with time zone: ISO 8601 strings `YYYY-MM-DD[T| ]hh:mm[:ss[.fraction]][Z|±hh[:mm]]`
//   (no offset means UTC) or a bare date (midnight UTC); stored in UTC, microseconds;
// - timestamp without time zone: the same shapes; an offset is ignored (wall-clock time kept,
//   as Postgres does);
// - date: `YYYY-MM-DD`;
// - json: any value, as its JSON text.
// Years must be 0001-9999. Where the database cannot hold U+0000 in text (`textAllowsNul`),
// text and JSON containing it do not fit.

import type { LogicalType } from '../logical-types.js';
import type { SqlValue } from './dialect.js';

/** Returned by a converter for a value that does not fit its column. */
export const UNFIT: unique symbol = Symbol('unfit');

/**
 * A decimal text with more significant digits than a double keeps (an exact `numeric` from a
 * source): stored as the nearest double, and the row's `_conveyor_meta` says the field was
 * truncated, so precision is never lost silently.
 */
export class Rounded {
  constructor(readonly value: number) {}
}

export type Converter = (value: unknown) => SqlValue | typeof UNFIT | Rounded;

/** Significant digits and exponent of a decimal text (`-0012.3400e1` → `1234`, 1): its value, canonical. */
function significant(text: string): { digits: string; exponent: number } {
  const [mantissa = '', exp = '0'] = text.trim().replace(/^[+-]/, '').toLowerCase().split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  const all = `${whole}${fraction}`;
  const leading = all.length - all.replace(/^0+/, '').length;
  const digits = all.replace(/^0+/, '').replace(/0+$/, '');
  return { digits, exponent: Number(exp) + whole.length - leading };
}

/** Whether the double `n` carries every significant digit of `text` (its shortest form has them all). */
function keepsDigits(text: string, n: number): boolean {
  const a = significant(text);
  const b = significant(String(Math.abs(n)));
  return a.digits === b.digits && (a.digits === '' || a.exponent === b.exponent);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^\s*[+-]?\d+(\.0*)?\s*$/;
const DECIMAL_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const NUL_IN_JSON = /(^|[^\\])(\\\\)*\\u0000/;

function fromBigInt(n: bigint): SqlValue | typeof UNFIT {
  if (n < INT64_MIN || n > INT64_MAX) return UNFIT;
  const asNumber = Number(n);
  return Number.isSafeInteger(asNumber) ? asNumber : n;
}

function toInteger(value: unknown): SqlValue | typeof UNFIT {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) return null; // JSON has no NaN/Infinity: they travel as null
      if (Number.isSafeInteger(value)) return value;
      return Number.isInteger(value) ? fromBigInt(BigInt(value)) : UNFIT;
    case 'bigint':
      return fromBigInt(value);
    case 'string': {
      if (!INTEGER_TEXT.test(value)) return UNFIT;
      const digits = value.trim().replace(/\.0*$/, '');
      return fromBigInt(BigInt(digits));
    }
    case 'undefined':
      return null;
    default:
      return value === null ? null : UNFIT;
  }
}

function toNumber(value: unknown): SqlValue | typeof UNFIT | Rounded {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) return null;
      return value === 0 ? 0 : value; // no negative zero in JSON
    case 'bigint': {
      const n = Number(value);
      return BigInt(n) === value ? n : new Rounded(n);
    }
    case 'string': {
      if (!DECIMAL_TEXT.test(value)) return UNFIT;
      const n = Number(value);
      if (!Number.isFinite(n)) return UNFIT;
      return keepsDigits(value, n) ? n : new Rounded(n);
    }
    case 'undefined':
      return null;
    default:
      return value === null ? null : UNFIT;
  }
}

function toBoolean(value: unknown): SqlValue | typeof UNFIT {
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value === 1 ? true : value === 0 ? false : UNFIT;
    case 'string': {
      const text = value.trim().toLowerCase();
      if (text === 'true' || text === 't' || text === '1') return true;
      if (text === 'false' || text === 'f' || text === '0') return false;
      return UNFIT;
    }
    case 'undefined':
      return null;
    default:
      return value === null ? null : UNFIT;
  }
}

/** JSON text of a value, or undefined for what JSON writes as nothing or null. */
function jsonText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

function textConverter(allowsNul: boolean): Converter {
  return (value) => {
    if (typeof value === 'string') return !allowsNul && value.includes('\u0000') ? UNFIT : value;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      return typeof value === 'number' && !Number.isFinite(value) ? null : String(value);
    }
    const text = jsonText(value);
    if (text === undefined) return null;
    return !allowsNul && NUL_IN_JSON.test(text) ? UNFIT : text;
  };
}

function jsonConverter(allowsNul: boolean): Converter {
  return (value) => {
    let text: string | undefined;
    try {
      text = jsonText(value);
    } catch {
      return UNFIT; // a cycle or another value JSON cannot write
    }
    if (text === undefined) return null;
    return !allowsNul && NUL_IN_JSON.test(text) ? UNFIT : text;
  };
}

// ---- dates and times --------------------------------------------------------------------------

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

function validDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

/** Days since 1970-01-01 (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The civil date of a day number (inverse of daysFromCivil). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function formatDate(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** `utc`: convert to UTC by the offset and append `Z`; otherwise keep the wall-clock time. */
function toTimestamp(value: unknown, utc: boolean): SqlValue | typeof UNFIT {
  if (value === null || value === undefined) return null;
  let text: string;
  if (typeof value === 'string') text = value.trim();
  else if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return UNFIT;
    text = value.toISOString();
  } else return UNFIT;
  const m = DATE_TIME.exec(text);
  if (!m) return UNFIT;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const micros = m[7] === undefined ? 0 : Number(m[7].slice(0, 6).padEnd(6, '0'));
  if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return UNFIT;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const hours = Number(m[10]);
    const minutes = m[11] === undefined ? 0 : Number(m[11]);
    if (hours > 15 || minutes > 59) return UNFIT;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  if (!utc || offsetMinutes === 0) {
    const time = `${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(micros, 6)}`;
    return `${formatDate(year, month, day)}T${time}${utc ? 'Z' : ''}`;
  }
  const totalMinutes = daysFromCivil(year, month, day) * 1440 + hour * 60 + minute - offsetMinutes;
  const days = Math.floor(totalMinutes / 1440);
  const minuteOfDay = totalMinutes - days * 1440;
  const [y, mo, d] = civilFromDays(days);
  if (y < 1 || y > 9999) return UNFIT;
  const time = `${pad(Math.floor(minuteOfDay / 60), 2)}:${pad(minuteOfDay % 60, 2)}:${pad(second, 2)}.${pad(micros, 6)}`;
  return `${formatDate(y, mo, d)}T${time}Z`;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

function toDate(value: unknown): SqlValue | typeof UNFIT {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return UNFIT;
  const m = DATE_ONLY.exec(value.trim());
  if (!m) return UNFIT;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return validDate(year, month, day) ? formatDate(year, month, day) : UNFIT;
}

/** The canonical UTC timestamp text of an epoch-milliseconds instant (for `_conveyor_extracted_at`). */
export function timestampOfEpochMs(ms: number): string {
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  return `${iso.slice(0, 23)}000Z`;
}

/** The converter for columns of `logical` type. */
export function converterFor(logical: LogicalType, options: { textAllowsNul: boolean }): Converter {
  switch (logical) {
    case 'integer':
      return toInteger;
    case 'number':
      return toNumber;
    case 'boolean':
      return toBoolean;
    case 'string':
      return textConverter(options.textAllowsNul);
    case 'timestamp_with_timezone':
      return (value) => toTimestamp(value, true);
    case 'timestamp_without_timezone':
      return (value) => toTimestamp(value, false);
    case 'date':
      return toDate;
    case 'json':
      return jsonConverter(options.textAllowsNul);
  }
}
