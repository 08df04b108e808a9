// Value rules every SQL source shares: when a database integer or decimal may become a JSON number
// (only when no digit is lost), and binary values as base64.

import type { JsonValue } from './driver.js';

/** An integer as a JSON number when it is within ±(2^53 − 1), else its exact decimal string. */
export function integerToJson(value: string | bigint | number): JsonValue {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
}

/**
 * A decimal's text as a JSON number when the number has exactly the same value (trailing zeros do
 * not count), else the text itself: `12.50` → 12.5, `0.1` → 0.1, but
 * `12345678901234567890.12` stays a string. NaN and infinities stay strings.
 */
export function decimalToJson(text: string): JsonValue {
  const number = Number(text);
  if (!Number.isFinite(number)) return text;
  // at most 15 significant digits always survive a double (the common case, without the regex)
  if (text.length <= 15) return number;
  const wanted = canonicalDecimal(text);
  if (wanted === undefined) return text;
  return canonicalDecimal(String(number)) === wanted ? number : text;
}

/**
 * `-0012.3400e2` → `-1234e0`-like canonical form: sign, significant digits without leading or
 * trailing zeros, and the exponent of the last digit. Undefined when the text is not a decimal.
 */
export function canonicalDecimal(text: string): string | undefined {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  let exp = Number(exponent) - fraction.length;
  if (digits === '') return '0';
  const trailing = /0+$/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(0, digits.length - trailing);
  exp += trailing;
  return `${sign === '-' ? '-' : ''}${digits}e${exp}`;
}

export function base64FromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
