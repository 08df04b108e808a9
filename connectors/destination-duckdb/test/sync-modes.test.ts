import { describe, expect, test } from 'vitest';
import { destination } from '../src/index.js';
import {
  catalogOf,
  lines,
  objects,
  openReader,
  query,
  type Reader,
  runSync,
  type StreamOptions,
  streamState,
  tempDatabase,
  writeContext,
} from './helpers.js';

/** The hidden `<table>__conveyor_next` tables an overwrite or a full-refresh append fills. */
function nextTables(reader: Reader): Promise<Record<string, unknown>[]> {
  return reader.rows(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%conveyor_next'`);
}

const usersSchema = { id: { type: 'integer' }, name: { type: 'string' }, updated: { type: 'integer' } };

describe('append', () => {
  test('each sync adds its rows to the table', async () => {
    const path = await tempDatabase();
    const catalog = catalogOf({ name: 'users', properties: usersSchema });
    await runSync(path, catalog, [objects('users', [{ id: 1, name: 'ada' }])]);
    await runSync(path, catalog, [lines('users', [{ id: 2, name: 'bob' }])]);

    expect(await query(path, 'SELECT id, name FROM users ORDER BY id')).toEqual([
      { id: '1', name: 'ada' },
      { id: '2', name: 'bob' },
    ]);
  });

  test('a truncate refresh (minimum_generation_id) removes older generations when it finishes', async () => {
    const path = await tempDatabase();
    // an incremental stream refreshed: a full-refresh append would stage its rows until finish
    const first: StreamOptions = {
      name: 'users',
      syncMode: 'incremental',
      properties: usersSchema,
      generationId: 1,
    };
    await runSync(path, catalogOf(first), [objects('users', [{ id: 1 }])]);

    const refresh = catalogOf({ ...first, generationId: 2, minimumGenerationId: 2 });
    const writer = await destination.open({ path }, refresh, writeContext());
    await writer.write(objects('users', [{ id: 2 }]));
    // a new state: the commit is done when it returns (one repeating the states held runs in the background)
    await writer.commit([streamState('users', 2)], 2);
    expect(await query(path, 'SELECT id FROM users ORDER BY id')).toEqual([{ id: '1' }, { id: '2' }]);
    await writer.finish();
    await writer.close();

    expect(await query(path, 'SELECT id, _conveyor_generation_id AS generation FROM users')).toEqual([
      { id: '2', generation: '2' },
    ]);
  });
});

describe('commit', () => {
  test('readers see written batches only after commit, together with the states', async () => {
    const path = await tempDatabase();
    const catalog = catalogOf({ name: 'users', syncMode: 'incremental', properties: usersSchema });
    const writer = await destination.open({ path }, catalog, writeContext('conn'));
    const reader = await openReader(path);
    try {
      await writer.write(objects('users', [{ id: 1 }, { id: 2 }]));
      await writer.write(lines('users', [{ id: 3 }]));
      expect(await reader.rows('SELECT count(*)::INT AS n FROM users')).toEqual([{ n: 0 }]);
      expect(await destination.committedStates?.({ path }, 'conn')).toBeUndefined();

      await writer.commit([streamState('users', 3)], 7);
      expect(await reader.rows('SELECT count(*)::INT AS n FROM users')).toEqual([{ n: 3 }]);
      expect(await destination.committedStates?.({ path }, 'conn')).toEqual({
        seq: 7,
        states: [streamState('users', 3)],
      });
    } finally {
      reader.close();
      await writer.close();
    }
  });

  test('batches written after the last commit are discarded by close, and the committed states stay', async () => {
    const path = await tempDatabase();
    const catalog = catalogOf({ name: 'users', syncMode: 'incremental', properties: usersSchema });
    await runSync(path, catalog, [objects('users', [{ id: 1 }])], {
      connectionId: 'conn',
      seq: 1,
      states: [streamState('users', 1)],
    });

    const writer = await destination.open({ path }, catalog, writeContext('conn'));
    await writer.write(objects('users', [{ id: 2 }]));
    await writer.commit([streamState('users', 2)], 2);
    await writer.write(lines('users', [{ id: 3 }]));
    await writer.close();

    expect(await query(path, 'SELECT id FROM users ORDER BY id')).toEqual([{ id: '1' }, { id: '2' }]);
    expect(await destination.committedStates?.({ path }, 'conn')).toEqual({
      seq: 2,
      states: [streamState('users', 2)],
    });
  });

  test('finish makes rows written after the last state durable', async () => {
    const path = await tempDatabase();
    const catalog = catalogOf({ name: 'users', properties: usersSchema });
    const writer = await destination.open({ path }, catalog, writeContext());
    await writer.write(objects('users', [{ id: 1 }]));
    await writer.finish();
    await writer.close();
    expect(await query(path, 'SELECT id FROM users')).toEqual([{ id: '1' }]);
  });

  test('states are kept per connection', async () => {
    const path = await tempDatabase();
    const catalog = catalogOf({ name: 'users', properties: usersSchema });
    await runSync(path, catalog, [], { connectionId: 'a', seq: 4, states: [streamState('users', 'a')] });
    await runSync(path, catalog, [], { connectionId: 'b', seq: 9, states: [streamState('users', 'b')] });
    expect(await destination.committedStates?.({ path }, 'a')).toEqual({
      seq: 4,
      states: [streamState('users', 'a')],
    });
    expect(await destination.committedStates?.({ path }, 'b')).toEqual({
      seq: 9,
      states: [streamState('users', 'b')],
    });
    expect(await destination.committedStates?.({ path }, 'c')).toBeUndefined();
  });
});

describe('overwrite', () => {
  const stream: StreamOptions = { name: 'users', mode: 'overwrite', properties: usersSchema };

  test('the old table stays readable until finish, which replaces it in one step', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf(stream), [objects('users', [{ id: 1 }, { id: 2 }])]);
    expect(await query(path, 'SELECT id FROM users ORDER BY id')).toEqual([{ id: '1' }, { id: '2' }]);

    const writer = await destination.open({ path }, catalogOf(stream), writeContext());
    const reader = await openReader(path);
    try {
      await writer.write(lines('users', [{ id: 3 }]));
      await writer.commit([], 1);
      expect(await reader.rows('SELECT id FROM users ORDER BY id')).toEqual([{ id: '1' }, { id: '2' }]);
      await writer.finish();
      expect(await reader.rows('SELECT id FROM users ORDER BY id')).toEqual([{ id: '3' }]);
      expect(await nextTables(reader)).toEqual([]);
    } finally {
      reader.close();
      await writer.close();
    }
  });

  test('an overwrite of no records leaves an empty table', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf(stream), [objects('users', [{ id: 1 }])]);
    await runSync(path, catalogOf(stream), []);
    expect(await query(path, 'SELECT count(*)::INT AS n FROM users')).toEqual([{ n: 0 }]);
  });

  test('an interrupted overwrite leaves the old table intact, and the next sync discards its rows', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf(stream), [objects('users', [{ id: 1 }])]);
    await runSync(path, catalogOf(stream), [objects('users', [{ id: 2 }])], { finish: false });
    expect(await query(path, 'SELECT id FROM users')).toEqual([{ id: '1' }]);
    expect(await query(path, 'SELECT id FROM users__conveyor_next')).toEqual([{ id: '2' }]);

    const context = writeContext();
    const writer = await destination.open({ path }, catalogOf(stream), context);
    await writer.write(objects('users', [{ id: 3 }]));
    await writer.finish();
    await writer.close();

    expect(await query(path, 'SELECT id FROM users')).toEqual([{ id: '3' }]);
    expect(context.logger.lines.some((line) => line.startsWith('warn Discarding'))).toBe(true);
  });

  test('a retry of the same generation resumes the rows its interrupted attempt committed', async () => {
    const path = await tempDatabase();
    const generation5 = { ...stream, generationId: 5, minimumGenerationId: 5 };
    await runSync(path, catalogOf({ ...stream, generationId: 4 }), [objects('users', [{ id: 1 }])]);
    await runSync(path, catalogOf(generation5), [objects('users', [{ id: 2 }])], { finish: false });
    await runSync(path, catalogOf(generation5), [objects('users', [{ id: 3 }])]);
    expect(await query(path, 'SELECT id, _conveyor_generation_id AS g FROM users ORDER BY id')).toEqual([
      { id: '2', g: '5' },
      { id: '3', g: '5' },
    ]);
  });
});

describe('full-refresh append', () => {
  const stream = (generationId: number): StreamOptions => ({
    name: 'users',
    mode: 'append',
    syncMode: 'full_refresh',
    properties: usersSchema,
    generationId,
  });

  test('the copy is staged out of sight through every commit and joins the table at finish', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf(stream(1)), [objects('users', [{ id: 1 }, { id: 2 }])]);
    expect(await query(path, 'SELECT id FROM users ORDER BY id')).toEqual([{ id: '1' }, { id: '2' }]);

    const writer = await destination.open({ path }, catalogOf(stream(2)), writeContext());
    const reader = await openReader(path);
    try {
      expect(writer.stagedUntilFinish).toEqual(new Set(['users']));
      await writer.write(objects('users', [{ id: 1 }]));
      await writer.commit([], 1);
      await writer.write(lines('users', [{ id: 2, name: 'bob' }]));
      await writer.commit([], 2);
      expect(await reader.rows('SELECT id FROM users ORDER BY id')).toEqual([{ id: '1' }, { id: '2' }]);
      await writer.finish();
      expect(
        await reader.rows('SELECT id, name, _conveyor_generation_id AS g FROM users ORDER BY g, id'),
      ).toEqual([
        { id: '1', name: null, g: '1' },
        { id: '2', name: null, g: '1' },
        { id: '1', name: null, g: '2' },
        { id: '2', name: 'bob', g: '2' },
      ]);
      expect(await nextTables(reader)).toEqual([]);
    } finally {
      reader.close();
      await writer.close();
    }
  });

  test('an interrupted copy adds nothing, and the next sync (a new generation) discards it', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf(stream(1)), [objects('users', [{ id: 1 }])]);
    await runSync(path, catalogOf(stream(2)), [objects('users', [{ id: 2 }])], { finish: false });
    expect(await query(path, 'SELECT id FROM users')).toEqual([{ id: '1' }]);

    const context = writeContext();
    const writer = await destination.open({ path }, catalogOf(stream(3)), context);
    await writer.write(objects('users', [{ id: 3 }]));
    await writer.finish();
    await writer.close();

    expect(await query(path, 'SELECT id, _conveyor_generation_id AS g FROM users ORDER BY id')).toEqual([
      { id: '1', g: '1' },
      { id: '3', g: '3' },
    ]);
    expect(context.logger.lines.some((line) => line.startsWith('warn Discarding'))).toBe(true);
  });

  test('a retry of the same generation keeps what its interrupted attempt committed', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf(stream(4)), [objects('users', [{ id: 1 }])], { finish: false });
    await runSync(path, catalogOf(stream(4)), [objects('users', [{ id: 2 }])]);
    expect(await query(path, 'SELECT id FROM users ORDER BY id')).toEqual([{ id: '1' }, { id: '2' }]);
  });

  test('new properties announced mid-sync reach the table the copy joins', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf(stream(1)), [objects('users', [{ id: 1 }])]);
    const writer = await destination.open({ path }, catalogOf(stream(2)), writeContext());
    try {
      await writer.write(objects('users', [{ id: 2 }]));
      const wider = catalogOf({ ...stream(2), properties: { ...usersSchema, email: { type: 'string' } } });
      const configured = wider.streams[0];
      if (!configured || !writer.evolve) throw new Error('the DuckDB writer evolves tables');
      await writer.evolve(configured);
      await writer.write(objects('users', [{ id: 3, email: 'c@example.com' }]));
      await writer.finish();
    } finally {
      await writer.close();
    }
    expect(await query(path, 'SELECT id, email FROM users ORDER BY id')).toEqual([
      { id: '1', email: null },
      { id: '2', email: null },
      { id: '3', email: 'c@example.com' },
    ]);
  });
});

describe('append_dedup', () => {
  const stream: StreamOptions = {
    name: 'users',
    mode: 'append_dedup',
    properties: usersSchema,
    primaryKey: [['id']],
    cursor: ['updated'],
  };

  test('keeps the record with the greatest cursor per primary key, across syncs', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf(stream), [
      objects('users', [
        { id: 1, name: 'ada', updated: 1 },
        { id: 2, name: 'bob', updated: 5 },
      ]),
    ]);
    await runSync(path, catalogOf(stream), [
      lines('users', [
        { id: 1, name: 'ada lovelace', updated: 2 },
        { id: 2, name: 'stale bob', updated: 4 },
        { id: 3, name: 'cy', updated: 1 },
      ]),
    ]);
    expect(await query(path, 'SELECT id, name, updated FROM users ORDER BY id')).toEqual([
      { id: '1', name: 'ada lovelace', updated: '2' },
      { id: '2', name: 'bob', updated: '5' },
      { id: '3', name: 'cy', updated: '1' },
    ]);
  });

  test('on equal cursors the record extracted later wins, within a batch, across batches and across commits', async () => {
    const path = await tempDatabase();
    const writer = await destination.open({ path }, catalogOf(stream), writeContext());
    await writer.write(
      objects('users', [
        { id: 1, name: 'first', updated: 1 },
        { id: 1, name: 'second', updated: 1 },
      ]),
    );
    await writer.write(lines('users', [{ id: 2, name: 'first', updated: 1 }]));
    await writer.write(objects('users', [{ id: 2, name: 'second', updated: 1 }]));
    await writer.commit([streamState('users', 1)], 1);
    expect(await query(path, 'SELECT id, name FROM users ORDER BY id')).toEqual([
      { id: '1', name: 'second' },
      { id: '2', name: 'second' },
    ]);
    await writer.write(lines('users', [{ id: 1, name: 'third', updated: 1 }]));
    await writer.finish();
    await writer.close();
    expect(await query(path, 'SELECT id, name FROM users ORDER BY id')).toEqual([
      { id: '1', name: 'third' },
      { id: '2', name: 'second' },
    ]);
  });

  test('a record without a cursor value loses to one with a value', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf(stream), [objects('users', [{ id: 1, name: 'dated', updated: 3 }])]);
    await runSync(path, catalogOf(stream), [objects('users', [{ id: 1, name: 'undated' }])]);
    expect(await query(path, 'SELECT name FROM users')).toEqual([{ name: 'dated' }]);
  });

  test('without a cursor the latest record wins', async () => {
    const path = await tempDatabase();
    const noCursor = catalogOf({ ...stream, cursor: undefined });
    await runSync(path, noCursor, [objects('users', [{ id: 1, name: 'old', updated: 9 }])]);
    await runSync(path, noCursor, [objects('users', [{ id: 1, name: 'new', updated: 1 }])]);
    expect(await query(path, 'SELECT name FROM users')).toEqual([{ name: 'new' }]);
  });

  test('a composite primary key deduplicates on all its fields', async () => {
    const path = await tempDatabase();
    const composite = catalogOf({
      ...stream,
      properties: { ...usersSchema, region: { type: 'string' } },
      primaryKey: [['id'], ['region']],
    });
    await runSync(path, composite, [
      objects('users', [
        { id: 1, region: 'eu', name: 'a', updated: 1 },
        { id: 1, region: 'us', name: 'b', updated: 1 },
        { id: 1, region: 'eu', name: 'c', updated: 2 },
      ]),
    ]);
    expect(await query(path, 'SELECT region, name FROM users ORDER BY region')).toEqual([
      { region: 'eu', name: 'c' },
      { region: 'us', name: 'b' },
    ]);
  });
});
