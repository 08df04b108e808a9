// DatetimeBasedCursor: incremental reading by a datetime field. The range from the start (the
// saved cursor minus the lookback window, never before the configured start) to the end (now by
// default) is cut into windows of `step`; each window is a slice whose bounds are formatted with
// the manifest's datetime format and may be sent as request options. The state is the greatest
// cursor value seen, in the reference's shape `{ <cursor_field>: <formatted datetime> }`.

import { addDuration, datetimeWindows, parseIsoDuration } from '@conveyor/http';
import { configError } from '@conveyor/protocol';
import { formatDatetimeMillis, parseDatetimeMillis } from '../interpolation/index.js';
import { type Config, Interpolated } from './interpolated.js';
import { emptyParts, RequestOption, type RequestParts } from './request-parts.js';
import type { Mapping, StreamSlice } from './slice.js';

interface Bound {
  value: Interpolated;
  format?: string;
  min?: Interpolated;
  max?: Interpolated;
}

function boundFrom(model: unknown, parameters: Mapping): Bound | undefined {
  if (model === undefined || model === null) return undefined;
  if (typeof model === 'string') return { value: Interpolated.of(model, parameters) };
  const m = model as Mapping;
  const params = { ...parameters, ...((m.$parameters as Mapping) ?? {}) };
  return {
    value: Interpolated.of(m.datetime, params),
    format: typeof m.datetime_format === 'string' ? m.datetime_format : undefined,
    min: m.min_datetime === undefined ? undefined : Interpolated.of(m.min_datetime, params),
    max: m.max_datetime === undefined ? undefined : Interpolated.of(m.max_datetime, params),
  };
}

/** The cursor values a read keeps, in epoch ms, both ends included. */
export interface SyncRange {
  from: number;
  to: number;
}

export class DatetimeCursor {
  readonly cursorField: Interpolated;
  private readonly format: string;
  private readonly parseFormats: string[];
  private readonly start: Bound;
  private readonly end: Bound | undefined;
  private readonly step: Interpolated | undefined;
  private readonly granularity: string | undefined;
  private readonly lookback: Interpolated | undefined;
  private readonly startOption: RequestOption | undefined;
  private readonly endOption: RequestOption | undefined;
  private readonly startField: Interpolated;
  private readonly endField: Interpolated;
  private readonly parameters: Mapping;
  /** records outside the read's range are dropped by the record selector (`is_client_side_incremental`) */
  readonly clientSide: boolean;
  /** newest first: a page whose last record is outside the range is the last page (`is_data_feed`) */
  readonly dataFeed: boolean;

  constructor(model: Mapping, parameters: Mapping) {
    this.parameters = { ...parameters, ...((model.$parameters as Mapping) ?? {}) };
    const p = this.parameters;
    this.cursorField = Interpolated.of(model.cursor_field, p);
    this.format = String(model.datetime_format ?? '%Y-%m-%dT%H:%M:%S.%f%z');
    this.parseFormats = [...((model.cursor_datetime_formats as string[]) ?? []), this.format];
    const start = boundFrom(model.start_datetime, p);
    if (!start) throw configError('A DatetimeBasedCursor needs start_datetime.');
    this.start = start;
    this.end = boundFrom(model.end_datetime, p);
    this.step = model.step === undefined ? undefined : Interpolated.of(model.step, p);
    this.granularity = model.cursor_granularity === undefined ? undefined : String(model.cursor_granularity);
    this.lookback =
      model.lookback_window === undefined ? undefined : Interpolated.of(model.lookback_window, p);
    this.startOption = model.start_time_option
      ? RequestOption.from(model.start_time_option as Mapping, p)
      : undefined;
    this.endOption = model.end_time_option
      ? RequestOption.from(model.end_time_option as Mapping, p)
      : undefined;
    this.clientSide = model.is_client_side_incremental === true;
    this.dataFeed = model.is_data_feed === true;
    this.startField = Interpolated.of(model.partition_field_start ?? 'start_time', p);
    this.endField = Interpolated.of(model.partition_field_end ?? 'end_time', p);
  }

  field(config: Config): string {
    return this.cursorField.evalString(config);
  }

  private resolve(bound: Bound, config: Config, fallbackNow: boolean): number {
    const text = bound.value.eval(config, {});
    const value = text === null || text === undefined || text === '' ? undefined : text;
    let ms = value === undefined ? (fallbackNow ? Date.now() : Number.NaN) : this.parse(value, bound.format);
    if (bound.min) {
      const min = bound.min.eval(config, {});
      if (min !== null && min !== undefined && min !== '') ms = Math.max(ms, this.parse(min, bound.format));
    }
    if (bound.max) {
      const max = bound.max.eval(config, {});
      if (max !== null && max !== undefined && max !== '') ms = Math.min(ms, this.parse(max, bound.format));
    }
    return ms;
  }

  /** Parses a datetime with the bound's format, then the cursor's formats; ISO-8601 as the last resort. */
  parse(value: unknown, format?: string): number {
    const formats = format ? [format, ...this.parseFormats] : this.parseFormats;
    for (const f of formats) {
      const ms = parseDatetimeMillis(value, f);
      if (ms !== undefined) return ms;
    }
    const iso = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isFinite(iso)) return iso;
    throw configError(`The datetime "${String(value)}" matches none of the formats ${formats.join(', ')}.`);
  }

  formatMs(ms: number): string {
    return formatDatetimeMillis(ms, this.format);
  }

  /** The windows to read, from the saved state on. */
  windows(config: Config, state: Mapping | undefined): Mapping[] {
    const start = this.resolve(this.start, config, false);
    const end = this.end ? this.resolve(this.end, config, true) : Date.now();
    const saved = state?.[this.field(config)];
    const from = saved !== undefined && saved !== null && saved !== '' ? this.parse(saved) : undefined;
    const lookback = this.lookback?.evalString(config) || undefined;
    const startName = this.startField.evalString(config);
    const endName = this.endField.evalString(config);
    const windows = datetimeWindows({
      start,
      end,
      from,
      lookback,
      step: this.step?.evalString(config) || undefined,
      cursorGranularity: this.granularity,
    });
    return windows.map((w) => ({ [startName]: this.formatMs(w.start), [endName]: this.formatMs(w.end) }));
  }

  requestParts(slice: StreamSlice, config: Config): RequestParts {
    const parts = emptyParts();
    const startName = this.startField.evalString(config);
    const endName = this.endField.evalString(config);
    if (this.startOption && startName in slice.cursor)
      this.startOption.inject(parts, slice.cursor[startName], config);
    if (this.endOption && endName in slice.cursor)
      this.endOption.inject(parts, slice.cursor[endName], config);
    return parts;
  }

  /** The record's cursor value in epoch ms, or undefined when it has none. */
  recordCursor(record: Mapping, config: Config): number | undefined {
    const value = record[this.field(config)];
    if (value === undefined || value === null || value === '') return undefined;
    try {
      return this.parse(value);
    } catch {
      return undefined;
    }
  }

  /**
   * The cursor values a read keeps, as the reference's `should_be_synced` decides: from the saved
   * cursor (or the configured start) minus the lookback window, never below the lower of the two,
   * to the end (now by default).
   */
  syncRange(config: Config, state: Mapping | undefined): SyncRange {
    const configured = this.resolve(this.start, config, false);
    const end = this.end ? this.resolve(this.end, config, true) : Date.now();
    const saved = state?.[this.field(config)];
    const start = saved !== undefined && saved !== null && saved !== '' ? this.parse(saved) : configured;
    const lookback = this.lookback?.evalString(config) || undefined;
    if (!lookback) return { from: start, to: end };
    const lower = addDuration(start, parseIsoDuration(lookback), -1);
    return { from: Math.max(lower, Math.min(start, configured)), to: end };
  }

  /** Whether a record is inside the range; a record without a readable cursor value is kept. */
  inRange(record: Mapping, range: SyncRange, config: Config): boolean {
    const at = this.recordCursor(record, config);
    return at === undefined || (at >= range.from && at <= range.to);
  }

  stateFor(maxMs: number, config: Config): Mapping {
    return { [this.field(config)]: this.formatMs(maxMs) };
  }
}
