// Killing a project's sync with SIGKILL at random instants until enough kills landed inside a
// running sync (as the run history shows), then one last sync to the end. Shared by the kill
// tests of every destination.

import { conveyor, syncKilledAfter } from './cli.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface KillOutcome {
  seed: number;
  /** how long one uninterrupted sync of a copy of the project took */
  fullMs: number;
  /** the instants (ms after spawn) at which kills landed */
  kills: number[];
  /** runs recorded as interrupted */
  interrupted: number;
  /** the connection's committed state sequence before the final sync */
  seqBeforeFinal: number;
  final: { code: number; stderr: string };
  /** newest first */
  runs: RunRecord[];
}

export interface RunRecord {
  status: string;
  failureReason: string | null;
  /** ISO 8601 */
  startedAt: string;
}

/**
 * `probeDir` holds a copy of the project whose uninterrupted sync is timed first. Kill windows add
 * up to about one full sync, so most kills land while there is work left; a kill during start-up
 * (before the run is recorded) does not count. With `needCheckpoint`, kills go on later until a
 * checkpoint has been committed, so resuming from a mid-sync state is really exercised.
 */
export async function killRepeatedly(options: {
  dir: string;
  probeDir: string;
  kills: number;
  connection: string;
  needCheckpoint: boolean;
}): Promise<KillOutcome> {
  const { dir, probeDir, kills: wanted, connection } = options;
  const seed = Number(process.env.KILL_SEED ?? Date.now() % 100_000);
  const random = mulberry32(seed);
  const t0 = Date.now();
  const probe = conveyor(['sync'], { cwd: probeDir });
  if (probe.code !== 0) throw new Error(`the uninterrupted sync failed: ${probe.stderr}`);
  const fullMs = Date.now() - t0;

  const runs = () =>
    JSON.parse(conveyor(['runs', '--json', '--limit', '100'], { cwd: dir }).stdout) as RunRecord[];
  const interrupted = () => runs().filter((r) => r.failureReason?.startsWith('interrupted')).length;
  const committedSeq = () =>
    (JSON.parse(conveyor(['state', 'show', connection], { cwd: dir }).stdout) as { seq: number }).seq;

  const kills: number[] = [];
  // A kill before the run is recorded (start-up: loading the destination's native library) does
  // not count; each such kill moves the window's start later, so a slow start-up cannot use up
  // the attempts.
  let floor = 250;
  let counted = interrupted();
  for (let attempt = 0; attempt < wanted * 6 && counted < wanted; attempt++) {
    const at = Math.round(floor + random() * (fullMs / wanted) * 1.5);
    const outcome = await syncKilledAfter(['sync'], dir, at);
    if (outcome.killed) kills.push(at);
    const now = interrupted();
    if (outcome.killed && now === counted) floor = Math.min(floor + 150, Math.round(fullMs * 0.7));
    counted = now;
  }
  for (let extra = 0; options.needCheckpoint && extra < 6 && committedSeq() === 0; extra++) {
    const at = Math.round(fullMs * (0.5 + random() * 0.5));
    const outcome = await syncKilledAfter(['sync'], dir, at);
    if (outcome.killed) kills.push(at);
  }
  const seqBeforeFinal = committedSeq();
  const final = conveyor(['sync'], { cwd: dir });
  return {
    seed,
    fullMs,
    kills,
    interrupted: interrupted(),
    seqBeforeFinal,
    final: { code: final.code, stderr: final.stderr },
    runs: runs(),
  };
}
