import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { frozenClock, usesApiBudget } from '../src/frozen-clock.js';

describe('the frozen clock', () => {
  it("freezes Date in our engine's process, leaving explicit dates and timers alone", () => {
    // the compiled preload (npm run build); vitest does not load .ts through --import
    const preload = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'frozen-date.js')).href;
    const script =
      'setTimeout(() => console.log(JSON.stringify([new Date().toISOString(), Date.now(), new Date(0).toISOString(), new Date() instanceof Date])), 20)';
    const run = spawnSync(process.execPath, [`--import=${preload}`, '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, COMPAT_FROZEN_NOW: '2026-11-20T12:34:56.000Z' },
    });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      '2026-11-20T12:34:56.000Z',
      Date.parse('2026-11-20T12:34:56Z'),
      '1970-01-01T00:00:00.000Z',
      true,
    ]);
  });

  it('is refused, with the reason, when the reference has no time-machine next to it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compat-clock-'));
    const clock = frozenClock(dir, join(dir, 'bin', 'source-declarative-manifest'), 0);
    expect(clock).toMatch(/time-machine is not installed/);
  });

  it('is not used for manifests with an API budget', () => {
    expect(usesApiBudget({ api_budget: { type: 'HTTPAPIBudget', policies: [] } })).toBe(true);
    expect(usesApiBudget({ streams: [{ type: 'DeclarativeStream' }] })).toBe(false);
  });
});
