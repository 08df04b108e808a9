// What each configured stream asks of a SQL destination: the table it lands in, how it is written,
// which properties become columns of which logical type, its primary key and cursor, its
// generation. Everything that can be wrong with the catalog is found here, before any table is
// touched, including two streams that would land on one table in the database's eyes.
//
// Where a stream lands: with schemas, in schema `namespace` (or the config's default schema) and
// table `destination_object_name` or the stream name. Without schemas (SQLite), in table
// `<namespace>_<stream>` for a stream with a namespace and `<stream>` otherwise; a
// `destination_object_name` is used as it is.

import {
  type ConfiguredCatalog,
  type ConfiguredStream,
  configError,
  type StreamDescriptor,
  streamKey,
} from '@conveyor/protocol';
import { fitIdentifier, type IdentifierRules } from '../identifiers.js';
import { type LogicalType, logicalTypeFor } from '../logical-types.js';
import type { TableName } from './dialect.js';

export type WriteMode = 'append' | 'overwrite' | 'append_dedup';

export const SUPPORTED_MODES: readonly WriteMode[] = ['append', 'overwrite', 'append_dedup'];

/** Schema of the destination's own tables, where the dialect has schemas. */
export const INTERNAL_SCHEMA = '_conveyor';
export const STATE_TABLE = '_conveyor_state';
export const COLUMNS_TABLE = '_conveyor_columns';

// The column names every SQL destination shares, for destinations with their own load path (DuckDB).
export { METADATA_COLUMNS, RAW_DATA_COLUMN, RESERVED_COLUMNS } from './table-setup.js';

export interface PropertyPlan {
  name: string;
  logical: LogicalType;
}

export interface StreamPlan {
  descriptor: StreamDescriptor;
  /** `namespace.name` or `name`, as batches name their stream */
  key: string;
  mode: WriteMode;
  final: TableName;
  /**
   * The hidden table filled during the sync: an overwrite's next generation, swapped into place at
   * `finish`; with `PlanContext.stageFullRefreshAppends`, a full-refresh append's copy, moved into
   * the final table at `finish`.
   */
  next: TableName | undefined;
  /** in the order of the stream's JSON schema; empty for a stream without declared properties */
  properties: PropertyPlan[];
  /** property names; non-empty for append_dedup */
  primaryKey: string[];
  /** property name of the cursor, when the stream has one (append_dedup only) */
  cursor: string | undefined;
  generationId: number | null;
  minimumGenerationId: number;
}

export interface PlanContext {
  rules: IdentifierRules;
  hasSchemas: boolean;
  /** see `DestinationDialect.internalSchema` */
  internalSchema?: string | undefined;
  /** schema of streams without a namespace (dialects with schemas) */
  defaultSchema: string | undefined;
  /** the database's name for messages: `Postgres`, `SQLite` */
  databaseName: string;
  /**
   * A full-refresh append is staged in the `next` table like an overwrite, so it can commit in
   * steps without showing a partial copy (DuckDB, where one long transaction costs memory).
   */
  stageFullRefreshAppends?: boolean;
}

/** The table an overwrite fills during a sync; it replaces the final table at `finish`. */
export function nextTableName(rules: IdentifierRules, table: string): string {
  return fitIdentifier(rules, `${table}__conveyor_next`);
}

/** Where the destination keeps its own tables: see `DestinationDialect.internalSchema`. */
export function internalTable(
  place: { hasSchemas: boolean; internalSchema?: string | undefined },
  table: string,
): TableName {
  return { schema: place.hasSchemas ? (place.internalSchema ?? INTERNAL_SCHEMA) : undefined, table };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(stream: StreamDescriptor): string {
  return `"${streamKey(stream)}"`;
}

function topLevelField(
  path: readonly string[],
  what: string,
  stream: StreamDescriptor,
  databaseName: string,
): string {
  const [field] = path;
  if (path.length !== 1 || field === undefined) {
    throw configError(
      `Stream ${describe(stream)}: the ${what} [${path.map((p) => JSON.stringify(p)).join(', ')}] is a nested field; the ${databaseName} destination supports top-level fields only. Choose a top-level field.`,
      { stream },
    );
  }
  return field;
}

function tableOf(configured: ConfiguredStream, context: PlanContext): TableName {
  const { rules } = context;
  const { stream } = configured;
  if (context.hasSchemas) {
    const schema = stream.namespace || context.defaultSchema;
    return {
      schema: fitIdentifier(rules, schema ?? 'public'),
      table: fitIdentifier(rules, configured.destination_object_name || stream.name),
    };
  }
  const name =
    configured.destination_object_name ||
    (stream.namespace ? `${stream.namespace}_${stream.name}` : stream.name);
  return { schema: undefined, table: fitIdentifier(rules, name) };
}

export function planStream(configured: ConfiguredStream, context: PlanContext): StreamPlan {
  const { stream } = configured;
  const mode = configured.destination_sync_mode;
  if (!SUPPORTED_MODES.includes(mode as WriteMode)) {
    throw configError(
      `Stream ${describe(stream)}: destination sync mode "${mode}" is not supported by the ${context.databaseName} destination. Use one of: ${SUPPORTED_MODES.join(', ')}.`,
      { stream },
    );
  }
  const declared = isObject(stream.json_schema) ? stream.json_schema.properties : undefined;
  const properties: PropertyPlan[] = isObject(declared)
    ? Object.entries(declared).map(([name, schema]) => ({ name, logical: logicalTypeFor(schema) }))
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
    primaryKey = keyPaths.map((path) =>
      topLevelField(path, 'primary key field', stream, context.databaseName),
    );
    for (const field of primaryKey) requireProperty(field, 'primary key field');
    const cursorPath = configured.cursor_field ?? stream.default_cursor_field ?? [];
    if (cursorPath.length > 0) {
      cursor = topLevelField(cursorPath, 'cursor field', stream, context.databaseName);
      requireProperty(cursor, 'cursor field');
    }
  }

  const final = tableOf(configured, context);
  return {
    descriptor: { name: stream.name, ...(stream.namespace ? { namespace: stream.namespace } : {}) },
    key: streamKey(stream),
    mode: mode as WriteMode,
    final,
    next:
      mode === 'overwrite' ||
      (mode === 'append' && configured.sync_mode === 'full_refresh' && context.stageFullRefreshAppends)
        ? { schema: final.schema, table: nextTableName(context.rules, final.table) }
        : undefined,
    properties,
    primaryKey,
    cursor,
    generationId: typeof configured.generation_id === 'number' ? configured.generation_id : null,
    minimumGenerationId:
      typeof configured.minimum_generation_id === 'number' ? configured.minimum_generation_id : 0,
  };
}

/**
 * One plan per configured stream. Refuses a catalog in which two streams land on one table (or on
 * one's generation table, or on the destination's own tables), as the database compares names.
 */
export function planStreams(catalog: ConfiguredCatalog, context: PlanContext): StreamPlan[] {
  const { rules } = context;
  const plans = catalog.streams.map((configured) => planStream(configured, context));
  const idOf = (table: TableName) => `${rules.fold(table.schema ?? '')}\u0000${rules.fold(table.table)}`;
  const owners = new Map<string, StreamPlan | 'internal'>();
  for (const table of [STATE_TABLE, COLUMNS_TABLE]) {
    owners.set(idOf(internalTable(context, table)), 'internal');
  }
  for (const plan of plans) {
    for (const table of plan.next ? [plan.final, plan.next] : [plan.final]) {
      const id = idOf(table);
      const owner = owners.get(id);
      const where = table.schema === undefined ? table.table : `${table.schema}.${table.table}`;
      if (owner === 'internal') {
        throw configError(
          `Stream ${describe(plan.descriptor)} would be written to ${where}, where the ${context.databaseName} destination keeps its own state. Give the stream a destination_object_name.`,
          { stream: plan.descriptor },
        );
      }
      if (owner && owner !== plan) {
        throw configError(
          `Streams ${describe(owner.descriptor)} and ${describe(plan.descriptor)} would both be written to the table ${where} (${context.databaseName} considers their names the same). Give one of them a destination_object_name.`,
          { stream: plan.descriptor },
        );
      }
      owners.set(id, plan);
    }
  }
  return plans;
}
