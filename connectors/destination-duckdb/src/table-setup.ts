// Getting each stream's tables ready before a sync, in one transaction: create what is missing,
// add columns for new properties, widen columns whose type grew, resume or discard the
// generation table an interrupted overwrite left behind, and create the staging table of
// deduplicated streams. The result says, per stream, where batches go and with which columns.
// Streams arrive planned by the SQL family (`StreamPlan` from @conveyor/sql: tables, logical
// types, key, cursor); what is DuckDB's own here is what the loads need back: each table's
// columns as DuckDB's catalog spells them, for the loads.

import type { Logger } from '@conveyor/cdk';
import type { StreamPlan, TableName } from '@conveyor/sql';
import type { DuckDBConnection } from '@duckdb/node-api';
import { columnTypeOf, normalizeCatalogType, wideningOf } from './column-types.js';
import { queryRows } from './database.js';
import { assignColumnNames, foldCase, qualifiedName, quoteIdentifier } from './identifiers.js';
import { createInternalTables, rememberColumns, rememberedColumns } from './internal-tables.js';
import {
  GENERATION_COLUMN,
  type LoadColumn,
  type LoadLayout,
  METADATA_COLUMNS,
  RAW_DATA_COLUMN,
  RESERVED_COLUMNS,
} from './load-sql.js';

/** A table by its unquoted parts, as DuckDB's catalog names it. */
export interface TableRef {
  catalog: string | null;
  schema: string;
  table: string;
}

/** A planned table in the database file (the family plans every DuckDB table with a schema). */
function refOf(table: TableName): TableRef {
  return { catalog: null, schema: table.schema ?? 'main', table: table.table };
}

export interface StreamTable {
  plan: StreamPlan;
  /** quoted, qualified name of the table readers see (`plan.final`) */
  finalSql: string;
  /**
   * Quoted name of the hidden table (`plan.next`) rows go to: an overwrite's next generation, which
   * replaces the final table at the end, or a full-refresh append's copy, moved into it at the end
   */
  nextSql: string | undefined;
  /** append_dedup: quoted name of the temporary table holding rows not yet merged */
  stagingSql: string | undefined;
  layout: LoadLayout;
  /** the table batches are loaded into (final, next or staging) */
  loadTable: TableRef;
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
  { catalog, schema, table }: TableRef,
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
  if (generationId === null || !columns.has(foldCase(GENERATION_COLUMN))) return false;
  const rows = await queryRows(
    connection,
    `SELECT count(*) AS foreign_rows FROM ${next} WHERE ${quoteIdentifier(GENERATION_COLUMN)} IS DISTINCT FROM $generation::BIGINT`,
    { generation: generationId },
  );
  return Number(rows[0]?.foreign_rows ?? 1) === 0;
}

/** The columns a stream's table should have: metadata, `_conveyor_data` or the properties. */
function wantedColumns(plan: StreamPlan, columnOf: (property: string) => string): WantedColumn[] {
  return [
    ...METADATA_COLUMNS,
    ...(plan.properties.length === 0 ? [RAW_DATA_COLUMN] : []),
    ...propertyColumns(plan, columnOf),
  ];
}

function propertyColumns(plan: StreamPlan, columnOf: (property: string) => string): WantedColumn[] {
  return plan.properties.map((p) => ({ name: columnOf(p.name), type: columnTypeOf(p.logical) }));
}

/** Assigns (and remembers) the column name of each property, given the columns the tables have. */
async function nameColumns(
  connection: DuckDBConnection,
  plan: StreamPlan,
  existing: readonly string[],
): Promise<(property: string) => string> {
  const remembered = await rememberedColumns(connection, plan.final);
  const naming = assignColumnNames(
    plan.properties.map((p) => p.name),
    RESERVED_COLUMNS,
    remembered,
    existing,
  );
  await rememberColumns(connection, plan.final, naming.added);
  return (property: string) => naming.columns.get(property) as string;
}

async function prepareTable(
  connection: DuckDBConnection,
  plan: StreamPlan,
  index: number,
  logger: Logger,
): Promise<StreamTable> {
  const finalRef = refOf(plan.final);
  await connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(finalRef.schema)}`);
  const finalSql = qualifiedName(plan.final);
  const nextRef = plan.next ? refOf(plan.next) : undefined;
  const nextSql = plan.next ? qualifiedName(plan.next) : undefined;

  const finalColumns = await describeTable(connection, finalRef);
  let nextColumns = nextRef ? await describeTable(connection, nextRef) : undefined;

  const existingNames = [...(finalColumns?.values() ?? []), ...(nextColumns?.values() ?? [])].map(
    (c) => c.name,
  );
  const columnOf = await nameColumns(connection, plan, existingNames);
  const wanted = wantedColumns(plan, columnOf);

  let loadTable: string;
  let loadRef: TableRef;
  let types: Map<string, string>;
  let stagingSql: string | undefined;
  if (nextSql && nextRef) {
    const what = plan.mode === 'overwrite' ? 'an overwrite' : 'a full-refresh append';
    // a staged append moves its rows into the final table at the end: that table gets the columns
    // now, and the staging table copies its column types, so the move needs no conversion
    const stagedAppend = plan.mode === 'append';
    let finalTypes = new Map<string, string>();
    if (stagedAppend) {
      if (finalColumns) finalTypes = await evolveTable(connection, finalSql, finalColumns, wanted, logger);
      else await createTable(connection, finalSql, wanted);
    }
    if (nextColumns && !(await canResume(connection, nextSql, nextColumns, plan.generationId))) {
      logger.warn(`Discarding ${nextSql}, left by ${what} of stream "${plan.key}" that did not finish.`);
      await connection.run(`DROP TABLE ${nextSql}`);
      nextColumns = undefined;
    } else if (nextColumns) {
      logger.info(
        `Resuming ${what} of stream "${plan.key}" in ${nextSql} (generation ${plan.generationId}).`,
      );
    }
    if (nextColumns) {
      types = await evolveTable(connection, nextSql, nextColumns, wanted, logger);
    } else if (stagedAppend) {
      await connection.run(`CREATE TABLE ${nextSql} AS FROM ${finalSql} LIMIT 0`);
      types = finalTypes;
    } else {
      types = new Map();
      await createTable(connection, nextSql, wanted);
    }
    loadTable = nextSql;
    loadRef = nextRef;
  } else {
    types = finalColumns ? await evolveTable(connection, finalSql, finalColumns, wanted, logger) : new Map();
    if (!finalColumns) await createTable(connection, finalSql, wanted);
    loadTable = finalSql;
    loadRef = finalRef;
    if (plan.mode === 'append_dedup') {
      // A temporary table: private to this connection and gone with it, so nothing stale survives a crash.
      const name = `conveyor_stage_${index}`;
      await connection.run(
        `CREATE OR REPLACE TEMP TABLE ${quoteIdentifier(name)} AS FROM ${finalSql} LIMIT 0`,
      );
      stagingSql = `"temp"."main".${quoteIdentifier(name)}`;
      loadTable = stagingSql;
      loadRef = { catalog: 'temp', schema: 'main', table: name };
    }
  }
  return describeStreamTable(plan, { finalSql, nextSql, stagingSql, loadTable, loadRef }, types, columnOf);
}

interface TablePlaces {
  finalSql: string;
  nextSql: string | undefined;
  stagingSql: string | undefined;
  loadTable: string;
  loadRef: TableRef;
}

/** Where a stream's batches go and with which columns (`types`: existing columns' types by name). */
function describeStreamTable(
  plan: StreamPlan,
  places: TablePlaces,
  types: Map<string, string>,
  columnOf: (property: string) => string,
): StreamTable {
  const columns: LoadColumn[] = plan.properties.map((p) => {
    const column = columnOf(p.name);
    return { property: p.name, column, type: types.get(column) ?? columnTypeOf(p.logical) };
  });
  return {
    plan,
    finalSql: places.finalSql,
    nextSql: places.nextSql,
    stagingSql: places.stagingSql,
    layout: { target: places.loadTable, columns, rawData: plan.properties.length === 0 },
    loadTable: places.loadRef,
    keyColumns: plan.primaryKey.map(columnOf),
    cursorColumn: plan.cursor === undefined ? undefined : columnOf(plan.cursor),
  };
}

/**
 * Mid-sync, inside the open transaction: the source announced new properties for a stream. Columns
 * are added to the table batches load into (and to the final table when batches go through a
 * dedup staging table or a staged append); existing columns keep their type until the next sync
 * widens them.
 */
export async function extendStreamTable(
  connection: DuckDBConnection,
  current: StreamTable,
  plan: StreamPlan,
  logger: Logger,
): Promise<StreamTable> {
  const loadRef = current.loadTable;
  const loadColumns = await describeTable(connection, loadRef);
  const columnOf = await nameColumns(
    connection,
    plan,
    [...(loadColumns?.values() ?? [])].map((c) => c.name),
  );
  const wanted = propertyColumns(plan, columnOf);
  const load = { sql: current.layout.target, ref: loadRef };
  // rows that go through a dedup staging table or a staged append end in the final table too
  const throughStaging =
    current.stagingSql !== undefined || (current.nextSql !== undefined && plan.mode === 'append');
  const tables = throughStaging ? [{ sql: current.finalSql, ref: refOf(plan.final) }, load] : [load];
  let types = new Map<string, string>();
  for (const { sql, ref } of tables) {
    const existing = (await describeTable(connection, ref)) ?? new Map();
    const missing = wanted.filter((w) => !existing.has(foldCase(w.name)));
    const added = await evolveTable(connection, sql, existing, missing, logger);
    const kept = new Map([...existing.values()].map((c) => [c.name, c.type]));
    types = new Map([...kept, ...added]);
  }
  return describeStreamTable(
    plan,
    {
      finalSql: current.finalSql,
      nextSql: current.nextSql,
      stagingSql: current.stagingSql,
      loadTable: current.layout.target,
      loadRef,
    },
    types,
    columnOf,
  );
}

export async function prepareTables(
  connection: DuckDBConnection,
  plans: readonly StreamPlan[],
  logger: Logger,
): Promise<StreamTable[]> {
  await connection.run('BEGIN TRANSACTION');
  try {
    await createInternalTables(connection);
    const tables: StreamTable[] = [];
    for (const [index, plan] of plans.entries())
      tables.push(await prepareTable(connection, plan, index, logger));
    await connection.run('COMMIT');
    return tables;
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
