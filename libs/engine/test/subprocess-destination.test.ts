import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configureCatalog, inProcessSource, launchDestination, runSync, StateStore } from '../src/index.js';
import { countingSource, scriptSource, silent, streamState, tempDir } from './helpers.js';

// A protocol destination in plain Node: appends record data to a file, echoes each STATE after it
// (or never, when told not to).
function destinationScript(out: string, echo: boolean): string {
  return `
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
const cmd = process.argv[2];
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
if (cmd === 'spec') send({ type: 'SPEC', spec: { connectionSpecification: { type: 'object' }, supported_destination_sync_modes: ['append'] } });
if (cmd === 'write') {
  let buffer = '';
  for await (const line of createInterface({ input: process.stdin })) {
    const m = JSON.parse(line);
    if (m.type === 'RECORD') buffer += JSON.stringify(m.record.data) + '\\n';
    if (m.type === 'STATE') {
      appendFileSync(${JSON.stringify(out)}, buffer);
      buffer = '';
      ${echo ? "send({ type: 'STATE', state: { ...m.state, destinationStats: { recordCount: 1 } } });" : ''}
    }
  }
  appendFileSync(${JSON.stringify(out)}, buffer);
}`;
}

async function syncInto(echo: boolean) {
  const dir = tempDir();
  const out = join(dir, 'out.jsonl');
  const script = scriptSource(dir, 'dest.mjs', destinationScript(out, echo));
  const destination = await launchDestination(`exec:${script}`, { cwd: dir });
  const source = inProcessSource('counting', countingSource({ count: 300, every: 100 }));
  const catalog = configureCatalog(
    await source.discover({}, { logger: silent, signal: new AbortController().signal }),
    [{ name: 'items', destination_sync_mode: 'append' }],
  );
  const store = new StateStore(join(dir, 'state.db'));
  const warnings: string[] = [];
  const result = await runSync({
    connectionId: 'c',
    source,
    sourceConfig: {},
    destination,
    destinationConfig: {},
    catalog,
    store,
    logger: { ...silent, warn: (m) => warnings.push(m) },
    checkpoint: { records: 1, seconds: 0 },
  });
  const ids = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { id: number }).id);
  return { result, ids, store, warnings };
}

describe('exec: destinations', () => {
  it('commits a state only when the destination echoes it', async () => {
    const { result, ids, store } = await syncInto(true);
    expect(result.status).toBe('succeeded');
    expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(store.getStates('c')?.states).toEqual([streamState('items', 300)]);
  });

  it('keeps the old state when the destination never confirms, and says so', async () => {
    const { result, ids, store, warnings } = await syncInto(false);
    expect(result.status).toBe('succeeded');
    expect(ids).toHaveLength(300);
    expect(store.getStates('c')).toBeUndefined();
    expect(warnings.join('\n')).toMatch(/without confirming 3 checkpoint/);
  });
});
