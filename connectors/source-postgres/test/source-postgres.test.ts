// The packaged PostgreSQL source: its spec agrees with the family's connection fields, the
// schemas default, and the command line an orchestrator runs (check, discover, read with state).

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AirbyteMessage, AirbyteStream, ConfiguredCatalog, JsonObject } from '@conveyor/protocol';
import { POSTGRES_CONNECTION_PROPERTIES } from '@conveyor/sql';
import { postgresDatabase, type TestDatabase } from '@conveyor/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { source } from '../src/index.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const ctx = () => ({
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  signal: new AbortController().signal,
});

let db: TestDatabase;
let dir: string;
let config: JsonObject;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  db = await postgresDatabase();
  config = { ...db.config, ssl_mode: 'disable' };
  const admin = new pg.Client({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
  });
  await admin.connect();
  await admin.query(`
    CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, updated_at timestamp NOT NULL);
    INSERT INTO users SELECT g, 'user ' || g, timestamp '2024-01-01' + g * interval '1 hour' FROM generate_series(1, 30) g;
    CREATE SCHEMA sales;
    CREATE TABLE sales.orders (id int PRIMARY KEY);
  `);
  await admin.end();
  dir = await mkdtemp(join(tmpdir(), 'source-postgres-'));
});

afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('spec', () => {
  it('has the connection fields the Postgres connectors share, the password secret, and schemas defaulting to public', () => {
    const properties = source.spec().connectionSpecification.properties as JsonObject;
    for (const [name, property] of Object.entries(POSTGRES_CONNECTION_PROPERTIES)) {
      expect(properties[name], name).toEqual(property);
    }
    expect(properties.password).toMatchObject({ airbyte_secret: true });
    expect(properties.schemas).toMatchObject({ type: 'array', default: ['public'] });
  });
});

describe('connector', () => {
  it('offers the tables of public by default and of the schemas listed otherwise', async () => {
    const byDefault = await source.discover(config as never, ctx());
    expect(byDefault.streams.map((s) => `${s.namespace}.${s.name}`)).toEqual(['public.users']);
    const listed = await source.discover({ ...config, schemas: ['sales', 'public'] } as never, ctx());
    expect(listed.streams.map((s) => `${s.namespace}.${s.name}`)).toEqual(['public.users', 'sales.orders']);
  });

  it('refuses a config without a database, naming the field', async () => {
    const { database: _, ...rest } = config;
    const status = await source.check(rest as never, ctx());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/config\.database is required/);
  });
});

interface Run {
  code: number;
  messages: AirbyteMessage[];
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { maxBuffer: 64 << 20 }, (error, stdout) => {
      const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
      const messages = stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as AirbyteMessage);
      resolve({ code, messages });
    });
  });
}

describe('command line', () => {
  beforeAll(() => {
    if (!existsSync(MAIN))
      throw new Error('dist/main.js is missing: build the package first (npm run build)');
  });

  it('check names a missing database and exits 1', async () => {
    await writeFile(file('missing.json'), JSON.stringify({ ...config, database: 'conveyor_nope' }));
    const { code, messages } = await run(['check', '--config', file('missing.json')]);
    expect(code).toBe(1);
    const status = messages.find((m) => m.type === 'CONNECTION_STATUS') as Extract<
      AirbyteMessage,
      { type: 'CONNECTION_STATUS' }
    >;
    expect(status.connectionStatus.message).toMatch(/Database "conveyor_nope" does not exist/);
  });

  it('reads incrementally, and a second read from the final state returns only the boundary row', async () => {
    await writeFile(file('config.json'), JSON.stringify(config));
    const discovered = await run(['discover', '--config', file('config.json')]);
    const catalogMessage = discovered.messages.find((m) => m.type === 'CATALOG') as Extract<
      AirbyteMessage,
      { type: 'CATALOG' }
    >;
    const users = catalogMessage.catalog.streams[0] as AirbyteStream;
    expect(users.default_cursor_field).toEqual(['updated_at']);
    const catalog: ConfiguredCatalog = {
      streams: [
        {
          stream: users,
          sync_mode: 'incremental',
          destination_sync_mode: 'append_dedup',
          cursor_field: ['updated_at'],
        },
      ],
    };
    await writeFile(file('catalog.json'), JSON.stringify(catalog));
    const first = await run(['read', '--config', file('config.json'), '--catalog', file('catalog.json')]);
    expect(first.code).toBe(0);
    expect(first.messages.filter((m) => m.type === 'RECORD')).toHaveLength(30);
    const last = first.messages.filter((m) => m.type === 'STATE').at(-1) as Extract<
      AirbyteMessage,
      { type: 'STATE' }
    >;
    expect(last.state.stream?.stream_state).toEqual({
      mode: 'incremental',
      cursor_field: ['updated_at'],
      cursor: '2024-01-02T06:00:00',
    });
    await writeFile(file('state.json'), JSON.stringify([last.state]));
    const second = await run([
      'read',
      '--config',
      file('config.json'),
      '--catalog',
      file('catalog.json'),
      '--state',
      file('state.json'),
    ]);
    const records = second.messages.filter((m) => m.type === 'RECORD') as Extract<
      AirbyteMessage,
      { type: 'RECORD' }
    >[];
    expect(records.map((r) => r.record.data.id)).toEqual([30]);
  });
});
