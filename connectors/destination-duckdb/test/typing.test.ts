import { describe, expect, test } from 'vitest';
import {
  byFieldRefusals,
  catalogOf,
  lines,
  objects,
  query,
  recordLine,
  runSync,
  tempDatabase,
} from './helpers.js';

const properties = {
  id: { type: 'integer' },
  score: { type: ['null', 'number'] },
  active: { type: 'boolean' },
  name: { type: 'string' },
  signed_up: { type: 'string', format: 'date-time' },
  birthday: { type: 'string', format: 'date' },
  local_time: { type: 'string', format: 'date-time', airbyte_type: 'timestamp_without_timezone' },
  address: { type: 'object', properties: { city: { type: 'string' } } },
  tags: { type: 'array', items: { type: 'string' } },
  either: { type: ['string', 'integer'] },
  anything: {},
};

const sample = {
  id: 7,
  score: 2.5,
  active: true,
  name: 'Ada',
  signed_up: '2024-03-01T12:30:00+02:00',
  birthday: '1815-12-10',
  local_time: '2024-03-01T12:30:00',
  address: { city: 'London', geo: [51.5, -0.1] },
  tags: ['math', 'engines'],
  either: 'x',
  anything: { deep: { er: null } },
};

async function columnTypes(path: string, table: string): Promise<Record<string, unknown>> {
  const rows = await query(
    path,
    `SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = '${table}' ORDER BY column_index`,
  );
  return Object.fromEntries(rows.map((r) => [r.column_name, r.data_type]));
}

describe('typed columns', () => {
  test('each JSON schema type becomes a DuckDB column type, after the metadata columns', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf({ name: 'people', properties }), []);
    expect(await columnTypes(path, 'people')).toEqual({
      _conveyor_raw_id: 'UUID',
      _conveyor_extracted_at: 'TIMESTAMP WITH TIME ZONE',
      _conveyor_generation_id: 'BIGINT',
      _conveyor_meta: 'JSON',
      id: 'BIGINT',
      score: 'DOUBLE',
      active: 'BOOLEAN',
      name: 'VARCHAR',
      signed_up: 'TIMESTAMP WITH TIME ZONE',
      birthday: 'DATE',
      local_time: 'TIMESTAMP',
      address: 'JSON',
      tags: 'JSON',
      either: 'JSON',
      anything: 'JSON',
    });
  });

  test.each(['objects', 'jsonl'] as const)(
    '%s batches land typed, with nested values kept as JSON',
    async (format) => {
      const path = await tempDatabase();
      const batch = format === 'objects' ? objects('people', [sample]) : lines('people', [sample]);
      await runSync(path, catalogOf({ name: 'people', properties }), [batch]);
      const [row] = await query(
        path,
        `SELECT id, score, active, name, signed_up::VARCHAR AS signed_up, birthday::VARCHAR AS birthday,
        local_time::VARCHAR AS local_time, address, address->>'$.city' AS city, tags, json_array_length(tags) AS tag_count,
        either, anything, _conveyor_meta, _conveyor_extracted_at::VARCHAR AS extracted_at, _conveyor_raw_id IS NOT NULL AS has_id
       FROM people`,
      );
      expect(row).toEqual({
        id: '7',
        score: 2.5,
        active: true,
        name: 'Ada',
        signed_up: '2024-03-01 10:30:00+00',
        birthday: '1815-12-10',
        local_time: '2024-03-01 12:30:00',
        address: '{"city":"London","geo":[51.5,-0.1]}',
        city: 'London',
        tags: '["math","engines"]',
        tag_count: '2',
        either: '"x"',
        anything: '{"deep":{"er":null}}',
        _conveyor_meta: null,
        extracted_at: '2023-11-14 22:13:20+00',
        has_id: true,
      });
    },
  );

  test('every record gets its own raw id', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf({ name: 'people', properties }), [
      objects('people', [{ id: 1 }, { id: 2 }]),
      lines('people', [{ id: 3 }, { id: 4 }]),
    ]);
    expect(await query(path, 'SELECT count(DISTINCT _conveyor_raw_id)::INT AS n FROM people')).toEqual([
      { n: 4 },
    ]);
  });

  test('missing properties and JSON nulls are NULL without a note', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf({ name: 'people', properties }), [
      objects('people', [{ id: null, address: null }]),
      lines('people', [{ tags: null }]),
    ]);
    expect(await query(path, 'SELECT id, address, tags, _conveyor_meta FROM people')).toEqual([
      { id: null, address: null, tags: null, _conveyor_meta: null },
      { id: null, address: null, tags: null, _conveyor_meta: null },
    ]);
  });
});

describe('values that do not fit their column', () => {
  const misfit = {
    id: 'seven',
    score: 'high',
    active: 'maybe',
    signed_up: 'yesterday',
    birthday: '2024-02-30',
    name: 'kept',
  };
  const note = (field: string) => ({ field, change: 'NULLED', reason: 'DESTINATION_TYPECAST_ERROR' });

  test.each(['objects', 'jsonl'] as const)(
    '%s: become NULL and are noted in _conveyor_meta',
    async (format) => {
      const path = await tempDatabase();
      const batch = format === 'objects' ? objects('people', [misfit]) : lines('people', [misfit]);
      await runSync(path, catalogOf({ name: 'people', properties }), [batch]);
      const [row] = await query(
        path,
        'SELECT id, score, active, signed_up, birthday, name, _conveyor_meta FROM people',
      );
      expect(row).toMatchObject({
        id: null,
        score: null,
        active: null,
        signed_up: null,
        birthday: null,
        name: 'kept',
      });
      expect(JSON.parse(String(row?._conveyor_meta))).toEqual({
        changes: [note('id'), note('score'), note('active'), note('signed_up'), note('birthday')],
      });
    },
  );

  test('an integer column takes integral numbers and numeric text, not fractions, booleans or objects', async () => {
    const path = await tempDatabase();
    const values = [42, '43', 44.0, 4.5, true, { n: 1 }, [1], 2 ** 53 + 2];
    await runSync(
      path,
      catalogOf({ name: 'numbers', properties: { n: { type: 'integer' }, i: { type: 'integer' } } }),
      [
        lines(
          'numbers',
          values.map((n, i) => ({ n, i })),
        ),
      ],
    );
    const rows = await query(path, 'SELECT n, _conveyor_meta IS NOT NULL AS noted FROM numbers ORDER BY i');
    expect(rows).toEqual([
      { n: '42', noted: false },
      { n: '43', noted: false },
      { n: '44', noted: false },
      { n: null, noted: true },
      { n: null, noted: true },
      { n: null, noted: true },
      { n: null, noted: true },
      { n: '9007199254740994', noted: false },
    ]);
  });

  test('a string column keeps any value as text, a number with an exponent as DuckDB writes a DOUBLE, whichever way it loads', async () => {
    const path = await tempDatabase();
    const values = ['a', 42, 4.5, 1e-7, -1e21, true, { a: 1e-7 }, [1, 'b']];
    const properties = { s: { type: 'string' }, i: { type: 'integer' } };
    const streams = ['by_field', 'by_pointer', 'as_objects'];
    const records = values.map((s, i) => ({ s, i }));
    const logged = await runSync(path, catalogOf(...streams.map((name) => ({ name, properties }))), [
      lines('by_field', records), // the transaction's first load: read by field
      lines('by_pointer', records), // a later one: by JSON pointer
      objects('as_objects', records), // numbers in a string column: left to SQL
    ]);
    expect(byFieldRefusals(logged)).toBe(0);
    for (const stream of streams) {
      const rows = await query(path, `SELECT s, _conveyor_meta FROM ${stream} ORDER BY i`);
      expect(rows.map((r) => r.s)).toEqual([
        'a',
        '42',
        '4.5',
        '1e-07',
        '-1e+21',
        'true',
        '{"a":1e-7}',
        '[1,"b"]',
      ]);
      expect(rows.every((r) => r._conveyor_meta === null)).toBe(true);
    }
  });

  test('columns of other types, as an existing table may have, load alike by field and by pointer', async () => {
    const path = await tempDatabase();
    // an earlier sync, or the user, made these tables: their columns keep their types
    const columns =
      'k INTEGER, i INTEGER, h HUGEINT, u UBIGINT, uh UHUGEINT, small SMALLINT, x DECIMAL(18,3), j JSON, s VARCHAR';
    await query(path, `CREATE TABLE by_field (${columns}); CREATE TABLE by_pointer (${columns})`);
    const integer = { type: 'integer' };
    const properties = {
      k: integer,
      i: integer,
      h: integer,
      u: integer,
      uh: integer,
      small: integer,
      x: { type: 'number' },
      j: { type: 'object' },
      s: { type: 'string' },
    };
    const values = [
      7,
      -1,
      2 ** 31,
      2 ** 53 + 2,
      4.5,
      4.0,
      -0.0000089,
      1e-7,
      1e21,
      '12',
      ' 3 ',
      'x',
      true,
      null,
      { a: 1e-7 },
      [1],
    ];
    const records = values.map((v, k) => ({ k, i: v, h: v, u: v, uh: v, small: v, x: v, j: v, s: v }));
    // integers past 64 bits (which JSON.stringify cannot write) keep every digit in wide columns
    const wide = (stream: string) =>
      Buffer.from(
        `{"type":"RECORD","record":{"stream":"${stream}","data":{"k":${values.length},"h":123456789012345678901234567890,"u":18446744073709551615,"uh":340282366920938463463374607431768211455},"emitted_at":1700000000000}}`,
      );
    const batch = (stream: string) => ({
      format: 'jsonl' as const,
      stream,
      lines: [...records.map((r) => recordLine(stream, r)), wide(stream)],
    });
    const logged = await runSync(
      path,
      catalogOf({ name: 'by_field', properties }, { name: 'by_pointer', properties }),
      [
        batch('by_field'), // the transaction's first load: read by field
        batch('by_pointer'), // a later one: by JSON pointer
      ],
    );
    expect(byFieldRefusals(logged)).toBe(0);
    const compared =
      'SELECT i, h::VARCHAR AS h, u::VARCHAR AS u, uh::VARCHAR AS uh, small, x::VARCHAR AS x, j::VARCHAR AS j, s, _conveyor_meta::VARCHAR AS meta';
    const byField = await query(path, `${compared} FROM by_field ORDER BY k`);
    expect(byField).toEqual(await query(path, `${compared} FROM by_pointer ORDER BY k`));
    // the types held: 2^31 does not fit an INTEGER, 4.5 no integer, 4.0 every integer column
    expect(byField[2]).toMatchObject({ i: null, h: '2147483648', small: null });
    expect(byField[4]).toMatchObject({ i: null, h: null, x: '4.500' });
    expect(byField[5]).toMatchObject({ i: 4, uh: '4', small: 4 });
    expect(byField[values.length]).toMatchObject({
      h: '123456789012345678901234567890',
      u: '18446744073709551615',
      uh: '340282366920938463463374607431768211455',
    });
  });

  test('a big integer written as a JSON line keeps every digit', async () => {
    const path = await tempDatabase();
    const line = Buffer.from(
      '{"type":"RECORD","record":{"stream":"numbers","data":{"n":9007199254740993},"emitted_at":1700000000000}}',
    );
    await runSync(path, catalogOf({ name: 'numbers', properties: { n: { type: 'integer' } } }), [
      { format: 'jsonl', stream: 'numbers', lines: [line] },
    ]);
    expect(await query(path, 'SELECT n FROM numbers')).toEqual([{ n: '9007199254740993' }]);
  });

  test("a source's own meta changes are kept and ours are added", async () => {
    const path = await tempDatabase();
    const sourceChange = { field: 'name', change: 'TRUNCATED', reason: 'SOURCE_FIELD_SIZE_LIMITATION' };
    await runSync(path, catalogOf({ name: 'people', properties }), [
      {
        format: 'jsonl',
        stream: 'people',
        lines: [recordLine('people', { id: 'x', name: 'abc' }, 1, { meta: { changes: [sourceChange] } })],
      },
    ]);
    const [row] = await query(path, 'SELECT _conveyor_meta FROM people');
    expect(JSON.parse(String(row?._conveyor_meta))).toEqual({ changes: [sourceChange, note('id')] });
  });
});

describe('streams without declared properties', () => {
  test('keep the whole record in _conveyor_data', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf({ name: 'events' }), [
      objects('events', [{ kind: 'click', at: 1 }]),
      lines('events', [{ kind: 'view' }]),
    ]);
    expect(await query(path, `SELECT _conveyor_data->>'$.kind' AS kind FROM events ORDER BY kind`)).toEqual([
      { kind: 'click' },
      { kind: 'view' },
    ]);
  });
});
