// Turning a record batch into a `LoadBatch`: values column by column, converted to each column's
// type, with the metadata columns filled in. `objects` batches carry the records' data; `jsonl`
// batches carry RECORD envelope lines, parsed here. A value that does not fit its column becomes
// NULL and is named in the row's `_conveyor_meta`, after the changes the source itself reported.

import { randomUUID } from 'node:crypto';
import { type RecordBatch, RejectedRecordLine } from '@conveyor/cdk';
import type { LogicalType } from '../logical-types.js';
import type { LoadBatch, SqlValue } from './dialect.js';
import { METADATA_COLUMNS, RAW_DATA_COLUMN, SEQUENCE_COLUMN, type StreamTable } from './table-setup.js';
import { type Converter, converterFor, Rounded, timestampOfEpochMs, UNFIT } from './value-conversion.js';

/** How one stream's batches become load batches; built once per stream table. */
export interface LoadShape {
  columns: string[];
  types: LogicalType[];
  /** property columns that are loaded, parallel to the tail of `columns` */
  properties: { name: string; convert: Converter }[];
  /** properties whose column has a type Conveyor does not write: every non-null value is noted */
  unwritable: string[];
  /** the converter of `_conveyor_data`, when the stream keeps records whole */
  rawData: Converter | undefined;
  sequence: boolean;
  generation: number | null;
}

export function loadShape(table: StreamTable, textAllowsNul: boolean): LoadShape {
  const columns: string[] = METADATA_COLUMNS.map((c) => c.name);
  const types: LogicalType[] = METADATA_COLUMNS.map((c) => c.logical);
  if (table.rawData) {
    columns.push(RAW_DATA_COLUMN.name);
    types.push(RAW_DATA_COLUMN.logical);
  }
  const sequence = table.staging !== undefined;
  if (sequence) {
    columns.push(SEQUENCE_COLUMN);
    types.push('integer');
  }
  const properties: LoadShape['properties'] = [];
  const unwritable: string[] = [];
  for (const column of table.columns) {
    if (column.logical === undefined) {
      unwritable.push(column.property);
      continue;
    }
    columns.push(column.column);
    types.push(column.logical);
    properties.push({ name: column.property, convert: converterFor(column.logical, { textAllowsNul }) });
  }
  return {
    columns,
    types,
    properties,
    unwritable,
    rawData: table.rawData ? converterFor('json', { textAllowsNul }) : undefined,
    sequence,
    generation: table.plan.generationId,
  };
}

/** The records of a batch, with when each was extracted and what the source said changed. */
interface Rows {
  data: Record<string, unknown>[];
  /** epoch ms: one for all rows, or one per row */
  emittedAt: number | number[];
  /** per row, the `meta.changes` the source reported, when any row had some */
  sourceChanges: (unknown[] | undefined)[] | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

interface Envelope {
  record?: { data?: unknown; emitted_at?: unknown; meta?: { changes?: unknown } };
}

function parseLines(batch: Extract<RecordBatch, { format: 'jsonl' }>): Rows {
  const stream = { name: batch.stream, ...(batch.namespace ? { namespace: batch.namespace } : {}) };
  const count = batch.lines.length;
  const data: Record<string, unknown>[] = new Array(count);
  const emittedAt: number[] = new Array(count);
  let sourceChanges: (unknown[] | undefined)[] | undefined;
  for (let i = 0; i < count; i++) {
    const line = batch.lines[i] as Buffer;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(line.toString('utf8')) as Envelope;
    } catch (error) {
      throw new RejectedRecordLine(line, batch.lineNumbers?.[i], stream, String(error));
    }
    const record = envelope?.record;
    if (!isRecord(record) || !isRecord(record.data)) {
      throw new RejectedRecordLine(line, batch.lineNumbers?.[i], stream, 'record.data is not a JSON object');
    }
    data[i] = record.data;
    emittedAt[i] = typeof record.emitted_at === 'number' ? record.emitted_at : Date.now();
    const changes = record.meta?.changes;
    if (Array.isArray(changes) && changes.length > 0) {
      sourceChanges ??= new Array(count);
      sourceChanges[i] = changes;
    }
  }
  return { data, emittedAt, sourceChanges };
}

function rowsOf(batch: RecordBatch): Rows {
  if (batch.format === 'jsonl') return parseLines(batch);
  return { data: batch.records, emittedAt: batch.emittedAt, sourceChanges: undefined };
}

/** `record[name]` as an own property only (a missing `__proto__` must not read the prototype). */
function fieldOf(record: Record<string, unknown>, name: string): unknown {
  return name === '__proto__' ? (Object.hasOwn(record, name) ? record[name] : undefined) : record[name];
}

function metaText(
  source: unknown[] | undefined,
  nulled: string[] | undefined,
  rounded: string[] | undefined,
): string | null {
  if (!source && !nulled && !rounded) return null;
  const ours = [
    ...(nulled ?? []).map((field) => ({ field, change: 'NULLED', reason: 'DESTINATION_TYPECAST_ERROR' })),
    ...(rounded ?? []).map((field) => ({
      field,
      change: 'TRUNCATED',
      reason: 'DESTINATION_FIELD_SIZE_LIMITATION',
    })),
  ];
  return JSON.stringify({ changes: [...(source ?? []), ...ours] });
}

/**
 * The batch as column arrays. `nextSequence` numbers staged rows (append_dedup); the caller keeps
 * the counter and adds `rowCount` afterwards.
 */
export function toLoadBatch(shape: LoadShape, batch: RecordBatch, nextSequence: number): LoadBatch {
  const rows = rowsOf(batch);
  const count = rows.data.length;
  const values: SqlValue[][] = shape.columns.map(() => new Array(count));
  const [rawIds, extractedAt, generations, metas] = values as [
    SqlValue[],
    SqlValue[],
    SqlValue[],
    SqlValue[],
  ];
  let next = METADATA_COLUMNS.length;
  const rawData = shape.rawData ? (values[next++] as SqlValue[]) : undefined;
  const sequence = shape.sequence ? (values[next++] as SqlValue[]) : undefined;
  const propertyValues = values.slice(next);
  const { properties, unwritable } = shape;

  let lastEmitted = Number.NaN;
  let lastEmittedText = '';
  for (let row = 0; row < count; row++) {
    const record = rows.data[row] as Record<string, unknown>;
    let nulled: string[] | undefined;
    let rounded: string[] | undefined;
    for (let p = 0; p < properties.length; p++) {
      const property = properties[p] as LoadShape['properties'][number];
      const converted = property.convert(fieldOf(record, property.name));
      if (converted === UNFIT) {
        (propertyValues[p] as SqlValue[])[row] = null;
        nulled ??= [];
        nulled.push(property.name);
      } else if (converted instanceof Rounded) {
        (propertyValues[p] as SqlValue[])[row] = converted.value;
        rounded ??= [];
        rounded.push(property.name);
      } else {
        (propertyValues[p] as SqlValue[])[row] = converted;
      }
    }
    for (const name of unwritable) {
      const value = fieldOf(record, name);
      if (value !== null && value !== undefined) {
        nulled ??= [];
        nulled.push(name);
      }
    }
    const emitted = typeof rows.emittedAt === 'number' ? rows.emittedAt : (rows.emittedAt[row] as number);
    if (emitted !== lastEmitted) {
      lastEmitted = emitted;
      lastEmittedText = timestampOfEpochMs(emitted);
    }
    rawIds[row] = randomUUID();
    extractedAt[row] = lastEmittedText;
    generations[row] = shape.generation;
    if (rawData) {
      const whole = (shape.rawData as Converter)(record);
      rawData[row] = whole === UNFIT || whole instanceof Rounded ? null : whole;
      if (whole === UNFIT) {
        nulled ??= [];
        nulled.push(RAW_DATA_COLUMN.name);
      }
    }
    if (sequence) sequence[row] = nextSequence + row;
    metas[row] = metaText(rows.sourceChanges?.[row], nulled, rounded);
  }
  return { columns: shape.columns, types: shape.types, values, rowCount: count };
}
