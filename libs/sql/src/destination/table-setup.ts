// Getting each stream's tables ready before a sync: create what is missing, add columns for new
// properties, widen columns whose type grew (where the dialect can), resume or discard the
// generation table an interrupted overwrite left behind, and create the staging table of
// deduplicated streams. The result says, per stream, where batches go and with which columns.

import type { Logger } from '@conveyor/cdk';
import { assignColumnNames, fitIdentifier, qualify } from '../identifiers.js';
import type { LogicalType } from '../logical-types.js';
import {
  type ColumnDefinition,
  type DestinationDialect,
  type ExistingColumn,
  runStatements,
  type TableName,
} from './dialect.js';
import { createInternalTables, rememberColumns, rememberedColumns } from './internal-tables.js';
import type { StreamPlan } from './stream-plan.js';

/** Metadata columns every table gets, in table order. `_conveyor_raw_id` has the dialect's UUID type. */
export const METADATA_COLUMNS = [
  { name: '_conveyor_raw_id', logical: 'string' },
  { name: '_conveyor_extracted_at', logical: 'timestamp_with_timezone' },
  { name: '_conveyor_generation_id', logical: 'integer' },
  { name: '_conveyor_meta', logical: 'json' },
] as const satisfies readonly { name: string; logical: LogicalType }[];

/** The whole record, for streams whose schema declares no properties (nothing else would keep the data). */
export const RAW_DATA_COLUMN = { name: '_conveyor_data', logical: 'json' } as const;

/** Staging tables number their rows in extraction order in this column. */
export const SEQUENCE_COLUMN = '_conveyor_stage_seq';

/** Names a property can never take. */
export const RESERVED_COLUMNS: readonly string[] = [
  ...METADATA_COLUMNS.map((c) => c.name),
  RAW_DATA_COLUMN.name,
  SEQUENCE_COLUMN,
  '_conveyor_rank',
];

export interface LoadColumn {
  property: string;
  column: string;
  /** the logical type of the column's values, or undefined for a column type Conveyor does not write */
  logical: LogicalType | undefined;
}

export interface StreamTable {
  plan: StreamPlan;
  /** the table batches are loaded into: final, next (overwrite) or staging (append_dedup) */
  loadTable: TableName;
  /** append_dedup: the name of the temporary staging table */
  staging: string | undefined;
  /** property columns, in the order of the stream's schema */
  columns: LoadColumn[];
  /** the stream declares no properties: the record is kept whole in `_conveyor_data` */
  rawData: boolean;
  keyColumns: string[];
  cursorColumn: string | undefined;
  /** append_dedup: the columns the merge moves from staging to final */
  mergeColumns: string[];
}

interface WantedColumn {
  name: string;
  logical: LogicalType;
  type: string;
}

/** Creates the schema unless the dialect says it exists (or has no schemas). */
export async function ensureSchema(dialect: DestinationDialect, schema: string | undefined): Promise<void> {
  if (!dialect.hasSchemas || schema === undefined) return;
  if (dialect.schemaExists && (await dialect.schemaExists(schema))) return;
  await runStatements(dialect, dialect.createSchema(schema));
}

const tableText = (table: TableName) =>
  table.schema === undefined ? table.table : `${table.schema}.${table.table}`;

function definitionOf(dialect: DestinationDialect, name: string, logical: LogicalType): WantedColumn {
  const type = name === METADATA_COLUMNS[0].name ? dialect.uuidType : dialect.columnType(logical);
  return { name, logical, type };
}

async function createTable(
  dialect: DestinationDialect,
  table: TableName,
  wanted: readonly WantedColumn[],
): Promise<Map<string, LogicalType | undefined>> {
  await runStatements(dialect, dialect.createTable(table, wanted));
  return new Map(wanted.map((c) => [c.name, c.logical]));
}

/** Adds missing columns and widens the ones the dialect can; returns each wanted column's logical type afterwards. */
async function evolveTable(
  dialect: DestinationDialect,
  table: TableName,
  existing: readonly ExistingColumn[],
  wanted: readonly WantedColumn[],
  logger: Logger,
): Promise<Map<string, LogicalType | undefined>> {
  const { fold } = dialect.identifiers;
  const byName = new Map(existing.map((c) => [fold(c.name), c]));
  const logicals = new Map<string, LogicalType | undefined>();
  const metadata = new Set<string>(RESERVED_COLUMNS);
  for (const column of wanted) {
    const found = byName.get(fold(column.name));
    if (!found) {
      await runStatements(dialect, dialect.addColumn(table, column));
      logger.info(`Added column ${column.name} (${column.type}) to ${tableText(table)}.`);
      logicals.set(column.name, column.logical);
      continue;
    }
    if (found.logical === column.logical || metadata.has(column.name)) {
      logicals.set(column.name, found.logical ?? (metadata.has(column.name) ? column.logical : undefined));
      continue;
    }
    const widening = dialect.widenColumn(table, found, column.logical);
    if (widening) {
      await runStatements(dialect, widening);
      // an empty list: the column already holds those values as they are (SQLite's dynamic types)
      if (widening.length > 0)
        logger.info(
          `Widened column ${found.name} of ${tableText(table)} from ${found.type} to hold ${column.logical} values.`,
        );
      logicals.set(column.name, column.logical);
    } else {
      logger.warn(
        `Column ${found.name} of ${tableText(table)} is ${found.type}, the stream now declares ${column.logical}, and ${dialect.identifiers.dialect} cannot widen it: values that do not fit become NULL, noted in _conveyor_meta.`,
      );
      logicals.set(column.name, found.logical);
    }
  }
  return logicals;
}

/**
 * An overwrite interrupted after some commits left its generation table behind. Its rows are
 * resumed when they all belong to the generation being written now (the engine retries the same
 * sync), and discarded otherwise, because a new sync starts its overwrite from scratch.
 */
async function canResume(
  dialect: DestinationDialect,
  next: TableName,
  columns: readonly ExistingColumn[],
  generationId: number | null,
): Promise<boolean> {
  const { fold } = dialect.identifiers;
  if (generationId === null || !columns.some((c) => fold(c.name) === fold('_conveyor_generation_id'))) {
    return false;
  }
  const table = qualify(dialect.identifiers, next.schema, next.table);
  const rows = await dialect.query(
    `SELECT COUNT(*) AS foreign_rows FROM ${table} WHERE _conveyor_generation_id IS NULL OR _conveyor_generation_id <> ${dialect.placeholder(1)}`,
    [generationId],
  );
  return Number(rows[0]?.foreign_rows ?? 1) === 0;
}

interface Naming {
  wanted: WantedColumn[];
  columnOf(property: string): string;
}

async function nameColumns(
  dialect: DestinationDialect,
  plan: StreamPlan,
  existing: readonly ExistingColumn[],
): Promise<Naming> {
  const remembered = await rememberedColumns(dialect, plan.final);
  const naming = assignColumnNames(
    dialect.identifiers,
    plan.properties.map((p) => p.name),
    RESERVED_COLUMNS,
    remembered,
    existing.map((c) => c.name),
  );
  await rememberColumns(dialect, plan.final, naming.added);
  const columnOf = (property: string) => naming.columns.get(property) as string;
  const rawData = plan.properties.length === 0;
  const wanted = [
    ...METADATA_COLUMNS.map((c) => definitionOf(dialect, c.name, c.logical)),
    ...(rawData ? [definitionOf(dialect, RAW_DATA_COLUMN.name, RAW_DATA_COLUMN.logical)] : []),
    ...plan.properties.map((p) => definitionOf(dialect, columnOf(p.name), p.logical)),
  ];
  return { wanted, columnOf };
}

function streamTable(
  plan: StreamPlan,
  naming: Naming,
  logicals: Map<string, LogicalType | undefined>,
  loadTable: TableName,
  staging: string | undefined,
): StreamTable {
  const { columnOf, wanted } = naming;
  return {
    plan,
    loadTable,
    staging,
    columns: plan.properties.map((p) => {
      const column = columnOf(p.name);
      return { property: p.name, column, logical: logicals.get(column) };
    }),
    rawData: plan.properties.length === 0,
    keyColumns: plan.primaryKey.map(columnOf),
    cursorColumn: plan.cursor === undefined ? undefined : columnOf(plan.cursor),
    mergeColumns: wanted.map((c) => c.name),
  };
}

async function prepareTable(
  dialect: DestinationDialect,
  plan: StreamPlan,
  index: number,
  logger: Logger,
): Promise<StreamTable> {
  const { final, next } = plan;
  await ensureSchema(dialect, final.schema);
  const finalColumns = await dialect.readColumns(final);
  let nextColumns = next ? await dialect.readColumns(next) : 'absent';
  const existing = [
    ...(finalColumns === 'absent' ? [] : finalColumns),
    ...(nextColumns === 'absent' ? [] : nextColumns),
  ];
  const naming = await nameColumns(dialect, plan, existing);

  if (next) {
    if (nextColumns !== 'absent' && !(await canResume(dialect, next, nextColumns, plan.generationId))) {
      logger.warn(
        `Discarding ${tableText(next)}, left by an overwrite of stream "${plan.key}" that did not finish.`,
      );
      await runStatements(dialect, dialect.dropTable(next));
      nextColumns = 'absent';
    } else if (nextColumns !== 'absent') {
      logger.info(
        `Resuming the overwrite of stream "${plan.key}" in ${tableText(next)} (generation ${plan.generationId}).`,
      );
    }
    const logicals =
      nextColumns === 'absent'
        ? await createTable(dialect, next, naming.wanted)
        : await evolveTable(dialect, next, nextColumns, naming.wanted, logger);
    return streamTable(plan, naming, logicals, next, undefined);
  }

  const logicals =
    finalColumns === 'absent'
      ? await createTable(dialect, final, naming.wanted)
      : await evolveTable(dialect, final, finalColumns, naming.wanted, logger);
  if (plan.mode !== 'append_dedup') return streamTable(plan, naming, logicals, final, undefined);

  const table = streamTable(plan, naming, logicals, final, undefined);
  const indexName = fitIdentifier(dialect.identifiers, `${final.table}__conveyor_key`);
  await runStatements(dialect, dialect.createKeyIndex(final, indexName, table.keyColumns));
  const staging = `_conveyor_stage_${index}`;
  await createStaging(dialect, staging, final, naming.wanted);
  return { ...table, loadTable: dialect.stagingTable(staging), staging };
}

/**
 * The staging table: the final table's columns (with their actual types) and a sequence column.
 * The session is new, so no temporary table of that name exists yet.
 */
async function createStaging(
  dialect: DestinationDialect,
  staging: string,
  final: TableName,
  wanted: readonly WantedColumn[],
): Promise<void> {
  const { fold } = dialect.identifiers;
  const actual = await dialect.readColumns(final);
  const types = new Map((actual === 'absent' ? [] : actual).map((c) => [fold(c.name), c.type]));
  const definitions: ColumnDefinition[] = wanted.map((c) => ({
    name: c.name,
    type: types.get(fold(c.name)) ?? c.type,
  }));
  definitions.push({ name: SEQUENCE_COLUMN, type: dialect.columnType('integer') });
  await runStatements(dialect, dialect.createStagingTable(staging, definitions));
}

/**
 * Prepares every stream's tables. Where DDL is transactional, all of it happens in one
 * transaction, so a failure leaves the database as it was.
 */
export async function prepareTables(
  dialect: DestinationDialect,
  plans: readonly StreamPlan[],
  logger: Logger,
): Promise<StreamTable[]> {
  const transactional = dialect.transactionalDdl;
  if (transactional) await dialect.begin();
  try {
    await createInternalTables(dialect);
    const tables: StreamTable[] = [];
    for (const [index, plan] of plans.entries())
      tables.push(await prepareTable(dialect, plan, index, logger));
    if (transactional) await dialect.commit();
    return tables;
  } catch (error) {
    if (transactional) await dialect.rollback().catch(() => undefined);
    throw error;
  }
}

/**
 * Mid-sync, inside the open transaction (transactional DDL only): the source announced new
 * properties for a stream. Columns are added to the table batches load into, and to the final
 * table when batches go through a staging table; existing columns keep their type until the next
 * sync widens them.
 */
export async function extendStreamTable(
  dialect: DestinationDialect,
  current: StreamTable,
  plan: StreamPlan,
  logger: Logger,
): Promise<StreamTable> {
  const { fold } = dialect.identifiers;
  const loadColumns = await dialect.readColumns(current.loadTable);
  const naming = await nameColumns(dialect, plan, loadColumns === 'absent' ? [] : loadColumns);
  const tables = current.staging ? [plan.final, current.loadTable] : [current.loadTable];
  let logicals = new Map<string, LogicalType | undefined>();
  for (const table of tables) {
    const existing = await dialect.readColumns(table);
    const have = existing === 'absent' ? [] : existing;
    const known = new Map(current.columns.map((c) => [fold(c.column), c.logical]));
    const missing = naming.wanted.filter((w) => !have.some((c) => fold(c.name) === fold(w.name)));
    const added = await evolveTable(dialect, table, have, missing, logger);
    logicals = new Map(
      naming.wanted.map((w) => [
        w.name,
        added.has(w.name) ? added.get(w.name) : known.has(fold(w.name)) ? known.get(fold(w.name)) : w.logical,
      ]),
    );
  }
  return { ...streamTable(plan, naming, logicals, current.loadTable, current.staging) };
}
