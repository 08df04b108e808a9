// (a) Engine passthrough: a subprocess source printing prepared RECORD lines, synced by Conveyor
// into DuckDB (A), against DuckDB's own read_json of the same records (B). Each round runs A, B,
// then A again (A'): A/B gives the ratio, A/A' the noise control, both from adjacent runs.

import {
  type BenchContext,
  type CheckedRun,
  checkedBaselineRun,
  checkedConveyorRun,
} from './checked-runs.js';
import { type PreparedRecords, prepareRecords } from './fixtures.js';
import { fixed, integer, markdownTable, shortCount, spread } from './report.js';
import { writeSourceScript } from './source-script.js';
import { controlPasses, pairRatios, type Spread, spreadOf } from './stats.js';
import { repeated } from './table-check.js';

const TARGET_RATIO = 2.0;

export interface PassthroughResult {
  markdown: string;
  /** peak RSS of every measured Conveyor run, for the memory table */
  conveyorRssMiB: number[];
  /** peak RSS of the baseline runs: what DuckDB alone needs for the same rows */
  baselineRssMiB: number[];
}

export function prepareInput(ctx: BenchContext, count: number): PreparedRecords {
  const prepared = prepareRecords(ctx.outDir, count);
  ctx.log(
    `${prepared.cached ? 'reusing' : 'prepared'} ${integer(count)} records (${prepared.bytesPerRecord.toFixed(0)} bytes per RECORD line): ${prepared.recordsFile}`,
  );
  return prepared;
}

/** One checked Conveyor sync of the prepared records, streamed `repeat` times by the exec source. */
export function passthroughRun(
  ctx: BenchContext,
  label: string,
  prepared: PreparedRecords,
  repeat = 1,
): Promise<CheckedRun> {
  const script = writeSourceScript(ctx.outDir);
  return checkedConveyorRun(
    ctx,
    label,
    { connector: `exec:${script}`, config: { path: prepared.recordsFile, repeat } },
    repeated(prepared.expected, repeat),
  );
}

function checkedCell(runs: CheckedRun[], count: number): string {
  const bad = runs.filter((r) => !r.ok).length;
  return bad === 0
    ? `${integer(count)} in all ${runs.length} runs; checksum equal to the input`
    : `**${bad} of ${runs.length} runs differ from the input** (see problems)`;
}

function ratioRow(name: string, ratio: Spread, target: string, verdict: string, pairs: number): string[] {
  return [
    name,
    String(pairs),
    fixed(ratio.median, 2),
    fixed(ratio.min, 2),
    fixed(ratio.max, 2),
    target,
    verdict,
  ];
}

export async function passthroughBenchmark(ctx: BenchContext, count: number): Promise<PassthroughResult> {
  const prepared = prepareInput(ctx, count);
  const expected = prepared.expected;

  ctx.log('(a) warm-up: one Conveyor run, one baseline run (not counted)');
  await passthroughRun(ctx, 'a-warmup-conveyor', prepared);
  await checkedBaselineRun(ctx, 'a-warmup-duckdb', prepared.dataFile, expected);

  const conveyor: CheckedRun[] = [];
  const baseline: CheckedRun[] = [];
  const control: CheckedRun[] = [];
  for (let round = 1; round <= ctx.pairs; round++) {
    conveyor.push(await passthroughRun(ctx, `a-conveyor-${round}`, prepared));
    baseline.push(await checkedBaselineRun(ctx, `a-duckdb-${round}`, prepared.dataFile, expected));
    control.push(await passthroughRun(ctx, `a-control-${round}`, prepared));
  }

  const seconds = (runs: CheckedRun[]) => spreadOf(runs.map((r) => r.seconds));
  const rate = (runs: CheckedRun[]) => spreadOf(runs.map((r) => r.checksum.rows / r.seconds));
  const rss = (runs: CheckedRun[]) => spreadOf(runs.map((r) => r.peakRssMiB));
  const a = conveyor.map((r) => r.seconds);
  const ratio = pairRatios(
    a,
    baseline.map((r) => r.seconds),
  );
  const aa = pairRatios(
    a,
    control.map((r) => r.seconds),
  );
  const quiet = controlPasses(aa);
  const allChecked = [...conveyor, ...baseline, ...control].every((r) => r.ok);
  const verdict = !allChecked
    ? 'not reported: the tables differ (see problems)'
    : !quiet
      ? 'not reported: machine too noisy (A/A control outside 0.90–1.10)'
      : ratio.median <= TARGET_RATIO
        ? 'met'
        : '**missed**';
  const secondsCell = (runs: CheckedRun[]) => spread(seconds(runs), (n) => fixed(n, 2));
  const rateCell = (runs: CheckedRun[]) => spread(rate(runs), integer);
  const rssCell = (runs: CheckedRun[]) => spread(rss(runs), (n) => fixed(n, 0));

  const sides = markdownTable(
    ['', 'Conveyor: `exec:` source → DuckDB (A)', 'DuckDB `read_json` (B, the floor)'],
    [
      ['wall seconds, spawn to exit: median (min–max)', secondsCell(conveyor), secondsCell(baseline)],
      ['rows/s', rateCell(conveyor), rateCell(baseline)],
      ['peak RSS MiB', rssCell(conveyor), rssCell(baseline)],
      ['rows written (read back from DuckDB)', checkedCell(conveyor, count), checkedCell(baseline, count)],
    ],
  );
  const ratios = markdownTable(
    ['comparison', 'pairs', 'median ratio', 'min', 'max', 'target', 'verdict'],
    [
      quiet && allChecked
        ? ratioRow(
            'A/B: Conveyor / DuckDB read_json',
            ratio,
            `≤ ${fixed(TARGET_RATIO, 1)}`,
            verdict,
            ctx.pairs,
          )
        : [
            'A/B: Conveyor / DuckDB read_json',
            String(ctx.pairs),
            '—',
            '—',
            '—',
            `≤ ${fixed(TARGET_RATIO, 1)}`,
            verdict,
          ],
      ratioRow(
        "A/A control: Conveyor / Conveyor (A')",
        aa,
        '0.90–1.10',
        quiet ? 'quiet enough' : '**too noisy**',
        ctx.pairs,
      ),
    ],
  );
  const markdown = [
    `### (a) Engine passthrough, ${shortCount(count)} records (~${prepared.bytesPerRecord.toFixed(0)} bytes per RECORD line)`,
    '',
    `Each round runs A, B, A' in turn after one warm-up of each; every run is a fresh process writing a fresh DuckDB file. Checksum: count(*), sum(id), count(DISTINCT email), sum(age), sum(length(name)). Conveyor: project file, stream \`users\` full_refresh + append.`,
    '',
    sides,
    '',
    ratios,
  ].join('\n');
  return {
    markdown,
    conveyorRssMiB: [...conveyor, ...control].map((r) => r.peakRssMiB),
    baselineRssMiB: baseline.map((r) => r.peakRssMiB),
  };
}
