// Getting each stream's tables ready before a sync, in one transaction: create what is missing,
// add columns for new properties, widen columns whose type grew, resume or discard the
// generation table an interrupted overwrite left behind, and create the staging table of
// deduplicated streams. The result says, per stream, where batches go and with which columns.

import type { Logger } from '@conveyor/cdk';
import type { DuckDBConnection } from '@duckdb/node-api';
import { normalizeCatalogType, wideningOf } from './column-types.js';
import { queryRows } from './database.js';
import { assignColumnNames, foldCase, qualifiedName, quoteIdentifier } from './identifiers.js';
import { createInternalTables, rememberColumns, rememberedColumns } from './internal-tables.js';
import {
  type LoadColumn,
  type LoadLayout,
  METADATA_COLUMNS,
  RAW_DATA_COLUMN,
  RESERVED_COLUMNS,
} from './load-sql.js';
import { nextTableName, type StreamTarget } from './stream-targets.js';

/** A table as DuckDB's appender names it: unquoted parts. */
export interface TableRef {
  catalog: string | null;
  schema: string;
  table: string;
}

export interface StreamTable {
  target: StreamTarget;
  /** qualified name of the table readers see */
  final: string;
  /** overwrite: qualified name of the generation table that replaces `final` at the end */
  next: string | undefined;
  /** append_dedup: qualified name of the temporary table holding rows not yet merged */
  staging: string | undefined;
  layout: LoadLayout;
  /** the table batches are loaded into (final, next or staging) and its columns in table order */
  loadTable: TableRef;
  loadColumns: ExistingColumn[];
  keyColumns: string[];
  cursorColumn: string | undefined;
}

export interface ExistingColumn {
  name: string;
  type: string;
}

/**
 * Columns of a table, in table order, keyed by their case-folded name; undefined when the table
 * does not exist. `catalog` is the database (`temp` for temporary tables), by default the file.
 */
async function describeTable(
  connection: DuckDBConnection,
  schema: string,
  table: string,
  catalog?: string,
): Promise<Map<string, ExistingColumn> | undefined> {
  const rows = await queryRows(
    connection,
    `SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns()
     WHERE database_name = coalesce($catalog, current_database())
       AND lower(schema_name) = lower($schema) AND lower(table_name) = lower($table)
     ORDER BY column_index`,
    { schema, table, catalog: catalog ?? null },
  );
  const own = rows.filter(
    (row) =>
      foldCase(String(row.schema_name)) === foldCase(schema) &&
      foldCase(String(row.table_name)) === foldCase(table),
  );
  if (own.length === 0) return undefined;
  return new Map(
    own.map((row) => [
      foldCase(String(row.column_name)),
      { name: String(row.column_name), type: normalizeCatalogType(String(row.data_type)) },
    ]),
  );
}

interface WantedColumn {
  name: string;
  type: string;
}

async function createTable(connection: DuckDBConnection, table: string, columns: readonly WantedColumn[]) {
  const definitions = columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ');
  await connection.run(`CREATE TABLE ${table} (${definitions})`);
}

/** Adds missing columns and widens the ones that can be; returns each column's type afterwards. */
async function evolveTable(
  connection: DuckDBConnection,
  table: string,
  existing: Map<string, ExistingColumn>,
  wanted: readonly WantedColumn[],
  logger: Logger,
): Promise<Map<string, string>> {
  const types = new Map<string, string>();
  for (const column of wanted) {
    const found = existing.get(foldCase(column.name));
    if (!found) {
      await connection.run(`ALTER TABLE ${table} ADD COLUMN ${quoteIdentifier(column.name)} ${column.type}`);
      logger.info(`Added column ${column.name} (${column.type}) to ${table}.`);
      types.set(column.name, column.type);
      continue;
    }
    const widened = METADATA_COLUMNS.some((m) => m.name === column.name)
      ? undefined
      : wideningOf(found.type, column.type);
    if (widened) {
      await connection.run(
        `ALTER TABLE ${table} ALTER COLUMN ${quoteIdentifier(found.name)} TYPE ${widened}`,
      );
      logger.info(`Widened column ${found.name} of ${table} from ${found.type} to ${widened}.`);
      types.set(column.name, widened);
    } else {
      types.set(column.name, found.type);
    }
  }
  return types;
}

/**
 * An overwrite interrupted after some commits left its generation table behind. Its rows are
 * resumed when they belong to the generation being written now (the engine retries the same
 * sync), and discarded otherwise, because a new sync starts its overwrite from scratch.
 */
async function canResume(
  connection: DuckDBConnection,
  next: string,
  columns: Map<string, ExistingColumn>,
  generationId: number | null,
): Promise<boolean> {
  if (generationId === null || !columns.has('_conveyor_generation_id')) return false;
  const rows = await queryRows(
    connection,
    `SELECT count(*) AS foreign_rows FROM ${next} WHERE _conveyor_generation_id IS DISTINCT FROM $generation::BIGINT`,
    { generation: generationId },
  );
  return Number(rows[0]?.foreign_rows ?? 1) === 0;
}

async function prepareTable(
  connection: DuckDBConnection,
  target: StreamTarget,
  index: number,
  logger: Logger,
): Promise<StreamTable> {
  const { schema, table } = target;
  await connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
  const final = qualifiedName(schema, table);
  const next = target.mode === 'overwrite' ? qualifiedName(schema, nextTableName(table)) : undefined;

  const finalColumns = await describeTable(connection, schema, table);
  let nextColumns = next ? await describeTable(connection, schema, nextTableName(table)) : undefined;

  const remembered = await rememberedColumns(connection, schema, table);
  const existingNames = [...(finalColumns?.values() ?? []), ...(nextColumns?.values() ?? [])].map(
    (c) => c.name,
  );
  const naming = assignColumnNames(
    target.properties.map((p) => p.name),
    RESERVED_COLUMNS,
    remembered,
    existingNames,
  );
  await rememberColumns(connection, schema, table, naming.added);
  const columnOf = (property: string) => naming.columns.get(property) as string;

  const rawData = target.properties.length === 0;
  const wanted: WantedColumn[] = [
    ...METADATA_COLUMNS,
    ...(rawData ? [RAW_DATA_COLUMN] : []),
    ...target.properties.map((p) => ({ name: columnOf(p.name), type: p.wanted })),
  ];

  let loadTable: string;
  let loadRef: TableRef;
  let types: Map<string, string>;
  let staging: string | undefined;
  if (next) {
    if (nextColumns && !(await canResume(connection, next, nextColumns, target.generationId))) {
      logger.warn(`Discarding ${next}, left by an overwrite of stream "${target.key}" that did not finish.`);
      await connection.run(`DROP TABLE ${next}`);
      nextColumns = undefined;
    } else if (nextColumns) {
      logger.info(
        `Resuming the overwrite of stream "${target.key}" in ${next} (generation ${target.generationId}).`,
      );
    }
    types = nextColumns ? await evolveTable(connection, next, nextColumns, wanted, logger) : new Map();
    if (!nextColumns) await createTable(connection, next, wanted);
    loadTable = next;
    loadRef = { catalog: null, schema, table: nextTableName(table) };
  } else {
    types = finalColumns ? await evolveTable(connection, final, finalColumns, wanted, logger) : new Map();
    if (!finalColumns) await createTable(connection, final, wanted);
    loadTable = final;
    loadRef = { catalog: null, schema, table };
    if (target.mode === 'append_dedup') {
      // A temporary table: private to this connection and gone with it, so nothing stale survives a crash.
      const name = `conveyor_stage_${index}`;
      await connection.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdentifier(name)} AS FROM ${final} LIMIT 0`);
      staging = `"temp"."main".${quoteIdentifier(name)}`;
      loadTable = staging;
      loadRef = { catalog: 'temp', schema: 'main', table: name };
    }
  }
  return describeStreamTable(
    connection,
    target,
    { final, next, staging, loadTable, loadRef },
    types,
    columnOf,
  );
}

interface TablePlaces {
  final: string;
  next: string | undefined;
  staging: string | undefined;
  loadTable: string;
  loadRef: TableRef;
}

/** Where a stream's batches go and with which columns, read back from the load table. */
async function describeStreamTable(
  connection: DuckDBConnection,
  target: StreamTarget,
  places: TablePlaces,
  types: Map<string, string>,
  columnOf: (property: string) => string,
): Promise<StreamTable> {
  const { loadRef } = places;
  const loadColumns = await describeTable(
    connection,
    loadRef.schema,
    loadRef.table,
    loadRef.catalog ?? undefined,
  );
  const columns: LoadColumn[] = target.properties.map((p) => {
    const column = columnOf(p.name);
    return { property: p.name, column, type: types.get(column) ?? p.wanted };
  });
  return {
    target,
    final: places.final,
    next: places.next,
    staging: places.staging,
    layout: { target: places.loadTable, columns, rawData: target.properties.length === 0 },
    loadTable: loadRef,
    loadColumns: [...(loadColumns?.values() ?? [])],
    keyColumns: target.primaryKey.map(columnOf),
    cursorColumn: target.cursor === undefined ? undefined : columnOf(target.cursor),
  };
}

/**
 * Mid-sync, inside the open transaction: the source announced new properties for a stream. Columns
 * are added to the table batches load into (and to the final table when batches go through a
 * dedup staging table); existing columns keep their type until the next sync widens them.
 */
export async function extendStreamTable(
  connection: DuckDBConnection,
  current: StreamTable,
  target: StreamTarget,
  logger: Logger,
): Promise<StreamTable> {
  const { schema, table } = target;
  const loadRef = current.loadTable;
  const loadColumns = await describeTable(
    connection,
    loadRef.schema,
    loadRef.table,
    loadRef.catalog ?? undefined,
  );
  const remembered = await rememberedColumns(connection, schema, table);
  const naming = assignColumnNames(
    target.properties.map((p) => p.name),
    RESERVED_COLUMNS,
    remembered,
    [...(loadColumns?.values() ?? [])].map((c) => c.name),
  );
  await rememberColumns(connection, schema, table, naming.added);
  const columnOf = (property: string) => naming.columns.get(property) as string;
  const wanted = target.properties.map((p) => ({ name: columnOf(p.name), type: p.wanted }));
  const tables = current.staging ? [current.final, current.layout.target] : [current.layout.target];
  let types = new Map<string, string>();
  for (const name of tables) {
    const ref = name === current.layout.target ? loadRef : { catalog: null, schema, table };
    const existing =
      (await describeTable(connection, ref.schema, ref.table, ref.catalog ?? undefined)) ?? new Map();
    const missing = wanted.filter((w) => !existing.has(foldCase(w.name)));
    const added = await evolveTable(connection, name, existing, missing, logger);
    const kept = new Map([...existing.values()].map((c) => [c.name, c.type]));
    types = new Map([...kept, ...added]);
  }
  return describeStreamTable(
    connection,
    target,
    {
      final: current.final,
      next: current.next,
      staging: current.staging,
      loadTable: current.layout.target,
      loadRef,
    },
    types,
    columnOf,
  );
}

export async function prepareTables(
  connection: DuckDBConnection,
  targets: readonly StreamTarget[],
  logger: Logger,
): Promise<StreamTable[]> {
  await connection.run('BEGIN TRANSACTION');
  try {
    await createInternalTables(connection);
    const tables: StreamTable[] = [];
    for (const [index, target] of targets.entries())
      tables.push(await prepareTable(connection, target, index, logger));
    await connection.run('COMMIT');
    return tables;
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
