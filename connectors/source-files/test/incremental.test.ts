import { join } from 'node:path';
import type { StateMessage } from '@conveyor/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FilesConfig } from '../src/config.js';
import { source } from '../src/index.js';
import { configure, ctx, read, tempDir, writeFileAt } from './helpers.js';

let dir: { path: string; remove: () => Promise<void> };
let config: FilesConfig;
beforeEach(async () => {
  dir = await tempDir();
  config = { streams: [{ name: 'orders', glob: 'orders/*.csv' }], base_path: dir.path };
});
afterEach(async () => {
  await dir.remove();
});

const T1 = '2024-05-01T10:00:00.000Z';
const T2 = '2024-05-01T11:00:00.000Z';
const T3 = '2024-05-01T12:00:00.000Z';

async function order(name: string, ids: number[], mtime: string) {
  await writeFileAt(join(dir.path, 'orders', name), `id\n${ids.join('\n')}\n`, mtime);
}

async function incremental(state: StateMessage[] = []) {
  const catalog = await source.discover(config, ctx);
  return read(config, configure(catalog, 'incremental'), state);
}

describe('incremental reads by file modification time', () => {
  it('reads files added later on the next run, and not the files already read', async () => {
    await order('a.csv', [1, 2], T1);
    const first = await incremental();
    expect(first.records.map((r) => r.id)).toEqual([1, 2]);

    await order('b.csv', [3], T2);
    const second = await incremental(first.states.slice(-1));
    expect(second.records.map((r) => r.id)).toEqual([3]);

    const third = await incremental(second.states.slice(-1));
    expect(third.records).toEqual([]);
    expect(third.states).toEqual([{ ...second.states.at(-1)!, sourceStats: { recordCount: 0 } }]);
  });

  it('reads each of two files sharing the boundary mtime exactly once across runs', async () => {
    await order('a.csv', [1], T1);
    await order('m.csv', [2], T2);
    const first = await incremental();
    expect(first.records.map((r) => r.id)).toEqual([1, 2]);
    expect(first.states.at(-1)!.stream?.stream_state).toEqual({
      _source_file_mtime: T2,
      files_at_cursor: [join(dir.path, 'orders', 'm.csv')],
    });

    // Arrives after the first sync with the very same mtime (same second, coarse clocks, copies).
    await order('b.csv', [3], T2);
    const second = await incremental(first.states.slice(-1));
    expect(second.records.map((r) => r.id)).toEqual([3]);
    expect(second.states.at(-1)!.stream?.stream_state).toEqual({
      _source_file_mtime: T2,
      files_at_cursor: [join(dir.path, 'orders', 'm.csv'), join(dir.path, 'orders', 'b.csv')],
    });

    await order('z.csv', [4], T3);
    const third = await incremental(second.states.slice(-1));
    expect(third.records.map((r) => r.id)).toEqual([4]);
    expect(third.states.at(-1)!.stream?.stream_state).toEqual({
      _source_file_mtime: T3,
      files_at_cursor: [join(dir.path, 'orders', 'z.csv')],
    });
  });

  it('emits a STATE after each file, so a sync stopped midway resumes at the next file', async () => {
    await order('a.csv', [1], T1);
    await order('b.csv', [2, 3], T2);
    await order('c.csv', [4], T2);
    await order('d.csv', [5], T3);
    const full = await incremental();
    const kinds = full.outputs
      .filter((o) => o.kind === 'records' || o.message.type === 'STATE')
      .map((o) => (o.kind === 'records' ? 'R' : 'S'));
    expect(kinds.join('')).toBe('RSRSRSRS');
    expect(full.states.map((s) => s.sourceStats?.recordCount)).toEqual([1, 2, 1, 1]);

    // Killed after b.csv was committed: the rest is read exactly once.
    const resumed = await incremental([full.states[1]!]);
    expect(resumed.records.map((r) => r.id)).toEqual([4, 5]);
  });

  it('re-reads a file whose modification time moved forward', async () => {
    await order('a.csv', [1], T1);
    const first = await incremental();
    await order('a.csv', [1, 2], T2);
    const second = await incremental(first.states.slice(-1));
    expect(second.records.map((r) => r.id)).toEqual([1, 2]);
  });

  it('full refresh reads every file whatever the state, and emits no STATE', async () => {
    await order('a.csv', [1], T1);
    await order('b.csv', [2], T2);
    const first = await incremental();
    const catalog = await source.discover(config, ctx);
    const full = await read(config, configure(catalog, 'full_refresh'), first.states.slice(-1));
    expect(full.records.map((r) => r.id)).toEqual([1, 2]);
    expect(full.states).toEqual([]);
  });

  it('rejects a saved cursor that is not a date-time', async () => {
    await order('a.csv', [1], T1);
    const state: StateMessage = {
      type: 'STREAM',
      stream: { stream_descriptor: { name: 'orders' }, stream_state: { _source_file_mtime: 'soon' } },
    };
    await expect(incremental([state])).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringContaining('"orders"'),
    });
  });
});
