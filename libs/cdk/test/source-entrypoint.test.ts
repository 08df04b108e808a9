import type { ConfiguredCatalog } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { CheckpointPolicy } from '../src/index.js';
import { jsonFiles, ofType, runCli } from './fixtures/run.js';
import { TestSource } from './fixtures/test-source.js';

const config = { api_key: 'key-abc-123', start: 1000 };

function catalogOf(...streams: [name: string, mode: 'full_refresh' | 'incremental'][]): ConfiguredCatalog {
  return {
    streams: streams.map(([name, mode]) => ({
      stream: { name, json_schema: {}, supported_sync_modes: [mode] },
      sync_mode: mode,
      destination_sync_mode: 'append',
    })),
  };
}

const statuses = (messages: ReturnType<typeof ofType<'TRACE'>>) =>
  messages
    .filter((m) => m.trace.type === 'STREAM_STATUS')
    .map((m) => `${m.trace.stream_status?.stream_descriptor.name}:${m.trace.stream_status?.status}`);

describe('runConnector with a source', () => {
  it('spec prints the SPEC message', async () => {
    const { code, messages } = await runCli(new TestSource(), ['spec']);
    expect(code).toBe(0);
    expect(messages).toEqual([{ type: 'SPEC', spec: new TestSource().spec() }]);
  });

  it('check succeeds with a valid config', async () => {
    const files = jsonFiles({ 'config.json': config });
    const { code, messages } = await runCli(new TestSource(), ['check', '--config', files['config.json']!]);
    expect(code).toBe(0);
    expect(messages).toEqual([{ type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } }]);
  });

  it('check with a config missing a required field fails naming the field', async () => {
    const files = jsonFiles({ 'config.json': { start: 5 } });
    const { code, messages, stderr } = await runCli(new TestSource(), [
      'check',
      '--config',
      files['config.json']!,
    ]);
    expect(code).toBe(1);
    expect(messages).toHaveLength(1);
    const status = ofType(messages, 'CONNECTION_STATUS')[0]!.connectionStatus;
    expect(status.status).toBe('FAILED');
    expect(status.message).toContain('config.api_key is required');
    expect(stderr).toContain('config.api_key is required');
  });

  it('discover describes every stream with its sync modes, cursor and primary key', async () => {
    const files = jsonFiles({ 'config.json': config });
    const { code, messages } = await runCli(new TestSource(), [
      'discover',
      '--config',
      files['config.json']!,
    ]);
    expect(code).toBe(0);
    const catalog = ofType(messages, 'CATALOG')[0]!.catalog;
    expect(catalog.streams.map((s) => s.name)).toEqual(['users', 'events']);
    expect(catalog.streams[0]).toMatchObject({
      supported_sync_modes: ['full_refresh'],
      source_defined_primary_key: [['id']],
      is_resumable: false,
    });
    expect(catalog.streams[0]).not.toHaveProperty('default_cursor_field');
    expect(catalog.streams[1]).toMatchObject({
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['updated_at'],
      is_resumable: true,
    });
    expect(catalog.streams[1]!.json_schema).toMatchObject({ type: 'object' });
  });

  it('read writes one RECORD line per record, statuses around each stream and a final state', async () => {
    const files = jsonFiles({
      'config.json': { ...config, events: 5 },
      'catalog.json': catalogOf(['users', 'full_refresh'], ['events', 'incremental']),
    });
    const { code, messages, stderr } = await runCli(new TestSource(), [
      'read',
      '--config',
      files['config.json']!,
      '--catalog',
      files['catalog.json']!,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const order = messages.map((m) =>
      m.type === 'RECORD'
        ? `record:${m.record.stream}`
        : m.type === 'TRACE'
          ? `${m.trace.stream_status?.stream_descriptor.name}:${m.trace.stream_status?.status}`
          : m.type,
    );
    expect(order).toEqual([
      'users:STARTED',
      'LOG',
      'users:RUNNING',
      'record:users',
      'record:users',
      'record:users',
      'users:COMPLETE',
      'events:STARTED',
      'events:RUNNING',
      ...Array(5).fill('record:events'),
      'STATE',
      'events:COMPLETE',
    ]);
    const records = ofType(messages, 'RECORD');
    expect(records[0]!.record).toEqual({
      stream: 'users',
      emitted_at: expect.any(Number),
      data: { id: 1, name: 'user 1' },
    });
    const state = ofType(messages, 'STATE')[0]!.state;
    expect(state).toMatchObject({
      type: 'STREAM',
      stream: { stream_descriptor: { name: 'events' }, stream_state: { updated_at: 1005 } },
      sourceStats: { recordCount: 5 },
    });
  });

  it('an incremental read resumes after the cursor in the state file', async () => {
    const files = jsonFiles({
      'config.json': { ...config, events: 60 },
      'catalog.json': catalogOf(['events', 'incremental']),
      'state.json': [
        {
          type: 'STATE',
          state: {
            type: 'STREAM',
            stream: { stream_descriptor: { name: 'events' }, stream_state: { updated_at: 1050 } },
          },
        },
      ],
    });
    const argv = ['read', '--config', files['config.json']!, '--catalog', files['catalog.json']!];
    const { code, messages } = await runCli(new TestSource(), [...argv, '--state', files['state.json']!]);
    expect(code).toBe(0);
    const ids = ofType(messages, 'RECORD').map((m) => m.record.data.id);
    expect(ids).toEqual([1051, 1052, 1053, 1054, 1055, 1056, 1057, 1058, 1059, 1060]);
    expect(ofType(messages, 'STATE').map((m) => m.state.stream?.stream_state)).toEqual([
      { updated_at: 1060 },
    ]);
  });

  it('a full-refresh read of an incremental stream ignores the state and emits none', async () => {
    const files = jsonFiles({
      'config.json': { ...config, events: 4 },
      'catalog.json': catalogOf(['events', 'full_refresh']),
      'state.json': {
        type: 'STREAM',
        stream: { stream_descriptor: { name: 'events' }, stream_state: { updated_at: 1002 } },
      },
    });
    const { messages } = await runCli(new TestSource(), [
      'read',
      '--config',
      files['config.json']!,
      '--catalog',
      files['catalog.json']!,
      '--state',
      files['state.json']!,
    ]);
    expect(ofType(messages, 'RECORD')).toHaveLength(4);
    expect(ofType(messages, 'STATE')).toHaveLength(0);
  });

  it('checkpoints at the policy cadence, only between pages, and once at the end', async () => {
    class EveryFifty extends TestSource {
      protected override checkpointPolicy() {
        return new CheckpointPolicy({ everyRecords: 50, everySeconds: 3600 });
      }
    }
    // pages of 25 records: a state after every second page, and the end state after the last (partial) page
    const files = jsonFiles({
      'config.json': { ...config, events: 130, page_size: 25 },
      'catalog.json': catalogOf(['events', 'incremental']),
    });
    const { messages } = await runCli(new EveryFifty(), [
      'read',
      '--config',
      files['config.json']!,
      '--catalog',
      files['catalog.json']!,
    ]);
    const seen: string[] = [];
    let records = 0;
    for (const m of messages) {
      if (m.type === 'RECORD') records++;
      if (m.type === 'STATE')
        seen.push(
          `${records}:${m.state.stream?.stream_state?.updated_at}:${m.state.sourceStats?.recordCount}`,
        );
    }
    expect(seen).toEqual(['50:1050:50', '100:1100:50', '130:1130:30']);
  });

  it('a failing stream ends INCOMPLETE with one classified TRACE ERROR and exit code 1', async () => {
    const files = jsonFiles({
      'config.json': { ...config, fail_stream: 'events' },
      'catalog.json': catalogOf(['events', 'incremental'], ['users', 'full_refresh']),
    });
    const { code, messages, stderr } = await runCli(new TestSource(), [
      'read',
      '--config',
      files['config.json']!,
      '--catalog',
      files['catalog.json']!,
    ]);
    expect(code).toBe(1);
    expect(statuses(ofType(messages, 'TRACE'))).toEqual([
      'events:STARTED',
      'events:RUNNING',
      'events:INCOMPLETE',
    ]);
    const errors = ofType(messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.trace.error).toMatchObject({
      failure_type: 'system_error',
      stream_descriptor: { name: 'events' },
      message: expect.stringContaining('401'),
      stack_trace: expect.stringContaining('test-source'),
    });
    // the records of the page read before the failure went out, but no checkpoint for them
    expect(ofType(messages, 'RECORD')).toHaveLength(25);
    expect(ofType(messages, 'STATE')).toHaveLength(0);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^read failed in stream "events" \(system_error\): GET https/);
  });

  it('a catalog stream the source does not offer is a config error before any output', async () => {
    const files = jsonFiles({
      'config.json': config,
      'catalog.json': catalogOf(['users', 'full_refresh'], ['orders', 'full_refresh']),
    });
    const { code, messages } = await runCli(new TestSource(), [
      'read',
      '--config',
      files['config.json']!,
      '--catalog',
      files['catalog.json']!,
    ]);
    expect(code).toBe(1);
    expect(messages).toHaveLength(1);
    const error = ofType(messages, 'TRACE')[0]!.trace.error!;
    expect(error.failure_type).toBe('config_error');
    expect(error.message).toContain('"orders"');
    expect(error.message).toContain('users, events');
  });

  it('only the streams in the catalog are read, in catalog order', async () => {
    const files = jsonFiles({
      'config.json': { ...config, events: 2 },
      'catalog.json': catalogOf(['events', 'incremental']),
    });
    const { messages } = await runCli(new TestSource(), [
      'read',
      '--config',
      files['config.json']!,
      '--catalog',
      files['catalog.json']!,
    ]);
    expect(new Set(ofType(messages, 'RECORD').map((m) => m.record.stream))).toEqual(new Set(['events']));
    expect(ofType(messages, 'LOG')).toHaveLength(0);
  });
});

describe('runConnector input errors', () => {
  const source = new TestSource();

  it('a missing config file is a config error naming the file', async () => {
    const { code, messages, stderr } = await runCli(source, [
      'discover',
      '--config',
      '/nonexistent/config.json',
    ]);
    expect(code).toBe(1);
    const error = ofType(messages, 'TRACE')[0]!.trace.error!;
    expect(error.failure_type).toBe('config_error');
    expect(error.message).toBe(
      'The config file "/nonexistent/config.json" does not exist. Pass the path of a JSON file with --config.',
    );
    expect(stderr).toContain('/nonexistent/config.json');
  });

  it('a config file with broken JSON names the file and position without quoting it', async () => {
    const files = jsonFiles({ 'config.json': '{\n  "api_key": "hunter2-secret",\n  "start": 1,,\n}' });
    const { code, stdout, stderr } = await runCli(source, ['discover', '--config', files['config.json']!]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      `The config file \\"${files['config.json']}\\" is not valid JSON at line 3, column 14`,
    );
    expect(stdout + stderr).not.toContain('hunter2');
  });

  it('a config that is not an object is refused', async () => {
    const files = jsonFiles({ 'config.json': [1, 2] });
    const { messages } = await runCli(source, ['discover', '--config', files['config.json']!]);
    expect(ofType(messages, 'TRACE')[0]!.trace.error!.message).toContain('must hold a JSON object');
  });

  it('an invalid config is refused before discover runs, naming each field', async () => {
    const files = jsonFiles({ 'config.json': { api_key: 'key-abc-123', start: 'yesterday', page_size: 0 } });
    const { code, messages } = await runCli(source, ['discover', '--config', files['config.json']!]);
    expect(code).toBe(1);
    expect(ofType(messages, 'CATALOG')).toHaveLength(0);
    const message = ofType(messages, 'TRACE')[0]!.trace.error!.message;
    expect(message).toContain('config.start must be integer');
    expect(message).toContain('config.page_size must be >= 1');
  });

  it('an unknown command and a missing flag explain the usage', async () => {
    const unknown = await runCli(source, ['write', '--config', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('"write" is not a source command');
    expect(unknown.stderr).toContain('read --config FILE --catalog FILE [--state FILE]');

    const missing = await runCli(source, ['read', '--config=c.json']);
    expect(missing.stderr).toContain('"read" needs --catalog FILE');
    const bad = await runCli(source, ['discover', '--config', 'c.json', '--verbose']);
    expect(bad.stderr).toContain('does not take the argument "--verbose"');
  });

  it('a catalog file without streams is a config error naming the file', async () => {
    const files = jsonFiles({
      'config.json': config,
      'catalog.json': { streams: [{ stream: { name: 'users' } }] },
    });
    const { messages } = await runCli(source, [
      'read',
      '--config',
      files['config.json']!,
      '--catalog',
      files['catalog.json']!,
    ]);
    const error = ofType(messages, 'TRACE')[0]!.trace.error!;
    expect(error.failure_type).toBe('config_error');
    expect(error.message).toContain(`"${files['catalog.json']}"`);
    expect(error.message).toContain('streams[0] needs "sync_mode"');
  });

  it('accepts a legacy state blob and a GLOBAL state', async () => {
    const read = async (state: unknown) => {
      const files = jsonFiles({
        'config.json': { ...config, events: 10 },
        'catalog.json': catalogOf(['events', 'incremental']),
        'state.json': state,
      });
      const args = [
        'read',
        '--config',
        files['config.json']!,
        '--catalog',
        files['catalog.json']!,
        '--state',
        files['state.json']!,
      ];
      const { messages } = await runCli(source, args);
      return ofType(messages, 'RECORD').map((m) => m.record.data.id);
    };
    expect(await read({ events: { updated_at: 1008 } })).toEqual([1009, 1010]);
    expect(
      await read({
        type: 'GLOBAL',
        global: {
          shared_state: {},
          stream_states: [{ stream_descriptor: { name: 'events' }, stream_state: { updated_at: 1007 } }],
        },
      }),
    ).toEqual([1008, 1009, 1010]);
    expect(await read([])).toHaveLength(10);
  });

  it('a state file of the wrong shape is a config error', async () => {
    const files = jsonFiles({
      'config.json': config,
      'catalog.json': catalogOf(['events', 'incremental']),
      'state.json': [42],
    });
    const args = [
      'read',
      '--config',
      files['config.json']!,
      '--catalog',
      files['catalog.json']!,
      '--state',
      files['state.json']!,
    ];
    const { messages } = await runCli(source, args);
    expect(ofType(messages, 'TRACE')[0]!.trace.error!.message).toContain(
      'holds no state this connector understands',
    );
  });
});
