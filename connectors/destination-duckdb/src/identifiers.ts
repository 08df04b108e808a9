// Names in DuckDB, by the SQL family's rules (`DUCKDB_IDENTIFIERS` in @conveyor/sql): every
// identifier is double-quoted, so any UTF-8 name works; DuckDB refuses NUL and the empty name, and
// compares identifiers ignoring ASCII case even when quoted, so `Name` and `name` are the same
// column. Column names are therefore assigned once (`assignColumnNames`) and remembered. Where
// each stream lands is the family's stream planning with these rules (`streamPlanContext`).

import {
  assignColumnNames as assignFor,
  type ColumnNaming,
  DUCKDB_IDENTIFIERS,
  type PlanContext,
  qualify,
  type TableName,
} from '@conveyor/sql';

export type { ColumnNaming };

/** `"a""b"`: the identifier as SQL text, safe for any name the family's `fitIdentifier` returns. */
export const quoteIdentifier = DUCKDB_IDENTIFIERS.quote;

/** `"schema"."table"` (DuckDB tables always have a schema: the family plans them with one). */
export function qualifiedName(table: TableName): string {
  return qualify(DUCKDB_IDENTIFIERS, table.schema, table.table);
}

/** How DuckDB compares identifiers: ASCII letters ignore case, everything else is exact. */
export const foldCase = DUCKDB_IDENTIFIERS.fold;

/**
 * How the family's `planStreams` places streams in DuckDB: schemas exist, a stream without a
 * namespace goes to `defaultSchema` (the config's `schema`), names follow DuckDB's rules.
 */
export function streamPlanContext(defaultSchema: string): PlanContext {
  return {
    rules: DUCKDB_IDENTIFIERS,
    hasSchemas: true,
    defaultSchema,
    databaseName: 'DuckDB',
    // one long DuckDB transaction holds what it appended in memory until it commits
    stageFullRefreshAppends: true,
  };
}

/** Column names for a table's properties, distinct in DuckDB's eyes and stable across syncs. */
export function assignColumnNames(
  properties: readonly string[],
  reserved: readonly string[],
  remembered: ReadonlyMap<string, string>,
  existing: readonly string[],
): ColumnNaming {
  return assignFor(DUCKDB_IDENTIFIERS, properties, reserved, remembered, existing);
}
