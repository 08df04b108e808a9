// Reading one table as one stream: full refresh in primary-key chunks, or incremental by a cursor
// column, yielding batches of records and STATE checkpoints that are exact (every row up to the
// checkpoint delivered, none after it), so that a resumed read neither misses nor repeats a row.

import { type CheckpointPolicy, type Logger, type SourceOutput, streamStateMessage } from '@conveyor/cdk';
import { ConveyorError, configError, type JsonObject, type StreamDescriptor } from '@conveyor/protocol';
import type { JsonValue, KeysetBound, SourceColumn, SourceDriver, SourceTable } from './driver.js';
import { type FullRefreshState, fullRefreshStart, type IncrementalState, incrementalStart } from './state.js';

export interface TableRead {
  driver: SourceDriver;
  table: SourceTable;
  descriptor: StreamDescriptor;
  /** Columns to read, in table order. */
  columns: SourceColumn[];
  syncMode: 'full_refresh' | 'incremental';
  /** The incremental cursor column (required in incremental mode). */
  cursorField: string | undefined;
  generationId: number | undefined;
  saved: JsonObject | undefined;
  policy: CheckpointPolicy;
  batchRows: number;
  chunkRows: number;
  logger: Logger;
  signal: AbortSignal;
}

/** `"schema"."table"` or `"table"`, as people read it in messages. */
export function tableLabel(table: SourceTable): string {
  return table.schema === undefined ? `"${table.name}"` : `"${table.schema}"."${table.name}"`;
}

export function readTable(read: TableRead): AsyncGenerator<SourceOutput> {
  return read.syncMode === 'incremental' ? readIncremental(read) : readFullRefresh(read);
}

/**
 * Makes records out of row arrays: one object per row, the only allocation per record. The
 * builder is compiled once per query with the column names as literal keys, so every record of a
 * table shares one object shape (several times faster than assigning keys in a loop). Names enter
 * the generated code only as JSON string literals and values only as arguments.
 */
class RecordMaker {
  private readonly build: (row: unknown[]) => JsonObject;

  constructor(driver: SourceDriver, columns: SourceColumn[]) {
    const converters = columns.map((c) => driver.converterFor(c));
    const fields = columns.map((column, i) => {
      const value = converters[i] === undefined ? 'v' : `c[${i}](v)`;
      // a computed key, so that a column named __proto__ is a property and not the prototype
      const key =
        column.name === '__proto__' ? `[${JSON.stringify(column.name)}]` : JSON.stringify(column.name);
      return `${key}: (v = row[${i}]) === null || v === undefined ? null : ${value}`;
    });
    const body = `return function record(row) { let v; return { ${fields.join(', ')} }; };`;
    this.build = new Function('c', body)(converters) as (row: unknown[]) => JsonObject;
  }

  make(rows: unknown[][]): JsonObject[] {
    const records = new Array<JsonObject>(rows.length);
    for (let r = 0; r < rows.length; r++) records[r] = this.build(rows[r] as unknown[]);
    return records;
  }
}

interface ChunkQuery {
  bounds: KeysetBound[];
  notNull: string[];
  orderBy: string[];
  limit: number | undefined;
}

/** Rows of one keyset query as record batches; failures classified, naming stream and table. */
async function* recordBatches(
  read: TableRead,
  maker: RecordMaker,
  chunk: ChunkQuery,
): AsyncGenerator<JsonObject[]> {
  const iterator = read.driver
    .read({
      table: read.table,
      columns: read.columns.map((c) => c.name),
      bounds: chunk.bounds,
      notNull: chunk.notNull,
      orderBy: chunk.orderBy,
      limit: chunk.limit,
      batchRows: read.batchRows,
      signal: read.signal,
    })
    [Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<unknown[][]>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw classified(read, error);
      }
      if (next.done) return;
      read.signal.throwIfAborted();
      let records: JsonObject[];
      try {
        records = maker.make(next.value);
      } catch (error) {
        throw new ConveyorError(
          `A value of table ${tableLabel(read.table)} could not be turned into JSON: ${error instanceof Error ? error.message : String(error)}.`,
          { failureType: 'system_error', stream: read.descriptor, cause: error },
        );
      }
      yield records;
    }
  } finally {
    await iterator.return?.();
  }
}

function classified(read: TableRead, error: unknown): unknown {
  if (error instanceof ConveyorError || (read.signal.aborted && error === read.signal.reason)) return error;
  return read.driver.classify(error, {
    operation: 'reading',
    stream: read.descriptor,
    table: tableLabel(read.table),
  });
}

function batchOutput(read: TableRead, records: JsonObject[]): SourceOutput {
  return {
    kind: 'records',
    batch: {
      format: 'objects',
      stream: read.descriptor.name,
      namespace: read.descriptor.namespace,
      records,
      emittedAt: Date.now(),
    },
  };
}

function valuesOf(record: JsonObject, columns: readonly string[]): JsonValue[] {
  return columns.map((c) => (record[c] ?? null) as JsonValue);
}

/** Counts records since the last STATE, and makes STATE messages. */
class Checkpoints {
  sinceState = 0;
  constructor(private readonly read: TableRead) {}

  state(streamState: FullRefreshState | IncrementalState): SourceOutput {
    const message = streamStateMessage(
      this.read.descriptor,
      streamState as unknown as JsonObject,
      this.sinceState,
    );
    this.sinceState = 0;
    this.read.policy.checkpointed();
    return { kind: 'message', message };
  }
}

async function* readFullRefresh(read: TableRead): AsyncGenerator<SourceOutput> {
  const { table, generationId } = read;
  const maker = new RecordMaker(read.driver, read.columns);
  const checkpoints = new Checkpoints(read);
  const generation: FullRefreshState =
    generationId === undefined
      ? { mode: 'full_refresh' }
      : { mode: 'full_refresh', generation_id: generationId };
  // `complete` tells the engine not to resume this generation: the table was read to the end
  const done: FullRefreshState = { ...generation, complete: true };
  const key = table.primaryKey;

  if (key.length === 0) {
    read.logger.info(
      `Stream ${tableLabel(table)}: no primary key, so the table is read in one pass and an interrupted sync reads it again from the start.`,
    );
    for await (const records of recordBatches(read, maker, {
      bounds: [],
      notNull: [],
      orderBy: [],
      limit: undefined,
    })) {
      checkpoints.sinceState += records.length;
      yield batchOutput(read, records);
    }
    yield checkpoints.state(done);
    return;
  }

  const start = fullRefreshStart(read.saved, key, generationId);
  if (start.kind === 'after') {
    read.logger.info(
      `Stream ${tableLabel(table)}: resuming the full refresh after primary key ${JSON.stringify(start.bound.values)}.`,
    );
  } else if (start.kind === 'beginning' && start.reason) {
    read.logger.info(`Stream ${tableLabel(table)}: reading from the start, because ${start.reason}.`);
  }
  let bound: KeysetBound | undefined = start.kind === 'after' ? start.bound : undefined;
  const position = (values: JsonValue[]): FullRefreshState => ({
    ...generation,
    resume_after: { columns: key, values },
  });

  for (;;) {
    let rows = 0;
    let last: JsonValue[] | undefined;
    const chunk = { bounds: bound ? [bound] : [], notNull: [], orderBy: key, limit: read.chunkRows };
    for await (const records of recordBatches(read, maker, chunk)) {
      rows += records.length;
      checkpoints.sinceState += records.length;
      last = valuesOf(records[records.length - 1] as JsonObject, key);
      yield batchOutput(read, records);
      if (read.policy.observe(records.length)) yield checkpoints.state(position(last));
    }
    if (last === undefined) break;
    // a chunk ends on a key: always a safe place to checkpoint
    if (checkpoints.sinceState > 0) yield checkpoints.state(position(last));
    if (rows < read.chunkRows) break;
    bound = { columns: key, values: last, inclusive: false };
  }
  yield checkpoints.state(done);
}

async function* readIncremental(read: TableRead): AsyncGenerator<SourceOutput> {
  const { table } = read;
  const cursor = read.cursorField;
  if (cursor === undefined) {
    throw configError(
      `Stream ${tableLabel(table)} is set to incremental but has no cursor field. Choose one in the catalog (cursor_field), for example a column updated on every change.`,
      { stream: read.descriptor },
    );
  }
  const maker = new RecordMaker(read.driver, read.columns);
  const checkpoints = new Checkpoints(read);
  const key = table.primaryKey;
  // Rows sharing a cursor value are told apart by the primary key, so that every row has a unique
  // place in the order and a checkpoint can name exactly the last row delivered.
  const tieBreak = key.filter((c) => c !== cursor);
  const unique = tieBreak.length > 0 || (key.length === 1 && key[0] === cursor);
  const order = [cursor, ...tieBreak];
  const cursorColumn = table.columns.find((c) => c.name === cursor);
  if (cursorColumn?.nullable) {
    read.logger.info(
      `Stream ${tableLabel(table)}: rows whose ${cursor} is NULL are not read in incremental mode.`,
    );
  }
  if (!unique) {
    read.logger.info(
      `Stream ${tableLabel(table)}: no primary key to order rows sharing a ${cursor} value, so the table is read in one pass and checkpointed at its end only.`,
    );
  }

  const start = incrementalStart(read.saved, cursor, order);
  if (start.kind === 'after') {
    read.logger.info(
      `Stream ${tableLabel(table)}: resuming an interrupted sync after (${order.join(', ')}) = ${JSON.stringify(start.bound.values)}.`,
    );
  } else if (start.kind === 'beginning' && start.reason) {
    read.logger.info(`Stream ${tableLabel(table)}: reading from the start, because ${start.reason}.`);
  }
  let bound: KeysetBound | undefined = start.kind === 'beginning' ? undefined : start.bound;
  let maxCursor: JsonValue | undefined = start.kind === 'beginning' ? undefined : start.cursor;
  const base: IncrementalState = { mode: 'incremental', cursor_field: [cursor] };
  const position = (values: JsonValue[]): IncrementalState => ({
    ...base,
    cursor: values[0] as JsonValue,
    resume_after: { columns: order, values },
  });

  for (;;) {
    let rows = 0;
    let last: JsonValue[] | undefined;
    const chunk = {
      bounds: bound ? [bound] : [],
      notNull: [cursor],
      orderBy: order,
      limit: unique ? read.chunkRows : undefined,
    };
    for await (const records of recordBatches(read, maker, chunk)) {
      rows += records.length;
      checkpoints.sinceState += records.length;
      last = valuesOf(records[records.length - 1] as JsonObject, order);
      maxCursor = last[0];
      yield batchOutput(read, records);
      if (unique && read.policy.observe(records.length)) yield checkpoints.state(position(last));
    }
    if (last === undefined || !unique) break;
    if (checkpoints.sinceState > 0) yield checkpoints.state(position(last));
    if (rows < read.chunkRows) break;
    bound = { columns: order, values: last, inclusive: false };
  }
  // The end state keeps only the cursor: the next sync reads from it inclusive.
  yield checkpoints.state(
    maxCursor === undefined || maxCursor === null ? base : { ...base, cursor: maxCursor },
  );
}
