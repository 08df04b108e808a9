// The MySQL destination connector against a real MariaDB/MySQL server: its spec, check failures
// that name their cause, the three write modes, and names MySQL finds hostile (backticks, emoji,
// names equal but for case or accents, names beyond 64 characters sharing a prefix). The generic
// behaviour is tested at length in libs/sql (destination-mysql.test.ts runs the shared suite).

import type { DestinationConnector } from '@conveyor/cdk';
import type { JsonObject } from '@conveyor/protocol';
import { MYSQL_CONNECTION_PROPERTIES } from '@conveyor/sql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spec, destination as typedDestination } from '../src/index.js';
import {
  catalogOf,
  checkContext,
  lines,
  type MysqlFixture,
  mysqlFixture,
  objects,
  quote,
  runSync,
} from './helpers.js';

let fx: MysqlFixture;
/** Tests also pass configs the spec refuses, so the connector is used with plain JSON configs. */
const destination = typedDestination as unknown as DestinationConnector<JsonObject>;
let fresh = 0;

beforeAll(async () => {
  fx = await mysqlFixture();
}, 60_000);
afterAll(async () => {
  await fx?.drop();
});

/** A config whose database is new and empty. */
async function freshConfig(): Promise<JsonObject> {
  const database = `${fx.db.database}_${++fresh}`;
  await fx.admin.query(`CREATE DATABASE ${quote(database)} CHARACTER SET utf8mb4`);
  return { ...fx.config, database };
}

async function select(config: JsonObject, sql: string): Promise<Record<string, unknown>[]> {
  const [rows] = await fx.admin
    .query(`USE ${quote(String(config.database))}`)
    .then(() => fx.admin.query(sql));
  return rows as Record<string, unknown>[];
}

const users = { id: { type: 'integer' }, name: { type: 'string' }, updated: { type: 'integer' } };

describe('destination-mysql: spec and check', () => {
  it('offers the connection fields every MySQL connector shares, and the three write modes', () => {
    expect(spec.connectionSpecification.properties).toMatchObject(
      Object.fromEntries(
        Object.entries(MYSQL_CONNECTION_PROPERTIES).map(([k, v]) => [
          k,
          k === 'database' ? expect.any(Object) : v,
        ]),
      ),
    );
    expect(spec.supported_destination_sync_modes).toEqual(['append', 'overwrite', 'append_dedup']);
  });

  it('check succeeds where a table can be created', async () => {
    expect(await destination.check(await freshConfig(), checkContext())).toEqual({ status: 'SUCCEEDED' });
  });

  it('check names a wrong password, never showing it', async () => {
    const status = await destination.check({ ...fx.config, password: 'not-it-4711' }, checkContext());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/Wrong username or password/);
    expect(status.message).not.toContain('not-it-4711');
  });

  it('check names an unreachable server', async () => {
    const status = await destination.check({ ...fx.config, port: 1 }, checkContext());
    expect(status.message).toMatch(/Nothing accepts connections at MySQL server 127\.0\.0\.1:1/);
  });

  it('check names a missing database', async () => {
    const status = await destination.check({ ...fx.config, database: 'conveyor_absent_db' }, checkContext());
    expect(status.message).toMatch(/database "conveyor_absent_db" does not exist/);
  });

  it('check refuses a config the spec does not allow', async () => {
    const status = await destination.check({ ...fx.config, port: 'three' }, checkContext());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/port/);
  });
});

describe('destination-mysql: write modes', () => {
  it('append adds rows from objects and RECORD lines, with text that needs escaping intact', async () => {
    const config = await freshConfig();
    const catalog = catalogOf({ name: 'users', properties: users });
    await runSync(destination, config, catalog, [objects('users', [{ id: 1, name: 'tab\there' }])]);
    await runSync(destination, config, catalog, [lines('users', [{ id: 2, name: 'line\nbreak \\N \\' }])]);
    expect(await select(config, 'SELECT id, name FROM users ORDER BY id')).toEqual([
      { id: '1', name: 'tab\there' },
      { id: '2', name: 'line\nbreak \\N \\' },
    ]);
  });

  it('overwrite replaces the rows at the end of the sync', async () => {
    const config = await freshConfig();
    const stream = (generationId: number) => ({
      name: 'users',
      mode: 'overwrite' as const,
      properties: users,
      generationId,
    });
    await runSync(destination, config, catalogOf(stream(1)), [objects('users', [{ id: 1 }, { id: 2 }])]);
    await runSync(destination, config, catalogOf(stream(2)), [objects('users', [{ id: 3 }])]);
    expect(await select(config, 'SELECT id, _conveyor_generation_id AS g FROM users')).toEqual([
      { id: '3', g: '2' },
    ]);
  });

  it('append_dedup keeps the latest row per key by cursor', async () => {
    const config = await freshConfig();
    const catalog = catalogOf({
      name: 'users',
      mode: 'append_dedup',
      properties: users,
      primaryKey: [['id']],
      cursor: ['updated'],
    });
    await runSync(destination, config, catalog, [
      objects('users', [
        { id: 1, name: 'old', updated: 1 },
        { id: 1, name: 'new', updated: 2 },
        { id: 2, name: 'only', updated: 1 },
      ]),
    ]);
    await runSync(destination, config, catalog, [lines('users', [{ id: 1, name: 'stale', updated: 0 }])]);
    expect(await select(config, 'SELECT id, name FROM users ORDER BY id')).toEqual([
      { id: '1', name: 'new' },
      { id: '2', name: 'only' },
    ]);
  });

  it('keeps the states committed with the data', async () => {
    const config = await freshConfig();
    const state = {
      type: 'STREAM' as const,
      stream: { stream_descriptor: { name: 'users' }, stream_state: { cursor: 5 } },
    };
    const catalog = catalogOf({ name: 'users', properties: users });
    await runSync(destination, config, catalog, [objects('users', [{ id: 1 }])], [state]);
    expect(await destination.committedStates?.(config, 'test-connection')).toEqual({
      seq: 1,
      states: [state],
    });
  });
});

describe('destination-mysql: hostile names', () => {
  it('gives every property a distinct column, even where MySQL sees names as equal', async () => {
    const config = await freshConfig();
    const names = [
      'with `backtick`',
      'it\'s "quoted"',
      'dotted.name',
      'with space',
      'select',
      'Case',
      'case',
      'résumé',
      'resume',
      'emoji 😀',
      'emoji 😎',
      'trailing ',
      `${'long_'.repeat(14)}alpha`,
      `${'long_'.repeat(14)}beta`,
    ];
    const properties = Object.fromEntries(names.map((n) => [n, { type: 'string' }]));
    const record = Object.fromEntries(names.map((n, i) => [n, `v${i}`]));
    await runSync(destination, config, catalogOf({ name: 'h', properties }), [objects('h', [record])]);
    await runSync(destination, config, catalogOf({ name: 'h', properties }), [lines('h', [record])]);
    const rows = await select(config, 'SELECT * FROM h');
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const values = Object.entries(row)
        .filter(([column]) => !column.startsWith('_conveyor'))
        .map(([, v]) => v);
      expect(values.sort()).toEqual(names.map((_, i) => `v${i}`).sort());
      expect(Object.keys(row).every((column) => [...column].length <= 64)).toBe(true);
    }
  });

  it('writes streams with hostile names to distinct tables, a namespace to its own database', async () => {
    const config = await freshConfig();
    const streams = ['Mixed', 'rocket 🚀', 'dots.and `ticks`', `${'t'.repeat(70)}_1`, `${'t'.repeat(70)}_2`];
    const namespace = `${String(config.database)}_ns`;
    const all: { name: string; namespace?: string }[] = [
      ...streams.map((name) => ({ name })),
      { name: 'Mixed', namespace },
    ];
    await runSync(
      destination,
      config,
      catalogOf(...all.map((s) => ({ ...s, properties: { v: { type: 'string' } } }))),
      all.map((s) => objects(s.name, [{ v: `${s.namespace ?? ''}/${s.name}` }], s.namespace)),
    );
    const [tables] = await fx.admin.query(`SHOW TABLES FROM ${quote(String(config.database))}`);
    // the destination's own state and column tables sit beside the data
    const tableNames = (tables as Record<string, string>[])
      .map((t) => Object.values(t)[0] ?? '')
      .filter((name) => !['_conveyor_state', '_conveyor_columns'].includes(name));
    expect(tableNames).toHaveLength(streams.length);
    const values: unknown[] = [];
    for (const table of tableNames) {
      values.push(...(await select(config, `SELECT v FROM ${quote(table)}`)).map((r) => r.v));
    }
    expect(values.sort()).toEqual(streams.map((s) => `/${s}`).sort());
    const [other] = await fx.admin.query(`SELECT v FROM ${quote(namespace)}.Mixed`);
    expect(other).toEqual([{ v: `${namespace}/Mixed` }]);
  });

  it('refuses, before writing, two streams whose tables MySQL may consider one (case or accents)', async () => {
    const config = await freshConfig();
    for (const [a, b] of [
      ['Mixed', 'mixed'],
      ['café', 'cafe'],
    ]) {
      const catalog = catalogOf({ name: a as string, properties: {} }, { name: b as string, properties: {} });
      await expect(runSync(destination, config, catalog, [])).rejects.toThrow(
        /would both be written to the table/,
      );
    }
    const [tables] = await fx.admin.query(`SHOW TABLES FROM ${quote(String(config.database))}`);
    expect(tables).toEqual([]);
  });
});
