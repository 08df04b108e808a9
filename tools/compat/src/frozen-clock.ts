// One fixed "now" for both engines of a run, so that templates reading the clock (`now_utc() -
// duration('P7D')`, an end time in epoch milliseconds) give the same values in both, however far
// apart they run. The reference reads its clock through `datetime.now()` and `time.time()`, frozen
// by time-machine from a sitecustomize module; ours through `Date`, replaced by frozen-date.ts.
// Manifests with an API budget run on the real clock: a rate-limit window would never reset.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type JsonObject, walkObjects } from './manifest-model.js';

export const TIME_MACHINE_REQUIREMENT = 'time-machine==3.6.0';

const SITECUSTOMIZE = `# written by the Conveyor compat harness: freezes the clock at COMPAT_FROZEN_NOW
import os

_frozen = os.environ.get("COMPAT_FROZEN_NOW")
if _frozen:
    import time_machine

    time_machine.travel(_frozen, tick=False).start()
`;

export interface FrozenClock {
  /** the instant both engines read as now (ms since epoch) */
  now: number;
  /** what both engines' processes get in their environment */
  env: Record<string, string>;
}

/**
 * The frozen clock for a run at `now`, or the reason it cannot be used (time-machine missing
 * next to the reference, so only one engine would be frozen).
 */
export function frozenClock(outDir: string, referenceBin: string, now: number): FrozenClock | string {
  const python = join(dirname(referenceBin), 'python');
  const probe = spawnSync(python, ['-c', 'import time_machine'], { encoding: 'utf8' });
  if (probe.status !== 0)
    return `time-machine is not installed next to ${referenceBin} (pip install ${TIME_MACHINE_REQUIREMENT})`;
  const dir = join(outDir, 'frozen-clock');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sitecustomize.py'), SITECUSTOMIZE);
  const preload = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'frozen-date.js')).href;
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${preload}`].filter(Boolean).join(' ');
  const pythonPath = [dir, process.env.PYTHONPATH].filter(Boolean).join(':');
  return {
    now,
    env: {
      COMPAT_FROZEN_NOW: new Date(now).toISOString(),
      PYTHONPATH: pythonPath,
      NODE_OPTIONS: nodeOptions,
    },
  };
}

/** Whether a manifest limits its request rate (its budget's windows need a clock that moves). */
export function usesApiBudget(manifest: JsonObject): boolean {
  for (const { key, node } of walkObjects(manifest)) {
    if (key === 'api_budget' || node.type === 'HTTPAPIBudget') return true;
  }
  return false;
}
