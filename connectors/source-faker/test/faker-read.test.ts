import type { JsonObject } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { source } from '../src/index.js';
import { catalogOf, readAll, silentLogger } from './helpers.js';

const ALL = ['users', 'products', 'purchases'];

describe('deterministic data', () => {
  it('produces identical records for the same seed', async () => {
    const a = await readAll({ count: 300, seed: 7 }, catalogOf(ALL));
    const b = await readAll({ count: 300, seed: 7 }, catalogOf(ALL));
    for (const name of ALL) expect(b.records.get(name)).toEqual(a.records.get(name));
  });

  it('produces different records for a different seed, with the same ids and cursors', async () => {
    const a = await readAll({ count: 200, seed: 1 }, catalogOf(['users', 'purchases']));
    const b = await readAll({ count: 200, seed: 2 }, catalogOf(['users', 'purchases']));
    for (const name of ['users', 'purchases']) {
      const left = a.records.get(name)!;
      const right = b.records.get(name)!;
      expect(right.map((r) => r.id)).toEqual(left.map((r) => r.id));
      expect(right.map((r) => r.updated_at)).toEqual(left.map((r) => r.updated_at));
      const differing = left.filter((r, i) => JSON.stringify(r) !== JSON.stringify(right[i]));
      expect(differing.length).toBeGreaterThan(190);
    }
  });

  it('does not depend on the batch size', async () => {
    const small = await readAll({ count: 1000, records_per_batch: 7 }, catalogOf(ALL));
    const large = await readAll({ count: 1000, records_per_batch: 5000 }, catalogOf(ALL));
    for (const name of ALL) expect(small.records.get(name)).toEqual(large.records.get(name));
  });
});

describe('stream sizes', () => {
  it.each([0, 1, 4999, 5000, 12_345])(
    'users has exactly count=%i records with ids 1..count',
    async (count) => {
      const { records } = await readAll({ count }, catalogOf(['users', 'purchases']));
      const users = records.get('users') ?? [];
      expect(users).toHaveLength(count);
      expect(users.map((u) => u.id)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      expect(records.get('purchases') ?? []).toHaveLength(count);
    },
  );

  it('products is a fixed catalog of 100 rows with unique names', async () => {
    const { records } = await readAll({ count: 5 }, catalogOf(['products']));
    const products = records.get('products')!;
    expect(products).toHaveLength(100);
    expect(new Set(products.map((p) => p.name)).size).toBe(100);
  });

  it('uses the default count of 1000 when none is configured', async () => {
    const { records } = await readAll({}, catalogOf(['users']));
    expect(records.get('users')).toHaveLength(1000);
  });

  it('keeps every record the same when count grows', async () => {
    const small = await readAll({ count: 300 }, catalogOf(ALL));
    const large = await readAll({ count: 900 }, catalogOf(ALL));
    for (const name of ALL)
      expect(large.records.get(name)!.slice(0, small.records.get(name)!.length)).toEqual(
        small.records.get(name),
      );
  });

  it('purchases reference existing users and products', async () => {
    const { records } = await readAll({ count: 500 }, catalogOf(['purchases']));
    for (const p of records.get('purchases')!) {
      expect(p.user_id).toBeGreaterThanOrEqual(1);
      expect(p.user_id).toBeLessThanOrEqual(500);
      expect(p.product_id).toBeGreaterThanOrEqual(1);
      expect(p.product_id).toBeLessThanOrEqual(100);
    }
  });

  it('updated_at strictly increases with id, so it is a unique cursor', async () => {
    const { records } = await readAll({ count: 3000 }, catalogOf(ALL));
    for (const name of ALL) {
      const cursors = records.get(name)!.map((r) => Date.parse(r.updated_at as string));
      for (let i = 1; i < cursors.length; i++) expect(cursors[i]!).toBeGreaterThan(cursors[i - 1]!);
    }
  });
});

function cursorOfState(state: { stream?: { stream_state?: JsonObject } }): unknown {
  return state.stream?.stream_state?.updated_at;
}

describe('incremental reads', () => {
  it('emits a STATE after every batch, carrying the last record cursor and the batch size', async () => {
    const { outputs, records } = await readAll(
      { count: 1050, records_per_batch: 300 },
      catalogOf(['users'], 'incremental'),
    );
    const kinds = outputs.map((o) => (o.kind === 'records' ? 'R' : o.message.type === 'STATE' ? 'S' : 'T'));
    expect(kinds.join('')).toBe('TTRSRSRSRST');
    const users = records.get('users')!;
    const states = outputs.flatMap((o) =>
      o.kind === 'message' && o.message.type === 'STATE' ? [o.message.state] : [],
    );
    expect(states.map(cursorOfState)).toEqual([299, 599, 899, 1049].map((i) => users[i]!.updated_at));
    expect(states.map((s) => s.sourceStats?.recordCount)).toEqual([300, 300, 300, 150]);
    expect(states.every((s) => s.type === 'STREAM' && s.stream?.stream_descriptor.name === 'users')).toBe(
      true,
    );
  });

  it('emits no STATE in full refresh', async () => {
    const { states } = await readAll({ count: 1050, records_per_batch: 300 }, catalogOf(ALL));
    expect(states).toEqual([]);
  });

  it('resumes from the STATE after any batch without losing or repeating a record', async () => {
    const config = { count: 2000, records_per_batch: 250 };
    const full = await readAll(config, catalogOf(['users', 'purchases'], 'incremental'));
    for (const name of ['users', 'purchases']) {
      const catalog = catalogOf([name], 'incremental');
      const first = await readAll(config, catalog);
      // A sync killed after the 3rd checkpoint has committed exactly the records before it.
      let seenStates = 0;
      const committed: JsonObject[] = [];
      for (const output of first.outputs) {
        if (output.kind === 'records' && output.batch.format === 'objects')
          committed.push(...output.batch.records);
        if (output.kind === 'message' && output.message.type === 'STATE' && ++seenStates === 3) break;
      }
      const resumed = await readAll(config, catalog, [first.states[2]!]);
      const union = [...committed, ...(resumed.records.get(name) ?? [])];
      expect(union).toEqual(full.records.get(name));
      expect(new Set(union.map((r) => r.id)).size).toBe(config.count);
    }
  });

  it('reads only records added since the last sync when count grows', async () => {
    const first = await readAll({ count: 100 }, catalogOf(['users'], 'incremental'));
    const second = await readAll({ count: 150 }, catalogOf(['users'], 'incremental'), first.states.slice(-1));
    expect(second.records.get('users')!.map((u) => u.id)).toEqual(
      Array.from({ length: 50 }, (_, i) => 101 + i),
    );
    const grown = await readAll({ count: 150 }, catalogOf(['users']));
    expect(second.records.get('users')).toEqual(grown.records.get('users')!.slice(100));
  });

  it('with nothing new, emits no records and repeats the saved cursor', async () => {
    const first = await readAll({ count: 100 }, catalogOf(['users'], 'incremental'));
    const again = await readAll({ count: 100 }, catalogOf(['users'], 'incremental'), first.states.slice(-1));
    expect(again.records.get('users')).toBeUndefined();
    expect(again.states).toEqual([{ ...first.states.at(-1)!, sourceStats: { recordCount: 0 } }]);
  });

  it('accepts a cursor between two records', async () => {
    const state = {
      type: 'STREAM' as const,
      stream: {
        stream_descriptor: { name: 'users' },
        stream_state: { updated_at: '2024-01-01T00:00:09.500Z' },
      },
    };
    const { records } = await readAll({ count: 20 }, catalogOf(['users'], 'incremental'), [state]);
    expect(records.get('users')![0]!.id).toBe(11);
  });

  it('rejects a saved cursor that is not a date-time, naming the stream', async () => {
    const state = {
      type: 'STREAM' as const,
      stream: { stream_descriptor: { name: 'users' }, stream_state: { updated_at: 'yesterday' } },
    };
    await expect(readAll({ count: 20 }, catalogOf(['users'], 'incremental'), [state])).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringContaining('"users"'),
    });
  });
});

describe('trace messages', () => {
  it('reports STARTED, an estimate and COMPLETE for each stream, in catalog order', async () => {
    const { messages } = await readAll({ count: 10 }, catalogOf(ALL));
    const traces = messages.flatMap((m) => (m.type === 'TRACE' ? [m.trace] : []));
    expect(
      traces.map((t) =>
        t.type === 'STREAM_STATUS'
          ? `${t.stream_status?.stream_descriptor.name}:${t.stream_status?.status}`
          : `${t.estimate?.name}:${t.estimate?.row_estimate}`,
      ),
    ).toEqual([
      'users:STARTED',
      'users:10',
      'users:COMPLETE',
      'products:STARTED',
      'products:100',
      'products:COMPLETE',
      'purchases:STARTED',
      'purchases:10',
      'purchases:COMPLETE',
    ]);
  });

  it('fails on a stream the faker does not have before emitting anything', async () => {
    const emitted: unknown[] = [];
    const read = async () => {
      const ctx = { signal: new AbortController().signal, logger: silentLogger };
      for await (const output of source.read({ count: 10 }, catalogOf(['users', 'orders']), [], ctx))
        emitted.push(output);
    };
    await expect(read()).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringContaining('"orders"'),
    });
    expect(emitted).toEqual([]);
  });

  it('stops with a transient error naming the stream when the engine aborts the read', async () => {
    const controller = new AbortController();
    const reason = new Error('engine stopped');
    const emitted: unknown[] = [];
    const read = async () => {
      const ctx = { signal: controller.signal, logger: silentLogger };
      for await (const output of source.read(
        { count: 10_000, records_per_batch: 100 },
        catalogOf(['users']),
        [],
        ctx,
      )) {
        emitted.push(output);
        if (emitted.length === 4) controller.abort(reason);
      }
    };
    await expect(read()).rejects.toMatchObject({
      failureType: 'transient_error',
      stream: { name: 'users' },
      cause: reason,
    });
    expect(emitted.length).toBeLessThan(10);
  });
});
