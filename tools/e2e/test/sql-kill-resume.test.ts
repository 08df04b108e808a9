// Exactly-once into every SQL destination: a 200,000-row sync from Postgres (a full refresh that
// overwrites and an incremental append, 100,000 rows each) killed with SIGKILL at random instants
// and resumed each time ends with exactly the source's rows. The full refresh resumes inside its
// generation from the last committed primary key; the incremental read from the last committed
// (cursor, key).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject } from './cli.js';
import { killRepeatedly } from './kill-loop.js';
import { type EndKind, openEnd, projectYaml, type SqlEnd } from './sql-ends.js';

const ROWS = 100_000;
const KILLS = 5;
const STREAMS = [
  { name: 'big_full', sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' },
  { name: 'big_inc', sync_mode: 'incremental', destination_sync_mode: 'append', cursor_field: 'updated_at' },
];

/** A timestamp as each client returns it (a Date, or text in UTC) in ms since the epoch. */
function instant(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  const text = String(value);
  const ms = Date.parse(/[zZ]|[+-]\d\d(:?\d\d)?$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${text}`);
  return ms;
}

let source: SqlEnd;
beforeAll(async () => {
  source = await openEnd('postgres', tempProject(), 'source');
  for (const { name } of STREAMS) {
    await source.exec(
      `CREATE TABLE ${name} (id bigint PRIMARY KEY, name text, amount double precision, updated_at timestamp)`,
    );
    // rows share their cursor value in groups of 1,000, so resuming inside a group is exercised
    await source.exec(
      `INSERT INTO ${name} SELECT i, 'row ' || i, i * 0.5, timestamp '2024-01-01' + (i / 1000) * interval '1 minute'
       FROM generate_series(1, ${ROWS}) AS i`,
    );
  }
});
afterAll(async () => {
  await source?.close();
});

describe('kill -9 at random instants during a 200,000-row sync, then resume', () => {
  it.each(['postgres', 'mysql', 'sqlite', 'duckdb'] as EndKind[])(
    'into %s ends with exactly the source rows',
    async (kind) => {
      const dir = tempProject();
      const destination = await openEnd(kind, dir, 'destination');
      const probeDestination = await openEnd(kind, tempProject(), 'destination');
      const checkpoint = '    checkpoint: { records: 10000, seconds: 1 }\n';
      try {
        const project = tempProject(projectYaml(source, destination, STREAMS, checkpoint));
        const outcome = await killRepeatedly({
          dir: project,
          probeDir: tempProject(projectYaml(source, probeDestination, STREAMS, checkpoint)),
          kills: KILLS,
          connection: 'c',
          needCheckpoint: true,
        });
        console.log(
          `${kind}: seed ${outcome.seed}, full sync ${outcome.fullMs} ms, killed at ${outcome.kills.join(', ')} ms`,
        );
        expect(outcome.final.code, outcome.final.stderr).toBe(0);
        expect(
          outcome.interrupted,
          `seed ${outcome.seed}: kills inside a running sync`,
        ).toBeGreaterThanOrEqual(KILLS);
        // a checkpoint was committed before the last sync, so it resumed from a mid-sync state
        expect(outcome.seqBeforeFinal).toBeGreaterThan(0);
        expect(outcome.runs[0]?.status).toBe('succeeded');

        for (const { name } of STREAMS) {
          const t = destination.quote(name);
          const [row] = await destination.rows(
            `SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi, sum(id) AS total FROM ${t}`,
          );
          const counts = Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]));
          expect(counts.ids, `${name}: distinct rows`).toBe(ROWS);
          expect(counts.lo).toBe(1);
          expect(counts.hi).toBe(ROWS);
          if (name === 'big_full') {
            expect(counts.n, `${name}: no row twice`).toBe(ROWS);
          } else {
            // A sync that starts after the stream was read to the end reads the last cursor value
            // again (inclusive: rows written later with the same value are never lost), so only
            // the boundary row (the last id, alone at the highest cursor) may repeat, at most once
            // per sync that started after it was first read. That includes a sync killed after
            // the stream's last commit but before the run was recorded as succeeded. A resume
            // from a mid-stream state repeats nothing: any other repeated row is a failure.
            const [first] = await destination.rows(
              `SELECT min(${destination.quote('_conveyor_extracted_at')}) AS at FROM ${t} WHERE id = ${ROWS}`,
            );
            const firstRead = instant(first?.at);
            // read back right (a timestamp in the wrong zone would move it by hours): within the test's runs
            const oldestStart = Date.parse(outcome.runs.at(-1)?.startedAt ?? '');
            expect(firstRead, `${name}: when the last row was first read`).toBeGreaterThan(oldestStart);
            expect(firstRead).toBeLessThan(Date.now());
            const runsAfterFirstRead = outcome.runs.filter((r) => Date.parse(r.startedAt) > firstRead).length;
            expect((counts.n ?? 0) - ROWS, `${name}: repeats`).toBeLessThanOrEqual(runsAfterFirstRead);
            const repeated = await destination.rows(`SELECT id FROM ${t} GROUP BY id HAVING count(*) > 1`);
            for (const r of repeated) expect(Number(r.id)).toBe(ROWS);
          }
        }
      } finally {
        await destination.close();
        await probeDestination.close();
      }
    },
  );
});
