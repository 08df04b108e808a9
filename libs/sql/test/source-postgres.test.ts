// The generic SQL source on a real PostgreSQL server: discover (types, keys, views, schemas,
// hostile names), full refresh in chunks with resume, incremental with boundary rows and resume.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  catalogFor,
  context,
  discoverStreams,
  findStream,
  type PgFixture,
  pgFixture,
  pgSource,
  readAll,
} from './source-helpers.js';

let pg: PgFixture;

beforeAll(async () => {
  pg = await pgFixture();
  await pg.admin.query(`
    CREATE TABLE kinds (
      id bigint PRIMARY KEY,
      small smallint NOT NULL,
      big bigint,
      amount numeric(30, 10),
      ratio double precision,
      flag boolean,
      name text,
      code varchar(8),
      created timestamp(6),
      updated_at timestamptz,
      day date,
      at_time time,
      span interval,
      doc jsonb,
      raw bytea,
      tags text[],
      grid integer[],
      uid uuid,
      mood text
    );
    INSERT INTO kinds VALUES (
      1, 7, 9007199254740993, 12345678901234567890.1234567890, 0.1, true, 'a "quoted" name', 'x',
      '2024-05-01 10:00:00.123456', '2024-05-01 12:00:00.5+02', '2024-05-01', '13:14:15', '1 day 2 hours',
      '{"a": [1, 2, {"b": null}]}', '\\x00ff10', ARRAY['p', 'q r', NULL, 'x"y'], '{{1,2},{3,4}}',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'ok'
    ), (2, 8, 42, 12.50, 'NaN', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{}', NULL, NULL, NULL);
    CREATE VIEW kinds_view AS SELECT id, name FROM kinds;
    CREATE TABLE no_key (n integer, label text);
    INSERT INTO no_key SELECT g, 'row ' || g FROM generate_series(1, 25) g;
    CREATE SCHEMA other;
    CREATE TABLE other.elsewhere (id int PRIMARY KEY);
    CREATE SCHEMA "Hostile ""Schema"".x";
    CREATE TABLE "Hostile ""Schema"".x"."Table.With ""Quotes"" and spaces" (
      "Id" int, "id" int, "select" text, "naïve ☃" text, "a.b" text, "order by" int,
      PRIMARY KEY ("Id", "id")
    );
    INSERT INTO "Hostile ""Schema"".x"."Table.With ""Quotes"" and spaces"
      SELECT g / 3, g % 3, 'from', 'snow ' || g, 'dot', g FROM generate_series(0, 29) g;
    CREATE TABLE "ORDERS" (id int PRIMARY KEY);
    CREATE TABLE "orders" (id int PRIMARY KEY);
    INSERT INTO "ORDERS" VALUES (1);
    INSERT INTO "orders" VALUES (2), (3);
  `);
});

afterAll(async () => {
  await pg?.drop();
});

describe('discover', () => {
  it('offers each table and view of the public schema as a stream with typed columns and its primary key', async () => {
    const streams = await discoverStreams(pgSource(), pg.config);
    expect(streams.map((s) => `${s.namespace}.${s.name}`).sort()).toEqual([
      'public.ORDERS',
      'public.kinds',
      'public.kinds_view',
      'public.no_key',
      'public.orders',
    ]);
    const kinds = findStream(streams, 'kinds', 'public');
    expect(kinds.source_defined_primary_key).toEqual([['id']]);
    expect(kinds.supported_sync_modes).toEqual(['full_refresh', 'incremental']);
    expect(kinds.default_cursor_field).toEqual(['updated_at']);
    const properties = kinds.json_schema.properties as Record<string, unknown>;
    expect(properties).toMatchObject({
      id: { type: 'integer' },
      small: { type: 'integer' },
      big: { type: ['integer', 'null'] },
      amount: { type: ['number', 'null'] },
      ratio: { type: ['number', 'null'] },
      flag: { type: ['boolean', 'null'] },
      name: { type: ['string', 'null'] },
      created: { type: ['string', 'null'], format: 'date-time', airbyte_type: 'timestamp_without_timezone' },
      updated_at: { type: ['string', 'null'], format: 'date-time', airbyte_type: 'timestamp_with_timezone' },
      day: { type: ['string', 'null'], format: 'date' },
      tags: { type: ['array', 'null'], items: { type: ['string', 'null'] } },
      grid: { type: ['array', 'null'] },
      uid: { type: ['string', 'null'] },
      span: { type: ['string', 'null'] },
    });
    const view = findStream(streams, 'kinds_view', 'public');
    expect(view.source_defined_primary_key).toBeUndefined();
    expect(view.is_view).toBe(true);
    expect(findStream(streams, 'no_key', 'public').is_resumable).toBe(false);
  });

  it('lists only the schemas asked for, with names exactly as written', async () => {
    const schemas = ['other', 'Hostile "Schema".x'];
    const streams = await discoverStreams(pgSource(), { ...pg.config, schemas });
    expect(streams.map((s) => [s.namespace, s.name])).toEqual([
      ['Hostile "Schema".x', 'Table.With "Quotes" and spaces'],
      ['other', 'elsewhere'],
    ]);
    const hostile = streams[0];
    expect(Object.keys(hostile?.json_schema.properties as object)).toEqual([
      'Id',
      'id',
      'select',
      'naïve ☃',
      'a.b',
      'order by',
    ]);
    expect(hostile?.source_defined_primary_key).toEqual([['Id'], ['id']]);
  });
});

describe('hostile names', () => {
  it('reads tables whose names differ only by case as different streams', async () => {
    const source = pgSource();
    const streams = await discoverStreams(source, pg.config);
    const upper = await readAll(
      source,
      pg.config,
      catalogFor(findStream(streams, 'ORDERS', 'public'), 'full_refresh'),
    );
    const lower = await readAll(
      source,
      pg.config,
      catalogFor(findStream(streams, 'orders', 'public'), 'full_refresh'),
    );
    expect(upper.records).toEqual([{ id: 1 }]);
    expect(lower.records).toEqual([{ id: 2 }, { id: 3 }]);
  });

  it('reads columns named with quotes, dots, spaces, unicode, reserved words and differing only by case', async () => {
    const source = pgSource();
    const config = { ...pg.config, schemas: ['Hostile "Schema".x'] };
    const stream = (await discoverStreams(source, config))[0]!;
    const { records } = await readAll(source, config, catalogFor(stream, 'full_refresh'));
    expect(records[4]).toEqual({
      Id: 1,
      id: 1,
      select: 'from',
      'naïve ☃': 'snow 4',
      'a.b': 'dot',
      'order by': 4,
    });
  });
});

describe('values', () => {
  it('turns every column type into exact JSON', async () => {
    const source = pgSource();
    const stream = findStream(await discoverStreams(source, pg.config), 'kinds', 'public');
    const { records } = await readAll(source, pg.config, catalogFor(stream, 'full_refresh'));
    expect(records[0]).toEqual({
      id: 1,
      small: 7,
      big: '9007199254740993',
      amount: '12345678901234567890.1234567890',
      ratio: 0.1,
      flag: true,
      name: 'a "quoted" name',
      code: 'x',
      created: '2024-05-01T10:00:00.123456',
      updated_at: '2024-05-01T10:00:00.5+00:00',
      day: '2024-05-01',
      at_time: '13:14:15',
      span: 'P1DT2H',
      doc: { a: [1, 2, { b: null }] },
      raw: Buffer.from([0, 255, 16]).toString('base64'),
      tags: ['p', 'q r', null, 'x"y'],
      grid: [
        [1, 2],
        [3, 4],
      ],
      uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      mood: 'ok',
    });
    expect(records[1]).toMatchObject({ id: 2, big: 42, amount: 12.5, ratio: 'NaN', flag: null, tags: [] });
  });
});

describe('full refresh', () => {
  it('reads a table in primary-key chunks, checkpointing the last key of each', async () => {
    const source = pgSource({ chunkRows: 7, batchRows: 3 });
    const streams = await discoverStreams(source, { ...pg.config, schemas: ['Hostile "Schema".x'] });
    const stream = streams[0]!;
    const result = await readAll(
      source,
      { ...pg.config, schemas: ['Hostile "Schema".x'] },
      catalogFor(stream, 'full_refresh', { generation: 3 }),
    );
    expect(result.records.map((r) => r['order by'])).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // a checkpoint at the end of each of the 5 chunks (7, 7, 7, 7, 2 rows), then the end state
    expect(result.streamStates.slice(0, 2)).toEqual([
      { mode: 'full_refresh', generation_id: 3, resume_after: { columns: ['Id', 'id'], values: [2, 0] } },
      { mode: 'full_refresh', generation_id: 3, resume_after: { columns: ['Id', 'id'], values: [4, 1] } },
    ]);
    expect(result.streamStates.at(-1)).toEqual({ mode: 'full_refresh', generation_id: 3, complete: true });
  });

  it('resumes after the last committed chunk of the same generation: no row missed, none twice', async () => {
    const source = pgSource({ chunkRows: 7, batchRows: 3 });
    const config = { ...pg.config, schemas: ['Hostile "Schema".x'] };
    const stream = (await discoverStreams(source, config))[0]!;
    const catalog = catalogFor(stream, 'full_refresh', { generation: 5 });
    const first = await readAll(source, config, catalog, [], { stopAfterStates: 2 });
    expect(first.records).toHaveLength(14);
    const second = await readAll(source, config, catalog, [first.states.at(-1)!]);
    expect(second.logs.join('\n')).toMatch(/resuming the full refresh after primary key \[4,1\]/);
    const all = [...first.records, ...second.records].map((r) => r['order by']);
    expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('starts over when the saved position belongs to another generation (the destination starts an empty table)', async () => {
    const source = pgSource({ chunkRows: 7, batchRows: 3 });
    const config = { ...pg.config, schemas: ['Hostile "Schema".x'] };
    const stream = (await discoverStreams(source, config))[0]!;
    const first = await readAll(source, config, catalogFor(stream, 'full_refresh', { generation: 5 }), [], {
      stopAfterStates: 2,
    });
    const next = await readAll(source, config, catalogFor(stream, 'full_refresh', { generation: 6 }), [
      first.states.at(-1)!,
    ]);
    expect(next.records).toHaveLength(30);
  });

  it('starts over after a completed full refresh', async () => {
    const source = pgSource({ chunkRows: 7, batchRows: 3 });
    const config = { ...pg.config, schemas: ['Hostile "Schema".x'] };
    const stream = (await discoverStreams(source, config))[0]!;
    const catalog = catalogFor(stream, 'full_refresh', { generation: 1 });
    const first = await readAll(source, config, catalog);
    const again = await readAll(source, config, catalog, [first.states.at(-1)!]);
    expect(again.records).toHaveLength(30);
  });

  it('reads a table without a primary key in one pass and says it cannot resume mid-table', async () => {
    const source = pgSource({ chunkRows: 7, batchRows: 3 });
    const stream = findStream(await discoverStreams(source, pg.config), 'no_key', 'public');
    const result = await readAll(source, pg.config, catalogFor(stream, 'full_refresh'));
    expect(result.records.map((r) => r.n).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    expect(result.streamStates).toEqual([{ mode: 'full_refresh', complete: true }]);
    expect(result.logs.join('\n')).toMatch(/no primary key.*one pass/);
  });

  it('reads the columns the catalog asks for, plus the primary key', async () => {
    const source = pgSource();
    const stream = findStream(await discoverStreams(source, pg.config), 'kinds', 'public');
    const narrowed = { ...stream, json_schema: { type: 'object', properties: { name: { type: 'string' } } } };
    const { records } = await readAll(source, pg.config, catalogFor(narrowed, 'full_refresh'));
    expect(records[0]).toEqual({ id: 1, name: 'a "quoted" name' });
  });

  it('stops at the next batch when the read is aborted, with a transient error naming the stream', async () => {
    const source = pgSource({ chunkRows: 7, batchRows: 3 });
    const config = { ...pg.config, schemas: ['Hostile "Schema".x'] };
    const stream = (await discoverStreams(source, config))[0]!;
    const abort = new AbortController();
    let records = 0;
    const reading = (async () => {
      for await (const output of source.read(
        config,
        catalogFor(stream, 'full_refresh'),
        [],
        context(undefined, abort.signal),
      )) {
        if (output.kind === 'records') {
          records += output.batch.format === 'objects' ? output.batch.records.length : 0;
          abort.abort(new Error('stopped by the test'));
        }
      }
    })();
    await expect(reading).rejects.toMatchObject({
      failureType: 'transient_error',
      stream: { name: stream.name, namespace: stream.namespace },
    });
    expect(records).toBe(3);
  });

  it('fails with a config error naming the stream when the table is gone', async () => {
    const source = pgSource();
    const stream = {
      ...findStream(await discoverStreams(source, pg.config), 'kinds', 'public'),
      name: 'vanished',
    };
    await expect(readAll(source, pg.config, catalogFor(stream, 'full_refresh'))).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringMatching(/public\.vanished/),
    });
  });
});

describe('incremental', () => {
  beforeAll(async () => {
    await pg.admin.query(`
      CREATE TABLE events (id int PRIMARY KEY, updated_at timestamptz, note text);
      INSERT INTO events
        SELECT g, timestamptz '2024-01-01 00:00:00+00' + (g / 4) * interval '1 minute', 'v1'
          FROM generate_series(1, 20) g;
      INSERT INTO events VALUES (21, NULL, 'no cursor');
    `);
  });

  async function eventsStream() {
    return findStream(await discoverStreams(pgSource(), pg.config), 'events', 'public');
  }

  it('reads in (cursor, key) order, skips rows without a cursor and ends on the largest cursor alone', async () => {
    const source = pgSource({ chunkRows: 6, batchRows: 4 });
    const result = await readAll(
      source,
      pg.config,
      catalogFor(await eventsStream(), 'incremental', { cursor: 'updated_at' }),
    );
    expect(result.records.map((r) => r.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(result.streamStates.at(-1)).toEqual({
      mode: 'incremental',
      cursor_field: ['updated_at'],
      cursor: '2024-01-01T00:05:00+00:00',
    });
    expect(result.streamStates[0]).toEqual({
      mode: 'incremental',
      cursor_field: ['updated_at'],
      cursor: '2024-01-01T00:01:00+00:00',
      resume_after: { columns: ['updated_at', 'id'], values: ['2024-01-01T00:01:00+00:00', 6] },
    });
    expect(result.logs.join('\n')).toMatch(/NULL are not read/);
  });

  it('reads rows written after a sync with the same cursor value as the saved state (inclusive lower bound)', async () => {
    const source = pgSource({ chunkRows: 6, batchRows: 4 });
    const catalog = catalogFor(await eventsStream(), 'incremental', { cursor: 'updated_at' });
    const first = await readAll(source, pg.config, catalog);
    await pg.admin.query(
      `INSERT INTO events VALUES (100, '2024-01-01 00:05:00+00', 'late, same cursor'), (101, '2024-01-01 00:06:00+00', 'newer')`,
    );
    try {
      const second = await readAll(source, pg.config, catalog, [first.states.at(-1)!]);
      // the boundary rows come again (append_dedup removes them), and the late one is not lost
      expect(second.records.map((r) => r.id)).toEqual([20, 100, 101]);
      expect(second.streamStates.at(-1)).toMatchObject({ cursor: '2024-01-01T00:06:00+00:00' });
      const third = await readAll(source, pg.config, catalog, [second.states.at(-1)!]);
      expect(third.records.map((r) => r.id)).toEqual([101]);
    } finally {
      await pg.admin.query('DELETE FROM events WHERE id >= 100');
    }
  });

  it('resumes an interrupted sync after the saved (cursor, key): nothing missed, nothing twice', async () => {
    const source = pgSource({ chunkRows: 6, batchRows: 4 });
    const catalog = catalogFor(await eventsStream(), 'incremental', { cursor: 'updated_at' });
    // checkpoints fall at ids 6, 12, 18 (chunk ends); stopping after the 2nd leaves id 12 as last
    const killed = await readAll(source, pg.config, catalog, [], { stopAfterStates: 2 });
    expect(killed.records.map((r) => r.id)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // id 12 shares its cursor value with ids 13..15 (minute 3): the key tells them apart
    const resumed = await readAll(source, pg.config, catalog, [killed.states.at(-1)!]);
    expect(resumed.records.map((r) => r.id)).toEqual([13, 14, 15, 16, 17, 18, 19, 20]);
    expect(resumed.streamStates.at(-1)).toEqual({
      mode: 'incremental',
      cursor_field: ['updated_at'],
      cursor: '2024-01-01T00:05:00+00:00',
    });
  });

  it('checkpoints inside a chunk when the policy says so, always at an exact row', async () => {
    const source = pgSource({
      chunkRows: 1000,
      batchRows: 3,
      checkpoint: { everyRecords: 3, everySeconds: 3600 },
    });
    const catalog = catalogFor(await eventsStream(), 'incremental', { cursor: 'updated_at' });
    const killed = await readAll(source, pg.config, catalog, [], { stopAfterStates: 3 });
    expect(killed.records).toHaveLength(9);
    const resumed = await readAll(source, pg.config, catalog, [killed.states.at(-1)!]);
    expect([...killed.records, ...resumed.records].map((r) => r.id)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('reads from the start when the saved state is for another cursor field', async () => {
    const source = pgSource();
    const catalog = catalogFor(await eventsStream(), 'incremental', { cursor: 'id' });
    const stale = {
      type: 'STREAM' as const,
      stream: {
        stream_descriptor: { name: 'events', namespace: 'public' },
        stream_state: {
          mode: 'incremental',
          cursor_field: ['updated_at'],
          cursor: '2030-01-01T00:00:00+00:00',
        },
      },
    };
    const result = await readAll(source, pg.config, catalog, [stale]);
    expect(result.records).toHaveLength(21);
    expect(result.logs.join('\n')).toMatch(/reading from the start, because the saved state is for cursor/);
  });

  it('refuses a cursor field that is not a column, naming the stream', async () => {
    const source = pgSource();
    const catalog = catalogFor(await eventsStream(), 'incremental', { cursor: 'nope' });
    await expect(readAll(source, pg.config, catalog)).rejects.toMatchObject({
      failureType: 'config_error',
      stream: { name: 'events', namespace: 'public' },
      userMessage: expect.stringMatching(/"nope" is not a column/),
    });
  });

  it('orders by a unique integer cursor alone and resumes after it', async () => {
    const source = pgSource({ chunkRows: 5, batchRows: 5 });
    const catalog = catalogFor(await eventsStream(), 'incremental', { cursor: 'id' });
    const killed = await readAll(source, pg.config, catalog, [], { stopAfterStates: 2 });
    expect(killed.streamStates.at(-1)).toMatchObject({ resume_after: { columns: ['id'], values: [10] } });
    const resumed = await readAll(source, pg.config, catalog, [killed.states.at(-1)!]);
    expect([...killed.records, ...resumed.records].map((r) => r.id)).toEqual(
      Array.from({ length: 21 }, (_, i) => i + 1),
    );
  });
});
