// A writer process killed mid-sync (SIGKILL: no close, no rollback, DuckDB's WAL left behind).
// Runs the built package in a child process, so `npm run build` (turbo does it) must come first.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { destination } from '../src/index.js';
import { catalogOf, query, streamState, tempDatabase } from './helpers.js';

const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const catalog = catalogOf(
  { name: 'users', syncMode: 'incremental', properties: { id: { type: 'integer' } } },
  { name: 'snapshot', mode: 'overwrite', properties: { id: { type: 'integer' } } },
);

/** Opens a writer on `path`, runs `steps` (JS with `writer` in scope), then kills itself. */
async function runAndKill(path: string, steps: string): Promise<void> {
  const script = `
    const { destination } = await import(${JSON.stringify(pathToFileURL(built).href)});
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    const catalog = ${JSON.stringify(catalog)};
    const writer = await destination.open({ path: ${JSON.stringify(path)} }, catalog, { logger, connectionId: 'conn', syncId: 2 });
    const line = (stream, id) => Buffer.from(JSON.stringify({ type: 'RECORD', record: { stream, data: { id }, emitted_at: 1 } }));
    ${steps}
    process.kill(process.pid, 'SIGKILL');`;
  // The killed writer cannot remove its batch file: keep it in the test's directory.
  const env = { ...process.env, TMPDIR: dirname(path) };
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env,
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, sig) => resolve(sig)),
  );
  if (signal !== 'SIGKILL') throw new Error(`the writer process ended without being killed: ${stderr}`);
}

describe('a writer killed mid-sync', () => {
  beforeAll(() => {
    if (!existsSync(built))
      throw new Error(`${built} is missing: build the package before running this test`);
  });

  test('leaves exactly the committed batches and states, and the old overwritten table', async () => {
    const path = await tempDatabase();
    const firstStates = [streamState('users', 1)];
    const writer = await destination.open({ path }, catalog, {
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      connectionId: 'conn',
      syncId: 1,
    });
    await writer.write({ format: 'objects', stream: 'users', records: [{ id: 1 }], emittedAt: 1 });
    await writer.write({ format: 'objects', stream: 'snapshot', records: [{ id: 100 }], emittedAt: 1 });
    await writer.commit(firstStates, 1);
    await writer.finish();
    await writer.close();

    await runAndKill(
      path,
      `
      await writer.write({ format: 'jsonl', stream: 'users', lines: [line('users', 2)] });
      await writer.write({ format: 'jsonl', stream: 'snapshot', lines: [line('snapshot', 200)] });
      await writer.commit([{ type: 'STREAM', stream: { stream_descriptor: { name: 'users' }, stream_state: { cursor: 2 } } }], 2);
      await writer.write({ format: 'jsonl', stream: 'users', lines: [line('users', 3)] });`,
    );

    expect(await destination.committedStates?.({ path }, 'conn')).toEqual({
      seq: 2,
      states: [streamState('users', 2)],
    });
    expect(await query(path, 'SELECT id FROM users ORDER BY id')).toEqual([{ id: '1' }, { id: '2' }]);
    expect(await query(path, 'SELECT id FROM snapshot')).toEqual([{ id: '100' }]);
  });
});
