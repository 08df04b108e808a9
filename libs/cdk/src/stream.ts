// A stream is an async generator of records. Yield one record at a time when that reads
// naturally, or an array of records (a batch: an API page, a query chunk) when you have one: the
// CDK passes a yielded array on as one batch without copying it, so it belongs to the CDK once
// yielded. Full-refresh streams extend Stream; streams that can resume from a cursor extend
// IncrementalStream, and the CDK keeps their state for them.

import type { AirbyteStream, ConfiguredStream, JsonObject, SyncMode } from '@conveyor/protocol';
import type { ReadContext } from './types.js';

export interface StreamContext extends ReadContext {
  /** The catalog entry being read: sync mode, user-chosen cursor field, primary key. */
  configuredStream: ConfiguredStream;
}

export abstract class Stream<Config extends JsonObject = JsonObject> {
  abstract readonly name: string;
  readonly namespace?: string;
  /** Source-defined primary key: a list of field paths, e.g. `[['id']]`. */
  readonly primaryKey?: string[][];

  abstract jsonSchema(): JsonObject;

  /** `state` is only passed to incremental streams; a full-refresh stream ignores it. */
  abstract read(
    config: Config,
    ctx: StreamContext,
    state?: JsonObject,
  ): AsyncIterable<JsonObject | JsonObject[]>;

  get supportedSyncModes(): SyncMode[] {
    return ['full_refresh'];
  }

  /** How the stream appears in `discover`. */
  describe(): AirbyteStream {
    const stream: AirbyteStream = {
      name: this.name,
      json_schema: this.jsonSchema(),
      supported_sync_modes: this.supportedSyncModes,
      is_resumable: false,
    };
    if (this.namespace) stream.namespace = this.namespace;
    if (this.primaryKey) stream.source_defined_primary_key = this.primaryKey;
    return stream;
  }
}

type CursorValue = string | number;

/**
 * A stream that reads only what changed since the last sync. It yields records in ascending
 * cursor order; the CDK tracks the largest cursor value it has seen and checkpoints it as
 * `{ "<cursor.field.path>": maxCursor }`. Override `stateFor` (or `stateFromCursor` and
 * `cursorFromState`) for another state shape, and set `sortedByCursor = false` when records do
 * not come in cursor order: then the CDK only checkpoints at the end of the stream, because a
 * checkpoint in the middle could skip older records still to come.
 */
export abstract class IncrementalStream<
  Config extends JsonObject = JsonObject,
  Cursor extends CursorValue = CursorValue,
> extends Stream<Config> {
  abstract readonly cursorField: string[];
  readonly sortedByCursor: boolean = true;

  /**
   * `state` is this stream's `stream_state` from the last committed checkpoint, or undefined on
   * the first sync and in full-refresh mode (then read everything).
   */
  abstract override read(
    config: Config,
    ctx: StreamContext,
    state: JsonObject | undefined,
  ): AsyncIterable<JsonObject | JsonObject[]>;

  override get supportedSyncModes(): SyncMode[] {
    return ['full_refresh', 'incremental'];
  }

  override describe(): AirbyteStream {
    return {
      ...super.describe(),
      source_defined_cursor: true,
      default_cursor_field: this.cursorField,
      is_resumable: true,
    };
  }

  /** The record's cursor value; undefined when the record has none (it does not move the cursor). */
  cursorValue(record: JsonObject): Cursor | undefined {
    let value: unknown = record;
    for (const key of this.cursorField) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as JsonObject)[key];
    }
    return typeof value === 'string' || typeof value === 'number' ? (value as Cursor) : undefined;
  }

  /** Negative, zero or positive like a sort comparator. Strings compare by code unit, which orders ISO-8601 timestamps. */
  compareCursor(a: Cursor, b: Cursor): number {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  stateFromCursor(cursor: Cursor): JsonObject {
    return { [this.cursorField.join('.')]: cursor };
  }

  /** The cursor a saved state resumes from; the CDK never checkpoints a cursor lower than this. */
  cursorFromState(state: JsonObject | undefined): Cursor | undefined {
    const value = state?.[this.cursorField.join('.')];
    return typeof value === 'string' || typeof value === 'number' ? (value as Cursor) : undefined;
  }

  /**
   * The state to checkpoint after `lastRecord`, given the largest cursor seen so far (including
   * the one resumed from). Undefined means "nothing new to save".
   */
  stateFor(_lastRecord: JsonObject | undefined, maxCursor: Cursor | undefined): JsonObject | undefined {
    return maxCursor === undefined ? undefined : this.stateFromCursor(maxCursor);
  }
}

/** Follows the largest cursor value of one incremental read. One per stream read, not per record. */
export class CursorTracker<Cursor extends CursorValue> {
  private max: Cursor | undefined;
  private last: JsonObject | undefined;

  constructor(
    private readonly stream: IncrementalStream<JsonObject, Cursor>,
    private readonly resumedFrom: JsonObject | undefined,
  ) {
    this.max = stream.cursorFromState(resumedFrom);
  }

  observe(record: JsonObject): void {
    const value = this.stream.cursorValue(record);
    if (value !== undefined && (this.max === undefined || this.stream.compareCursor(value, this.max) > 0)) {
      this.max = value;
    }
    this.last = record;
  }

  observeBatch(records: JsonObject[]): void {
    for (const record of records) this.observe(record);
  }

  /** What to checkpoint now; mid-stream undefined means skip this checkpoint. */
  current(): JsonObject | undefined {
    return this.stream.stateFor(this.last, this.max);
  }

  /** What to checkpoint at the end: never less than what the read resumed from. */
  final(): JsonObject {
    return this.current() ?? this.resumedFrom ?? {};
  }
}
