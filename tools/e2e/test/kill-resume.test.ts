// The exactly-once promise: a sync killed with SIGKILL at random instants and resumed each time
// ends with exactly the source's records in DuckDB, no gaps and no duplicates.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query, tempProject } from './cli.js';
import { killRepeatedly } from './kill-loop.js';

const COUNT = 200_000;
const KILLS = 6;

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
  const dir = tempProject(project(syncMode, destinationMode));
  const outcome = await killRepeatedly({
    dir,
    probeDir: tempProject(project(syncMode, destinationMode)),
    kills: KILLS,
    connection: 'c',
    needCheckpoint: syncMode === 'incremental',
  });
  expect(outcome.final.code, outcome.final.stderr).toBe(0);
  const [row] = await query(
    join(dir, 'kill.duckdb'),
    'SELECT count(*)::BIGINT AS n, count(DISTINCT id)::BIGINT AS ids, min(id)::BIGINT AS lo, max(id)::BIGINT AS hi, sum(id)::HUGEINT AS total FROM users',
  );
  return { ...outcome, row, dir };
}

describe('kill -9 at random instants, then resume', () => {
  it.each([
    ['incremental', 'append'],
    ['full_refresh', 'overwrite'],
  ])('%s + %s ends with exactly the source records', async (syncMode, destinationMode) => {
    const { seed, fullMs, kills, row, runs, seqBeforeFinal, interrupted } = await killAndResume(
      syncMode,
      destinationMode,
    );
    console.log(
      `${syncMode}+${destinationMode}: seed ${seed}, full sync ${fullMs} ms, killed at ${kills.join(', ')} ms`,
    );
    const interruptedRuns = interrupted;
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

  // Each full-refresh append adds one whole copy of the source, in its own generation. The copy is
  // staged out of sight and committed in steps, then moved into the table when the read ends, so
  // a killed sync adds nothing, and a new sync discards what a killed one staged.
  it('full_refresh + append adds whole copies only', async () => {
    const { seed, fullMs, kills, runs, interrupted, dir } = await killAndResume('full_refresh', 'append');
    console.log(
      `full_refresh+append: seed ${seed}, full sync ${fullMs} ms, killed at ${kills.join(', ')} ms`,
    );
    expect(interrupted, `seed ${seed}: kills inside a running sync`).toBeGreaterThanOrEqual(KILLS);
    expect(runs[0]?.status).toBe('succeeded');
    const copies = await query(
      join(dir, 'kill.duckdb'),
      `SELECT _conveyor_generation_id::BIGINT AS generation, count(*)::BIGINT AS n, count(DISTINCT id)::BIGINT AS ids,
         min(id)::BIGINT AS lo, max(id)::BIGINT AS hi FROM users GROUP BY ALL ORDER BY generation`,
    );
    // the last sync's copy, and one per sync killed after its last commit but before it was
    // recorded as succeeded (at most one per kill)
    expect(copies.length).toBeGreaterThanOrEqual(1);
    expect(copies.length).toBeLessThanOrEqual(1 + kills.length);
    for (const copy of copies) {
      expect(copy, `seed ${seed}: generation ${copy.generation} is one whole copy`).toEqual({
        generation: copy.generation,
        n: String(COUNT),
        ids: String(COUNT),
        lo: '1',
        hi: String(COUNT),
      });
    }
    const [{ hidden } = { hidden: -1 }] = await query(
      join(dir, 'kill.duckdb'),
      "SELECT count(*)::INT AS hidden FROM duckdb_tables() WHERE table_name LIKE '%conveyor_next'",
    );
    expect(hidden, 'no staging table left behind').toBe(0);
  });
});
