// The value rules of the SQL sources: numbers only when no digit is lost, Postgres array text
// parsed back to arrays, and the SQL text of keyset queries in both spellings.

import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_IDENTIFIERS } from '../src/identifiers.js';
import { parseArrayLiteral } from '../src/postgres/source-values.js';
import type { JsonValue, KeysetQuery, SourceTable } from '../src/source/driver.js';
import { keysetSelect } from '../src/source/keyset-sql.js';
import { canonicalDecimal, decimalToJson, integerToJson } from '../src/source/values.js';
import { type PgFixture, pgFixture } from './source-helpers.js';

describe('integers and decimals', () => {
  it('keeps integers beyond 2^53 as exact strings', () => {
    expect(integerToJson('9007199254740991')).toBe(9007199254740991);
    expect(integerToJson('9007199254740992')).toBe('9007199254740992');
    expect(integerToJson(-9007199254740993n)).toBe('-9007199254740993');
    expect(integerToJson(12n)).toBe(12);
  });

  it('turns a decimal into a number only when the number has the same value', () => {
    expect(decimalToJson('12.50')).toBe(12.5);
    expect(decimalToJson('0.1')).toBe(0.1);
    expect(decimalToJson('-0.000')).toBe(-0);
    expect(decimalToJson('12345678901234567890.12')).toBe('12345678901234567890.12');
    expect(decimalToJson('0.12345678901234567890')).toBe('0.12345678901234567890');
    expect(decimalToJson('NaN')).toBe('NaN');
  });

  it('never changes the value of a decimal: a number it returns reads back as the same decimal', () => {
    const decimalText = fc
      .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,30}$/), fc.stringMatching(/^[0-9]{0,20}$/))
      .map(
        ([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`,
      );
    fc.assert(
      fc.property(decimalText, (text) => {
        const json = decimalToJson(text);
        if (typeof json === 'number') expect(canonicalDecimal(String(json))).toBe(canonicalDecimal(text));
        else expect(json).toBe(text);
      }),
    );
  });
});

describe('Postgres array text', () => {
  const keep = (value: unknown) => value as JsonValue;

  it('parses quoting, NULL, nesting and dimension prefixes', () => {
    expect(parseArrayLiteral('{}', keep)).toEqual([]);
    expect(parseArrayLiteral('{a,NULL,"NULL","b c","x\\"y","back\\\\slash"}', keep)).toEqual([
      'a',
      null,
      'NULL',
      'b c',
      'x"y',
      'back\\slash',
    ]);
    expect(parseArrayLiteral('{{1,2},{3,4}}', Number)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(parseArrayLiteral('[0:1]={7,8}', Number)).toEqual([7, 8]);
  });

  describe('against the server', () => {
    let fixture: PgFixture;
    beforeAll(async () => {
      fixture = await pgFixture();
    });
    afterAll(async () => {
      await fixture?.drop();
    });

    it('reads back any text array the server writes', async () => {
      const element = fc.option(
        fc.string({ unit: 'grapheme', maxLength: 8 }).filter((s) => !s.includes('\u0000')),
        {
          nil: null,
        },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(element, { maxLength: 6 }), async (values) => {
          const result = await fixture.admin.query({
            text: 'SELECT $1::text[]::text AS out',
            values: [values],
            // the server's text, as the source reads it
            types: { getTypeParser: () => (text: string) => text } as unknown as pg.CustomTypesConfig,
          });
          expect(parseArrayLiteral(result.rows[0].out as string, keep)).toEqual(values);
        }),
        { numRuns: 200 },
      );
    });
  });
});

describe('keyset SQL', () => {
  const table: SourceTable = {
    schema: 'we"ird',
    name: 't.x',
    columns: [
      { name: 'a', databaseType: 'integer', nullable: false },
      { name: 'b"', databaseType: 'text', nullable: false },
    ],
    primaryKey: ['a', 'b"'],
    isView: false,
  };
  const query = (overrides: Partial<KeysetQuery>): KeysetQuery => ({
    table,
    columns: ['a', 'b"'],
    bounds: [{ columns: ['a', 'b"'], values: [1, 'x'], inclusive: false }],
    notNull: [],
    orderBy: ['a', 'b"'],
    limit: 10,
    batchRows: 5,
    signal: new AbortController().signal,
    ...overrides,
  });

  it('quotes every identifier and binds every value', () => {
    const sql = keysetSelect(POSTGRES_IDENTIFIERS, query({ notNull: ['a'] }), {
      placeholder: (i) => `$${i + 1}`,
      rowValues: true,
      parameter: (_column, value) => value,
    });
    expect(sql.text).toBe(
      'SELECT "a", "b""" FROM "we""ird"."t.x" WHERE ("a", "b""") > ($1, $2) AND "a" IS NOT NULL ORDER BY "a" ASC, "b""" ASC LIMIT 10',
    );
    expect(sql.values).toEqual([1, 'x']);
  });

  it('spells a row comparison out for databases that need it', () => {
    const sql = keysetSelect(POSTGRES_IDENTIFIERS, query({ limit: undefined }), {
      placeholder: () => '?',
      rowValues: false,
      parameter: (_column, value) => value,
    });
    expect(sql.text).toBe(
      'SELECT "a", "b""" FROM "we""ird"."t.x" WHERE "a" >= ? AND ("a" > ? OR ("a" = ? AND "b""" > ?)) ORDER BY "a" ASC, "b""" ASC',
    );
    expect(sql.values).toEqual([1, 1, 1, 'x']);
  });
});
