// The SQL destination suite against real SQLite files (one per test, in a temp directory).

import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@conveyor/protocol';
import { afterAll, describe, expect, test } from 'vitest';
import { sqlDestination } from '../src/destination/connector.js';
import { openSqliteDestination } from '../src/sqlite/destination-dialect.js';
import { catalogOf, objects, runSync } from './destination-fixtures.js';
import { describeSqlDestination } from './destination-suite.js';

const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

const connector = sqlDestination<JsonObject, { path: string; schema: undefined }>({
  databaseName: 'SQLite',
  spec: { connectionSpecification: { type: 'object' } },
  resolveConfig: (config) => ({ path: String(config.path), schema: undefined }),
  openDialect: (resolved, purpose) => openSqliteDestination(resolved.path, purpose),
  describe: (resolved) => `the SQLite file ${resolved.path}`,
});

async function freshConfig(): Promise<JsonObject> {
  const directory = await mkdtemp(join(tmpdir(), 'conveyor-sqlite-destination-'));
  directories.push(directory);
  return { path: join(directory, 'nested', 'warehouse.sqlite') };
}

describeSqlDestination({
  name: 'sqlite',
  connector,
  fresh: freshConfig,
  table: (_config, name, namespace) =>
    `"${(namespace ? `${namespace}_${name}` : name).replaceAll('"', '""')}"`,
});

describe('sqlite specifics', () => {
  test('a namespace becomes a table-name prefix', async () => {
    const config = await freshConfig();
    await runSync(
      connector,
      config,
      catalogOf({ name: 'users', namespace: 'crm', properties: { id: { type: 'integer' } } }),
      [objects('users', [{ id: 1 }], 'crm')],
    );
    expect((await connector.query?.(config, 'SELECT id FROM crm_users'))?.rows).toEqual([[1]]);
  });

  test('asking for states or querying does not create the file', async () => {
    const config = await freshConfig();
    expect(await connector.committedStates?.(config, 'x')).toBeUndefined();
    await expect(connector.query?.(config, 'SELECT 1')).rejects.toThrow(/does not exist yet/);
  });

  /** How many of this process's open file descriptors point at `path` (Linux). */
  function openHandles(path: string): number {
    return readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    }).length;
  }

  test.skipIf(process.platform !== 'linux')(
    'reading states from a file that is not a database fails at once, naming it, and leaves the file closed',
    async () => {
      const config = await freshConfig();
      const path = join(String(config.path), '..', '..', 'notes.sqlite');
      await writeFile(
        path,
        'not a database, only text long enough to fill a SQLite header and then some more',
      );
      await expect(openSqliteDestination(path, 'read')).rejects.toThrow(
        /notes\.sqlite is not a usable SQLite database/,
      );
      expect(openHandles(path)).toBe(0);
    },
  );
});
