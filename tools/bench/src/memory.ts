// (c) Peak resident memory of the engine process at two sizes per workload, side by side, so
// growth with input size shows. The smaller size reuses the runs of (a) and (b) when they ran in
// the same invocation; otherwise it is measured here.

import type { BenchContext } from './checked-runs.js';
import { fakerRun } from './faker.js';
import { passthroughRun, prepareInput } from './passthrough.js';
import { fixed, markdownTable, shortCount } from './report.js';
import { spreadOf } from './stats.js';

const TARGET_MIB = 300;

export interface MemorySizes {
  fakerSmall: number;
  fakerLarge: number;
  passthroughCount: number;
  /** the larger passthrough streams the prepared file this many times (no second file needed) */
  passthroughRepeat: number;
}

export interface EarlierRss {
  /** from (b), at sizes.fakerSmall */
  faker?: number[];
  /** from (a), at sizes.passthroughCount */
  passthrough?: number[];
  /** DuckDB's read_json alone in (a), at sizes.passthroughCount: the floor for comparison */
  baseline?: number[];
}

interface Row {
  workload: string;
  smallCount: number;
  small: number[];
  largeCount: number;
  large: number[];
  ok: boolean;
}

function render(row: Row): string[] {
  const median = (values: number[]) => spreadOf(values).median;
  const runs = (values: number[]) => (values.length === 1 ? '1 run' : `median of ${values.length} runs`);
  const small = median(row.small);
  const large = median(row.large);
  const growth = ((large - small) / small) * 100;
  const verdict = !row.ok
    ? 'not reported: the tables differ'
    : Math.max(small, large) <= TARGET_MIB
      ? 'met'
      : '**missed**';
  return [
    row.workload,
    `${shortCount(row.smallCount)}: **${fixed(small, 0)}** (${runs(row.small)})`,
    `${shortCount(row.largeCount)}: **${fixed(large, 0)}** (${runs(row.large)})`,
    `${growth >= 0 ? '+' : ''}${fixed(growth, 0)}%`,
    verdict,
  ];
}

export async function memoryBenchmark(
  ctx: BenchContext,
  sizes: MemorySizes,
  earlier: EarlierRss,
): Promise<string> {
  const fakerSmall = earlier.faker ?? [(await fakerRun(ctx, 'c-faker-small', sizes.fakerSmall)).peakRssMiB];
  const large = await fakerRun(ctx, 'c-faker-large', sizes.fakerLarge);
  const fakerRow: Row = {
    workload: 'faker → DuckDB (in-process source)',
    smallCount: sizes.fakerSmall,
    small: fakerSmall,
    largeCount: sizes.fakerLarge,
    large: [large.peakRssMiB],
    ok: large.ok,
  };

  const prepared = prepareInput(ctx, sizes.passthroughCount);
  const passSmall = earlier.passthrough ?? [(await passthroughRun(ctx, 'c-pass-small', prepared)).peakRssMiB];
  const passLarge = await passthroughRun(ctx, 'c-pass-large', prepared, sizes.passthroughRepeat);
  const passRow: Row = {
    workload: '`exec:` passthrough → DuckDB (subprocess source)',
    smallCount: sizes.passthroughCount,
    small: passSmall,
    largeCount: sizes.passthroughCount * sizes.passthroughRepeat,
    large: [passLarge.peakRssMiB],
    ok: passLarge.ok,
  };

  const floor = earlier.baseline
    ? `For scale: DuckDB's own \`read_json\` of the same ${shortCount(sizes.passthroughCount)} records, alone in a Node process, peaked at ${fixed(spreadOf(earlier.baseline).median, 0)} MiB (median of ${earlier.baseline.length} runs in (a)).`
    : '';
  return [
    '### (c) Peak RSS of the engine process (MiB)',
    '',
    `The \`conveyor sync\` process, which runs the engine and the DuckDB destination; the passthrough's larger size streams the prepared file ${sizes.passthroughRepeat} times (duplicate ids, rows checked).`,
    '',
    markdownTable(
      ['workload', 'smaller size', 'larger size', 'growth', `target ≤ ${TARGET_MIB} MiB, flat`],
      [render(fakerRow), render(passRow)],
    ),
    ...(floor ? ['', floor] : []),
  ].join('\n');
}
