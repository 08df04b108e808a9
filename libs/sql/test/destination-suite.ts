// The behaviour every SQL destination promises, written once and run against each database
// (destination-postgres.test.ts, destination-sqlite.test.ts): write modes, generations,
// exactly-once commits, schema evolution and hostile identifiers. A target says how to get a fresh
// destination and how its tables are named; everything else goes through the connector.

import { randomUUID } from 'node:crypto';
import type { DestinationConnector } from '@conveyor/cdk';
import type { JsonObject } from '@conveyor/protocol';
import { describe, expect, test } from 'vitest';
import {
  catalogOf,
  lines,
  objects,
  recordingLogger,
  runSync,
  type StreamOptions,
  streamState,
  writeContext,
} from './destination-fixtures.js';

export interface DestinationTarget {
  name: string;
  connector: DestinationConnector<JsonObject>;
  /** config of a fresh, empty destination for one test */
  fresh(): Promise<JsonObject>;
  /** false where DDL commits implicitly (MySQL): the writer then offers no `evolve` */
  midSyncEvolve?: boolean;
  /** the SQL name of the table a stream lands in */
  table(config: JsonObject, name: string, namespace?: string): string;
}

export function describeSqlDestination(target: DestinationTarget): void {
  const { connector } = target;

  /** Rows of a query as objects; values as the connector's query returns them. */
  async function rows(config: JsonObject, sql: string): Promise<Record<string, unknown>[]> {
    const result = await connector.query?.(config, sql);
    if (!result) throw new Error('the connector has no query');
    return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])));
  }

  /** `SELECT CAST(col AS TEXT) ...` for each column, ordered: comparable across databases. */
  async function texts(
    config: JsonObject,
    table: string,
    columns: string[],
    order: string,
  ): Promise<unknown[][]> {
    const list = columns.map((c) => `CAST(${c} AS TEXT)`).join(', ');
    const result = await connector.query?.(config, `SELECT ${list} FROM ${table} ORDER BY ${order}`);
    return result?.rows ?? [];
  }

  async function count(config: JsonObject, table: string): Promise<number> {
    const [row] = await rows(config, `SELECT COUNT(*) AS n FROM ${table}`);
    return Number(row?.n);
  }

  function metaOf(value: unknown): { changes: { field: string; change: string; reason: string }[] } | null {
    if (value === null || value === undefined) return null;
    return (typeof value === 'string' ? JSON.parse(value) : value) as {
      changes: { field: string; change: string; reason: string }[];
    };
  }

  const users = { id: { type: 'integer' }, name: { type: 'string' }, updated: { type: 'integer' } };

  describe(`${target.name}: append`, () => {
    test('each sync adds its rows, from objects and from RECORD lines', async () => {
      const config = await target.fresh();
      const catalog = catalogOf({ name: 'users', properties: users });
      await runSync(connector, config, catalog, [objects('users', [{ id: 1, name: 'ada' }])]);
      await runSync(connector, config, catalog, [
        lines('users', [{ id: 2, name: 'bob\ttab\nline \\ back' }]),
      ]);
      const t = target.table(config, 'users');
      expect(await texts(config, t, ['id', 'name'], 'id')).toEqual([
        ['1', 'ada'],
        ['2', 'bob\ttab\nline \\ back'],
      ]);
      const [meta] = await rows(
        config,
        `SELECT _conveyor_raw_id, _conveyor_extracted_at, _conveyor_meta FROM ${t}`,
      );
      expect(String(meta?._conveyor_raw_id)).toMatch(/^[0-9a-f-]{36}$/);
      expect(meta?._conveyor_meta).toBeNull();
    });

    test('text round-trips exactly, including what bulk formats treat specially', async () => {
      const config = await target.fresh();
      const texts_ = ['\\N', 'NULL', '', 'cr\rlf\r\n', 'tab\tend\\', '\\.', '"quoted", comma', 'ünï 🚀'];
      await runSync(
        connector,
        config,
        catalogOf({ name: 'texts', properties: { i: { type: 'integer' }, s: { type: 'string' } } }),
        [
          objects(
            'texts',
            texts_.map((s, i) => ({ i, s })),
          ),
        ],
      );
      const found = await texts(config, target.table(config, 'texts'), ['s'], 'i');
      expect(found.map((row) => row[0])).toEqual(texts_);
    });

    test('a truncate refresh (minimum_generation_id) removes older generations at finish, not before', async () => {
      const config = await target.fresh();
      const first: StreamOptions = { name: 'users', properties: users, generationId: 1 };
      await runSync(connector, config, catalogOf(first), [objects('users', [{ id: 1 }])]);
      const refresh = catalogOf({ ...first, generationId: 2, minimumGenerationId: 2 });
      const writer = await connector.open(config, refresh, writeContext());
      const t = target.table(config, 'users');
      try {
        await writer.write(objects('users', [{ id: 2 }]));
        await writer.commit([], 1);
        expect(await texts(config, t, ['id'], 'id')).toEqual([['1'], ['2']]);
        await writer.finish();
      } finally {
        await writer.close();
      }
      expect(await texts(config, t, ['id', '_conveyor_generation_id'], 'id')).toEqual([['2', '2']]);
    });

    test('a stream without declared properties keeps each record whole in _conveyor_data', async () => {
      const config = await target.fresh();
      await runSync(connector, config, catalogOf({ name: 'loose' }), [
        lines('loose', [{ any: { nested: [1, 2] } }]),
      ]);
      const [row] = await rows(config, `SELECT _conveyor_data FROM ${target.table(config, 'loose')}`);
      const data =
        typeof row?._conveyor_data === 'string' ? JSON.parse(row._conveyor_data) : row?._conveyor_data;
      expect(data).toEqual({ any: { nested: [1, 2] } });
    });
  });

  describe(`${target.name}: exactly-once commits`, () => {
    test('readers see batches only after commit, together with the states', async () => {
      const config = await target.fresh();
      const connection = `conn-${randomUUID()}`;
      const writer = await connector.open(
        config,
        catalogOf({ name: 'users', properties: users }),
        writeContext(connection),
      );
      const t = target.table(config, 'users');
      try {
        await writer.write(objects('users', [{ id: 1 }, { id: 2 }]));
        await writer.write(lines('users', [{ id: 3 }]));
        expect(await count(config, t)).toBe(0);
        expect(await connector.committedStates?.(config, connection)).toBeUndefined();
        await writer.commit([streamState('users', 3)], 7);
        expect(await count(config, t)).toBe(3);
        expect(await connector.committedStates?.(config, connection)).toEqual({
          seq: 7,
          states: [streamState('users', 3)],
        });
      } finally {
        await writer.close();
      }
    });

    test('a writer closed without commit leaves nothing, and the committed states stay', async () => {
      const config = await target.fresh();
      const connection = `conn-${randomUUID()}`;
      const catalog = catalogOf({ name: 'users', properties: users });
      await runSync(connector, config, catalog, [objects('users', [{ id: 1 }])], {
        connectionId: connection,
        seq: 1,
        states: [streamState('users', 1)],
      });
      const writer = await connector.open(config, catalog, writeContext(connection));
      await writer.write(objects('users', [{ id: 2 }]));
      await writer.close();
      expect(await texts(config, target.table(config, 'users'), ['id'], 'id')).toEqual([['1']]);
      expect(await connector.committedStates?.(config, connection)).toEqual({
        seq: 1,
        states: [streamState('users', 1)],
      });
    });

    test('states are kept per connection', async () => {
      const config = await target.fresh();
      const catalog = catalogOf({ name: 'users', properties: users });
      await runSync(connector, config, catalog, [], {
        connectionId: 'a',
        seq: 3,
        states: [streamState('users', 1)],
      });
      await runSync(connector, config, catalog, [], {
        connectionId: 'b',
        seq: 5,
        states: [streamState('users', 2)],
      });
      expect((await connector.committedStates?.(config, 'a'))?.seq).toBe(3);
      expect((await connector.committedStates?.(config, 'b'))?.states).toEqual([streamState('users', 2)]);
      expect(await connector.committedStates?.(config, 'c')).toBeUndefined();
    });
  });

  describe(`${target.name}: overwrite`, () => {
    const stream = (generationId: number): StreamOptions => ({
      name: 'users',
      mode: 'overwrite',
      properties: users,
      generationId,
    });

    test('old rows stay readable until finish, then the new rows replace them', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'users');
      await runSync(connector, config, catalogOf(stream(1)), [objects('users', [{ id: 1 }, { id: 2 }])]);
      const writer = await connector.open(config, catalogOf(stream(2)), writeContext());
      try {
        await writer.write(objects('users', [{ id: 3 }]));
        await writer.commit([], 1);
        expect(await texts(config, t, ['id'], 'id')).toEqual([['1'], ['2']]);
        await writer.finish();
      } finally {
        await writer.close();
      }
      expect(await texts(config, t, ['id', '_conveyor_generation_id'], 'id')).toEqual([['3', '2']]);
    });

    test('an interrupted overwrite resumes when the generation matches', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'users');
      await runSync(connector, config, catalogOf(stream(1)), [objects('users', [{ id: 1 }])]);
      const interrupted = await connector.open(config, catalogOf(stream(2)), writeContext());
      await interrupted.write(objects('users', [{ id: 2 }]));
      await interrupted.commit([], 1);
      await interrupted.close(); // killed before finish
      expect(await texts(config, t, ['id'], 'id')).toEqual([['1']]);

      const logger = recordingLogger();
      await runSync(connector, config, catalogOf(stream(2)), [objects('users', [{ id: 3 }])], { logger });
      expect(await texts(config, t, ['id'], 'id')).toEqual([['2'], ['3']]);
      expect(logger.lines.join('\n')).toMatch(/Resuming the overwrite/);
    });

    test('an interrupted overwrite of another generation is discarded', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'users');
      const interrupted = await connector.open(config, catalogOf(stream(2)), writeContext());
      await interrupted.write(objects('users', [{ id: 2 }]));
      await interrupted.commit([], 1);
      await interrupted.close();
      await runSync(connector, config, catalogOf(stream(3)), [objects('users', [{ id: 3 }])]);
      expect(await texts(config, t, ['id'], 'id')).toEqual([['3']]);
    });
  });

  describe(`${target.name}: append_dedup`, () => {
    const dedup = (cursor?: string): StreamOptions => ({
      name: 'users',
      mode: 'append_dedup',
      properties: users,
      primaryKey: [['id']],
      ...(cursor ? { cursor: [cursor] } : {}),
    });

    test('keeps the row with the greatest cursor per key; ties go to the later record; NULL cursors lose', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'users');
      await runSync(connector, config, catalogOf(dedup('updated')), [
        objects('users', [
          { id: 1, name: 'old', updated: 1 },
          { id: 1, name: 'new', updated: 2 },
          { id: 1, name: 'stale', updated: 0 },
          { id: 2, name: 'first tie', updated: 5 },
          { id: 2, name: 'second tie', updated: 5 },
          { id: 3, name: 'dated', updated: 1 },
          { id: 3, name: 'undated', updated: null },
        ]),
      ]);
      expect(await texts(config, t, ['id', 'name'], 'id')).toEqual([
        ['1', 'new'],
        ['2', 'second tie'],
        ['3', 'dated'],
      ]);
      // Against stored rows: a greater cursor wins, an equal cursor goes to the newer record, a
      // smaller or NULL cursor loses.
      await runSync(connector, config, catalogOf(dedup('updated')), [
        lines('users', [
          { id: 1, name: 'older', updated: 1 },
          { id: 2, name: 'tie again', updated: 5 },
          { id: 3, name: 'no cursor', updated: null },
          { id: 4, name: 'fresh', updated: 1 },
        ]),
      ]);
      expect(await texts(config, t, ['id', 'name'], 'id')).toEqual([
        ['1', 'new'],
        ['2', 'tie again'],
        ['3', 'dated'],
        ['4', 'fresh'],
      ]);
    });

    test('merges at every commit of a sync, and across several commits', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'users');
      const writer = await connector.open(config, catalogOf(dedup('updated')), writeContext());
      try {
        await writer.write(objects('users', [{ id: 1, name: 'a', updated: 1 }]));
        await writer.commit([], 1);
        expect(await texts(config, t, ['id', 'name'], 'id')).toEqual([['1', 'a']]);
        await writer.write(
          objects('users', [
            { id: 1, name: 'b', updated: 2 },
            { id: 2, name: 'c', updated: 1 },
          ]),
        );
        await writer.commit([], 2);
        await writer.write(objects('users', [{ id: 2, name: 'd', updated: 1 }]));
        await writer.commit([], 3);
        await writer.finish();
      } finally {
        await writer.close();
      }
      expect(await texts(config, t, ['id', 'name'], 'id')).toEqual([
        ['1', 'b'],
        ['2', 'd'],
      ]);
    });

    test('without a cursor the latest record wins; NULL keys are one key', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'users');
      const catalog = catalogOf(dedup());
      await runSync(connector, config, catalog, [
        objects('users', [{ id: 1, name: 'a' }, { id: 1, name: 'b' }, { name: 'nokey 1' }]),
      ]);
      await runSync(connector, config, catalog, [
        objects('users', [{ name: 'nokey 2' }, { id: 1, name: 'c' }]),
      ]);
      expect(await texts(config, t, ['id', 'name'], 'name')).toEqual([
        ['1', 'c'],
        [null, 'nokey 2'],
      ]);
    });

    test('a composite key deduplicates on all of its fields', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'users');
      const catalog = catalogOf({ ...dedup('updated'), primaryKey: [['id'], ['name']] });
      await runSync(connector, config, catalog, [
        objects('users', [
          { id: 1, name: 'x', updated: 1 },
          { id: 1, name: 'y', updated: 1 },
          { id: 1, name: 'x', updated: 2 },
        ]),
      ]);
      expect(await texts(config, t, ['id', 'name', 'updated'], 'name')).toEqual([
        ['1', 'x', '2'],
        ['1', 'y', '1'],
      ]);
    });
  });

  describe(`${target.name}: schema evolution`, () => {
    test('a new property adds a column; older rows have NULL in it', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'users');
      await runSync(
        connector,
        config,
        catalogOf({ name: 'users', properties: { id: { type: 'integer' } } }),
        [objects('users', [{ id: 1 }])],
      );
      const logger = recordingLogger();
      await runSync(
        connector,
        config,
        catalogOf({ name: 'users', properties: users }),
        [objects('users', [{ id: 2, name: 'bob' }])],
        { logger },
      );
      expect(await texts(config, t, ['id', 'name'], 'id')).toEqual([
        ['1', null],
        ['2', 'bob'],
      ]);
      expect(logger.lines.join('\n')).toMatch(/Added column name/);
    });

    test('an integer column widens to hold numbers', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'm');
      await runSync(connector, config, catalogOf({ name: 'm', properties: { v: { type: 'integer' } } }), [
        objects('m', [{ v: 1 }]),
      ]);
      await runSync(connector, config, catalogOf({ name: 'm', properties: { v: { type: 'number' } } }), [
        objects('m', [{ v: 2.5 }]),
      ]);
      const values = (await rows(config, `SELECT v FROM ${t} ORDER BY v`)).map((r) => Number(r.v));
      expect(values).toEqual([1, 2.5]);
      expect(
        (await rows(config, `SELECT _conveyor_meta FROM ${t}`)).every((r) => r._conveyor_meta === null),
      ).toBe(true);
    });

    test('an integer column widened to text keeps text exactly (leading zeros, decimals, exponents)', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'z');
      const schema = (type: string) =>
        catalogOf({ name: 'z', properties: { id: { type: 'integer' }, v: { type } } });
      await runSync(connector, config, schema('integer'), [objects('z', [{ id: 1, v: 5 }])]);
      await runSync(connector, config, schema('string'), [
        objects('z', [
          { id: 2, v: '007' },
          { id: 3, v: '1.50' },
          { id: 4, v: '1e3' },
          { id: 5, v: 'abc' },
        ]),
      ]);
      expect(await texts(config, t, ['id', 'v'], 'id')).toEqual([
        ['1', '5'],
        ['2', '007'],
        ['3', '1.50'],
        ['4', '1e3'],
        ['5', 'abc'],
      ]);
    });

    test('a decimal with more digits than the column keeps is stored rounded, with a note', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'money');
      const properties = { id: { type: 'integer' }, amount: { type: 'number' } };
      await runSync(connector, config, catalogOf({ name: 'money', properties }), [
        objects('money', [
          { id: 1, amount: '12345678901234567890.0123456789' },
          { id: 2, amount: '12.5' },
        ]),
      ]);
      const found = await rows(config, `SELECT id, amount, _conveyor_meta FROM ${t} ORDER BY id`);
      expect(Number(found[0]?.amount)).toBe(Number('12345678901234567890.0123456789'));
      expect(metaOf(found[0]?._conveyor_meta)?.changes).toEqual([
        { field: 'amount', change: 'TRUNCATED', reason: 'DESTINATION_FIELD_SIZE_LIMITATION' },
      ]);
      expect(Number(found[1]?.amount)).toBe(12.5);
      expect(metaOf(found[1]?._conveyor_meta)).toBeNull();
    });

    test('a value that does not fit its column becomes NULL with a note naming the field', async () => {
      const config = await target.fresh();
      const t = target.table(config, 'm');
      const properties = {
        n: { type: 'integer' },
        b: { type: 'boolean' },
        at: { type: 'string', format: 'date-time' },
        d: { type: 'string', format: 'date' },
      };
      await runSync(connector, config, catalogOf({ name: 'm', properties }), [
        objects('m', [
          { n: 'forty-two', b: 'maybe', at: 'yesterday', d: '2024-02-30' },
          { n: '42', b: true, at: '2024-01-02T03:04:05+02:00', d: '2024-02-29' },
        ]),
        lines('m', [{ n: 4.5 }], undefined, {
          changes: [{ field: 'secret', change: 'NULLED', reason: 'SOURCE_FIELD_SIZE_LIMITATION' }],
        }),
      ]);
      const found = await rows(config, `SELECT CAST(n AS TEXT) AS n, _conveyor_meta FROM ${t} ORDER BY n`);
      const byN = new Map(found.map((r) => [r.n, metaOf(r._conveyor_meta)]));
      expect(byN.get('42')).toBeNull();
      const nulled = found
        .filter((r) => r.n === null)
        .map((r) => metaOf(r._conveyor_meta)?.changes.map((c) => c.field));
      expect(nulled).toContainEqual(['n', 'b', 'at', 'd']);
      expect(nulled).toContainEqual(['secret', 'n']);
      const note = found.map((r) => metaOf(r._conveyor_meta)).find((m) => m?.changes.length === 4);
      expect(note?.changes[0]).toEqual({
        field: 'n',
        change: 'NULLED',
        reason: 'DESTINATION_TYPECAST_ERROR',
      });
      expect(await texts(config, t, ['d'], 'n')).toContainEqual(['2024-02-29']);
    });

    test.skipIf(target.midSyncEvolve === false)(
      'new properties announced mid-sync get columns in the same transaction',
      async () => {
        const config = await target.fresh();
        const t = target.table(config, 'users');
        const writer = await connector.open(
          config,
          catalogOf({ name: 'users', properties: { id: { type: 'integer' } } }),
          writeContext(),
        );
        try {
          await writer.write(objects('users', [{ id: 1 }]));
          const evolved = catalogOf({ name: 'users', properties: users }).streams[0];
          if (!writer.evolve || !evolved) throw new Error('expected evolve');
          await writer.evolve(evolved);
          await writer.write(objects('users', [{ id: 2, name: 'bob' }]));
          await writer.commit([], 1);
          await writer.finish();
        } finally {
          await writer.close();
        }
        expect(await texts(config, t, ['id', 'name'], 'id')).toEqual([
          ['1', null],
          ['2', 'bob'],
        ]);
      },
    );
  });

  describe(`${target.name}: identifiers`, () => {
    const hostile = [
      'with "quotes"',
      "it's",
      'with space',
      'dotted.name',
      'ünïcødé 名前 🚀',
      'select',
      'order',
      'Case',
      'case',
      'a\\b',
    ];

    test('any property name becomes a distinct column that round-trips its value', async () => {
      const config = await target.fresh();
      const properties = Object.fromEntries(hostile.map((name) => [name, { type: 'string' }]));
      const record = Object.fromEntries(hostile.map((name, i) => [name, `value ${i}`]));
      const stream = { name: 'select', properties };
      await runSync(connector, config, catalogOf(stream), [objects('select', [record])]);
      await runSync(connector, config, catalogOf(stream), [lines('select', [record])]);
      const result = await connector.query?.(config, `SELECT * FROM ${target.table(config, 'select')}`);
      expect(result?.rows).toHaveLength(2);
      const values = new Set(
        result?.rows.flatMap((row) => row.filter((v) => typeof v === 'string' && v.startsWith('value '))),
      );
      expect(values.size).toBe(hostile.length);
    });

    test('two 70-byte names sharing a long prefix stay distinct, as columns and as tables', async () => {
      const config = await target.fresh();
      const prefix = 'x'.repeat(66);
      const [a, b] = [`${prefix}_one`, `${prefix}_two`];
      const properties = { [a]: { type: 'integer' }, [b]: { type: 'integer' } };
      await runSync(connector, config, catalogOf({ name: a, properties }, { name: b, properties }), [
        objects(a, [{ [a]: 1, [b]: 2 }]),
        objects(b, [{ [a]: 3, [b]: 4 }]),
      ]);
      // A second sync finds the same columns and tables again.
      await runSync(connector, config, catalogOf({ name: a, properties }, { name: b, properties }), [
        objects(a, [{ [a]: 5, [b]: 6 }]),
      ]);
      const first = await connector.query?.(config, `SELECT * FROM ${target.table(config, a)}`);
      const second = await connector.query?.(config, `SELECT * FROM ${target.table(config, b)}`);
      const userColumns = (columns: string[] = []) => columns.filter((c) => !c.startsWith('_conveyor'));
      expect(userColumns(first?.columns)).toHaveLength(2);
      expect(new Set(userColumns(first?.columns)).size).toBe(2);
      expect(first?.rows).toHaveLength(2);
      expect(second?.rows).toHaveLength(1);
      const sum = (result: typeof first) =>
        result?.rows
          .flat()
          .filter((v) => typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)))
          .map(Number)
          .reduce((x, y) => x + y, 0);
      expect(sum(first)).toBe(1 + 2 + 5 + 6);
      expect(sum(second)).toBe(3 + 4);
    });

    test('two streams that would land on one table are refused before anything is written', async () => {
      const config = await target.fresh();
      await expect(
        connector.open(
          config,
          catalogOf({ name: 'users' }, { name: 'other', destinationObjectName: 'users' }),
          writeContext(),
        ),
      ).rejects.toThrow(/both be written to the table/);
    });
  });

  describe(`${target.name}: check and query`, () => {
    test('check succeeds where a table can be created', async () => {
      const config = await target.fresh();
      expect(
        await connector.check(config, { logger: recordingLogger(), signal: new AbortController().signal }),
      ).toEqual({
        status: 'SUCCEEDED',
      });
    });

    test('query reports column names even without rows', async () => {
      const config = await target.fresh();
      await runSync(connector, config, catalogOf({ name: 'users', properties: users }), []);
      const result = await connector.query?.(config, `SELECT id, name FROM ${target.table(config, 'users')}`);
      expect(result).toEqual({ columns: ['id', 'name'], rows: [] });
    });
  });
}
