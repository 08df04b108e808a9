// The generic SQL source on SQLite files: discover by declared type affinity, hostile names,
// values as stored, full refresh chunks with resume, incremental boundaries, and a missing file.

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogFor, context, discoverStreams, findStream, readAll, sqliteSource } from './source-helpers.js';

let dir: string;
let path: string;
let writer: Database.Database;
const config = () => ({ path });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'conveyor-sqlite-source-'));
  path = join(dir, 'source.db');
  writer = new Database(path);
  writer.exec(`
    CREATE TABLE kinds (
      id INTEGER PRIMARY KEY, big BIGINT, price DECIMAL(10,2), ratio REAL, flag BOOLEAN, name VARCHAR(20),
      note TEXT, created DATETIME, day DATE, doc JSON, raw BLOB, anything
    );
    CREATE VIEW kinds_view AS SELECT id, name FROM kinds;
    CREATE TABLE "Hostile ""Table"".x ☃" ("Key" TEXT, "key 2" INTEGER, "select" TEXT, "a.b" TEXT, PRIMARY KEY ("Key", "key 2"));
    CREATE TABLE no_key (n INTEGER, label TEXT);
    CREATE TABLE events (id INTEGER PRIMARY KEY, updated_at TEXT NOT NULL, note TEXT);
  `);
  writer
    .prepare('INSERT INTO kinds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(
      1,
      9007199254740993n,
      12.5,
      0.25,
      1,
      'ann',
      'x',
      '2024-05-01 10:00:00',
      '2024-05-01',
      '{"a":[1]}',
      Buffer.from([1, 2, 255]),
      7,
    );
  writer.prepare('INSERT INTO kinds (id, flag, doc, anything) VALUES (2, 0, ?, ?)').run('not json', 'text');
  const hostile = writer.prepare('INSERT INTO "Hostile ""Table"".x ☃" VALUES (?, ?, ?, ?)');
  for (let i = 0; i < 23; i++)
    hostile.run(`k${String(Math.floor(i / 5)).padStart(2, '0')}`, i % 5, 'from', `dot ${i}`);
  const noKey = writer.prepare('INSERT INTO no_key VALUES (?, ?)');
  for (let i = 1; i <= 12; i++) noKey.run(i, `row ${i}`);
  const events = writer.prepare('INSERT INTO events VALUES (?, ?, ?)');
  for (let i = 1; i <= 20; i++) events.run(i, `2024-01-01 00:0${Math.floor(i / 4)}:00`, 'v1');
});

afterAll(() => {
  writer?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('discover', () => {
  it('maps declared types by affinity and offers tables and views without a namespace', async () => {
    const streams = await discoverStreams(sqliteSource(), config());
    expect(streams.map((s) => s.name)).toEqual([
      'Hostile "Table".x ☃',
      'events',
      'kinds',
      'kinds_view',
      'no_key',
    ]);
    // (tests below add tables of their own)
    const kinds = findStream(streams, 'kinds');
    expect(kinds.namespace).toBeUndefined();
    expect(kinds.source_defined_primary_key).toEqual([['id']]);
    expect(kinds.json_schema.properties).toMatchObject({
      id: { type: 'integer' },
      big: { type: ['integer', 'null'] },
      price: { type: ['number', 'null'] },
      ratio: { type: ['number', 'null'] },
      flag: { type: ['boolean', 'null'] },
      name: { type: ['string', 'null'] },
      created: { type: ['string', 'null'], format: 'date-time', airbyte_type: 'timestamp_without_timezone' },
      day: { type: ['string', 'null'], format: 'date' },
      raw: { type: ['string', 'null'], contentEncoding: 'base64' },
    });
    expect(findStream(streams, 'kinds_view').is_view).toBe(true);
    expect(findStream(streams, 'Hostile "Table".x ☃').source_defined_primary_key).toEqual([
      ['Key'],
      ['key 2'],
    ]);
  });
});

describe('read', () => {
  it('passes values on as stored, integers exact, booleans and JSON decoded, blobs in base64', async () => {
    const source = sqliteSource();
    const stream = findStream(await discoverStreams(source, config()), 'kinds');
    const { records } = await readAll(source, config(), catalogFor(stream, 'full_refresh'));
    expect(records).toEqual([
      {
        id: 1,
        big: '9007199254740993',
        price: 12.5,
        ratio: 0.25,
        flag: true,
        name: 'ann',
        note: 'x',
        created: '2024-05-01 10:00:00',
        day: '2024-05-01',
        doc: { a: [1] },
        raw: Buffer.from([1, 2, 255]).toString('base64'),
        anything: 7,
      },
      {
        id: 2,
        big: null,
        price: null,
        ratio: null,
        flag: false,
        name: null,
        note: null,
        created: null,
        day: null,
        doc: 'not json',
        raw: null,
        anything: 'text',
      },
    ]);
  });

  it('resumes a full refresh of a composite-key table after the last checkpoint: no row missed, none twice', async () => {
    const source = sqliteSource({ chunkRows: 4, batchRows: 3 });
    const stream = findStream(await discoverStreams(source, config()), 'Hostile "Table".x ☃');
    const catalog = catalogFor(stream, 'full_refresh', { generation: 2 });
    const whole = await readAll(source, config(), catalog);
    expect(whole.records.map((r) => r['a.b'])).toEqual(Array.from({ length: 23 }, (_, i) => `dot ${i}`));
    const killed = await readAll(source, config(), catalog, [], { stopAfterStates: 3 });
    expect(killed.streamStates.at(-1)).toMatchObject({
      resume_after: { columns: ['Key', 'key 2'], values: ['k02', 1] },
    });
    const resumed = await readAll(source, config(), catalog, [killed.states.at(-1)!]);
    expect([...killed.records, ...resumed.records]).toEqual(whole.records);
  });

  it('keeps columns named like JavaScript object internals as plain fields', async () => {
    writer.exec(`CREATE TABLE proto ("__proto__" TEXT, "constructor" TEXT, "toString" INTEGER)`);
    writer.prepare('INSERT INTO proto VALUES (?, ?, ?)').run('p', 'c', 3);
    const source = sqliteSource();
    const stream = findStream(await discoverStreams(source, config()), 'proto');
    const { records } = await readAll(source, config(), catalogFor(stream, 'full_refresh'));
    expect(Object.getPrototypeOf(records[0])).toBe(Object.prototype);
    expect(Object.entries(records[0] ?? {})).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['toString', 3],
    ]);
  });

  it('reads columns declared with types SQLite does not know (TIME, UUID) as text, not as numbers', async () => {
    // Django and Rails declare `time` and `uuid`/`char(32)`: numeric affinity, but text values.
    writer.exec('CREATE TABLE clock (id INTEGER PRIMARY KEY, at TIME, uid UUID, amount NUMERIC)');
    writer
      .prepare('INSERT INTO clock VALUES (?, ?, ?, ?)')
      .run(1, '10:30:00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '12.50');
    writer.prepare('INSERT INTO clock VALUES (?, ?, ?, ?)').run(2, '11:00', '12345', 3);
    const source = sqliteSource();
    const stream = findStream(await discoverStreams(source, config()), 'clock');
    expect(stream.json_schema.properties).toMatchObject({
      at: { type: ['string', 'null'] },
      uid: { type: ['string', 'null'] },
      amount: { type: ['number', 'null'] },
    });
    const { records } = await readAll(source, config(), catalogFor(stream, 'full_refresh'));
    expect(records).toEqual([
      { id: 1, at: '10:30:00', uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', amount: 12.5 },
      { id: 2, at: '11:00', uid: '12345', amount: 3 },
    ]);
  });

  it('reads a table without a primary key in one pass', async () => {
    const source = sqliteSource({ chunkRows: 5, batchRows: 5 });
    const stream = findStream(await discoverStreams(source, config()), 'no_key');
    const result = await readAll(source, config(), catalogFor(stream, 'full_refresh'));
    expect(result.records).toHaveLength(12);
    expect(result.streamStates).toEqual([{ mode: 'full_refresh', complete: true }]);
  });

  it('reads rows added after a sync with the boundary cursor value, and resumes an interrupted sync exactly', async () => {
    const source = sqliteSource({ chunkRows: 6, batchRows: 4 });
    const stream = findStream(await discoverStreams(source, config()), 'events');
    const catalog = catalogFor(stream, 'incremental', { cursor: 'updated_at' });
    const first = await readAll(source, config(), catalog);
    expect(first.records.map((r) => r.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(first.streamStates.at(-1)).toEqual({
      mode: 'incremental',
      cursor_field: ['updated_at'],
      cursor: '2024-01-01 00:05:00',
    });

    writer.prepare('INSERT INTO events VALUES (?, ?, ?)').run(50, '2024-01-01 00:05:00', 'late, same cursor');
    const second = await readAll(source, config(), catalog, [first.states.at(-1)!]);
    expect(second.records.map((r) => r.id)).toEqual([20, 50]);

    const killed = await readAll(source, config(), catalog, [], { stopAfterStates: 2 });
    const resumed = await readAll(source, config(), catalog, [killed.states.at(-1)!]);
    expect([...killed.records, ...resumed.records].map((r) => r.id)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => i + 1),
      50,
    ]);
  });
});

describe('check', () => {
  it('names the path of a file that does not exist', async () => {
    const missing = join(dir, 'nope.db');
    const status = await sqliteSource().check({ path: missing }, context());
    expect(status).toEqual({
      status: 'FAILED',
      message: `The SQLite database file ${missing} does not exist. Check the "path" field.`,
    });
  });

  it('says when the file is not a SQLite database', async () => {
    const bogus = join(dir, 'bogus.db');
    writeFileSync(bogus, 'this is not a database, just text that is long enough to have a header'.repeat(20));
    const status = await sqliteSource().check({ path: bogus }, context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/not a SQLite database/);
  });

  it('succeeds on a database file, and never writes to it', async () => {
    const before = statSync(path);
    expect(await sqliteSource().check(config(), context())).toEqual({ status: 'SUCCEEDED' });
    await discoverStreams(sqliteSource(), config());
    const after = statSync(path);
    expect([after.mtimeMs, after.size]).toEqual([before.mtimeMs, before.size]);
  });
});
