// One in-process read collected for a test: records grouped by stream across batches, STATE,
// CONTROL and TRACE messages apart, the source's log lines, and the error a failed read ended with;
// and the catalog a source test reads with.

import type { ReadContext, SourceConnector, SourceOutput } from '@conveyor/cdk';
import { type ConfiguredCatalog, configError, type JsonObject, type StateMessage } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { readAll, readContext, sourceCatalog } from '../src/index.js';

const CATALOG = sourceCatalog(['users', 'orders'], 'incremental');
const STATE: StateMessage = {
  type: 'STREAM',
  stream: { stream_descriptor: { name: 'users' }, stream_state: { at: 2 } },
};

/** A source that yields `outputs` (after logging what it was asked), then throws `failure` if given. */
function scriptedSource(
  outputs: SourceOutput[],
  failure?: Error,
): SourceConnector<JsonObject> & { seen: unknown[] } {
  const seen: unknown[] = [];
  return {
    seen,
    spec: () => ({ connectionSpecification: {} }),
    check: async () => ({ status: 'SUCCEEDED' }),
    discover: async () => ({ streams: [] }),
    async *read(config: JsonObject, catalog: ConfiguredCatalog, state: StateMessage[], ctx: ReadContext) {
      seen.push(config, catalog, state);
      ctx.logger.info(`reading ${catalog.streams.length} streams`);
      yield* outputs;
      ctx.logger.warn('done');
      if (failure) throw failure;
    },
  };
}

const objects = (stream: string, records: JsonObject[]): SourceOutput => ({
  kind: 'records',
  batch: { format: 'objects', stream, records, emittedAt: 0 },
});

describe('readAll', () => {
  it('collects records per stream across batches, and each kind of message apart', async () => {
    const control = {
      type: 'CONTROL' as const,
      control: {
        type: 'CONNECTOR_CONFIG' as const,
        emitted_at: 1,
        connectorConfig: { config: { token: 'new' } },
      },
    };
    const trace = {
      type: 'TRACE' as const,
      trace: { type: 'STREAM_STATUS' as const, emitted_at: 1 },
    };
    const source = scriptedSource([
      objects('users', [{ id: 1 }]),
      objects('orders', [{ id: 10 }]),
      objects('users', [{ id: 2 }, { id: 3 }]),
      { kind: 'message', message: { type: 'STATE', state: STATE } },
      { kind: 'message', message: control },
      { kind: 'message', message: trace },
      { kind: 'message', message: { type: 'LOG', log: { level: 'INFO', message: 'hi' } } },
    ]);

    const read = await readAll(source, { key: 'k' }, CATALOG, [STATE]);

    expect(source.seen).toEqual([{ key: 'k' }, CATALOG, [STATE]]);
    expect(read.records).toEqual({ users: [{ id: 1 }, { id: 2 }, { id: 3 }], orders: [{ id: 10 }] });
    expect(read.states).toEqual([STATE]);
    expect(read.controls).toEqual([control]);
    expect(read.traces).toEqual([trace]);
    expect(read.logs).toEqual(['info reading 2 streams', 'warn done']);
    expect(read.error).toBeUndefined();
  });

  it('keeps what was read before a failure, and the failure as a ConveyorError', async () => {
    const read = await readAll(
      scriptedSource([objects('users', [{ id: 1 }])], configError('The key was refused.')),
      {},
      CATALOG,
    );
    expect(read.records).toEqual({ users: [{ id: 1 }] });
    expect(read.error).toMatchObject({ failureType: 'config_error', message: 'The key was refused.' });

    const crashed = await readAll(scriptedSource([], new TypeError('x is undefined')), {}, CATALOG);
    expect(crashed.error).toMatchObject({ failureType: 'system_error', message: 'x is undefined' });
  });
});

describe('readContext', () => {
  it('adds each logged line with its level to the given list, and is not aborted', () => {
    const logs: string[] = [];
    const ctx = readContext(logs);
    ctx.logger.debug('a');
    ctx.logger.error('b');
    expect(logs).toEqual(['debug a', 'error b']);
    expect(ctx.signal.aborted).toBe(false);
  });
});

describe('sourceCatalog', () => {
  it('configures each named stream in the sync mode asked for, full refresh by default', () => {
    expect(CATALOG.streams.map((s) => [s.stream.name, s.sync_mode, s.destination_sync_mode])).toEqual([
      ['users', 'incremental', 'append'],
      ['orders', 'incremental', 'append'],
    ]);
    expect(sourceCatalog(['users']).streams.map((s) => s.sync_mode)).toEqual(['full_refresh']);
  });
});
