// Summaries of repeated measurements: the median with the spread around it. Medians, because on a
// shared 2-core machine one run in a few is disturbed and a mean would carry that disturbance.

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spreadOf needs at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Ratio of each pair a[i] / b[i], summarised. Pairs are measured back to back, so drift cancels. */
export function pairRatios(a: readonly number[], b: readonly number[]): Spread {
  if (a.length !== b.length)
    throw new Error(`pairRatios needs as many A runs as B runs (${a.length} vs ${b.length})`);
  return spreadOf(a.map((value, i) => value / b[i]!));
}

/** The A/A control passes when Conveyor against itself lands within `tolerance` of 1.0. */
export function controlPasses(control: Spread, tolerance = 0.1): boolean {
  return Math.abs(control.median - 1) <= tolerance;
}
