import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { RejectedRecordLine } from '@conveyor/cdk';
import type { ConveyorError } from '@conveyor/protocol';
import { describe, expect, test } from 'vitest';
import { destination } from '../src/index.js';
import {
  catalogOf,
  lines,
  objects,
  openReader,
  query,
  recordLine,
  runSync,
  streamState,
  tempDatabase,
  tempDirectory,
  writeContext,
} from './helpers.js';

const readContext = () => ({ logger: writeContext().logger, signal: new AbortController().signal });

describe('spec', () => {
  test('declares the config and the supported sync modes', () => {
    const spec = destination.spec();
    expect(spec.documentationUrl).toMatch(/^https:\/\//);
    expect(spec.supported_destination_sync_modes).toEqual(['append', 'overwrite', 'append_dedup']);
    expect(spec.connectionSpecification.required).toEqual(['path']);
  });
});

describe('open', () => {
  const catalog = catalogOf({ name: 'users', properties: { id: { type: 'integer' } } });

  test.each([
    [{}, Math.max(1, availableParallelism() - 1)],
    [{ threads: 3 }, 3],
  ])(
    'runs DuckDB on the configured threads, one fewer than the cores by default (%o)',
    async (extra, threads) => {
      const path = await tempDatabase();
      const writer = await destination.open({ path, ...extra }, catalog, writeContext());
      const reader = await openReader(path); // the same DuckDB instance, so the same settings
      try {
        expect(await reader.rows("SELECT current_setting('threads')::INT AS n")).toEqual([{ n: threads }]);
      } finally {
        reader.close();
        await writer.close();
      }
    },
  );

  test('refuses threads below one with a config error naming the field', async () => {
    const path = await tempDatabase();
    await expect(destination.open({ path, threads: 0 }, catalog, writeContext())).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringContaining('threads'),
    });
  });
});

describe('check', () => {
  test('succeeds on a new file, creating its directory', async () => {
    const path = join(await tempDirectory(), 'nested', 'dir', 'db.duckdb');
    expect(await destination.check({ path }, readContext())).toEqual({ status: 'SUCCEEDED' });
    expect(existsSync(path)).toBe(true);
    expect(
      await query(
        path,
        `SELECT count(*)::INT AS n FROM duckdb_tables() WHERE table_name LIKE '_conveyor_check%'`,
      ),
    ).toEqual([{ n: 0 }]);
  });

  test('fails with a clear message when the path cannot be written', async () => {
    const file = join(await tempDirectory(), 'a-file');
    await writeFile(file, 'not a directory');
    const status = await destination.check({ path: join(file, 'db.duckdb') }, readContext());
    expect(status.status).toBe('FAILED');
    expect(status.message).toContain('Cannot create the directory');
  });

  test('fails when the file is not a DuckDB database', async () => {
    const path = join(await tempDirectory(), 'notes.duckdb');
    await writeFile(path, 'just some text that is long enough to not be a database header at all');
    const status = await destination.check({ path }, readContext());
    expect(status.status).toBe('FAILED');
    expect(status.message).toContain(path);
  });

  test('fails, saying so, when another process holds the file', async () => {
    const path = await tempDatabase();
    const holder = await holdFile(path);
    try {
      const status = await destination.check({ path }, readContext());
      expect(status.status).toBe('FAILED');
      expect(status.message).toContain('in use by another process');
    } finally {
      holder.kill();
    }
  });

  test('refuses an in-memory database', async () => {
    const status = await destination.check({ path: ':memory:' }, readContext());
    expect(status).toMatchObject({ status: 'FAILED' });
    expect(status.message).toContain(':memory:');
  });
});

describe('committedStates', () => {
  test('is undefined for a file that does not exist, and does not create it', async () => {
    const path = await tempDatabase();
    expect(await destination.committedStates?.({ path }, 'conn')).toBeUndefined();
    expect(existsSync(path)).toBe(false);
  });

  test('is undefined for a DuckDB file written by something else', async () => {
    const path = await tempDatabase();
    await query(path, 'CREATE TABLE other (x INTEGER)');
    expect(await destination.committedStates?.({ path }, 'conn')).toBeUndefined();
  });
});

describe('close', () => {
  test('releases the file, so another process can open it', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf({ name: 'users', properties: { id: { type: 'integer' } } }), [
      objects('users', [{ id: 1 }]),
    ]);
    const holder = await holdFile(path);
    holder.kill();
  });
});

describe('a commit that repeats the states the database holds', () => {
  const catalog = catalogOf({ name: 'users', properties: { id: { type: 'integer' } } });

  test('runs in the background: batches written meanwhile land after it, and finish waits for it', async () => {
    const path = await tempDatabase();
    const writer = await destination.open({ path }, catalog, writeContext());
    try {
      await writer.write(objects('users', [{ id: 1 }]));
      await writer.commit([], 1);
      for (let id = 2; id <= 5; id++) {
        await writer.write(id % 2 === 0 ? objects('users', [{ id }]) : lines('users', [{ id }]));
        await writer.commit([], id);
      }
      await writer.write(objects('users', [{ id: 6 }]));
      await writer.finish();
    } finally {
      await writer.close();
    }
    expect(await query(path, 'SELECT list(id ORDER BY id)::VARCHAR AS ids FROM users')).toEqual([
      { ids: '[1, 2, 3, 4, 5, 6]' },
    ]);
  });

  test('fails at the next operation with its own error, and commits nothing of it', async () => {
    const path = await tempDatabase();
    const writer = await destination.open({ path }, catalog, writeContext());
    try {
      await writer.commit([], 1);
      const bad = Buffer.from('{"type":"RECORD","record":{"stream":"users","data":[1],"emitted_at":1}}');
      await writer.write({ format: 'jsonl', stream: 'users', lines: [recordLine('users', { id: 1 }), bad] });
      // the same states as the database holds: it returns before its load has run
      await writer.commit([], 2);
      // a batch stages on disk meanwhile; the next operation that needs the database reports it
      await writer.write(objects('users', [{ id: 2 }]));
      const failure = await writer.finish().catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(RejectedRecordLine);
      expect(failure).toMatchObject({ failureType: 'system_error', line: bad });
      await expect(writer.commit([], 3)).rejects.toThrow(/earlier operation of this writer failed/);
    } finally {
      await writer.close();
    }
    expect(await query(path, 'SELECT count(*)::INT AS n FROM users')).toEqual([{ n: 0 }]);
  });
});

describe('lines read by field', () => {
  const catalog = catalogOf(
    { name: 'users', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
    { name: 'other', properties: { id: { type: 'integer' } } },
  );
  const duplicateKey = Buffer.from(
    '{"type":"RECORD","record":{"stream":"users","data":{"id":1,"id":2,"name":"x"},"emitted_at":1}}',
  );

  test('a duplicate key, which reading by field refuses, loads by JSON pointer (the first value), losing nothing', async () => {
    const path = await tempDatabase();
    const context = writeContext();
    const writer = await destination.open({ path }, catalog, context);
    const fallbacks = () =>
      context.logger.lines.filter((l) => l.includes('loading them by JSON pointer')).length;
    try {
      await writer.write({
        format: 'jsonl',
        stream: 'users',
        lines: [recordLine('users', { id: 5 }), duplicateKey],
      });
      await writer.commit([streamState('users', 1)], 1);
      expect(fallbacks()).toBe(1); // tried by field, rolled back, loaded by pointer
      // now after another stream's load in the same transaction: no by-field attempt to undo
      await writer.write(objects('other', [{ id: 7 }]));
      await writer.write({ format: 'jsonl', stream: 'users', lines: [duplicateKey] });
      await writer.commit([streamState('users', 2)], 2);
      expect(fallbacks()).toBe(1);
      await writer.finish();
    } finally {
      await writer.close();
    }
    expect(
      await query(path, 'SELECT list(id ORDER BY id)::VARCHAR AS ids, count(name)::INT AS named FROM users'),
    ).toEqual([{ ids: '[1, 1, 5]', named: 2 }]);
    expect(await query(path, 'SELECT count(*)::INT AS n FROM other')).toEqual([{ n: 1 }]);
  });
});

describe('bad input', () => {
  const catalog = catalogOf({ name: 'users', properties: { id: { type: 'integer' } } });

  test.each([
    ['a string', '"just text"'],
    ['an array', '[1,2]'],
    ['null', 'null'],
  ])(
    'a jsonl record whose data is %s fails the load with a system error naming the stream',
    async (_, data) => {
      const path = await tempDatabase();
      const writer = await destination.open({ path }, catalog, writeContext());
      const bad = Buffer.from(`{"type":"RECORD","record":{"stream":"users","data":${data},"emitted_at":1}}`);
      // raw lines are staged on disk and loaded together: the bad one is found when they load
      await writer.write({
        format: 'jsonl',
        stream: 'users',
        lines: [recordLine('users', { id: 1 }), bad],
        lineNumbers: [7, 8],
      });
      // a new state: the commit loads and reports at once (one repeating the states held would
      // run in the background and report at the next operation, tested above)
      const failure = await writer.commit([streamState('users', 1)], 1).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(RejectedRecordLine);
      expect(failure).toMatchObject({
        failureType: 'system_error',
        stream: { name: 'users' },
        lineNumber: 8,
        line: bad,
      });
      expect((failure as ConveyorError).userMessage).toContain('stream "users" (input line 8)');
      await expect(writer.commit([], 2)).rejects.toThrow(/earlier operation of this writer failed/);
      await writer.close();
      expect(await query(path, 'SELECT count(*)::INT AS n FROM users')).toEqual([{ n: 0 }]);
    },
  );

  test('a line that is not JSON fails the load with a system error', async () => {
    const path = await tempDatabase();
    const writer = await destination.open({ path }, catalog, writeContext());
    const broken = Buffer.from('{"type":"RECORD","record":{');
    await writer.write({ format: 'jsonl', stream: 'users', lines: [broken] });
    const failure = await writer.commit([streamState('users', 1)], 1).catch((e: unknown) => e);
    await writer.close();
    expect(failure).toBeInstanceOf(RejectedRecordLine);
    expect(failure).toMatchObject({ failureType: 'system_error', line: broken, lineNumber: undefined });
    expect((failure as ConveyorError).userMessage).toContain('users');
  });

  test('a batch for a stream outside the catalog is refused', async () => {
    const path = await tempDatabase();
    const writer = await destination.open({ path }, catalog, writeContext());
    try {
      await expect(writer.write(lines('orders', [{ id: 1 }]))).rejects.toThrow(
        /"orders", which is not in the configured catalog/,
      );
    } finally {
      await writer.close();
    }
  });

  test.each([
    [{ name: 'users', mode: 'update' as const }, 'destination sync mode "update" is not supported'],
    [
      { name: 'users', mode: 'append_dedup' as const, properties: { id: { type: 'integer' } } },
      'needs a primary key',
    ],
    [
      {
        name: 'users',
        mode: 'append_dedup' as const,
        properties: { id: { type: 'integer' } },
        primaryKey: [['user', 'id']],
      },
      'nested field',
    ],
    [
      {
        name: 'users',
        mode: 'append_dedup' as const,
        properties: { id: { type: 'integer' } },
        primaryKey: [['uid']],
      },
      '"uid" is not a property',
    ],
  ])(
    'a catalog the destination cannot serve is a config error naming the stream (%#)',
    async (stream, message) => {
      const path = await tempDatabase();
      const failure = await destination
        .open({ path }, catalogOf(stream), writeContext())
        .catch((e: unknown) => e);
      expect(failure).toMatchObject({ failureType: 'config_error', stream: { name: 'users' } });
      expect((failure as ConveyorError).userMessage).toContain(message);
      expect((failure as ConveyorError).userMessage).toContain('"users"');
    },
  );

  test('a config without path is a config error', async () => {
    const failure = await destination.open({} as never, catalog, writeContext()).catch((e: unknown) => e);
    expect(failure).toMatchObject({ failureType: 'config_error' });
    expect((failure as ConveyorError).userMessage).toContain('config.path is required');
  });
});

/** A child process that opens the DuckDB file and keeps it open until killed. */
async function holdFile(path: string): Promise<ChildProcess> {
  const script = `
    const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(process.argv[1]).then(() => { console.log('holding'); setInterval(() => {}, 1000); },
      (error) => { console.log('failed ' + error.message); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', script, path], {
    cwd: import.meta.dirname,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString()));
  });
  if (!first.startsWith('holding')) throw new Error(`the child could not open ${path}: ${first}`);
  return child;
}
