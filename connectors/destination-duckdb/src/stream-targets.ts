// What each configured stream asks of the destination: where its table lives, how it is written,
// which properties become columns, its key and cursor. Everything that can be wrong with the
// catalog is found here, before any table is touched.

import {
  type ConfiguredCatalog,
  type ConfiguredStream,
  configError,
  type StreamDescriptor,
  streamKey,
} from '@conveyor/protocol';
import { type ColumnType, columnTypeFor } from './column-types.js';
import { foldCase, usableName } from './identifiers.js';

export type WriteMode = 'append' | 'overwrite' | 'append_dedup';

export const SUPPORTED_MODES: readonly WriteMode[] = ['append', 'overwrite', 'append_dedup'];

export interface PropertyPlan {
  name: string;
  wanted: ColumnType;
}

export interface StreamTarget {
  descriptor: StreamDescriptor;
  /** `namespace.name` or `name`, as batches name their stream */
  key: string;
  mode: WriteMode;
  schema: string;
  table: string;
  /** in the order of the stream's JSON schema; empty for a stream without declared properties */
  properties: PropertyPlan[];
  /** property names; non-empty for append_dedup */
  primaryKey: string[];
  /** property name of the cursor, when the stream has one */
  cursor: string | undefined;
  generationId: number | null;
  minimumGenerationId: number;
}

/** The table a stream in overwrite mode fills during a sync; it replaces the final table at the end. */
export function nextTableName(table: string): string {
  return `${table}__conveyor_next`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(stream: StreamDescriptor): string {
  return `"${streamKey(stream)}"`;
}

function topLevelField(path: readonly string[], what: string, stream: ConfiguredStream): string {
  const [field] = path;
  if (path.length !== 1 || field === undefined) {
    throw configError(
      `Stream ${describe(stream.stream)}: the ${what} [${path.map((p) => JSON.stringify(p)).join(', ')}] is a nested field; DuckDB destination supports top-level fields only. Choose a top-level field.`,
      { stream: stream.stream },
    );
  }
  return field;
}

export function planStream(configured: ConfiguredStream, defaultSchema: string): StreamTarget {
  const { stream } = configured;
  const mode = configured.destination_sync_mode;
  if (!SUPPORTED_MODES.includes(mode as WriteMode)) {
    throw configError(
      `Stream ${describe(stream)}: destination sync mode "${mode}" is not supported by the DuckDB destination. Use one of: ${SUPPORTED_MODES.join(', ')}.`,
      { stream },
    );
  }
  const declared = isObject(stream.json_schema) ? stream.json_schema.properties : undefined;
  const properties: PropertyPlan[] = isObject(declared)
    ? Object.entries(declared).map(([name, schema]) => ({ name, wanted: columnTypeFor(schema) }))
    : [];
  const names = new Set(properties.map((p) => p.name));

  const requireProperty = (field: string, what: string) => {
    if (!names.has(field)) {
      throw configError(
        `Stream ${describe(stream)}: the ${what} "${field}" is not a property of the stream's schema. Choose a declared property.`,
        { stream },
      );
    }
  };
  let primaryKey: string[] = [];
  let cursor: string | undefined;
  if (mode === 'append_dedup') {
    const keyPaths = configured.primary_key ?? stream.source_defined_primary_key ?? [];
    if (keyPaths.length === 0) {
      throw configError(
        `Stream ${describe(stream)}: append_dedup needs a primary key, and the stream has none. Set primary_key in the catalog or use append.`,
        { stream },
      );
    }
    primaryKey = keyPaths.map((path) => topLevelField(path, 'primary key field', configured));
    for (const field of primaryKey) requireProperty(field, 'primary key field');
    const cursorPath = configured.cursor_field ?? stream.default_cursor_field ?? [];
    if (cursorPath.length > 0) {
      cursor = topLevelField(cursorPath, 'cursor field', configured);
      requireProperty(cursor, 'cursor field');
    }
  }

  return {
    descriptor: { name: stream.name, ...(stream.namespace ? { namespace: stream.namespace } : {}) },
    key: streamKey(stream),
    mode: mode as WriteMode,
    schema: usableName(stream.namespace || defaultSchema),
    table: usableName(configured.destination_object_name || stream.name),
    properties,
    primaryKey,
    cursor,
    generationId: typeof configured.generation_id === 'number' ? configured.generation_id : null,
    minimumGenerationId:
      typeof configured.minimum_generation_id === 'number' ? configured.minimum_generation_id : 0,
  };
}

/** One target per configured stream; refuses a catalog in which two streams land on one table. */
export function planStreams(catalog: ConfiguredCatalog, defaultSchema: string): StreamTarget[] {
  const targets = catalog.streams.map((configured) => planStream(configured, defaultSchema));
  const owners = new Map<string, StreamTarget>();
  for (const target of targets) {
    for (const table of [target.table, nextTableName(target.table)]) {
      const id = `${foldCase(target.schema)}\u0000${foldCase(table)}`;
      const owner = owners.get(id);
      if (owner && owner !== target) {
        throw configError(
          `Streams ${describe(owner.descriptor)} and ${describe(target.descriptor)} would both be written to the table ${target.schema}.${table} (DuckDB ignores the case of names). Give one of them a destination_object_name.`,
          { stream: target.descriptor },
        );
      }
      owners.set(id, target);
    }
  }
  return targets;
}
