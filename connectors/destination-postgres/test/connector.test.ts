// The PostgreSQL destination as users meet it: its spec, a whole sync through the connector into
// a throwaway database, and `check` failures that name their cause.

import type { JsonObject } from '@conveyor/protocol';
import { POSTGRES_CONNECTION_PROPERTIES } from '@conveyor/sql';
import {
  type PasswordPostgres,
  passwordPostgresAvailable,
  postgresDatabase,
  startPasswordPostgres,
  type TestDatabase,
} from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { destination, type PostgresDestinationConfig } from '../src/index.js';

const context = () => ({
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  signal: new AbortController().signal,
});

let database: TestDatabase;
beforeAll(async () => {
  database = await postgresDatabase();
}, 60_000);
afterAll(async () => {
  await database?.drop();
});

const configOf = (extra: JsonObject = {}): PostgresDestinationConfig =>
  ({ ...database.config, ssl_mode: 'disable', ...extra }) as PostgresDestinationConfig;

describe('spec', () => {
  test('shares the connection fields of every Postgres connector, plus the default schema', () => {
    const properties = destination.spec().connectionSpecification.properties as JsonObject;
    for (const [field, schema] of Object.entries(POSTGRES_CONNECTION_PROPERTIES)) {
      expect(properties[field], field).toEqual(schema);
    }
    expect(properties.schema).toMatchObject({ type: 'string', default: 'public' });
    expect(destination.spec().supported_destination_sync_modes).toEqual([
      'append',
      'overwrite',
      'append_dedup',
    ]);
  });
});

describe('sync', () => {
  test('writes a stream with a namespace into that schema, and the states with it', async () => {
    const catalog = {
      streams: [
        {
          stream: {
            name: 'orders',
            namespace: 'shop',
            json_schema: {
              type: 'object',
              properties: { id: { type: 'integer' }, total: { type: 'number' } },
            },
            supported_sync_modes: ['full_refresh' as const],
          },
          sync_mode: 'full_refresh' as const,
          destination_sync_mode: 'append' as const,
        },
      ],
    };
    const writer = await destination.open(configOf(), catalog, {
      logger: context().logger,
      connectionId: 'c1',
      syncId: 1,
    });
    try {
      await writer.write({
        format: 'objects',
        stream: 'orders',
        namespace: 'shop',
        records: [
          { id: 1, total: 9.5 },
          { id: 2, total: 10 },
        ],
        emittedAt: Date.now(),
      });
      const state = {
        type: 'STREAM' as const,
        stream: { stream_descriptor: { name: 'orders', namespace: 'shop' }, stream_state: { id: 2 } },
      };
      await writer.commit([state], 1);
      await writer.finish();
    } finally {
      await writer.close();
    }
    expect(
      (await destination.query?.(configOf(), 'SELECT id, total FROM shop.orders ORDER BY id'))?.rows,
    ).toEqual([
      ['1', 9.5],
      ['2', 10],
    ]);
    expect((await destination.committedStates?.(configOf(), 'c1'))?.seq).toBe(1);
  });
});

describe('check', () => {
  test('succeeds with a working login', async () => {
    expect(await destination.check(configOf(), context())).toEqual({ status: 'SUCCEEDED' });
  });

  test('names an unreachable server', async () => {
    const status = await destination.check(configOf({ port: 1 }), context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(
      /Could not reach the PostgreSQL server 127\.0\.0\.1:1.*Check "host" and "port"/,
    );
  });

  test('names an unknown host', async () => {
    const status = await destination.check(configOf({ host: 'no-such-host.invalid' }), context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/no-such-host\.invalid/);
  });

  test('names a missing database', async () => {
    const status = await destination.check(configOf({ database: 'conveyor_missing_db' }), context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/conveyor_missing_db.*Check the "database" field/);
  });

  test('rejects a config the spec does not allow, naming the field', async () => {
    const status = await destination.check(configOf({ ssl_mode: 'sometimes' }), context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/ssl_mode/);
  });

  describe('against a server that asks for passwords', () => {
    let server: PasswordPostgres | undefined;
    beforeAll(async () => {
      if (passwordPostgresAvailable()) server = await startPasswordPostgres();
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });

    test('names a wrong password, and never shows it', async (context_) => {
      if (!server)
        return context_.skip('no PostgreSQL binaries installed to start a password-protected server');
      const config = {
        host: '127.0.0.1',
        port: server.port,
        database: 'postgres',
        username: server.user,
        password: 'wrong-secret-123',
        ssl_mode: 'disable',
      } satisfies PostgresDestinationConfig;
      const status = await destination.check(config, context());
      expect(status.status).toBe('FAILED');
      expect(status.message).toMatch(
        /rejected the password of user "postgres".*Check the username and password/,
      );
      expect(status.message).not.toContain('wrong-secret-123');
      expect(await destination.check({ ...config, password: server.password }, context())).toEqual({
        status: 'SUCCEEDED',
      });
    });
  });
});
