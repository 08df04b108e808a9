import { join } from 'node:path';
import type { SourceConnector } from '@conveyor/cdk';
import type { StateMessage } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import {
  configureCatalog,
  inProcessDestination,
  inProcessSource,
  runSync,
  StateStore,
} from '../src/index.js';
import {
  countingSource,
  itemsAndOther,
  memoryDestination,
  memoryStore,
  silent,
  streamState,
  tempDir,
} from './helpers.js';

async function setup(source: SourceConnector, dest = memoryStore(), destOpts = {}) {
  const store = new StateStore(join(tempDir(), 'state.db'));
  const src = inProcessSource('counting', source);
  const catalog = configureCatalog(
    await src.discover({}, { logger: silent, signal: new AbortController().signal }),
    undefined,
  );
  const run = (overrides: Partial<Parameters<typeof runSync>[0]> = {}) =>
    runSync({
      connectionId: 'c1',
      source: src,
      sourceConfig: { token: 'hunter2-secret' },
      destination: inProcessDestination('memory', memoryDestination(dest, destOpts)),
      destinationConfig: {},
      catalog,
      store,
      logger: silent,
      checkpoint: { records: 1, seconds: 0 },
      ...overrides,
    });
  return { store, dest, run, catalog };
}

describe('runSync', () => {
  it('moves every record once and commits the last state with them', async () => {
    const { store, dest, run } = await setup(countingSource({ count: 1000, every: 100 }));
    const result = await run();
    expect(result.status).toBe('succeeded');
    expect(result.records).toBe(1000);
    expect(dest.durable.map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(dest.finished).toBe(true);
    expect(store.getStates('c1')?.states).toEqual([streamState('items', 1000)]);
    expect(store.listRuns()[0]).toMatchObject({ status: 'succeeded', records: 1000 });
  });

  it('keeps what was committed when the source fails, and the next sync resumes exactly there', async () => {
    const dest = memoryStore();
    const failing = await setup(
      countingSource({ count: 1000, every: 100, failAt: 250, secret: 'hunter2-secret' }),
      dest,
    );
    const failed = await failing.run();
    expect(failed.status).toBe('failed');
    // records 201..249 were staged but no state covers them: they are not durable
    expect(dest.durable).toHaveLength(200);
    expect(failing.store.getStates('c1')?.states).toEqual([streamState('items', 200)]);
    const run = failing.store.listRuns()[0]!;
    expect(run.status).toBe('failed');
    expect(run.failureReason).toContain('source broke at 250');
    expect(run.failureReason).not.toContain('hunter2-secret');
    expect(failed.error?.userMessage).not.toContain('hunter2-secret');

    const healthy = await setup(countingSource({ count: 1000, every: 100 }), dest);
    // same destination, fresh engine store: the destination's committed state is the truth
    const resumed = await healthy.run();
    expect(resumed.status).toBe('succeeded');
    expect(resumed.records).toBe(800);
    expect(dest.durable.map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });

  it('does not advance the state when the destination fails to commit', async () => {
    const { store, dest, run } = await setup(countingSource({ count: 500, every: 100 }), memoryStore(), {
      failOnCommit: 3,
    });
    const result = await run();
    expect(result.status).toBe('failed');
    expect(result.error?.userMessage).toContain('disk full');
    expect(dest.durable).toHaveLength(200);
    expect(store.getStates('c1')?.states).toEqual([streamState('items', 200)]);
  });

  it('commits at most once per checkpoint interval, and always at the end', async () => {
    const { dest, run } = await setup(countingSource({ count: 1000, every: 10 }));
    await run({ checkpoint: { records: 300, seconds: 3600 } });
    // states arrive every 10 records; commits happen at 300, 600, 900 and at the end
    expect(dest.commits).toBe(4);
    expect(dest.durable).toHaveLength(1000);
  });

  it('stops a silent source after the heartbeat timeout with a clear error', async () => {
    const hanging: SourceConnector = {
      ...countingSource({ count: 1, every: 1 }),
      async *read(_c, _k, _s, ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        yield* [];
      },
    };
    const { run } = await setup(hanging);
    const result = await run({ heartbeatSeconds: 0.3 });
    expect(result.status).toBe('failed');
    expect(result.error?.failureType).toBe('transient_error');
    expect(result.error?.userMessage).toMatch(/sent nothing for .* heartbeat/);
  });

  it('rejects records for a stream that is not in the catalog', async () => {
    const stray: SourceConnector = {
      ...countingSource({ count: 1, every: 1 }),
      async *read() {
        yield {
          kind: 'records',
          batch: { format: 'objects', stream: 'ghost', records: [{ id: 1 }], emittedAt: 0 },
        };
      },
    };
    const { run } = await setup(stray);
    const result = await run();
    expect(result.status).toBe('failed');
    expect(result.error?.userMessage).toContain('"ghost", which is not in the configured catalog');
  });

  it('starts a new generation for every full refresh and keeps it for incremental append', async () => {
    const { dest, run, catalog } = await setup(countingSource({ count: 10, every: 10 }));
    const overwrite = {
      streams: catalog.streams.map((s) => ({
        ...s,
        sync_mode: 'full_refresh' as const,
        destination_sync_mode: 'overwrite' as const,
      })),
    };
    const fullRefreshAppend = {
      streams: overwrite.streams.map((s) => ({ ...s, destination_sync_mode: 'append' as const })),
    };
    expect(catalog.streams[0]!.sync_mode).toBe('incremental');
    await run({ catalog: overwrite });
    await run({ catalog: overwrite });
    await run();
    await run();
    await run({ catalog: fullRefreshAppend });
    await run({ catalog: fullRefreshAppend });
    const gens = dest.catalogs.map((c) => [c.streams[0]!.generation_id, c.streams[0]!.minimum_generation_id]);
    // a full-refresh append adds a new copy: a new generation that removes nothing older
    expect(gens).toEqual([
      [1, 1],
      [2, 2],
      [2, 0],
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
  });

  it('resumes an interrupted full refresh in its generation when the source put the generation in its state', async () => {
    // a full-refresh source that checkpoints its position with the generation it is writing
    const seen: { states: StateMessage[]; generation: number | undefined }[] = [];
    let failAt: number | undefined = 25;
    const resumable: SourceConnector = {
      ...countingSource({ count: 40, every: 10 }),
      async *read(_config, catalog, state) {
        const generation = catalog.streams[0]?.generation_id;
        seen.push({ states: state, generation });
        const saved = state[0]?.stream?.stream_state as
          | { after?: number; generation_id?: number }
          | undefined;
        const from = saved?.generation_id === generation ? (saved?.after ?? 0) : 0;
        for (let id = from + 1; id <= 40; id += 10) {
          if (failAt !== undefined && id + 9 >= failAt) throw new Error('connection lost');
          const records = Array.from({ length: 10 }, (_, i) => ({ id: id + i }));
          yield { kind: 'records', batch: { format: 'objects', stream: 'items', records, emittedAt: 0 } };
          const position = { generation_id: generation, after: id + 9 };
          yield {
            kind: 'message',
            message: {
              type: 'STATE',
              state: {
                type: 'STREAM',
                stream: { stream_descriptor: { name: 'items' }, stream_state: position },
              },
            },
          };
        }
        yield {
          kind: 'message',
          message: {
            type: 'STATE',
            state: {
              type: 'STREAM',
              stream: {
                stream_descriptor: { name: 'items' },
                stream_state: { generation_id: generation, complete: true },
              },
            },
          },
        };
      },
    };
    const { dest, run, catalog } = await setup(resumable);
    const overwrite = {
      streams: catalog.streams.map((s) => ({
        ...s,
        sync_mode: 'full_refresh' as const,
        destination_sync_mode: 'overwrite' as const,
      })),
    };
    expect((await run({ catalog: overwrite })).status).toBe('failed');
    expect(dest.durable.map((r) => r.id)).toHaveLength(20);
    failAt = undefined;
    expect((await run({ catalog: overwrite })).status).toBe('succeeded');
    // the retry kept generation 1 and continued after id 20: every id once
    expect(seen[1]).toMatchObject({ generation: 1 });
    expect(seen[1]?.states[0]?.stream?.stream_state).toEqual({ generation_id: 1, after: 20 });
    expect(dest.durable.map((r) => r.id)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // a completed full refresh is not resumed: the next sync is a new generation from the top
    await run({ catalog: overwrite });
    expect(seen[2]).toEqual({ states: [], generation: 2 });
  });

  it('never commits rows of a resumed full refresh that its state does not cover yet', async () => {
    let run = 0;
    const source: SourceConnector = {
      ...countingSource({ count: 40, every: 10 }),
      async *read(_config, catalog, state) {
        run += 1;
        const generation = catalog.streams[0]?.generation_id;
        const saved = state[0]?.stream?.stream_state as { after?: number } | undefined;
        const from = saved?.after ?? 0;
        const batch = (id: number) => ({
          kind: 'records' as const,
          batch: {
            format: 'objects' as const,
            stream: 'items',
            records: Array.from({ length: 10 }, (_, i) => ({ id: id + i })),
            emittedAt: 0,
          },
        });
        const position = (after: number) => ({
          kind: 'message' as const,
          message: {
            type: 'STATE' as const,
            state: {
              type: 'STREAM' as const,
              stream: {
                stream_descriptor: { name: 'items' },
                stream_state: { generation_id: generation, after },
              },
            },
          },
        });
        yield batch(from + 1);
        if (run === 1) {
          yield position(from + 10);
          throw new Error('first run breaks after one checkpoint');
        }
        if (run === 2) throw new Error('second run breaks before its first checkpoint');
        for (let id = from + 11; id <= 40; id += 10) yield batch(id);
        yield position(40);
      },
    };
    const { dest, run: sync, catalog } = await setup(source);
    const overwrite = {
      streams: catalog.streams.map((s) => ({
        ...s,
        sync_mode: 'full_refresh' as const,
        destination_sync_mode: 'overwrite' as const,
      })),
    };
    expect((await sync({ catalog: overwrite })).status).toBe('failed');
    expect((await sync({ catalog: overwrite })).status).toBe('failed');
    expect((await sync({ catalog: overwrite })).status).toBe('succeeded');
    expect(dest.durable.map((r) => r.id)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('starts an interrupted full refresh over, in a new generation, when its state does not name the generation', async () => {
    const { dest, run, catalog } = await setup(countingSource({ count: 30, every: 10, failAt: 25 }));
    const overwrite = {
      streams: catalog.streams.map((s) => ({
        ...s,
        sync_mode: 'full_refresh' as const,
        destination_sync_mode: 'overwrite' as const,
      })),
    };
    await run({ catalog: overwrite });
    await run({ catalog: overwrite });
    expect(dest.catalogs.map((c) => c.streams[0]?.generation_id)).toEqual([1, 2]);
  });

  it('reads every stream from the beginning when the connection moves its streams to another namespace', async () => {
    const { dest, run } = await setup(countingSource({ count: 10, every: 5 }));
    await run();
    const again = await run();
    expect(again.records).toBe(0); // incremental: nothing new
    const moved = await run({ namespace: { kind: 'custom', format: 'raw' } });
    // the new place holds none of the rows: the saved cursor must not skip them there
    expect(moved.records).toBe(10);
    expect(dest.catalogs.at(-1)?.streams[0]?.stream.namespace).toBe('raw');
    expect(dest.catalogs.at(-1)?.streams[0]).toMatchObject({ generation_id: 2, minimum_generation_id: 2 });
    // and only once: the place is remembered
    expect((await run({ namespace: { kind: 'custom', format: 'raw' } })).records).toBe(0);
  });

  it('refresh clears the state and starts a new generation that replaces the old rows', async () => {
    const { dest, run } = await setup(countingSource({ count: 10, every: 5 }));
    await run();
    const refreshed = await run({ refresh: true });
    expect(refreshed.records).toBe(10);
    expect(dest.catalogs[1]!.streams[0]).toMatchObject({ generation_id: 2, minimum_generation_id: 2 });
  });

  it('commits a long overwrite sync in steps without a state, but never an append stream without one', async () => {
    const stateless: SourceConnector = {
      ...countingSource({ count: 1000, every: 100 }),
      async *read() {
        for (let id = 1; id <= 1000; id += 100) {
          const records = Array.from({ length: 100 }, (_, i) => ({ id: id + i }));
          yield { kind: 'records', batch: { format: 'objects', stream: 'items', records, emittedAt: 0 } };
        }
      },
    };
    const overwrite = await setup(stateless);
    const asOverwrite = {
      streams: overwrite.catalog.streams.map((s) => ({
        ...s,
        sync_mode: 'full_refresh' as const,
        destination_sync_mode: 'overwrite' as const,
      })),
    };
    await overwrite.run({ catalog: asOverwrite, checkpoint: { records: 300, seconds: 3600 } });
    expect(overwrite.dest.commits).toBe(4); // at 300, 600, 900 records and at the end
    const append = await setup(stateless);
    const asAppend = {
      streams: append.catalog.streams.map((s) => ({
        ...s,
        sync_mode: 'full_refresh' as const,
        destination_sync_mode: 'append' as const,
      })),
    };
    await append.run({ catalog: asAppend, checkpoint: { records: 300, seconds: 3600 } });
    expect(append.dest.commits).toBe(1); // only at the end: earlier rows would be visible with no state

    // a writer that stages full-refresh appends out of sight until finish commits them in steps
    const staged = await setup(stateless, memoryStore(), { stagesFullRefreshAppends: true });
    await staged.run({ catalog: asAppend, checkpoint: { records: 300, seconds: 3600 } });
    expect(staged.dest.commits).toBe(4);
    expect(staged.dest.durable).toHaveLength(1000);
  });

  it("commits staged rows in whole steps of the writer's size, per stream", async () => {
    // two full-refresh streams read one after the other, in batches that do not divide the step
    const twoStreams = itemsAndOther(async function* () {
      for (const [stream, count] of [
        ['items', 350],
        ['other', 300],
      ] as const) {
        for (let id = 1; id <= count; id += 70) {
          const records = Array.from({ length: Math.min(70, count - id + 1) }, (_, i) => ({ id: id + i }));
          yield { kind: 'records', batch: { format: 'objects', stream, records, emittedAt: 0 } };
        }
      }
    });
    const { catalog, dest, run } = await setup(twoStreams, memoryStore(), { stagedCommitRows: 250 });
    const asOverwrite = {
      streams: catalog.streams.map((s) => ({
        ...s,
        sync_mode: 'full_refresh' as const,
        destination_sync_mode: 'overwrite' as const,
      })),
    };
    const result = await run({ catalog: asOverwrite, checkpoint: { records: 100, seconds: 3600 } });
    expect(result.status).toBe('succeeded');
    // each stream commits exactly 250 rows at a time; what is left of one joins the next commit
    expect(dest.committedRows).toEqual([{ items: 250 }, { items: 100, other: 250 }, { other: 50 }]);
    expect(dest.durable.map((r) => r.id)).toEqual([
      ...Array.from({ length: 350 }, (_, i) => i + 1),
      ...Array.from({ length: 300 }, (_, i) => i + 1),
    ]);

    // a step that is not a whole number of rows is rounded up
    const odd = await setup(twoStreams, memoryStore(), { stagedCommitRows: 249.5 });
    await odd.run({ catalog: asOverwrite, checkpoint: { records: 100, seconds: 3600 } });
    expect(odd.dest.committedRows).toEqual([{ items: 250 }, { items: 100, other: 250 }, { other: 50 }]);

    // rows a state covers still commit at the checkpoint interval, whatever the writer's step
    const covered = await setup(countingSource({ count: 1000, every: 100 }), memoryStore(), {
      stagedCommitRows: 250,
    });
    await covered.run({ checkpoint: { records: 300, seconds: 3600 } });
    expect(covered.dest.committedRows).toEqual([
      { items: 300 },
      { items: 300 },
      { items: 300 },
      { items: 100 },
    ]);
  });

  it("never commits a stream's rows on another stream's state", async () => {
    const twoStreams = itemsAndOther(async function* () {
      // items' rows are not covered by any state of items when other's state arrives
      yield {
        kind: 'records',
        batch: { format: 'objects', stream: 'items', records: [{ id: 1 }, { id: 2 }], emittedAt: 0 },
      };
      yield { kind: 'message', message: { type: 'STATE', state: streamState('other', 5) } };
      throw new Error('source broke');
    });
    const { dest, run } = await setup(twoStreams);
    const result = await run();
    expect(result.status).toBe('failed');
    expect(dest.commits).toBe(0);
    expect(dest.durable).toHaveLength(0);
  });
});
