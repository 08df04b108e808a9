// How a table or view becomes a stream in the catalog: its columns as a JSON Schema, its primary
// key, and the columns that could serve as an incremental cursor, with an obvious `updated_at`-like
// one proposed as the default.

import type { AirbyteStream, JsonObject } from '@conveyor/protocol';
import type { SourceColumn, SourceDriver, SourceTable } from './driver.js';

/** The property schema with `null` allowed, for nullable columns. */
export function nullableSchema(schema: JsonObject): JsonObject {
  const type = schema.type;
  if (type === undefined) return schema;
  const types = Array.isArray(type) ? type : [type];
  return types.includes('null') ? schema : { ...schema, type: [...types, 'null'] };
}

export function columnSchema(driver: SourceDriver, column: SourceColumn): JsonObject {
  const schema = driver.jsonSchemaFor(column);
  return column.nullable ? nullableSchema(schema) : schema;
}

export function tableSchema(driver: SourceDriver, table: SourceTable): JsonObject {
  // fromEntries defines own properties, so even a column named __proto__ is one
  const properties: JsonObject = Object.fromEntries(
    table.columns.map((column) => [column.name, columnSchema(driver, column)]),
  );
  return { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties };
}

function isCursorType(schema: JsonObject): boolean {
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((t) => t !== 'null');
  if (types.length !== 1) return false;
  if (types[0] === 'integer') return true;
  if (types[0] === 'number') return schema.airbyte_type === 'integer';
  return types[0] === 'string' && (schema.format === 'date-time' || schema.format === 'date');
}

/** Lower case without separators: `Updated_At`, `updatedAt`, `updated at` all read `updatedat`. */
function squash(name: string): string {
  return name.toLowerCase().replace(/[\s_\-.]/g, '');
}

const OBVIOUS_CURSORS = [
  'updatedat',
  'lastupdatedat',
  'modifiedat',
  'lastmodifiedat',
  'lastmodified',
  'lastupdated',
  'lastupdate',
  'updatedon',
  'modifiedon',
  'updatedtime',
  'updatetime',
  'modifiedtime',
  'lastmodifiedtime',
  'changedat',
  'updated',
  'modified',
  'dateupdated',
  'datemodified',
  'updatetimestamp',
  'updatedtimestamp',
];

/**
 * Columns that can be a cursor (integers, dates and timestamps), in table order, and the default:
 * the best-named `updated_at`-like one among them, or undefined when no column is obviously one
 * (an `id` or `created_at` would miss updates, so the user chooses those knowingly).
 */
export function cursorCandidates(
  driver: SourceDriver,
  table: SourceTable,
): { candidates: string[]; default: string | undefined } {
  const candidates = table.columns
    .filter((column) => isCursorType(driver.jsonSchemaFor(column)))
    .map((column) => column.name);
  let best: string | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const name of candidates) {
    const rank = OBVIOUS_CURSORS.indexOf(squash(name));
    if (rank >= 0 && rank < bestRank) {
      best = name;
      bestRank = rank;
    }
  }
  return { candidates, default: best };
}

/** The stream of a table: namespace = schema, name = table. */
export function streamOf(driver: SourceDriver, table: SourceTable): AirbyteStream {
  const { candidates, default: cursor } = cursorCandidates(driver, table);
  const stream: AirbyteStream = {
    name: table.name,
    json_schema: tableSchema(driver, table),
    supported_sync_modes: ['full_refresh', 'incremental'],
    source_defined_cursor: false,
    is_resumable: table.primaryKey.length > 0,
  };
  if (table.schema !== undefined) stream.namespace = table.schema;
  if (table.primaryKey.length > 0) stream.source_defined_primary_key = table.primaryKey.map((c) => [c]);
  if (cursor !== undefined) stream.default_cursor_field = [cursor];
  stream.cursor_candidates = candidates.map((c) => [c]);
  if (table.isView) stream.is_view = true;
  return stream;
}
