// Names in DuckDB, by the SQL family's rules (`DUCKDB_IDENTIFIERS` in @conveyor/sql): every
// identifier is double-quoted, so any UTF-8 name works; DuckDB refuses NUL and the empty name, and
// compares identifiers ignoring ASCII case even when quoted, so `Name` and `name` are the same
// column. Column names are therefore assigned once (`assignColumnNames`) and remembered.

import {
  assignColumnNames as assignFor,
  type ColumnNaming,
  DUCKDB_IDENTIFIERS,
  fitIdentifier,
  qualify,
} from '@conveyor/sql';

export type { ColumnNaming };

/** `"a""b"`: the identifier as SQL text, safe for any name `usableName` returns. */
export const quoteIdentifier = DUCKDB_IDENTIFIERS.quote;

/** `"schema"."table"` */
export function qualifiedName(schema: string, table: string): string {
  return qualify(DUCKDB_IDENTIFIERS, schema, table);
}

/** A name DuckDB accepts as a quoted identifier: NUL becomes `_`, the empty name becomes `_`. */
export function usableName(name: string): string {
  return fitIdentifier(DUCKDB_IDENTIFIERS, name);
}

/** How DuckDB compares identifiers: ASCII letters ignore case, everything else is exact. */
export const foldCase = DUCKDB_IDENTIFIERS.fold;

/** Column names for a table's properties, distinct in DuckDB's eyes and stable across syncs. */
export function assignColumnNames(
  properties: readonly string[],
  reserved: readonly string[],
  remembered: ReadonlyMap<string, string>,
  existing: readonly string[],
): ColumnNaming {
  return assignFor(DUCKDB_IDENTIFIERS, properties, reserved, remembered, existing);
}
