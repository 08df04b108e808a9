import type {
  ConfiguredCatalog,
  ConnectionStatus,
  ConnectorSpecification,
  JsonObject,
  StateMessage,
} from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { Destination, type DestinationWriter, type RecordBatch } from '../src/index.js';
import { jsonFiles, ofType, runCli } from './fixtures/run.js';

/** A destination that keeps what it was asked to do, in order, in one shared event list. */
class RecordingDestination extends Destination {
  constructor(
    readonly events: string[],
    readonly batches: RecordBatch[] = [],
    private readonly failOnCommit?: number,
  ) {
    super();
  }

  spec(): ConnectorSpecification {
    return {
      connectionSpecification: {
        type: 'object',
        required: ['path'],
        properties: { path: { type: 'string' }, password: { type: 'string', airbyte_secret: true } },
      },
    };
  }

  async check(): Promise<ConnectionStatus> {
    return { status: 'SUCCEEDED' };
  }

  async open(config: JsonObject, catalog: ConfiguredCatalog): Promise<DestinationWriter> {
    const { events, batches, failOnCommit } = this;
    events.push(`open ${String(config.path)} ${catalog.streams.length}`);
    return {
      async write(batch) {
        batches.push(batch);
        events.push(
          `write ${batch.stream} ${batch.format === 'objects' ? batch.records.length : batch.lines.length}`,
        );
      },
      async commit(states: StateMessage[], seq: number) {
        // a slow commit: an echo written before it finished would show up before this event
        await new Promise((resolve) => setTimeout(resolve, 10));
        if (seq === failOnCommit) throw new Error(`disk full while committing ${seq}`);
        events.push(`commit ${seq} ${states.map((s) => JSON.stringify(s.stream?.stream_state)).join(',')}`);
      },
      async finish() {
        events.push('finish');
      },
      async close() {
        events.push('close');
      },
    };
  }
}

const catalog: ConfiguredCatalog = {
  streams: ['users', 'events'].map((name) => ({
    stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh'] },
    sync_mode: 'full_refresh',
    destination_sync_mode: 'append',
  })),
};

const record = (stream: string, id: number) =>
  JSON.stringify({ type: 'RECORD', record: { stream, data: { id }, emitted_at: 1700000000000 + id } });
const state = (n: number) =>
  JSON.stringify({
    type: 'STATE',
    state: { type: 'STREAM', stream: { stream_descriptor: { name: 'users' }, stream_state: { n } } },
  });

async function write(destination: RecordingDestination, stdin: string[]) {
  const files = jsonFiles({
    'config.json': { path: '/tmp/out', password: 'pw-s3cret-value' },
    'catalog.json': catalog,
  });
  return runCli(
    destination,
    ['write', '--config', files['config.json']!, '--catalog', files['catalog.json']!],
    {
      stdin,
      onStdout: (text) => {
        for (const line of text.split('\n'))
          if (line) destination.events.push(`stdout ${JSON.parse(line).type}`);
      },
    },
  );
}

describe('runConnector with a destination', () => {
  it('echoes each STATE only after the records before it are written and committed, in order', async () => {
    const events: string[] = [];
    const destination = new RecordingDestination(events);
    const input = [
      `${record('users', 1)}\n${record('events', 2)}\n${record('users', 3)}\n`,
      `${state(1)}\n${record('events', 4)}\n`,
      `${state(2)}\n${state(3)}\n${record('users', 5)}\n`,
    ];
    const { code, messages, stderr } = await write(destination, input);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(events).toEqual([
      'open /tmp/out 2',
      'write users 2',
      'write events 1',
      'commit 1 {"n":1}',
      'stdout STATE',
      'write events 1',
      'commit 2 {"n":2}',
      'stdout STATE',
      'commit 3 {"n":3}',
      'stdout STATE',
      'write users 1',
      'finish',
      'close',
    ]);
    const echoed = ofType(messages, 'STATE').map((m) => m.state);
    expect(echoed.map((s) => s.stream?.stream_state)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(echoed.map((s) => s.destinationStats?.recordCount)).toEqual([3, 1, 0]);
  });

  it('batches records per stream with the records in arrival order', async () => {
    const events: string[] = [];
    const destination = new RecordingDestination(events);
    const lines = [];
    for (let id = 1; id <= 25_000; id++) lines.push(record(id % 5 === 0 ? 'events' : 'users', id));
    await write(destination, [`${lines.join('\n')}\n`]);
    const sizes = destination.batches.map(
      (b) => `${b.stream}:${b.format === 'objects' ? b.records.length : 0}`,
    );
    expect(sizes).toEqual(['users:10000', 'users:10000', 'events:5000']);
    const users = destination.batches.filter((b) => b.stream === 'users');
    const ids = users.flatMap((b) => (b.format === 'objects' ? b.records.map((r) => r.id) : []));
    expect(ids.slice(0, 5)).toEqual([1, 2, 3, 4, 6]);
    expect(ids).toHaveLength(20_000);
    expect(destination.batches[0]).toMatchObject({ format: 'objects', emittedAt: 1700000000001 });
  });

  it('a bad line on stdin fails with its line number, commits nothing after it and closes the writer', async () => {
    const events: string[] = [];
    const destination = new RecordingDestination(events);
    const input = [
      `${record('users', 1)}\n${state(1)}\n\n{"type":"RECORD","record":{"stream":"users","data":{"id":2}\n${state(2)}\n`,
    ];
    const { code, messages, stderr } = await write(destination, input);
    expect(code).toBe(1);
    expect(events).toEqual([
      'open /tmp/out 2',
      'write users 1',
      'commit 1 {"n":1}',
      'stdout STATE',
      'close',
      'stdout TRACE',
    ]);
    const error = ofType(messages, 'TRACE')[0]!.trace.error!;
    expect(error.message).toContain('line 4');
    expect(error.message).toContain('not valid JSON');
    expect(stderr).toContain('line 4');
  });

  it('a record for a stream outside the catalog is refused', async () => {
    const destination = new RecordingDestination([]);
    const { code, messages } = await write(destination, [`${record('orders', 1)}\n`]);
    expect(code).toBe(1);
    expect(ofType(messages, 'TRACE')[0]!.trace.error!.message).toContain('not in the configured catalog');
  });

  it('a failed commit is reported, its state is not echoed and the writer is closed', async () => {
    const events: string[] = [];
    const destination = new RecordingDestination(events, [], 2);
    const { code, messages } = await write(destination, [
      `${record('users', 1)}\n${state(1)}\n${record('users', 2)}\n${state(2)}\n`,
    ]);
    expect(code).toBe(1);
    expect(ofType(messages, 'STATE').map((m) => m.state.stream?.stream_state)).toEqual([{ n: 1 }]);
    expect(events.slice(-2)).toEqual(['close', 'stdout TRACE']);
    expect(events).not.toContain('finish');
    expect(ofType(messages, 'TRACE')[0]!.trace.error!.message).toBe('disk full while committing 2');
  });

  it('write is not a source command and read is not a destination command', async () => {
    const { code, stderr } = await runCli(new RecordingDestination([]), [
      'read',
      '--config',
      'c',
      '--catalog',
      'k',
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('"read" is not a destination command');
    expect(stderr).toContain('write --config FILE --catalog FILE');
  });
});
