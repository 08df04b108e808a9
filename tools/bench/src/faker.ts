// (b) Faker into DuckDB: the in-process path (a TypeScript source handing record objects to the
// DuckDB destination in one process), users only. Not a comparison, so no pairs: a warm-up, then
// `runs` measured syncs, each checked row for row against what faker promises.

import { type BenchContext, type CheckedRun, checkedConveyorRun } from './checked-runs.js';
import { fixed, integer, markdownTable, shortCount, spread } from './report.js';
import { spreadOf } from './stats.js';
import type { TableChecksum } from './table-check.js';

const TARGET_RECORDS_PER_SECOND = 200_000;
const SEED = 1;

export interface FakerResult {
  markdown: string;
  rssMiB: number[];
}

/** What faker guarantees for `count` users: ids 1..count, one distinct email per user. */
export function fakerPromise(count: number): Partial<TableChecksum> {
  return { rows: count, sumId: (count * (count + 1)) / 2, distinctEmails: count };
}

export function fakerRun(
  ctx: BenchContext,
  label: string,
  count: number,
  expected: Partial<TableChecksum> = fakerPromise(count),
): Promise<CheckedRun> {
  return checkedConveyorRun(ctx, label, { connector: 'faker', config: { count, seed: SEED } }, expected);
}

export async function fakerBenchmark(ctx: BenchContext, count: number, runs: number): Promise<FakerResult> {
  ctx.log('(b) warm-up: one faker run (not counted)');
  const warmup = await fakerRun(ctx, 'b-warmup', count);
  // the same seed must give the same table every time: later runs must match the warm-up exactly
  const expected = warmup.ok ? warmup.checksum : fakerPromise(count);
  const measured: CheckedRun[] = [];
  for (let i = 1; i <= runs; i++) measured.push(await fakerRun(ctx, `b-faker-${i}`, count, expected));

  const wallRate = spreadOf(measured.map((r) => count / r.seconds));
  const engineTimes = measured.map((r) => r.engineSeconds).filter((s): s is number => s !== undefined);
  const engineRate =
    engineTimes.length === measured.length ? spreadOf(engineTimes.map((s) => count / s)) : undefined;
  const startup = spreadOf(measured.map((r) => r.seconds - (r.engineSeconds ?? 0)));
  const allChecked = warmup.ok && measured.every((r) => r.ok);
  const verdict = !allChecked
    ? 'not reported: the tables differ (see problems)'
    : wallRate.median >= TARGET_RECORDS_PER_SECOND
      ? 'met'
      : '**missed**';
  const row = (name: string, cell: string) => [name, cell];
  const rows = [
    row(
      'wall seconds, spawn to exit',
      spread(spreadOf(measured.map((r) => r.seconds)), (n) => fixed(n, 2)),
    ),
    row('**records/s (wall clock)**', `**${spread(wallRate, integer)}**`),
    row(
      'records/s (engine only, the sync summary)',
      engineRate ? spread(engineRate, integer) : 'the CLI printed no summary',
    ),
    row(
      'start-up + shutdown seconds (wall − engine)',
      spread(startup, (n) => fixed(n, 2)),
    ),
    row(
      'peak RSS MiB',
      spread(spreadOf(measured.map((r) => r.peakRssMiB)), (n) => fixed(n, 0)),
    ),
    row(
      'rows written (read back from DuckDB)',
      allChecked
        ? `${integer(count)} in all ${measured.length} runs; ids 1..${shortCount(count)}, distinct emails, identical checksum every run`
        : '**differs** (see problems)',
    ),
    row(`target ≥ ${integer(TARGET_RECORDS_PER_SECOND)} records/s (wall) on this machine`, verdict),
  ];
  const markdown = [
    `### (b) Faker → DuckDB, ${shortCount(count)} users, in-process source`,
    '',
    `\`conveyor sync\` with a project file selecting \`users\` (full_refresh + append), seed ${SEED}; one warm-up, then ${runs} runs, each a fresh process and DuckDB file. Median (min–max).`,
    '',
    markdownTable(['measure', 'value'], rows),
  ].join('\n');
  return { markdown, rssMiB: measured.map((r) => r.peakRssMiB) };
}
