// A writer process killed mid-sync (SIGKILL: no close). Runs the built package in a child
// process, so `npm run build` (turbo does it) must come first.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { destination } from '../src/index.js';
import {
  catalogOf,
  listFiles,
  objects,
  readRecords,
  runSync,
  streamState,
  tempDirectory,
} from './helpers.js';

const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const catalog = catalogOf({ name: 'events' }, { name: 'snapshot', mode: 'overwrite' });

/** Opens a writer on `path` as sync 2, runs `steps` (JS with `writer` and `batch` in scope), then kills itself. */
async function runAndKill(path: string, steps: string): Promise<void> {
  const script = `
    const { destination } = await import(${JSON.stringify(pathToFileURL(built).href)});
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    const writer = await destination.open({ path: ${JSON.stringify(path)} }, ${JSON.stringify(catalog)}, { logger, connectionId: 'conn', syncId: 2 });
    const batch = (stream, id) => ({ format: 'objects', stream, records: [{ id }], emittedAt: 1 });
    ${steps}
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
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

  test('leaves the old overwritten file whole and the committed states, and the next sync cleans up', async () => {
    const path = await tempDirectory();
    await runSync(path, catalog, [objects('events', [{ id: 1 }]), objects('snapshot', [{ id: 100 }])], {
      connectionId: 'conn',
      states: [streamState('events', 1)],
    });

    await runAndKill(
      path,
      `
      await writer.write(batch('events', 2));
      await writer.write(batch('snapshot', 200));
      await writer.commit([{ type: 'STREAM', stream: { stream_descriptor: { name: 'events' }, stream_state: { cursor: 2 } } }], 2);`,
    );

    expect(await readRecords(join(path, 'snapshot.jsonl'))).toEqual([{ id: 100 }]);
    expect(await readRecords(join(path, 'events.jsonl'))).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await destination.committedStates?.({ path }, 'conn')).toEqual({
      seq: 2,
      states: [streamState('events', 2)],
    });
    expect(await listFiles(path)).toContain('snapshot.jsonl.tmp-2');

    await runSync(path, catalog, [objects('snapshot', [{ id: 300 }])], {
      connectionId: 'conn',
      syncId: 3,
      seq: 3,
    });
    expect(await readRecords(join(path, 'snapshot.jsonl'))).toEqual([{ id: 300 }]);
    expect((await listFiles(path)).filter((name) => name.includes('.tmp'))).toEqual([]);
  });
});
