// `objects` batches are written as typed rows when JavaScript can type every value exactly as SQL
// would, and take the SQL path otherwise. Whatever the path, the rows must be the ones the SQL
// path produces for the same records sent as JSON lines.

import type { JsonObject } from '@conveyor/protocol';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { LoadLayout } from '../src/load-sql.js';
import { planRows, typedRows } from '../src/typed-rows.js';
import { byFieldRefusals, catalogOf, lines, objects, query, runSync, tempDatabase } from './helpers.js';

const properties = {
  k: { type: 'integer' },
  i: { type: 'integer' },
  n: { type: 'number' },
  b: { type: 'boolean' },
  s: { type: 'string' },
  t: { type: 'string', format: 'date-time' },
  lt: { type: 'string', format: 'date-time', airbyte_type: 'timestamp_without_timezone' },
  d: { type: 'string', format: 'date' },
  o: { type: 'object' },
  u: { type: ['string', 'integer'] },
};

describe('typedRows', () => {
  const layout: LoadLayout = {
    target: '"main"."t"',
    rawData: false,
    columns: [
      { property: 'id', column: 'id', type: 'BIGINT' },
      { property: 'at', column: 'at', type: 'TIMESTAMPTZ' },
      { property: 'day', column: 'day', type: 'DATE' },
    ],
  };
  const plan = planRows(layout);

  test('writes records as rows of their columns, NULL and a note where a value does not fit', () => {
    const records = [
      { id: 1, at: '2024-01-01T00:00:00.123Z', day: '2024-02-29', extra: 'not a column' },
      { id: true, at: null },
    ];
    const rows = plan && typedRows(plan, records, 7);
    // [emitted at, meta note, ...the properties in column order]
    expect(rows && JSON.parse(rows)).toEqual([
      [7, null, 1, '2024-01-01T00:00:00.123Z', '2024-02-29'],
      [
        7,
        JSON.stringify({
          changes: [{ field: 'id', change: 'NULLED', reason: 'DESTINATION_TYPECAST_ERROR' }],
        }),
        null,
        null,
        null,
      ],
    ]);
  });

  test.each([
    ['numeric text in an integer column', { id: '42' }],
    ['a date-time in another shape', { at: '2024-01-01T00:00:00+02' }],
    ['an impossible date', { day: '2024-02-30' }],
    ['a Date object', { at: new Date() }],
    ['a record that is not an object', null],
  ])('leaves the batch to SQL for %s', (_, record) => {
    expect(plan && typedRows(plan, [{ id: 1 }, record], 0)).toBeUndefined();
  });

  test('is not used for a table with a column type it does not check', () => {
    const withDecimal = [...layout.columns, { property: 'price', column: 'price', type: 'DECIMAL(18,3)' }];
    expect(planRows({ ...layout, columns: withDecimal })).toBeUndefined();
  });
});

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(Number),
  fc.double(),
  fc.boolean(),
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('42', '4.5', ' 7 ', 'true', 'yes', '1e3', '', 'null'),
  fc
    .date({
      min: new Date('1000-01-01T00:00:00Z'),
      max: new Date('9999-12-31T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '2024-03-01T12:30:00+02:00',
    '2024-03-01 12:30:00',
    '2024-03-01T12:30:00.5Z',
    '2024-03-01T12:30:00.123456-11:30',
    '2024-02-30T00:00:00Z',
    '2024-01-01T24:00:00Z',
    '1999-12-31',
    '0099-01-01',
    '2024-13-01',
  ),
  fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.double())),
  fc.array(fc.oneof(fc.integer(), fc.string(), fc.constant(null))),
);

const isoDate = fc.date({
  min: new Date('1000-01-01T00:00:00Z'),
  max: new Date('9999-12-31T00:00:00Z'),
  noInvalidDate: true,
});

const edgeNumbers = fc.constantFrom(
  -0,
  5e-324,
  Number.MAX_VALUE,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 63),
  Number.NaN,
  Number.POSITIVE_INFINITY,
);

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Date-times around the ISO shape, valid and not: the appender reads some, DuckDB the rest. */
const dateTimeText = fc
  .tuple(
    fc.integer({ min: 900, max: 9999 }),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.constantFrom('T', ' ', 't'),
    fc.integer({ min: 0, max: 24 }),
    fc.integer({ min: 0, max: 60 }),
    fc.integer({ min: 0, max: 60 }),
    fc.option(fc.stringMatching(/^[0-9]{1,8}$/), { nil: undefined }),
    fc.constantFrom('', 'Z', 'z', '+02:00', '-11:30', '+14:00', '+15:59', '+16:00', '+05', '-00:00'),
  )
  .map(
    ([y, mo, d, sep, h, mi, s, fraction, zone]) =>
      `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}${sep}${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${fraction ? `.${fraction}` : ''}${zone}`,
  );

/** Mostly values that suit the column (the appender's ground), sometimes anything. */
function mostly(suited: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 9, arbitrary: suited }, { weight: 1, arbitrary: anyValue });
}

const anyRecord = fc.record(
  {
    i: mostly(
      fc.oneof(
        fc.integer(),
        fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(Number),
        fc.double(),
        fc.boolean(),
        edgeNumbers,
      ),
    ),
    n: mostly(fc.oneof(fc.double(), fc.integer(), edgeNumbers)),
    b: mostly(fc.boolean()),
    s: mostly(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }))),
    t: mostly(
      fc.oneof(
        isoDate.map((d) => d.toISOString()),
        dateTimeText,
      ),
    ),
    lt: mostly(
      fc.oneof(
        isoDate.map((d) => d.toISOString().slice(0, -1)),
        dateTimeText,
      ),
    ),
    d: mostly(
      fc.oneof(
        isoDate.map((d) => d.toISOString().slice(0, 10)),
        dateTimeText.map((t) => t.slice(0, 10)),
      ),
    ),
    o: mostly(fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue()), fc.double())),
    u: mostly(fc.jsonValue()),
  },
  { requiredKeys: [] },
);

/** Every column but the per-record id, JSON re-serialized by DuckDB so both sides print alike. */
const COMPARED = `SELECT k, i, n::VARCHAR AS n, b, s, t::VARCHAR AS t, lt::VARCHAR AS lt, d::VARCHAR AS d, json(o)::VARCHAR AS o,
  json(u)::VARCHAR AS u, _conveyor_meta::VARCHAR AS meta, _conveyor_extracted_at::VARCHAR AS extracted_at`;

describe('objects batches', () => {
  test('land exactly as the same records sent as JSON lines', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyRecord, { minLength: 1, maxLength: 40 }), async (generated) => {
        const records = generated.map((r, k) => ({ ...r, k }) as JsonObject);
        const path = await tempDatabase();
        const catalog = catalogOf(
          { name: 'via_objects', properties },
          { name: 'via_batch', properties },
          { name: 'via_lines', properties },
          { name: 'via_lines_late', properties },
        );
        // One batch per record: a record that needs SQL does not take the others off typed rows,
        // and typed batches staged on either side of it load in order.
        const batches = [
          // lines first: the transaction's first load, read by field (load-sql.ts, jsonl-fields)
          lines('via_lines', records, 1_000),
          ...records.map((r) => objects('via_objects', [r], 1_000)),
          // all in one batch: rows that fit beside rows with NULLs and notes
          objects('via_batch', records, 1_000),
          // lines after other loads: read by JSON pointer
          lines('via_lines_late', records, 1_000),
        ];
        const logged = await runSync(path, catalog, batches);
        expect(byFieldRefusals(logged), 'the first lines were read by field').toBe(0);
        const viaObjects = await query(path, `${COMPARED} FROM via_objects ORDER BY k`);
        const viaBatch = await query(path, `${COMPARED} FROM via_batch ORDER BY k`);
        const viaLines = await query(path, `${COMPARED} FROM via_lines ORDER BY k`);
        const viaLinesLate = await query(path, `${COMPARED} FROM via_lines_late ORDER BY k`);
        expect(viaObjects).toEqual(viaLines);
        expect(viaBatch).toEqual(viaLines);
        expect(viaLinesLate).toEqual(viaLines);
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  test('keep text with a lone UTF-16 surrogate, which DuckDB cannot read, with the replacement character', async () => {
    const path = await tempDatabase();
    const catalog = catalogOf({ name: 'odd', properties: { s: { type: 'string' }, o: { type: 'object' } } });
    // in a value, and in a key of a nested object
    const record = { s: 'a\ud800b', o: { k: '\udc00', '\ud800k': 1 } };
    await runSync(path, catalog, [objects('odd', [record], 1_000)]);
    expect(await query(path, 'SELECT s, o::VARCHAR AS o FROM odd')).toEqual([
      { s: 'a\ufffdb', o: '{"k":"\ufffd","\ufffdk":1}' },
    ]);
  });

  test('load a row longer in UTF-8 bytes than in characters', async () => {
    const path = await tempDatabase();
    const catalog = catalogOf({ name: 'wide', properties: { s: { type: 'string' } } });
    // 600,000 characters, 1.8 MB: DuckDB's read limit counts bytes
    await runSync(path, catalog, [objects('wide', [{ s: '漢'.repeat(600_000) }], 1_000)]);
    expect(await query(path, 'SELECT length(s)::INT AS n FROM wide')).toEqual([{ n: 600_000 }]);
  });
});
