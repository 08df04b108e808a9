// The exactly-once promise: a sync killed with SIGKILL at random instants and resumed each time
// ends with exactly the source's records in DuckDB, no gaps and no duplicates.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conveyor, query, syncKilledAfter, tempProject } from './cli.js';

const COUNT = 200_000;
const KILLS = 6;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function project(syncMode: string, destinationMode: string): string {
  return `
sources:
  fake: { connector: faker, config: { count: ${COUNT}, seed: 11, records_per_batch: 5000 } }
destinations:
  db: { connector: duckdb, config: { path: ./kill.duckdb } }
connections:
  c:
    source: fake
    destination: db
    checkpoint: { records: 10000, seconds: 1 }
    streams:
      - { name: users, sync_mode: ${syncMode}, destination_sync_mode: ${destinationMode} }
`;
}

async function killAndResume(syncMode: string, destinationMode: string) {
  const seed = Number(process.env.KILL_SEED ?? Date.now() % 100_000);
  const random = mulberry32(seed);
  const dir = tempProject(project(syncMode, destinationMode));
  // how long one uninterrupted sync takes here, so the kills land inside a run
  const probe = tempProject(project(syncMode, destinationMode));
  const t0 = Date.now();
  expect(conveyor(['sync'], { cwd: probe }).code).toBe(0);
  const fullMs = Date.now() - t0;

  // Kill windows add up to about one full sync, so most kills land while there is work left. A kill
  // during start-up (before the run is recorded) does not count: we go on until KILLS runs were
  // interrupted, as the run history shows.
  const kills: number[] = [];
  const interrupted = () =>
    (
      JSON.parse(conveyor(['runs', '--json', '--limit', '100'], { cwd: dir }).stdout) as {
        failureReason: string | null;
      }[]
    ).filter((r) => r.failureReason?.startsWith('interrupted')).length;
  for (let attempt = 0; attempt < KILLS * 3 && interrupted() < KILLS; attempt++) {
    const at = Math.round(250 + random() * (fullMs / KILLS) * 1.5);
    const outcome = await syncKilledAfter(['sync'], dir, at);
    if (outcome.killed) kills.push(at);
  }
  const committedSeq = () =>
    (JSON.parse(conveyor(['state', 'show', 'c'], { cwd: dir }).stdout) as { seq: number }).seq;
  // On a loaded machine every kill can land before the first checkpoint. Incremental resumption
  // from a mid-sync state is the point of the incremental case: kill later until one exists.
  for (let extra = 0; syncMode === 'incremental' && extra < 6 && committedSeq() === 0; extra++) {
    const at = Math.round(fullMs * (0.5 + random() * 0.5));
    const outcome = await syncKilledAfter(['sync'], dir, at);
    if (outcome.killed) kills.push(at);
  }
  const before = { seq: committedSeq() };
  const final = conveyor(['sync'], { cwd: dir });
  expect(final.code, final.stderr).toBe(0);
  const [row] = await query(
    join(dir, 'kill.duckdb'),
    'SELECT count(*)::BIGINT AS n, count(DISTINCT id)::BIGINT AS ids, min(id)::BIGINT AS lo, max(id)::BIGINT AS hi, sum(id)::HUGEINT AS total FROM users',
  );
  const runs = JSON.parse(conveyor(['runs', '--json', '--limit', '50'], { cwd: dir }).stdout) as {
    status: string;
    failureReason: string | null;
  }[];
  return { seed, fullMs, kills, row, runs, seqBeforeFinal: before.seq };
}

describe('kill -9 at random instants, then resume', () => {
  it.each([
    ['incremental', 'append'],
    ['full_refresh', 'overwrite'],
  ])('%s + %s ends with exactly the source records', async (syncMode, destinationMode) => {
    const { seed, fullMs, kills, row, runs, seqBeforeFinal } = await killAndResume(syncMode, destinationMode);
    console.log(
      `${syncMode}+${destinationMode}: seed ${seed}, full sync ${fullMs} ms, killed at ${kills.join(', ')} ms`,
    );
    const interruptedRuns = runs.filter((r) => r.failureReason?.startsWith('interrupted')).length;
    expect(
      interruptedRuns,
      `seed ${seed}: at least ${KILLS} kills must land inside a running sync`,
    ).toBeGreaterThanOrEqual(KILLS);
    expect(row).toEqual({
      n: String(COUNT),
      ids: String(COUNT),
      lo: '1',
      hi: String(COUNT),
      total: String((COUNT * (COUNT + 1)) / 2),
    });
    // incremental: the kills interrupted work that had already committed checkpoints, so resuming
    // from a mid-sync state was exercised (a full refresh starts over by design)
    if (syncMode === 'incremental') expect(seqBeforeFinal).toBeGreaterThan(0);
    // the killed runs are in the history as interrupted; the last one succeeded
    expect(runs[0]?.status).toBe('succeeded');
    expect(interruptedRuns).toBeLessThanOrEqual(kills.length);
  });
});
