// The MySQL source connector against a real MariaDB/MySQL server: check failures that name their
// cause, discover (types, keys, views, hostile names), full refresh resumable by chunk, and
// incremental reads that never lose rows sharing the boundary cursor value.

import type { SourceConnector } from '@conveyor/cdk';
import type { JsonObject } from '@conveyor/protocol';
import { MYSQL_CONNECTION_PROPERTIES, mysqlSettings, openMysqlSourceDriver, sqlSource } from '@conveyor/sql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spec, source as typedSource } from '../src/index.js';
import {
  catalogFor,
  context,
  discoverStreams,
  findStream,
  type MysqlFixture,
  mysqlFixture,
  quote,
  readAll,
} from './helpers.js';

let fx: MysqlFixture;
/** Tests also pass configs the spec refuses, so the connector is used with plain JSON configs. */
const source = typedSource as unknown as SourceConnector<JsonObject>;

/** The same connector with small chunks and batches, so a few dozen rows cross many boundaries. */
const small = sqlSource({
  spec,
  resolveConfig: (config: JsonObject) => mysqlSettings(config),
  openDriver: openMysqlSourceDriver,
  chunkRows: 7,
  batchRows: 3,
});

const HOSTILE_TABLES = [
  'with `backtick`',
  'with "double" and \'single\'',
  'dots.in.name',
  'spaces in name',
  'select',
  'Ünïcödé 名前',
  'Mixed',
  'mixed',
  `${'p'.repeat(60)}_one`,
  `${'p'.repeat(60)}_two`,
];

beforeAll(async () => {
  fx = await mysqlFixture();
  await fx.admin.query(`CREATE TABLE people (
    id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, active TINYINT(1), balance DECIMAL(12,2),
    born DATE, seen_at TIMESTAMP(6) NULL, updated DATETIME, tags JSON, photo BLOB, kind ENUM('a','b'))`);
  await fx.admin.query(
    `INSERT INTO people VALUES
      (1, 'ada', 1, 10.50, '1815-12-10', '2024-01-01 10:00:00.000001', '2024-01-01 00:00:00', '["x"]', X'0102', 'a'),
      (2, 'bob', 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  );
  await fx.admin.query('CREATE VIEW active_people AS SELECT id, name FROM people WHERE active = 1');
  await fx.admin.query('CREATE TABLE numbers (id INT PRIMARY KEY, v INT)');
  await fx.admin.query('INSERT INTO numbers VALUES ?', [
    Array.from({ length: 40 }, (_, i) => [i + 1, (i + 1) * 10]),
  ]);
  await fx.admin.query('CREATE TABLE events (id BIGINT PRIMARY KEY, at DATETIME(6) NULL, note TEXT)');
  for (const name of HOSTILE_TABLES) {
    await fx.admin.query(`CREATE TABLE ${quote(name)} (${quote(name)} INT PRIMARY KEY, \`order\` TEXT)`);
    await fx.admin.query(`INSERT INTO ${quote(name)} VALUES (1, ?)`, [name]);
  }
}, 60_000);

afterAll(async () => {
  await fx?.drop();
});

describe('source-mysql: spec and check', () => {
  it('offers the connection fields every MySQL connector shares', () => {
    expect(spec.connectionSpecification.properties).toEqual(MYSQL_CONNECTION_PROPERTIES);
    expect(spec.connectionSpecification.required).toEqual(['host', 'database', 'username']);
  });

  it('check succeeds against a reachable database', async () => {
    expect(await source.check(fx.config, context())).toEqual({ status: 'SUCCEEDED' });
  });

  it('check names a wrong password, never showing it', async () => {
    const status = await source.check({ ...fx.config, password: 'wrong-secret-123' }, context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/Wrong username or password/);
    expect(status.message).not.toContain('wrong-secret-123');
  });

  it('check names an unreachable server', async () => {
    const status = await source.check({ ...fx.config, port: 1 }, context());
    expect(status.message).toMatch(/Nothing accepts connections at MySQL server 127\.0\.0\.1:1/);
  });

  it('check names an unknown host', async () => {
    const status = await source.check({ ...fx.config, host: 'no-such-host.invalid' }, context());
    expect(status.message).toMatch(/"no-such-host\.invalid" could not be resolved/);
  });

  it('check names a missing database', async () => {
    const status = await source.check({ ...fx.config, database: 'conveyor_no_such_db' }, context());
    expect(status.message).toMatch(/database "conveyor_no_such_db" does not exist/);
  });

  it('check refuses a config the spec does not allow', async () => {
    const status = await source.check({ ...fx.config, ssl_mode: 'sometimes' }, context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/ssl_mode/);
  });
});

describe('source-mysql: discover', () => {
  it('offers tables and views of the database, namespaced by it, with typed columns and keys', async () => {
    const streams = await discoverStreams(source, fx.config);
    const people = findStream(streams, 'people');
    expect(people.namespace).toBe(fx.db.database);
    expect(people.source_defined_primary_key).toEqual([['id']]);
    expect(people.json_schema.properties).toMatchObject({
      id: { type: 'integer' },
      name: { type: 'string' },
      active: { type: ['boolean', 'null'] },
      balance: { type: ['number', 'null'] },
      born: { type: ['string', 'null'], format: 'date' },
      seen_at: { type: ['string', 'null'], format: 'date-time', airbyte_type: 'timestamp_with_timezone' },
      updated: { type: ['string', 'null'], format: 'date-time', airbyte_type: 'timestamp_without_timezone' },
      photo: { type: ['string', 'null'], contentEncoding: 'base64' },
      kind: { type: ['string', 'null'] },
    });
    const view = findStream(streams, 'active_people');
    expect(view.source_defined_primary_key ?? []).toEqual([]);
  });

  it('keeps hostile table and column names exactly, including names that differ only by case', async () => {
    const streams = await discoverStreams(source, fx.config);
    for (const name of HOSTILE_TABLES) {
      const stream = findStream(streams, name);
      expect(Object.keys(stream.json_schema.properties as object)).toEqual([name, 'order']);
      expect(stream.source_defined_primary_key).toEqual([[name]]);
    }
  });
});

describe('source-mysql: full refresh', () => {
  it('reads every row with exact values', async () => {
    const stream = findStream(await discoverStreams(source, fx.config), 'people');
    const { records } = await readAll(source, fx.config, catalogFor(stream, 'full_refresh'));
    expect(records).toEqual([
      {
        id: 1,
        name: 'ada',
        active: true,
        balance: 10.5,
        born: '1815-12-10',
        seen_at: '2024-01-01T10:00:00.000001+00:00',
        updated: '2024-01-01T00:00:00',
        tags: ['x'],
        photo: Buffer.from([1, 2]).toString('base64'),
        kind: 'a',
      },
      {
        id: 2,
        name: 'bob',
        active: false,
        balance: null,
        born: null,
        seen_at: null,
        updated: null,
        tags: null,
        photo: null,
        kind: null,
      },
    ]);
  });

  it('reads tables with hostile names', async () => {
    const streams = await discoverStreams(source, fx.config);
    for (const name of HOSTILE_TABLES) {
      const { records } = await readAll(
        source,
        fx.config,
        catalogFor(findStream(streams, name), 'full_refresh'),
      );
      expect(records).toEqual([{ [name]: 1, order: name }]);
    }
  });

  it('resumes after the last committed chunk: no row missed, none twice', async () => {
    const stream = findStream(await discoverStreams(small, fx.config), 'numbers');
    const catalog = catalogFor(stream, 'full_refresh');
    const first = await readAll(small, fx.config, catalog, [], 2);
    expect(first.records.length).toBeGreaterThan(0);
    expect(first.records.length).toBeLessThan(40);
    const rest = await readAll(small, fx.config, catalog, [first.states.at(-1)!]);
    const ids = [...first.records, ...rest.records].map((r) => r.id);
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

describe('source-mysql: incremental', () => {
  it('reads rows added later with the same cursor value as the saved state, and nothing older', async () => {
    await fx.admin.query('DELETE FROM events');
    await fx.admin.query('INSERT INTO events VALUES ?', [
      [
        [1, '2024-01-01 00:00:00.000001', 'a'],
        [2, '2024-01-02 00:00:00', 'b'],
        [3, '2024-01-02 00:00:00', 'c'],
        [4, null, 'no cursor'],
      ],
    ]);
    const stream = findStream(await discoverStreams(small, fx.config), 'events');
    const catalog = catalogFor(stream, 'incremental', 'at');
    const first = await readAll(small, fx.config, catalog);
    expect(first.records.map((r) => r.id)).toEqual([1, 2, 3]);
    // Written after the sync, at the boundary cursor value and after it.
    await fx.admin.query('INSERT INTO events VALUES ?', [
      [
        [5, '2024-01-02 00:00:00', 'same boundary'],
        [6, '2024-01-03 00:00:00', 'later'],
        [7, '2023-12-31 00:00:00', 'older'],
      ],
    ]);
    const second = await readAll(small, fx.config, catalog, [first.states.at(-1)!]);
    const ids = second.records.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining([5, 6]));
    expect(ids).not.toContain(1);
    expect(ids).not.toContain(7);
    expect(second.records.every((r) => r.at !== null)).toBe(true);
  });

  it('resumes an interrupted incremental read without losing rows', async () => {
    await fx.admin.query('DELETE FROM events');
    const rows = Array.from({ length: 25 }, (_, i) => [i + 1, `2024-03-0${1 + (i % 5)} 12:00:00`, `n${i}`]);
    await fx.admin.query('INSERT INTO events VALUES ?', [rows]);
    const stream = findStream(await discoverStreams(small, fx.config), 'events');
    const catalog = catalogFor(stream, 'incremental', 'at');
    const first = await readAll(small, fx.config, catalog, [], 3);
    const rest = await readAll(small, fx.config, catalog, [first.states.at(-1)!]);
    const seen = new Set([...first.records, ...rest.records].map((r) => r.id));
    expect(seen.size).toBe(25);
  });
});
