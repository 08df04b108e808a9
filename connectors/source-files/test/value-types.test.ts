import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  columnSchema,
  convertText,
  Kind,
  kindOfText,
  MISMATCH,
  normalizeDateTime,
} from '../src/value-types.js';

describe('CSV text typing', () => {
  it('integers and numbers read back as the value they spell', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), (n) => {
        const text = String(n);
        const kind = kindOfText(text);
        if (kind === Kind.string) return; // "-0" style leading zeros stay text
        expect(convertText(text, kind === Kind.integer ? 'integer' : 'number')).toBe(Number(text));
      }),
    );
    expect(kindOfText('1e5')).toBe(Kind.number);
    expect(kindOfText('.5')).toBe(Kind.number);
  });

  it('keeps codes with leading zeros and integers too large for a double as text', () => {
    expect(kindOfText('007')).toBe(Kind.string);
    expect(kindOfText('00.5')).toBe(Kind.string);
    expect(kindOfText('0')).toBe(Kind.integer);
    expect(kindOfText('0.5')).toBe(Kind.number);
    expect(kindOfText('12345678901234567890')).toBe(Kind.string);
  });

  it('normalizes any timestamp spelling to RFC 3339 denoting the same instant (no zone means UTC)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom('T', ' '),
        fc.constantFrom('Z', '', '+00:00', '+0000'),
        (date, separator, zone) => {
          const iso = date.toISOString();
          const text = `${iso.slice(0, 10)}${separator}${iso.slice(11, 23)}${zone}`;
          const normalized = normalizeDateTime(text);
          expect(normalized).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
          expect(Date.parse(normalized!)).toBe(date.getTime());
        },
      ),
    );
    expect(normalizeDateTime('2024-01-01 10:00')).toBe('2024-01-01T10:00:00Z');
    expect(normalizeDateTime('2024-13-01T00:00:00Z')).toBeUndefined();
    expect(normalizeDateTime('yesterday')).toBeUndefined();
  });

  it('reports cells that do not fit their column instead of passing them on', () => {
    expect(convertText('1.5', 'integer')).toBe(MISMATCH);
    expect(convertText('yes', 'boolean')).toBe(MISMATCH);
    expect(convertText('soon', 'date-time')).toBe(MISMATCH);
    expect(convertText('[1', 'array')).toBe(MISMATCH);
    expect(convertText('[1]', 'array')).toEqual([1]);
    expect(convertText('', 'integer')).toBeNull();
    expect(convertText('anything', undefined)).toBe('anything');
  });
});

describe('column schemas', () => {
  it('widen integer with number, timestamps with text, and any CSV mix to text', () => {
    expect(columnSchema(Kind.integer | Kind.number, true)).toEqual({ type: ['null', 'number'] });
    expect(columnSchema(Kind.dateTime | Kind.string, true)).toEqual({ type: ['null', 'string'] });
    expect(columnSchema(Kind.integer | Kind.boolean, true)).toEqual({ type: ['null', 'string'] });
    expect(columnSchema(Kind.integer | Kind.boolean, false)).toEqual({
      type: ['null', 'integer', 'boolean'],
    });
    expect(columnSchema(0, false)).toEqual({ type: ['null', 'string'] });
  });
});
