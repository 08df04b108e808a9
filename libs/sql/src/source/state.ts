// The per-table state of a SQL source, and where a read starts from it.
//
// Full refresh, mid-table: `{ "mode": "full_refresh", "generation_id": 7, "resume_after":
// { "columns": ["id"], "values": [5000] } }`; the read continues after that primary key, but only
// in the same generation (a new generation means the destination starts an empty table, so the
// rows before the key would be lost). The engine keeps the generation and hands the state back
// when a sync was interrupted in it (see libs/engine's resumable full refresh). At the end:
// `{ "mode": "full_refresh", "generation_id": 7, "complete": true }`, so the next sync starts from
// the top, in a new generation.
//
// Incremental: `{ "mode": "incremental", "cursor_field": ["updated_at"], "cursor": "2024-..." }`:
// the next read takes rows with `updated_at >= cursor`, inclusive, so rows written later with the
// same cursor value are not lost (the rows read twice are removed by append_dedup). Mid-sync it
// also holds `resume_after` (cursor and primary key of the last row delivered), and a resumed read
// takes rows strictly after it: no row twice within the interrupted sync.

import type { JsonObject } from '@conveyor/protocol';
import type { JsonValue, KeysetBound } from './driver.js';

export interface ResumePoint {
  columns: string[];
  values: JsonValue[];
}

export interface FullRefreshState {
  mode: 'full_refresh';
  generation_id?: number;
  resume_after?: ResumePoint;
  /** the table was read to the end in this generation */
  complete?: true;
}

export interface IncrementalState {
  mode: 'incremental';
  cursor_field: string[];
  cursor?: JsonValue;
  resume_after?: ResumePoint;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function resumePointOf(value: unknown): ResumePoint | undefined {
  if (!isObject(value)) return undefined;
  const { columns, values } = value;
  if (!Array.isArray(columns) || !Array.isArray(values) || columns.length !== values.length) return undefined;
  if (columns.length === 0 || !columns.every((c) => typeof c === 'string')) return undefined;
  return { columns: columns as string[], values: values as JsonValue[] };
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

export type StartPoint =
  | { kind: 'beginning'; reason?: string }
  | { kind: 'after'; bound: KeysetBound; cursor?: JsonValue }
  | { kind: 'from-cursor'; bound: KeysetBound; cursor: JsonValue };

/**
 * Where a full refresh starts: after the saved key when the state is of this generation and keyed
 * by the same columns, else at the beginning (with the reason, for a log line).
 */
export function fullRefreshStart(
  saved: JsonObject | undefined,
  keyColumns: readonly string[],
  generationId: number | undefined,
): StartPoint {
  if (saved?.mode !== 'full_refresh') return { kind: 'beginning' };
  const resume = resumePointOf(saved.resume_after);
  if (!resume) return { kind: 'beginning' };
  const savedGeneration = typeof saved.generation_id === 'number' ? saved.generation_id : undefined;
  if (savedGeneration !== generationId) {
    return {
      kind: 'beginning',
      reason: `the saved position belongs to generation ${savedGeneration ?? 'none'}, this sync writes generation ${generationId ?? 'none'}`,
    };
  }
  if (keyColumns.length === 0 || !sameColumns(resume.columns, keyColumns)) {
    return { kind: 'beginning', reason: 'the primary key changed since the saved position' };
  }
  return { kind: 'after', bound: { columns: [...keyColumns], values: resume.values, inclusive: false } };
}

/**
 * Where an incremental read starts: strictly after the saved (cursor, key) of an interrupted sync,
 * or from the saved cursor value inclusive, or at the beginning (no state, another cursor field).
 */
export function incrementalStart(
  saved: JsonObject | undefined,
  cursorField: string,
  orderColumns: readonly string[],
): StartPoint {
  if (!saved) return { kind: 'beginning' };
  if (saved.mode !== 'incremental') {
    return { kind: 'beginning', reason: 'the saved state is not an incremental one' };
  }
  const savedField = saved.cursor_field;
  if (!Array.isArray(savedField) || savedField.length !== 1 || savedField[0] !== cursorField) {
    return {
      kind: 'beginning',
      reason: `the saved state is for cursor ${JSON.stringify(savedField)}, the catalog now asks for ["${cursorField}"]`,
    };
  }
  const resume = resumePointOf(saved.resume_after);
  if (resume && sameColumns(resume.columns, orderColumns) && resume.values[0] !== null) {
    return {
      kind: 'after',
      bound: { columns: [...orderColumns], values: resume.values, inclusive: false },
      cursor: resume.values[0] as JsonValue,
    };
  }
  const cursor = saved.cursor;
  if (cursor === undefined || cursor === null) return { kind: 'beginning' };
  return {
    kind: 'from-cursor',
    bound: { columns: [cursorField], values: [cursor as JsonValue], inclusive: true },
    cursor: cursor as JsonValue,
  };
}
