import {
  type ConfiguredCatalog,
  type ConnectorSpecification,
  ConveyorError,
  type JsonObject,
  type StateMessage,
} from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import {
  CheckpointPolicy,
  IncrementalStream,
  type ReadContext,
  Source,
  type SourceOutput,
  Stream,
} from '../src/index.js';

/** A stream over a fixed list of items, so each test says exactly what the stream yields. */
class ListStream extends IncrementalStream<JsonObject, number> {
  readonly cursorField = ['meta', 'ts'];
  override readonly sortedByCursor: boolean;
  resumedWith: JsonObject | undefined;

  constructor(
    readonly name: string,
    private readonly items: (JsonObject | JsonObject[])[],
    options: { sorted?: boolean; beforeEach?: () => void } = {},
  ) {
    super();
    this.sortedByCursor = options.sorted ?? true;
    this.beforeEach = options.beforeEach;
  }

  private readonly beforeEach: (() => void) | undefined;

  jsonSchema(): JsonObject {
    return { type: 'object' };
  }

  async *read(_config: JsonObject, _ctx: unknown, state: JsonObject | undefined) {
    this.resumedWith = state;
    for (const item of this.items) {
      this.beforeEach?.();
      yield item;
    }
  }
}

class PlainStream extends Stream {
  readonly name = 'plain';
  jsonSchema(): JsonObject {
    return {};
  }
  async *read() {
    yield { a: 1 };
  }
}

class ListSource extends Source {
  constructor(
    private readonly list: Stream[],
    private readonly policy: () => CheckpointPolicy = () => new CheckpointPolicy(),
  ) {
    super();
  }
  spec(): ConnectorSpecification {
    return { connectionSpecification: { type: 'object' } };
  }
  streams() {
    return this.list;
  }
  protected override checkpointPolicy() {
    return this.policy();
  }
}

const rec = (ts: number): JsonObject => ({ id: ts, meta: { ts } });
const ctx = (signal = new AbortController().signal): ReadContext => ({
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  signal,
});

function catalogOf(name: string, mode: 'full_refresh' | 'incremental' = 'incremental'): ConfiguredCatalog {
  return {
    streams: [
      {
        stream: { name, json_schema: {}, supported_sync_modes: [mode] },
        sync_mode: mode,
        destination_sync_mode: 'append',
      },
    ],
  };
}

async function collect(
  source: Source,
  catalog: ConfiguredCatalog,
  states: StateMessage[] = [],
  readCtx = ctx(),
) {
  const outputs: SourceOutput[] = [];
  let error: unknown;
  try {
    for await (const output of source.read({}, catalog, states, readCtx)) outputs.push(output);
  } catch (thrown) {
    error = thrown;
  }
  return { outputs, error };
}

/** Outputs as short words: `3` for a batch of three records, `state:<ts>`, `STARTED`... */
function shape(outputs: SourceOutput[]): string[] {
  return outputs.map((o) => {
    if (o.kind === 'records') return String(o.batch.format === 'objects' ? o.batch.records.length : 0);
    const m = o.message;
    if (m.type === 'STATE') return `state:${JSON.stringify(m.state.stream?.stream_state)}`;
    if (m.type === 'TRACE') return m.trace.stream_status?.status ?? `error:${m.trace.error?.failure_type}`;
    return m.type;
  });
}

describe('Source.read', () => {
  it('gathers records yielded one at a time into batches of 1,000 and passes yielded arrays through', async () => {
    const singles = Array.from({ length: 2_500 }, (_, i) => rec(i));
    const page = [rec(3_000), rec(3_001)];
    const stream = new ListStream('s', [...singles, page, rec(4_000)]);
    const { outputs } = await collect(new ListSource([stream]), catalogOf('s', 'full_refresh'));
    expect(shape(outputs)).toEqual(['STARTED', 'RUNNING', '1000', '1000', '500', '2', '1', 'COMPLETE']);
    const passed = outputs[5];
    expect(passed?.kind === 'records' && passed.batch.format === 'objects' && passed.batch.records).toBe(
      page,
    );
  });

  it('checkpoints by time between items, after flushing the records read so far', async () => {
    let now = 0;
    const stream = new ListStream('s', [1, 2, 3, 4, 5, 6, 7].map(rec), { beforeEach: () => (now += 2_000) });
    const policy = () => new CheckpointPolicy({ everyRecords: 1_000, everySeconds: 5, now: () => now });
    const { outputs } = await collect(new ListSource([stream], policy), catalogOf('s'));
    expect(shape(outputs)).toEqual([
      'STARTED',
      'RUNNING',
      '3',
      'state:{"meta.ts":3}',
      '3',
      'state:{"meta.ts":6}',
      '1',
      'state:{"meta.ts":7}',
      'COMPLETE',
    ]);
  });

  it('never splits a yielded batch for a checkpoint', async () => {
    const pages = [0, 1, 2].map((p) => Array.from({ length: 25 }, (_, i) => rec(p * 25 + i + 1)));
    const stream = new ListStream('s', pages);
    const policy = () => new CheckpointPolicy({ everyRecords: 40, everySeconds: 60 });
    const { outputs } = await collect(new ListSource([stream], policy), catalogOf('s'));
    expect(shape(outputs)).toEqual([
      'STARTED',
      'RUNNING',
      '25',
      '25',
      'state:{"meta.ts":50}',
      '25',
      'state:{"meta.ts":75}',
      'COMPLETE',
    ]);
  });

  it('does not repeat a checkpoint that fell on the last item as the end state', async () => {
    const pages = [0, 1].map((p) => Array.from({ length: 25 }, (_, i) => rec(p * 25 + i + 1)));
    const policy = () => new CheckpointPolicy({ everyRecords: 50, everySeconds: 60 });
    const { outputs } = await collect(new ListSource([new ListStream('s', pages)], policy), catalogOf('s'));
    expect(shape(outputs)).toEqual(['STARTED', 'RUNNING', '25', '25', 'state:{"meta.ts":50}', 'COMPLETE']);
  });

  it('checkpoints an unsorted stream only at the end, with the largest cursor', async () => {
    const stream = new ListStream('s', [[rec(5), rec(1)], [rec(9), rec(2)], [rec(3)]], { sorted: false });
    const policy = () => new CheckpointPolicy({ everyRecords: 1, everySeconds: 60 });
    const { outputs } = await collect(new ListSource([stream], policy), catalogOf('s'));
    expect(shape(outputs)).toEqual(['STARTED', 'RUNNING', '2', '2', '1', 'state:{"meta.ts":9}', 'COMPLETE']);
  });

  it('never checkpoints a cursor below the one it resumed from, and re-emits it when nothing is new', async () => {
    const saved: StateMessage = {
      type: 'STREAM',
      stream: { stream_descriptor: { name: 's' }, stream_state: { 'meta.ts': 50 } },
    };
    const older = new ListStream('s', [[rec(10), rec(20)]]);
    const first = await collect(new ListSource([older]), catalogOf('s'), [saved]);
    expect(older.resumedWith).toEqual({ 'meta.ts': 50 });
    expect(shape(first.outputs)).toContain('state:{"meta.ts":50}');

    const empty = await collect(new ListSource([new ListStream('s', [])]), catalogOf('s'), [saved]);
    expect(shape(empty.outputs)).toEqual(['STARTED', 'state:{"meta.ts":50}', 'COMPLETE']);

    const firstSync = await collect(new ListSource([new ListStream('s', [])]), catalogOf('s'));
    expect(shape(firstSync.outputs)).toEqual(['STARTED', 'state:{}', 'COMPLETE']);
  });

  it('lets a stream choose its state shape', async () => {
    class Paged extends ListStream {
      override stateFor(last: JsonObject | undefined, max: number | undefined): JsonObject | undefined {
        return last ? { after_id: last.id, high_water: max } : undefined;
      }
    }
    const { outputs } = await collect(new ListSource([new Paged('s', [[rec(4), rec(2)]])]), catalogOf('s'));
    expect(shape(outputs)).toContain('state:{"after_id":2,"high_water":4}');
  });

  it('finds the stream state in GLOBAL and LEGACY states, the last one winning', async () => {
    const stream = new ListStream('s', []);
    await collect(new ListSource([stream]), catalogOf('s'), [
      { type: 'LEGACY', data: { s: { 'meta.ts': 1 } } },
      {
        type: 'GLOBAL',
        global: { stream_states: [{ stream_descriptor: { name: 's' }, stream_state: { 'meta.ts': 2 } }] },
      },
    ]);
    expect(stream.resumedWith).toEqual({ 'meta.ts': 2 });
  });

  it('a stream stopped by the signal ends INCOMPLETE with a transient error', async () => {
    const controller = new AbortController();
    const stream = new ListStream('s', [rec(1), rec(2)], { beforeEach: () => controller.abort() });
    const { outputs, error } = await collect(
      new ListSource([stream]),
      catalogOf('s'),
      [],
      ctx(controller.signal),
    );
    expect(shape(outputs)).toEqual(['STARTED', 'INCOMPLETE', 'error:transient_error']);
    expect(error).toBeInstanceOf(ConveyorError);
    expect((error as ConveyorError).failureType).toBe('transient_error');
    expect((error as ConveyorError).stream).toEqual({ name: 's' });
  });

  it('refuses an incremental sync of a full-refresh stream before reading anything', async () => {
    const { outputs, error } = await collect(
      new ListSource([new PlainStream()]),
      catalogOf('plain', 'incremental'),
    );
    expect(outputs).toEqual([]);
    expect((error as ConveyorError).failureType).toBe('config_error');
    expect((error as ConveyorError).userMessage).toContain('set its sync_mode to full_refresh');
  });
});
