// The packaged command line (`source-faker`, i.e. dist/main.js), as an orchestrator runs it.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AirbyteMessage } from '@conveyor/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogOf } from './helpers.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Run {
  code: number;
  messages: AirbyteMessage[];
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
      const messages = stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as AirbyteMessage);
      resolve({ code, messages, stderr });
    });
  });
}

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: build the package first (npm run build)');
  dir = await mkdtemp(join(tmpdir(), 'source-faker-cli-'));
  await writeFile(file('config.json'), JSON.stringify({ count: 25, records_per_batch: 10 }));
  await writeFile(file('bad-config.json'), JSON.stringify({ count: 'many' }));
  await writeFile(file('catalog.json'), JSON.stringify(catalogOf(['users', 'purchases'], 'incremental')));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('source-faker CLI', () => {
  it('spec prints the spec', async () => {
    const { code, messages } = await run(['spec']);
    expect(code).toBe(0);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.type).toBe('SPEC');
  });

  it('check reports SUCCEEDED for a valid config and FAILED with exit code 1 for an invalid one', async () => {
    const ok = await run(['check', '--config', file('config.json')]);
    expect(ok.code).toBe(0);
    expect(ok.messages).toEqual([{ type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } }]);
    const bad = await run(['check', '--config', file('bad-config.json')]);
    expect(bad.code).toBe(1);
    const status = bad.messages[0] as Extract<AirbyteMessage, { type: 'CONNECTION_STATUS' }>;
    expect(status.connectionStatus.status).toBe('FAILED');
    expect(status.connectionStatus.message).toContain('count');
  });

  it('discover prints the three streams', async () => {
    const { code, messages } = await run(['discover', '--config', file('config.json')]);
    expect(code).toBe(0);
    const catalog = messages[0] as Extract<AirbyteMessage, { type: 'CATALOG' }>;
    expect(catalog.catalog.streams.map((s) => s.name)).toEqual(['users', 'products', 'purchases']);
  });

  it('read emits records and checkpoints, and a read from the last checkpoint emits nothing new', async () => {
    const first = await run(['read', '--config', file('config.json'), '--catalog', file('catalog.json')]);
    expect(first.code).toBe(0);
    const records = first.messages.filter((m) => m.type === 'RECORD');
    expect(records).toHaveLength(50);
    const states = first.messages.filter((m) => m.type === 'STATE');
    expect(states).toHaveLength(6);

    const latest = ['users', 'purchases'].map(
      (name) => states.filter((s) => s.state.stream?.stream_descriptor.name === name).at(-1)!,
    );
    await writeFile(file('state.json'), JSON.stringify(latest));
    const second = await run([
      'read',
      '--config',
      file('config.json'),
      '--catalog',
      file('catalog.json'),
      '--state',
      file('state.json'),
    ]);
    expect(second.code).toBe(0);
    expect(second.messages.filter((m) => m.type === 'RECORD')).toHaveLength(0);
  });

  it('read with an invalid config exits 1 with a config_error TRACE', async () => {
    const { code, messages, stderr } = await run([
      'read',
      '--config',
      file('bad-config.json'),
      '--catalog',
      file('catalog.json'),
    ]);
    expect(code).toBe(1);
    const error = messages.find((m) => m.type === 'TRACE') as Extract<AirbyteMessage, { type: 'TRACE' }>;
    expect(error.trace.error?.failure_type).toBe('config_error');
    expect(stderr).toContain('count');
  });
});
