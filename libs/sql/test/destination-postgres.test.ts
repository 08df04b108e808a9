// The SQL destination suite against the real PostgreSQL server: one throwaway database for this
// file, a fresh schema per test.

import { randomBytes } from 'node:crypto';
import type { JsonObject } from '@conveyor/protocol';
import { postgresDatabase, type TestDatabase } from '@conveyor/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sqlDestination } from '../src/destination/connector.js';
import {
  openPostgres,
  type PostgresConnectionSettings,
  postgresSettings,
} from '../src/postgres/connection.js';
import { openPostgresDestination } from '../src/postgres/destination-dialect.js';
import { catalogOf, objects, runSync, writeContext } from './destination-fixtures.js';
import { describeSqlDestination } from './destination-suite.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await postgresDatabase();
}, 60_000);
afterAll(async () => {
  await database?.drop();
});

type Resolved = PostgresConnectionSettings & { schema: string };

const connector = sqlDestination<JsonObject, Resolved>({
  databaseName: 'PostgreSQL',
  spec: { connectionSpecification: { type: 'object' } },
  resolveConfig: (config) => ({ ...postgresSettings(config), schema: String(config.schema ?? 'public') }),
  openDialect: (resolved) => openPostgresDestination(resolved),
  describe: (resolved) => `database "${resolved.database}" on ${resolved.host}:${resolved.port}`,
});

async function freshConfig(): Promise<JsonObject> {
  return { ...database.config, ssl_mode: 'disable', schema: `s_${randomBytes(4).toString('hex')}` };
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

describeSqlDestination({
  name: 'postgres',
  connector,
  fresh: freshConfig,
  table: (config, name, namespace) => {
    // Names longer than 63 bytes are cut and suffixed with a hash; look the table up by prefix in tests
    // through the same rule the destination uses.
    return `${quote(namespace ?? String(config.schema))}.${quote(fitted(name))}`;
  },
});

import { fitIdentifier, POSTGRES_IDENTIFIERS } from '../src/identifiers.js';

function fitted(name: string): string {
  return fitIdentifier(POSTGRES_IDENTIFIERS, name);
}

describe('postgres specifics', () => {
  test('tables use native types: bigint, double precision, timestamptz, jsonb, uuid', async () => {
    const config = await freshConfig();
    const properties = {
      i: { type: 'integer' },
      f: { type: 'number' },
      at: { type: 'string', format: 'date-time' },
      j: { type: 'object' },
    };
    await runSync(connector, config, catalogOf({ name: 't', properties }), [
      objects('t', [{ i: 2 ** 60, f: 1.5, at: '2024-01-02T03:04:05.123456+01:00', j: { a: [1, 'x'] } }]),
    ]);
    const client = await openPostgres(postgresSettings({ ...config }));
    try {
      const types = await client.query(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 't' ORDER BY ordinal_position`,
        [config.schema],
      );
      expect(Object.fromEntries(types.rows.map((r) => [r.column_name, r.data_type]))).toEqual({
        _conveyor_raw_id: 'uuid',
        _conveyor_extracted_at: 'timestamp with time zone',
        _conveyor_generation_id: 'bigint',
        _conveyor_meta: 'jsonb',
        i: 'bigint',
        f: 'double precision',
        at: 'timestamp with time zone',
        j: 'jsonb',
      });
      const row = await client.query(
        `SELECT i::text, at AT TIME ZONE 'UTC' AS at, j FROM ${quote(String(config.schema))}.t`,
      );
      expect(row.rows[0].i).toBe(String(2n ** 60n));
      expect(row.rows[0].j).toEqual({ a: [1, 'x'] });
    } finally {
      await client.end();
    }
  });

  test('an overwrite blocked by a view on the table fails as a config error that names the cause', async () => {
    const config = await freshConfig();
    const schema = quote(String(config.schema));
    const catalog = catalogOf({ name: 't', mode: 'overwrite', properties: { n: { type: 'integer' } } });
    await runSync(connector, config, catalog, [objects('t', [{ n: 1 }])]);
    const client = await openPostgres(postgresSettings({ ...config }));
    try {
      await client.query(`CREATE VIEW ${schema}.report AS SELECT n FROM ${schema}.t`);
    } finally {
      await client.end();
    }
    const failure = await runSync(connector, config, catalog, [objects('t', [{ n: 2 }])]).then(
      () => undefined,
      (error: unknown) => error as { failureType?: string; message: string },
    );
    expect(failure?.failureType).toBe('config_error');
    expect(failure?.message).toMatch(/depend/);
    expect(failure?.message).toMatch(/report/);
    // the old rows are still there, untouched
    const result = await connector.query?.(config, `SELECT n FROM ${schema}.t`);
    expect(result?.rows.map((r) => Number(r[0]))).toEqual([1]);
  });

  test('text containing NUL, which PostgreSQL cannot store, becomes NULL with a note', async () => {
    const config = await freshConfig();
    await runSync(connector, config, catalogOf({ name: 't', properties: { s: { type: 'string' }, j: {} } }), [
      objects('t', [{ s: 'a\u0000b', j: { k: 'x\u0000' } }]),
    ]);
    const result = await connector.query?.(
      config,
      `SELECT s, j, _conveyor_meta FROM ${quote(String(config.schema))}.t`,
    );
    const [s, j, meta] = result?.rows[0] ?? [];
    expect([s, j]).toEqual([null, null]);
    expect((meta as { changes: { field: string }[] }).changes.map((c) => c.field)).toEqual(['s', 'j']);
  });

  test('a column of a narrower type the user made (integer, varchar) is widened', async () => {
    const config = await freshConfig();
    const schema = quote(String(config.schema));
    const client = await openPostgres(postgresSettings({ ...config }));
    try {
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`CREATE TABLE ${schema}.t (n integer, s varchar(3))`);
      await client.query(`INSERT INTO ${schema}.t VALUES (1, 'abc')`);
    } finally {
      await client.end();
    }
    await runSync(
      connector,
      config,
      catalogOf({ name: 't', properties: { n: { type: 'integer' }, s: { type: 'string' } } }),
      [objects('t', [{ n: 2 ** 40, s: 'much longer text' }])],
    );
    const result = await connector.query?.(config, `SELECT n::text, s FROM ${schema}.t ORDER BY n`);
    expect(result?.rows).toEqual([
      ['1', 'abc'],
      [String(2 ** 40), 'much longer text'],
    ]);
  });

  test('a user who may not create schemas can still write into an existing one', async () => {
    const config = await freshConfig();
    const role = `conveyor_writer_${randomBytes(3).toString('hex')}`;
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA ${quote(String(config.schema))}`);
      await admin.query(`CREATE SCHEMA IF NOT EXISTS _conveyor`);
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      await admin.query(
        `GRANT USAGE, CREATE ON SCHEMA ${quote(String(config.schema))}, _conveyor TO ${role}`,
      );
      // Other tests in this database made the internal tables already, as the administrator.
      await admin.query(`GRANT ALL ON ALL TABLES IN SCHEMA _conveyor TO ${role}`);
      await admin.query(`REVOKE CREATE ON DATABASE ${quote(database.database)} FROM PUBLIC`);
      const asRole = { ...config, username: role };
      await runSync(
        connector,
        asRole,
        catalogOf({ name: 't', properties: { n: { type: 'integer' } } }),
        [objects('t', [{ n: 1 }])],
        { connectionId: `c-${role}` },
      );
      expect(
        (await connector.query?.(asRole, `SELECT n FROM ${quote(String(config.schema))}.t`))?.rows,
      ).toEqual([['1']]);
    } finally {
      await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await admin.end();
    }
  });

  test('check names an unreachable server', async () => {
    const status = await connector.check(
      { ...database.config, port: 1, ssl_mode: 'disable' },
      {
        logger: writeContext().logger,
        signal: new AbortController().signal,
      },
    );
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/Could not reach the PostgreSQL server 127\.0\.0\.1:1/);
  });

  test('check names a missing database', async () => {
    const status = await connector.check(
      { ...database.config, database: 'no_such_db_conveyor', ssl_mode: 'disable' },
      {
        logger: writeContext().logger,
        signal: new AbortController().signal,
      },
    );
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/no_such_db_conveyor/);
  });
});
