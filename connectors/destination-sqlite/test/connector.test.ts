// The SQLite destination as users meet it: its spec, a sync into a new file (directory created),
// reading it while a sync writes, and check failures that name their cause.

import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { destination } from '../src/index.js';

const context = () => ({
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  signal: new AbortController().signal,
});
const directories: string[] = [];
afterEach(async () => {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});
async function tempDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'conveyor-destination-sqlite-'));
  directories.push(directory);
  return directory;
}

const catalog = {
  streams: [
    {
      stream: {
        name: 'users',
        json_schema: {
          type: 'object',
          properties: { id: { type: 'integer' }, active: { type: 'boolean' }, profile: { type: 'object' } },
        },
        supported_sync_modes: ['full_refresh' as const],
      },
      sync_mode: 'full_refresh' as const,
      destination_sync_mode: 'append' as const,
    },
  ],
};

describe('destination-sqlite', () => {
  test('the spec asks for a path and offers every write mode', () => {
    expect(destination.spec().connectionSpecification.required).toEqual(['path']);
    expect(destination.spec().supported_destination_sync_modes).toEqual([
      'append',
      'overwrite',
      'append_dedup',
    ]);
  });

  test('a sync creates the file in WAL mode; other readers see committed rows only', async () => {
    const path = join(await tempDirectory(), 'new', 'warehouse.sqlite');
    const writer = await destination.open({ path }, catalog, {
      logger: context().logger,
      connectionId: 'c',
      syncId: 1,
    });
    try {
      await writer.write({
        format: 'objects',
        stream: 'users',
        records: [{ id: 1, active: true, profile: { tags: ['a'] } }],
        emittedAt: Date.now(),
      });
      const reader = new Database(path, { readonly: true });
      try {
        expect(reader.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 0 });
        await writer.commit([], 1);
        expect(reader.prepare('SELECT id, active, profile FROM users').all()).toEqual([
          { id: 1, active: 1, profile: '{"tags":["a"]}' },
        ]);
        expect(reader.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        reader.close();
      }
      await writer.finish();
    } finally {
      await writer.close();
    }
    expect(await destination.committedStates?.({ path }, 'c')).toEqual({ seq: 1, states: [] });
  });

  test('check succeeds for a new file in a new directory', async () => {
    const path = join(await tempDirectory(), 'a', 'b.sqlite');
    expect(await destination.check({ path }, context())).toEqual({ status: 'SUCCEEDED' });
  });

  test('check names a file that is not a SQLite database', async () => {
    const path = join(await tempDirectory(), 'notes.txt');
    await writeFile(path, 'this is not a database, just some text that is long enough to have a header');
    const status = await destination.check({ path }, context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/notes\.txt is not a usable SQLite database/);
  });

  test.skipIf(process.getuid?.() === 0)('check names a directory that is not writable', async () => {
    const directory = await tempDirectory();
    await chmod(directory, 0o500);
    const status = await destination.check({ path: join(directory, 'x.sqlite') }, context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/writable/);
  });

  test('refuses an in-memory database', async () => {
    const status = await destination.check({ path: ':memory:' }, context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/in-memory database loses everything/);
  });
});
