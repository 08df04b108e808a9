import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../src/index.js';
import { streamState, tempDir } from './helpers.js';

describe('StateStore', () => {
  it('never lets an older checkpoint overwrite a newer one', () => {
    const store = new StateStore(join(tempDir(), 'state.db'));
    store.saveStates('c', 5, [streamState('s', 5)]);
    store.saveStates('c', 3, [streamState('s', 3)]);
    expect(store.getStates('c')).toEqual({ seq: 5, states: [streamState('s', 5)] });
    store.replaceStates('c', 6, []);
    expect(store.getStates('c')).toEqual({ seq: 6, states: [] });
  });

  it('survives reopening the file', () => {
    const file = join(tempDir(), 'state.db');
    const a = new StateStore(file);
    a.saveStates('c', 1, [streamState('s', 1)]);
    a.close();
    expect(new StateStore(file).getStates('c')?.seq).toBe(1);
  });

  it('records a run whose process died as failed, with the reason', () => {
    const file = join(tempDir(), 'state.db');
    // a child process starts a run and is gone before finishing it
    const script = `
      import { StateStore } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      new StateStore(${JSON.stringify(file)}).startRun('c');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script]);
    expect(child.status).toBe(0);
    const [run] = new StateStore(file).listRuns();
    expect(run).toMatchObject({ connection: 'c', status: 'failed' });
    expect(run?.failureReason).toMatch(/^interrupted/);
  });
});
