// Datetime windows for incremental syncs: the span from the start (or the cursor in state, minus
// the lookback) to the end, cut into steps. With a cursor granularity each window ends one unit
// before the next one starts (so no record is read twice); without one, windows share their
// boundaries. The last window always ends at the end. Same cuts as the reference CDK's concurrent
// datetime cursor, in epoch milliseconds, UTC.

import { addDuration, fixedDurationMs, type IsoDuration, toDuration } from './durations.js';

export interface DatetimeWindow {
  /** epoch ms, inclusive */
  start: number;
  /** epoch ms, inclusive */
  end: number;
}

export interface DatetimeWindowOptions {
  /** the configured start date */
  start: Date | number;
  end: Date | number;
  /** the cursor value from state: windows begin there (minus the lookback), never before `start` */
  from?: Date | number;
  /** the length of a window (P1D, PT6H, P1M with calendar months, P1W, P1Y); default one window */
  step?: string | IsoDuration;
  /** the smallest unit of the cursor (PT1S, P1D): a window ends one unit before the next begins */
  cursorGranularity?: string | IsoDuration;
  /** re-read this much before the state's cursor (late-arriving updates) */
  lookback?: string | IsoDuration;
}

const ms = (value: Date | number) => (typeof value === 'number' ? value : value.getTime());

export function datetimeWindows(options: DatetimeWindowOptions): DatetimeWindow[] {
  const start = ms(options.start);
  const upper = ms(options.end);
  const step = options.step !== undefined ? toDuration(options.step) : undefined;
  const granularity =
    options.cursorGranularity !== undefined ? fixedDurationMs(toDuration(options.cursorGranularity)) : 0;
  let lower = start;
  if (options.from !== undefined) {
    const lookback = options.lookback !== undefined ? toDuration(options.lookback) : undefined;
    lower = Math.max(lookback ? addDuration(ms(options.from), lookback, -1) : ms(options.from), start);
  }
  if (lower > upper || (lower === upper && granularity === 0)) return [];
  if (step && addDuration(lower, step) <= lower)
    throw new RangeError('A window step must be a positive duration.');

  const windows: DatetimeWindow[] = [];
  if (!step || addDuration(lower, step) >= upper) return [{ start: lower, end: upper }];
  let current = lower;
  for (;;) {
    const next = Math.min(addDuration(current, step), upper);
    if (next >= upper) {
      windows.push({ start: current, end: upper });
      return windows;
    }
    windows.push({ start: current, end: next - granularity });
    current = next;
  }
}
