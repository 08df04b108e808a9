// The packaged command line (`source-files`, i.e. dist/main.js), as an orchestrator runs it.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AirbyteMessage } from '@conveyor/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configure, tempDir, writeFileAt } from './helpers.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function run(args: string[]): Promise<{ code: number; messages: AirbyteMessage[]; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], (error, stdout, stderr) => {
      const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
      const messages = stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as AirbyteMessage);
      resolve({ code, messages, stderr });
    });
  });
}

let dir: { path: string; remove: () => Promise<void> };
const file = (name: string) => join(dir.path, name);

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: build the package first (npm run build)');
  dir = await tempDir();
  await writeFileAt(file('data/a.csv'), 'id,amount\n1,2.5\n2,3\n', '2024-01-01T00:00:00Z');
  await writeFileAt(file('data/b.jsonl'), '{"id":3}\n', '2024-01-02T00:00:00Z');
  await writeFile(
    file('config.json'),
    JSON.stringify({
      streams: [
        { name: 'csv', glob: 'data/*.csv' },
        { name: 'jsonl', glob: 'data/*.jsonl' },
      ],
      base_path: dir.path,
    }),
  );
  await writeFile(
    file('empty-config.json'),
    JSON.stringify({ streams: [{ name: 'none', glob: 'nowhere/*.csv' }], base_path: dir.path }),
  );
});

afterAll(async () => {
  await dir.remove();
});

describe('source-files CLI', () => {
  it('check fails with exit code 1 naming a glob that matches nothing', async () => {
    const { code, messages } = await run(['check', '--config', file('empty-config.json')]);
    expect(code).toBe(1);
    expect(messages[0]).toMatchObject({
      type: 'CONNECTION_STATUS',
      connectionStatus: { status: 'FAILED', message: expect.stringContaining('"nowhere/*.csv"') },
    });
  });

  it('discover then read, and an incremental read from the last states finds nothing new', async () => {
    const discovered = await run(['discover', '--config', file('config.json')]);
    expect(discovered.code).toBe(0);
    const catalog = discovered.messages[0] as Extract<AirbyteMessage, { type: 'CATALOG' }>;
    await writeFile(file('catalog.json'), JSON.stringify(configure(catalog.catalog, 'incremental')));

    const first = await run(['read', '--config', file('config.json'), '--catalog', file('catalog.json')]);
    expect(first.code).toBe(0);
    const data = first.messages.flatMap((m) =>
      m.type === 'RECORD' ? [[m.record.stream, m.record.data.id, m.record.data.amount]] : [],
    );
    expect(data).toEqual([
      ['csv', 1, 2.5],
      ['csv', 2, 3],
      ['jsonl', 3, undefined],
    ]);
    const states = first.messages.filter((m) => m.type === 'STATE');
    expect(states).toHaveLength(2);

    await writeFile(file('state.json'), JSON.stringify(states));
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
    expect(second.messages.filter((m) => m.type === 'RECORD')).toEqual([]);
  });

  it('read fails with exit code 1 and a config_error trace for a malformed file', async () => {
    await writeFileAt(file('bad/x.jsonl'), '{"id": 1}\n{broken\n');
    await writeFile(
      file('bad-config.json'),
      JSON.stringify({ streams: [{ name: 'x', glob: 'bad/*.jsonl' }], base_path: dir.path }),
    );
    await writeFile(
      file('bad-catalog.json'),
      JSON.stringify(
        configure({ streams: [{ name: 'x', json_schema: {}, supported_sync_modes: ['full_refresh'] }] }),
      ),
    );
    const { code, messages, stderr } = await run([
      'read',
      '--config',
      file('bad-config.json'),
      '--catalog',
      file('bad-catalog.json'),
    ]);
    expect(code).toBe(1);
    const errors = messages.filter((m) => m.type === 'TRACE' && m.trace.type === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ trace: { error: { failure_type: 'config_error' } } });
    expect(stderr).toContain(`${file('bad/x.jsonl')}" line 2`);
  });
});
