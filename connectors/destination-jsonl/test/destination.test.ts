import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConveyorError } from '@conveyor/protocol';
import { describe, expect, test } from 'vitest';
import { fileSafeName } from '../src/file-names.js';
import { destination } from '../src/index.js';
import {
  catalogOf,
  lines,
  listFiles,
  objects,
  readRecords,
  recordLine,
  runSync,
  streamState,
  tempDirectory,
  writeContext,
} from './helpers.js';

const readContext = () => ({ logger: writeContext().logger, signal: new AbortController().signal });

describe('append', () => {
  test('each line is exactly the record data, and each sync appends to the file', async () => {
    const path = await tempDirectory();
    const catalog = catalogOf({ name: 'users' });
    await runSync(path, catalog, [objects('users', [{ id: 1, tags: ['a'], address: { city: 'Oslo' } }])]);
    await runSync(path, catalog, [lines('users', [{ id: 2, note: 'ünïcode "quoted"\nnewline' }])]);
    expect(await readRecords(join(path, 'users.jsonl'))).toEqual([
      { id: 1, tags: ['a'], address: { city: 'Oslo' } },
      { id: 2, note: 'ünïcode "quoted"\nnewline' },
    ]);
  });

  test('streams with a namespace are written to a subdirectory of that name', async () => {
    const path = await tempDirectory();
    await runSync(path, catalogOf({ name: 'users', namespace: 'crm' }, { name: 'users' }), [
      objects('users', [{ id: 1 }], 'crm'),
      lines('users', [{ id: 2 }]),
    ]);
    expect(await readRecords(join(path, 'crm', 'users.jsonl'))).toEqual([{ id: 1 }]);
    expect(await readRecords(join(path, 'users.jsonl'))).toEqual([{ id: 2 }]);
  });

  test('a failed sync leaves the file as it was at its last commit', async () => {
    const path = await tempDirectory();
    const catalog = catalogOf({ name: 'users' });
    await runSync(path, catalog, [objects('users', [{ id: 1 }])]);
    const writer = await destination.open({ path }, catalog, writeContext());
    await writer.write(objects('users', [{ id: 2 }]));
    await writer.commit([], 2);
    await writer.write(lines('users', [{ id: 3 }]));
    await writer.close();
    expect(await readRecords(join(path, 'users.jsonl'))).toEqual([{ id: 1 }, { id: 2 }]);
  });
});

describe('overwrite', () => {
  const catalog = catalogOf({ name: 'users', mode: 'overwrite' });
  const file = (path: string) => join(path, 'users.jsonl');

  test('the old file stays whole until finish, which replaces it in one rename', async () => {
    const path = await tempDirectory();
    await runSync(path, catalog, [objects('users', [{ id: 1 }, { id: 2 }])]);
    const writer = await destination.open({ path }, catalog, writeContext('c', 7));
    await writer.write(lines('users', [{ id: 3 }]));
    await writer.commit([], 1);
    expect(await readRecords(file(path))).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await listFiles(path)).toContain('users.jsonl.tmp-7');
    await writer.finish();
    await writer.close();
    expect(await readRecords(file(path))).toEqual([{ id: 3 }]);
    expect((await listFiles(path)).filter((name) => name.includes('tmp'))).toEqual([]);
  });

  test('an overwrite of no records leaves an empty file', async () => {
    const path = await tempDirectory();
    await runSync(path, catalog, [objects('users', [{ id: 1 }])]);
    await runSync(path, catalog, []);
    expect(await readFile(file(path), 'utf8')).toBe('');
  });

  test('an interrupted overwrite leaves the old file, and the next sync removes its temporary file', async () => {
    const path = await tempDirectory();
    await runSync(path, catalog, [objects('users', [{ id: 1 }])]);
    await runSync(path, catalog, [objects('users', [{ id: 2 }])], { finish: false, syncId: 2 });
    expect(await readRecords(file(path))).toEqual([{ id: 1 }]);
    expect(await listFiles(path)).toContain('users.jsonl.tmp-2');

    const context = writeContext('connection-1', 3);
    const writer = await destination.open({ path }, catalog, context);
    expect(await listFiles(path)).not.toContain('users.jsonl.tmp-2');
    await writer.write(objects('users', [{ id: 3 }]));
    await writer.finish();
    await writer.close();
    expect(await readRecords(file(path))).toEqual([{ id: 3 }]);
    expect(context.logger.lines.some((line) => line.startsWith('warn Removing'))).toBe(true);
  });

  test('a retry of the same generation resumes exactly the records its interrupted attempt committed', async () => {
    const path = await tempDirectory();
    const generation5 = catalogOf({ name: 'users', mode: 'overwrite', generationId: 5 });
    await runSync(path, generation5, [objects('users', [{ id: 1 }])]);

    const first = await destination.open({ path }, generation5, writeContext('c', 2));
    await first.write(objects('users', [{ id: 2 }]));
    await first.commit([streamState('users', 2)], 1);
    await first.write(objects('users', [{ id: 'not committed' }]));
    await first.close();

    await runSync(path, generation5, [objects('users', [{ id: 3 }])], {
      connectionId: 'c',
      syncId: 3,
      seq: 2,
    });
    expect(await readRecords(file(path))).toEqual([{ id: 2 }, { id: 3 }]);
  });

  test('a writer whose sync failed before any commit removes its temporary file', async () => {
    const path = await tempDirectory();
    const writer = await destination.open({ path }, catalog, writeContext('c', 4));
    await writer.write(objects('users', [{ id: 1 }]));
    await writer.close();
    expect(await listFiles(path)).toEqual([]);
  });
});

describe('file names', () => {
  test.each([
    ['users', 'users'],
    ['a/b', 'a%2Fb'],
    ['../escape', '%2E.%2Fescape'],
    ['.hidden', '%2Ehidden'],
    ['100%', '100%25'],
    ['nul\u0000byte', 'nul%00byte'],
    ['back\\slash', 'back%5Cslash'],
    ['spaces and ünïcödé ✓', 'spaces and ünïcödé ✓'],
  ])('%j is written to a file named %j', (name, expected) => {
    expect(fileSafeName(name)).toBe(expected);
  });

  test('nasty stream names each get their own file inside the directory', async () => {
    const path = await tempDirectory();
    const names = ['a/b', '../escape', '.hidden', '100%', 'nul\u0000byte', 'spaces and ünïcödé ✓', 'select'];
    await runSync(
      path,
      catalogOf(...names.map((name) => ({ name }))),
      names.map((name, i) => (i % 2 ? objects(name, [{ name }]) : lines(name, [{ name }]))),
    );
    expect(await listFiles(path)).toEqual(
      [
        '%2E.%2Fescape.jsonl',
        '%2Ehidden.jsonl',
        '.conveyor-state',
        '.conveyor-state/connection-1.json',
        '100%25.jsonl',
      ]
        .concat(['a%2Fb.jsonl', 'nul%00byte.jsonl', 'select.jsonl', 'spaces and ünïcödé ✓.jsonl'])
        .sort(),
    );
    for (const name of names)
      expect(await readRecords(join(path, `${fileSafeName(name)}.jsonl`))).toEqual([{ name }]);
  });

  test('streams whose files would differ only in case are refused with a config error', async () => {
    const path = await tempDirectory();
    const failure = await destination
      .open({ path }, catalogOf({ name: 'Users' }, { name: 'users' }), writeContext())
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ failureType: 'config_error' });
    expect((failure as ConveyorError).userMessage).toContain('"Users" and "users"');
  });
});

describe('states', () => {
  test('commit writes the states atomically to the state file, which committedStates reads back', async () => {
    const path = await tempDirectory();
    const catalog = catalogOf({ name: 'users' });
    expect(await destination.committedStates?.({ path }, 'conn')).toBeUndefined();
    const writer = await destination.open({ path }, catalog, writeContext('conn'));
    await writer.write(objects('users', [{ id: 1 }]));
    await writer.commit([streamState('users', 1)], 3);
    expect(await destination.committedStates?.({ path }, 'conn')).toEqual({
      seq: 3,
      states: [streamState('users', 1)],
    });
    await writer.commit([streamState('users', 2)], 4);
    await writer.finish();
    await writer.close();

    expect(await destination.committedStates?.({ path }, 'conn')).toEqual({
      seq: 4,
      states: [streamState('users', 2)],
    });
    expect(await destination.committedStates?.({ path }, 'other')).toBeUndefined();
    expect(await listFiles(join(path, '.conveyor-state'))).toEqual(['conn.json']);
  });

  test('a connection id is a safe file name too', async () => {
    const path = await tempDirectory();
    await runSync(path, catalogOf({ name: 'users' }), [], { connectionId: '../../etc/x', seq: 1 });
    expect(await listFiles(join(path, '.conveyor-state'))).toEqual(['%2E.%2F..%2Fetc%2Fx.json']);
    expect(await destination.committedStates?.({ path }, '../../etc/x')).toEqual({ seq: 1, states: [] });
  });

  test('a damaged state file is reported, naming the file', async () => {
    const path = await tempDirectory();
    await runSync(path, catalogOf({ name: 'users' }), [], { connectionId: 'conn' });
    await writeFile(join(path, '.conveyor-state', 'conn.json'), '{"seq":');
    await expect(destination.committedStates?.({ path }, 'conn')).rejects.toThrow(
      /conn\.json is not a valid/,
    );
  });
});

describe('bad input', () => {
  const catalog = catalogOf({ name: 'users' });

  test.each(['"text"', '[1]', 'null'])(
    'a jsonl record whose data is %s fails the batch and writes nothing',
    async (data) => {
      const path = await tempDirectory();
      const writer = await destination.open({ path }, catalog, writeContext());
      const bad = Buffer.from(`{"type":"RECORD","record":{"stream":"users","data":${data},"emitted_at":1}}`);
      const failure = await writer
        .write({ format: 'jsonl', stream: 'users', lines: [recordLine('users', { id: 1 }), bad] })
        .catch((e: unknown) => e);
      await writer.close();
      expect(failure).toBeInstanceOf(ConveyorError);
      expect(failure).toMatchObject({ failureType: 'system_error', stream: { name: 'users' } });
      expect((failure as ConveyorError).userMessage).toContain('Record 2 of a batch of stream "users"');
      expect(await readRecords(join(path, 'users.jsonl'))).toEqual([]);
    },
  );

  test('a line that is not JSON fails the batch', async () => {
    const path = await tempDirectory();
    const writer = await destination.open({ path }, catalog, writeContext());
    const failure = await writer
      .write({ format: 'jsonl', stream: 'users', lines: [Buffer.from('{"type":')] })
      .catch((e: unknown) => e);
    await writer.close();
    expect(failure).toMatchObject({ failureType: 'system_error' });
    expect((failure as ConveyorError).userMessage).toContain(
      'Line 1 of a batch of stream "users" is not valid JSON',
    );
  });

  test('append_dedup is refused with a config error naming the stream', async () => {
    const path = await tempDirectory();
    const failure = await destination
      .open({ path }, catalogOf({ name: 'orders', mode: 'append_dedup' }), writeContext())
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ failureType: 'config_error', stream: { name: 'orders' } });
    expect((failure as ConveyorError).userMessage).toContain(
      'Stream "orders": destination sync mode "append_dedup"',
    );
  });
});

describe('spec and check', () => {
  test('the spec offers append and overwrite', () => {
    expect(destination.spec().supported_destination_sync_modes).toEqual(['append', 'overwrite']);
  });

  test('check succeeds on a new directory, creating it and leaving nothing behind', async () => {
    const path = join(await tempDirectory(), 'new', 'dir');
    expect(await destination.check({ path }, readContext())).toEqual({ status: 'SUCCEEDED' });
    expect(existsSync(path)).toBe(true);
    expect(await listFiles(path)).toEqual([]);
  });

  test('check fails with a clear message when the directory cannot be created', async () => {
    const file = join(await tempDirectory(), 'a-file');
    await writeFile(file, '');
    const status = await destination.check({ path: join(file, 'out') }, readContext());
    expect(status.status).toBe('FAILED');
    expect(status.message).toContain('not a directory');
  });

  test('a config without path is a config error', async () => {
    const status = await destination.check({} as never, readContext());
    expect(status).toMatchObject({ status: 'FAILED' });
    expect(status.message).toContain('config.path is required');
  });
});
