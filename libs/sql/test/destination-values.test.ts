// Converting JSON values to column values in JavaScript: what fits each logical type, in which
// canonical shape it reaches the database, and what does not fit (and so becomes NULL + a note).

import { describe, expect, test } from 'vitest';
import { converterFor, Rounded, timestampOfEpochMs, UNFIT } from '../src/destination/value-conversion.js';

const withNul = { textAllowsNul: true };
const withoutNul = { textAllowsNul: false };

describe('integer', () => {
  const convert = converterFor('integer', withNul);
  test('JSON integers and integer strings fit; int64 beyond 2^53 stays exact as bigint', () => {
    expect(convert(42)).toBe(42);
    expect(convert('-7')).toBe(-7);
    expect(convert('4.0')).toBe(4);
    expect(convert('9223372036854775807')).toBe(9223372036854775807n);
    expect(convert(2 ** 60)).toBe(2n ** 60n);
  });
  test('fractions, out-of-range numbers, booleans and objects do not fit', () => {
    for (const value of [4.5, '4.5', '9223372036854775808', 2 ** 64, true, { a: 1 }, [1], 'forty']) {
      expect(convert(value), String(value)).toBe(UNFIT);
    }
  });
  test('absent, null and non-finite numbers are NULL, not unfit', () => {
    expect(convert(undefined)).toBeNull();
    expect(convert(null)).toBeNull();
    expect(convert(Number.NaN)).toBeNull();
  });
});

describe('number and boolean', () => {
  test('numbers from JSON numbers and decimal strings; no negative zero', () => {
    const convert = converterFor('number', withNul);
    expect(convert(1.5)).toBe(1.5);
    expect(convert('1e3')).toBe(1000);
    expect(Object.is(convert(-0), 0)).toBe(true);
    expect(convert('NaN')).toBe(UNFIT);
    expect(convert(false)).toBe(UNFIT);
  });
  test('a decimal with more digits than a double keeps is stored rounded, and says so', () => {
    const convert = converterFor('number', withNul);
    // as many digits as the double's shortest form: exact enough, no note
    for (const text of ['0.1', '-12.50', '+0.000123', '1.5e-7', '12345678901234.5', '007']) {
      expect(convert(text), text).toBe(Number(text));
    }
    for (const text of [
      '12345678901234567890.0123456789',
      '99999999999999999999.99',
      '0.12345678901234567891',
    ]) {
      const converted = convert(text);
      expect(converted, text).toBeInstanceOf(Rounded);
      expect((converted as Rounded).value).toBe(Number(text));
    }
    expect(convert(2n ** 60n + 1n)).toBeInstanceOf(Rounded);
    expect(convert(2n ** 40n)).toBe(2 ** 40);
  });
  test('booleans from booleans, 0/1 and true/false/t/f strings', () => {
    const convert = converterFor('boolean', withNul);
    expect([convert(true), convert(0), convert('T'), convert('false')]).toEqual([true, false, true, false]);
    expect(convert('maybe')).toBe(UNFIT);
    expect(convert(2)).toBe(UNFIT);
  });
});

describe('string and json', () => {
  test('strings keep everything; scalars and containers become their JSON text', () => {
    const convert = converterFor('string', withNul);
    expect(convert('a\u0000b')).toBe('a\u0000b');
    expect(convert(12)).toBe('12');
    expect(convert(true)).toBe('true');
    expect(convert({ a: [1] })).toBe('{"a":[1]}');
  });
  test('where the database cannot hold NUL, text and JSON containing it do not fit', () => {
    expect(converterFor('string', withoutNul)('a\u0000b')).toBe(UNFIT);
    expect(converterFor('json', withoutNul)({ k: 'x\u0000' })).toBe(UNFIT);
    // a literal backslash followed by u0000 is not a NUL
    expect(converterFor('json', withoutNul)({ k: '\\u0000' })).toBe('{"k":"\\\\u0000"}');
  });
  test('json keeps any value as its JSON text, and JSON null as NULL', () => {
    const convert = converterFor('json', withNul);
    expect(convert('text')).toBe('"text"');
    expect(convert([1, null])).toBe('[1,null]');
    expect(convert(null)).toBeNull();
  });
});

describe('dates and times', () => {
  const tz = converterFor('timestamp_with_timezone', withNul);
  const local = converterFor('timestamp_without_timezone', withNul);
  const date = converterFor('date', withNul);

  test('time-zoned values are stored in UTC with microseconds, across day and year boundaries', () => {
    expect(tz('2024-01-02T03:04:05+02:00')).toBe('2024-01-02T01:04:05.000000Z');
    expect(tz('2024-01-01T00:30:00.1234567+01:00')).toBe('2023-12-31T23:30:00.123456Z');
    expect(tz('2024-02-29 23:00:00-0130')).toBe('2024-03-01T00:30:00.000000Z');
    expect(tz('2024-05-06')).toBe('2024-05-06T00:00:00.000000Z');
    expect(tz('2024-05-06T07:08')).toBe('2024-05-06T07:08:00.000000Z');
  });
  test('without a time zone the wall-clock time is kept, offset or not', () => {
    expect(local('2024-01-02T03:04:05+02:00')).toBe('2024-01-02T03:04:05.000000');
    expect(local('2024-01-02 03:04:05.5')).toBe('2024-01-02T03:04:05.500000');
  });
  test('impossible dates and other shapes do not fit', () => {
    for (const value of [
      '2023-02-29T00:00:00Z',
      '2024-13-01',
      'yesterday',
      '2024-01-01T24:00:00',
      1700000000,
      '0000-01-01',
    ]) {
      expect(tz(value), String(value)).toBe(UNFIT);
    }
    expect(date('2024-02-29')).toBe('2024-02-29');
    expect(date('2023-02-29')).toBe(UNFIT);
    expect(date('2024-02-29T00:00:00')).toBe(UNFIT);
  });
  test('extraction instants have the same canonical shape', () => {
    expect(timestampOfEpochMs(Date.UTC(2024, 0, 2, 3, 4, 5, 678))).toBe('2024-01-02T03:04:05.678000Z');
  });
});
