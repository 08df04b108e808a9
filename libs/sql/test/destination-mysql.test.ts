// The SQL destination suite against the real MariaDB/MySQL server, plus what is particular to
// MySQL: native column types, namespaces as databases, a user limited to its own database, and
// check failures that name their cause. One throwaway database for this file, a fresh sibling
// database per test.

import { randomBytes } from 'node:crypto';
import type { DestinationConnector } from '@conveyor/cdk';
import type { JsonObject } from '@conveyor/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sqlDestination } from '../src/destination/connector.js';
import { fitIdentifier, MYSQL_IDENTIFIERS } from '../src/identifiers.js';
import { describeMysql, type MysqlConnectionSettings, mysqlSettings } from '../src/mysql/connection.js';
import { openMysqlDestination } from '../src/mysql/destination-dialect.js';
import {
  catalogOf,
  lines,
  objects,
  recordingLogger,
  runSync,
  type StreamOptions,
  writeContext,
} from './destination-fixtures.js';
import { describeSqlDestination } from './destination-suite.js';
import { type MysqlTestDatabase, mysqlTestDatabase } from './mysql-helpers.js';

let db: MysqlTestDatabase;
beforeAll(async () => {
  db = await mysqlTestDatabase();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

type Resolved = MysqlConnectionSettings & { schema: string };

const connector = sqlDestination<JsonObject, Resolved>({
  databaseName: 'MySQL',
  spec: { connectionSpecification: { type: 'object' } },
  resolveConfig: (config) => {
    const settings = mysqlSettings(config);
    return { ...settings, schema: settings.database };
  },
  openDialect: (resolved) => openMysqlDestination(resolved),
  describe: (resolved) => describeMysql(resolved, resolved.database),
});

/**
 * The suite reads values back with `CAST(x AS TEXT)`, which MySQL spells `CAST(x AS CHAR)`; the
 * connector it tests is the real one, only its `query` translates that spelling.
 */
const suiteConnector: DestinationConnector<JsonObject> = {
  ...connector,
  query: (config, sql) => connector.query!(config, sql.replace(/ AS TEXT\)/g, ' AS CHAR)')),
};

let fresh = 0;
const freshConfig = async (): Promise<JsonObject> => db.sibling(`d${++fresh}`);
const quote = MYSQL_IDENTIFIERS.quote;
const fitted = (name: string) => fitIdentifier(MYSQL_IDENTIFIERS, name);

describeSqlDestination({
  name: 'mysql',
  connector: suiteConnector,
  fresh: freshConfig,
  midSyncEvolve: false,
  table: (config, name, namespace) =>
    `${quote(fitted(namespace ?? String(config.database)))}.${quote(fitted(name))}`,
});

const ctx = () => ({ logger: writeContext().logger, signal: new AbortController().signal });

describe('mysql specifics', () => {
  test('tables use native types: BIGINT, DOUBLE, DATETIME(6) in UTC, JSON, CHAR(36)', async () => {
    const config = await freshConfig();
    const properties = {
      i: { type: 'integer' },
      f: { type: 'number' },
      b: { type: 'boolean' },
      at: { type: 'string', format: 'date-time' },
      d: { type: 'string', format: 'date' },
      j: { type: 'object' },
      s: { type: 'string' },
    };
    await runSync(connector, config, catalogOf({ name: 't', properties }), [
      objects('t', [
        {
          i: 2 ** 60,
          f: 1.5,
          b: true,
          at: '2024-01-02T03:04:05.123456+01:00',
          d: '2024-02-29',
          j: { a: [1, 'x'] },
          s: 'é😀',
        },
      ]),
    ]);
    const [types] = await db.admin.query(
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [config.database, 't'],
    );
    const byName = Object.fromEntries(
      (types as { name: string; type: string }[]).map((r) => [r.name, r.type]),
    );
    expect(byName).toMatchObject({
      _conveyor_raw_id: 'char(36)',
      _conveyor_extracted_at: 'datetime(6)',
      i: expect.stringMatching(/^bigint/),
      f: 'double',
      b: 'tinyint(1)',
      at: 'datetime(6)',
      d: 'date',
      s: 'longtext',
    });
    const [rows] = await db.admin.query(
      `SELECT CAST(i AS CHAR) AS i, f, b, at, d, j, s FROM ${quote(String(config.database))}.t`,
    );
    expect((rows as Record<string, unknown>[])[0]).toMatchObject({
      i: String(2n ** 60n),
      f: 1.5,
      b: 1,
      at: '2024-01-02 02:04:05.123456',
      d: '2024-02-29',
      s: 'é😀',
    });
    const j = (rows as Record<string, unknown>[])[0]?.j;
    expect(typeof j === 'string' ? JSON.parse(j) : j).toEqual({ a: [1, 'x'] });
  });

  test('a stream with a namespace lands in the database of that name; others in the config database', async () => {
    const config = await freshConfig();
    const namespace = `${String(config.database)}_ns`;
    await runSync(
      connector,
      config,
      catalogOf(
        { name: 'a', namespace, properties: { v: { type: 'integer' } } },
        { name: 'b', properties: { v: { type: 'integer' } } },
      ),
      [objects('a', [{ v: 1 }], namespace), objects('b', [{ v: 2 }])],
    );
    const [a] = await db.admin.query(`SELECT v FROM ${quote(namespace)}.a`);
    const [b] = await db.admin.query(`SELECT v FROM ${quote(String(config.database))}.b`);
    expect([a, b]).toEqual([[{ v: 1 }], [{ v: 2 }]]);
  });

  test('an overwrite swaps many rows with one RENAME, leaving no helper tables behind', async () => {
    const config = await freshConfig();
    const stream = (generationId: number) => ({
      name: 'o',
      mode: 'overwrite' as const,
      properties: { v: { type: 'integer' } },
      generationId,
    });
    const rows = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ v: from + i }));
    await runSync(connector, config, catalogOf(stream(1)), [objects('o', rows(5000, 0))]);
    await runSync(connector, config, catalogOf(stream(2)), [
      objects('o', rows(3000, 10_000)),
      lines('o', rows(2000, 20_000)),
    ]);
    const [count] = await db.admin.query(
      `SELECT COUNT(*) AS n, MIN(v) AS low FROM ${quote(String(config.database))}.o`,
    );
    expect(count).toEqual([{ n: 5000, low: 10_000 }]);
    const [tables] = await db.admin.query(`SHOW TABLES FROM ${quote(String(config.database))}`);
    // the destination's own state and column tables sit beside the data
    expect((tables as Record<string, string>[]).map((t) => Object.values(t)[0]).sort()).toEqual([
      '_conveyor_columns',
      '_conveyor_state',
      'o',
    ]);
  });

  test('a user allowed only in its own database can write there, states included', async () => {
    const config = await freshConfig();
    const user = `cv_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const hosts = ['127.0.0.1', 'localhost', '%'];
    try {
      for (const host of hosts) {
        await db.admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, password]);
        await db.admin.query(`GRANT ALL ON ${quote(String(config.database))}.* TO ?@?`, [user, host]);
      }
      const asUser = { ...config, username: user, password };
      expect(await connector.check(asUser, ctx())).toEqual({ status: 'SUCCEEDED' });
      await runSync(
        connector,
        asUser,
        catalogOf({ name: 't', properties: { n: { type: 'integer' } } }),
        [objects('t', [{ n: 1 }])],
        {
          connectionId: `c-${user}`,
        },
      );
      expect((await connector.query?.(asUser, 'SELECT n FROM t'))?.rows).toEqual([[1]]);
      // the states live in the config's own database, beside the data
      const states = await connector.committedStates?.(asUser, `c-${user}`);
      expect(states?.seq).toBeGreaterThan(0);
      const [tables] = await db.admin.query(
        `SHOW TABLES FROM ${quote(String(config.database))} LIKE '\\_conveyor\\_state'`,
      );
      expect(tables).toHaveLength(1);
    } finally {
      for (const host of hosts) await db.admin.query('DROP USER IF EXISTS ?@?', [user, host]);
    }
  });

  test('a second sync of unchanged streams runs no DDL: every column type reads back as the type it was made for', async () => {
    const config = await freshConfig();
    const database = String(config.database);
    const properties = {
      id: { type: 'integer' },
      n: { type: 'number' },
      b: { type: 'boolean' },
      s: { type: 'string' },
      at: { type: 'string', format: 'date-time' },
      local: { type: 'string', format: 'date-time', airbyte_type: 'timestamp_without_timezone' },
      d: { type: 'string', format: 'date' },
      prefs: { type: 'object' },
      tags: { type: 'array' },
    };
    const record = {
      id: 1,
      n: 1.5,
      b: true,
      s: 'x',
      at: '2024-01-02T03:04:05Z',
      local: '2024-01-02T03:04:05',
      d: '2024-01-02',
      prefs: { a: 1 },
      tags: ['t'],
    };
    const streams: StreamOptions[] = [
      { name: 'Customers', properties },
      { name: 'User Accounts', mode: 'append_dedup', properties, primaryKey: [['id']], cursor: ['n'] },
      { name: 'snapshot', mode: 'overwrite', properties, generationId: 1, minimumGenerationId: 1 },
    ];
    const batches = streams.map((s) => objects(s.name, [record]));
    await runSync(connector, config, catalogOf(...streams), batches);
    const catalogState = async () => {
      const [columns] = await db.admin.query(
        `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COLUMN_COMMENT FROM information_schema.COLUMNS
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
        [database],
      );
      const [indexes] = await db.admin.query(
        'SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX',
        [database],
      );
      return { columns, indexes };
    };
    const before = await catalogState();
    const logger = recordingLogger();
    const again = streams.map((s) =>
      s.mode === 'overwrite' ? { ...s, generationId: 2, minimumGenerationId: 2 } : s,
    );
    await runSync(connector, config, catalogOf(...again), batches, { logger });
    expect(logger.lines.filter((line) => /Widened|Added column|cannot widen/.test(line))).toEqual([]);
    expect(await catalogState()).toEqual(before);

    // A user who may read and write rows but change no table syncs the streams that need no new table.
    const user = `cv_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const hosts = ['127.0.0.1', 'localhost', '%'];
    try {
      for (const host of hosts) {
        await db.admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, password]);
        await db.admin.query(
          `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE TEMPORARY TABLES ON ${quote(database)}.* TO ?@?`,
          [user, host],
        );
      }
      const asUser = { ...config, username: user, password };
      const kept = streams.slice(0, 2);
      await runSync(connector, asUser, catalogOf(...kept), batches.slice(0, 2));
      const [counts] = await db.admin.query(
        `SELECT (SELECT COUNT(*) FROM ${quote(database)}.Customers) AS appended, (SELECT COUNT(*) FROM ${quote(database)}.\`User Accounts\`) AS deduped`,
      );
      expect(counts).toEqual([{ appended: 3, deduped: 1 }]);
    } finally {
      for (const host of hosts) await db.admin.query('DROP USER IF EXISTS ?@?', [user, host]);
    }
  });

  test('check names a wrong password without showing it', async () => {
    const status = await connector.check({ ...db.config, password: 'surely-wrong-pw' }, ctx());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/Wrong username or password/);
    expect(status.message).not.toContain('surely-wrong-pw');
  });

  test('check names an unreachable server', async () => {
    const status = await connector.check({ ...db.config, port: 1 }, ctx());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/Nothing accepts connections at MySQL server 127\.0\.0\.1:1/);
  });

  test('check names a missing database', async () => {
    const status = await connector.check({ ...db.config, database: 'no_such_db_conveyor' }, ctx());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/database "no_such_db_conveyor" does not exist/);
  });

  test('check names a missing privilege', async () => {
    const config = await freshConfig();
    const user = `cv_${randomBytes(4).toString('hex')}`;
    const hosts = ['127.0.0.1', 'localhost', '%'];
    try {
      for (const host of hosts) {
        await db.admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, 'pw']);
        await db.admin.query(`GRANT SELECT ON ${quote(String(config.database))}.* TO ?@?`, [user, host]);
      }
      const status = await connector.check({ ...config, username: user, password: 'pw' }, ctx());
      expect(status.status).toBe('FAILED');
      expect(status.message).toMatch(new RegExp(`User "${user}" lacks a privilege`));
      expect(status.message).toMatch(/CREATE command denied/);
    } finally {
      for (const host of hosts) await db.admin.query('DROP USER IF EXISTS ?@?', [user, host]);
    }
  });
});
