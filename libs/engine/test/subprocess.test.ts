import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SourceHandle } from '../src/index.js';
import { configureCatalog, inProcessDestination, launchSource, runSync, StateStore } from '../src/index.js';
import { memoryDestination, memoryStore, scriptSource, silent, tempDir } from './helpers.js';

// A protocol source in plain Node: `spec`, `discover` and `read` with a body given per test.
function protocolScript(readBody: string): string {
  return `
const cmd = process.argv[2];
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
if (cmd === 'spec') {
  out({ type: 'SPEC', spec: { connectionSpecification: { type: 'object', properties: { password: { type: 'string', airbyte_secret: true } } } } });
} else if (cmd === 'check') {
  out({ type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } });
} else if (cmd === 'discover') {
  out({ type: 'CATALOG', catalog: { streams: [
    { name: 'items', json_schema: { type: 'object', properties: { id: { type: 'integer' } } }, supported_sync_modes: ['full_refresh', 'incremental'], source_defined_cursor: true, default_cursor_field: ['id'] },
  ] } });
} else if (cmd === 'read') {
${readBody}
}`;
}

async function syncExec(readBody: string, config: Record<string, unknown> = {}) {
  const dir = tempDir();
  const path = scriptSource(dir, 'source.mjs', protocolScript(readBody));
  const source: SourceHandle = await launchSource(`exec:${path}`, { cwd: dir });
  const ctx = { logger: silent, signal: new AbortController().signal };
  const catalog = configureCatalog(await source.discover(config, ctx), [
    { name: 'items', destination_sync_mode: 'append' },
  ]);
  const dest = memoryStore();
  const logs: string[] = [];
  const logger = { ...silent, info: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
  const result = await runSync({
    connectionId: 'exec',
    source,
    sourceConfig: config,
    destination: inProcessDestination('memory', memoryDestination(dest)),
    destinationConfig: {},
    catalog,
    store: new StateStore(join(dir, 'state.db')),
    logger,
    checkpoint: { records: 1, seconds: 0 },
  });
  return { result, dest, logs, path };
}

describe('exec: sources', () => {
  it('passes records through untouched, in canonical and spaced JSON, with states and logs', async () => {
    const { result, dest, logs } = await syncExec(`
      out({ type: 'LOG', log: { level: 'INFO', message: 'starting' } });
      for (let i = 1; i <= 5; i++) out({ type: 'RECORD', record: { stream: 'items', data: { id: i }, emitted_at: 1 } });
      process.stdout.write('{"type": "RECORD", "record": {"stream": "items", "data": {"id": 6}, "emitted_at": 1}}\\n');
      out({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: 'items' }, stream_state: { id: 6 } } } });
      console.log('a stray print() from the connector');`);
    expect(result.status).toBe('succeeded');
    expect(dest.durable.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(dest.committed?.states[0]?.stream?.stream_state).toEqual({ id: 6 });
    expect(logs.some((l) => l.includes('starting'))).toBe(true);
    // a non-protocol line on stdout is logged, not fatal
    expect(logs.some((l) => l.includes('a stray print() from the connector'))).toBe(true);
  });

  it('drains a flood on stderr without deadlocking', async () => {
    const { result, dest } = await syncExec(`
      const chunk = 'x'.repeat(1024) + '\\n';
      for (let i = 0; i < 8 * 1024; i++) process.stderr.write(chunk);
      for (let i = 1; i <= 3; i++) out({ type: 'RECORD', record: { stream: 'items', data: { id: i }, emitted_at: 1 } });`);
    expect(result.status).toBe('succeeded');
    expect(dest.durable).toHaveLength(3);
  });

  it.each([
    ['a line that is not JSON', `process.stdout.write('{"type":"RECORD", oops\\n');`, /line 3/],
    [
      'an unknown message type',
      `out({ type: 'GOSSIP', gossip: {} });`,
      /line 3 has an unknown message type "GOSSIP"/,
    ],
    [
      'a record for a stream not in the catalog',
      `out({ type: 'RECORD', record: { stream: 'ghosts', data: { id: 1 }, emitted_at: 1 } });`,
      /ghosts/,
    ],
    [
      'a record whose data is not an object',
      `out({ type: 'RECORD', record: { stream: 'items', data: [1, 2], emitted_at: 1 } });`,
      /line 3, stream "items" is a RECORD whose "record.data" is an array, not an object/,
    ],
  ])('fails clearly on %s, naming the connector and keeping committed data', async (_what, bad, message) => {
    const { result, dest, path } = await syncExec(`
      out({ type: 'RECORD', record: { stream: 'items', data: { id: 1 }, emitted_at: 1 } });
      out({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: 'items' }, stream_state: { id: 1 } } } });
      ${bad}`);
    expect(result.status).toBe('failed');
    expect(result.error?.userMessage).toMatch(message);
    expect(result.error?.userMessage).toContain(path);
    expect(dest.durable.map((r) => r.id)).toEqual([1]);
  });

  it('reports a connector that exits badly with the end of its stderr, secrets masked', async () => {
    const { result } = await syncExec(
      `console.error('connecting with password s3cr3t-pw failed'); process.exit(3);`,
      { password: 's3cr3t-pw' },
    );
    expect(result.status).toBe('failed');
    expect(result.error?.userMessage).toMatch(/exited with code 3/);
    expect(result.error?.userMessage).toContain('connecting with password **** failed');
    expect(result.error?.userMessage).not.toContain('s3cr3t-pw');
  });

  it('masks secrets in the snippet of a bad line', async () => {
    const { result } = await syncExec(`process.stdout.write('{"token": "s3cr3t-pw", broken\\n');`, {
      password: 's3cr3t-pw',
    });
    expect(result.status).toBe('failed');
    expect(result.error?.userMessage).not.toContain('s3cr3t-pw');
  });

  it('says clearly when the executable does not exist', async () => {
    const dir = tempDir();
    const source = await launchSource('exec:./missing.sh', { cwd: dir });
    await expect(source.spec({ logger: silent, signal: new AbortController().signal })).rejects.toThrow(
      /Could not start connector exec:\.\/missing\.sh: the file does not exist/,
    );
  });
});
