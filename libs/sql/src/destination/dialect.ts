// What a SQL database implements to become a Conveyor destination. The generic writer
// (writer.ts) owns every decision about streams, modes, generations, schema evolution and
// exactly-once; a dialect only answers questions about its database and runs statements on one
// open connection. One `DestinationDialect` object is bound to one connection (a session): the
// connector's factory opens it, the core closes it.
//
// Rules every member follows:
// - Names arrive unquoted and already fitted (`fitIdentifier`); the dialect quotes them with its
//   `identifiers.quote`, never by hand.
// - Values never reach SQL text: statements take placeholders (`placeholder(n)`) and parameters.
// - Statement builders return a list of statements to run in order (possibly empty); the core
//   runs them with `execute`, inside or outside a transaction as `transactionalDdl` allows.

import type { QueryResult } from '@conveyor/cdk';
import type { IdentifierRules } from '../identifiers.js';
import type { LogicalType } from '../logical-types.js';

/**
 * A value as the core hands it to a dialect, already converted to its column's logical type
 * (value-conversion.ts):
 * - `integer`: a number when it is a safe integer, else a bigint (always within int64);
 * - `number`: a finite number;
 * - `boolean`: a boolean;
 * - `string`: a string;
 * - `timestamp_with_timezone`: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, always 6 fraction digits, so
 *   the text sorts like the instant);
 * - `timestamp_without_timezone`: `YYYY-MM-DDTHH:MM:SS.ffffff`;
 * - `date`: `YYYY-MM-DD`;
 * - `json`: the value's JSON text;
 * - the raw-id metadata column: a UUID in its canonical lower-case text;
 * - `null` for absent, JSON null, or a value that did not fit (noted in `_conveyor_meta`).
 * Years are 0001-9999 in all date and time texts.
 */
export type SqlValue = null | boolean | number | bigint | string;

/** A table, unquoted. `schema` is undefined for dialects without schemas (and for temporary tables). */
export interface TableName {
  schema: string | undefined;
  table: string;
}

/** A column as found in the database. */
export interface ExistingColumn {
  name: string;
  /** the database's own spelling of the type, usable in DDL (e.g. `bigint`, `numeric(10,2)`) */
  type: string;
  /**
   * The logical type whose converted values this column takes as they are, or undefined when
   * Conveyor does not write this type (a column the user made, e.g. `varchar(20)`); values for
   * such a column become NULL with a note, unless `widenColumn` turns it into a type we write.
   */
  logical: LogicalType | undefined;
}

/** A column to create: name and the dialect's type text. */
export interface ColumnDefinition {
  name: string;
  type: string;
}

/** What the append_dedup merge needs to know about one stream. */
export interface MergeSpec {
  final: TableName;
  /** the staging table's name (a temporary table, unqualified) */
  staging: string;
  /** the columns to move from staging into final, in order (metadata and property columns) */
  columns: readonly string[];
  /** primary-key column names, at least one */
  keyColumns: readonly string[];
  /** the cursor column, or undefined: then the latest extracted row wins */
  cursorColumn: string | undefined;
  /** staging column numbering rows in extraction order (greater = extracted later) */
  sequenceColumn: string;
}

/** A batch ready to load: values column by column (no per-row arrays on the hot path). */
export interface LoadBatch {
  /** the target table's columns being filled, in the order of `values` */
  columns: readonly string[];
  /** each column's logical type (the raw-id column says `string`), parallel to `columns` */
  types: readonly LogicalType[];
  /** `values[c][r]`: the value of column `c` in row `r`; every array has `rowCount` entries */
  values: readonly (readonly SqlValue[])[];
  rowCount: number;
}

/** Why the core opens a session: the factory may open differently (e.g. SQLite: `read` must not create the file). */
export type SessionPurpose = 'write' | 'check' | 'read';

/**
 * One open connection to a database that Conveyor writes to. Implementations: Postgres
 * (postgres/destination-dialect.ts), SQLite (sqlite/destination-dialect.ts), MySQL/MariaDB.
 */
export interface DestinationDialect {
  // ---- identifiers and types ------------------------------------------------------------------

  /** How names are quoted, cleaned, cut and compared (`POSTGRES_IDENTIFIERS`, ...). */
  readonly identifiers: IdentifierRules;

  /**
   * Whether the database has schemas (Postgres: yes; SQLite: no; MySQL: a database is a schema,
   * the dialect decides). Without schemas, every `TableName.schema` the core passes is
   * undefined, a stream's namespace becomes a table-name prefix (`<namespace>_<stream>`, see
   * stream-plan.ts), and the internal tables are `_conveyor_state` and `_conveyor_columns` next
   * to the data instead of in schema `_conveyor`.
   */
  readonly hasSchemas: boolean;

  /**
   * Where the destination's own tables live when the dialect has schemas; default `_conveyor`.
   * MySQL keeps them in the config's database: there a schema is a server-wide database, which a
   * user limited to its own database could not create, and states of different destination
   * databases on one server would share it.
   */
  readonly internalSchema?: string;

  /**
   * Whether DDL runs inside a transaction and rolls back with it (Postgres, SQLite: true). When
   * false (MySQL/MariaDB: every CREATE/ALTER/DROP/RENAME commits implicitly), the core never runs
   * DDL while a data transaction is open: tables are prepared before the first BEGIN, the overwrite
   * swap runs after the last COMMIT, and `evolve` (new columns mid-sync) is not offered. Temporary
   * staging tables are created before the first BEGIN too, and only emptied with DELETE later.
   */
  readonly transactionalDdl: boolean;

  /** Column type text for each logical type (e.g. Postgres `bigint`, `double precision`, `jsonb`). */
  columnType(logical: LogicalType): string;

  /** Column type text of `_conveyor_raw_id` (Postgres `uuid`, SQLite `TEXT`, MySQL `CHAR(36)`). */
  readonly uuidType: string;

  /**
   * Whether text and JSON values may contain U+0000. Postgres text and jsonb cannot: such a value
   * becomes NULL with a note instead of failing the load.
   */
  readonly textAllowsNul: boolean;

  // ---- reading the catalog --------------------------------------------------------------------

  /** The table's columns in table order, or `absent` when there is no such table. */
  readColumns(table: TableName): Promise<ExistingColumn[] | 'absent'>;

  /**
   * An existing column's type differs from what the stream's schema asks for now (`existing.logical
   * !== wanted`). Returns the statements that change the column so it holds `wanted` values without
   * losing the ones it has (e.g. Postgres integer → double precision, anything → text, a scalar →
   * jsonb), after which the core treats the column as `wanted`; or undefined when the column stays
   * as it is, and values that do not fit it become NULL with a note. An empty list is a widening
   * that needs no DDL (SQLite's type affinity stores a REAL in an INTEGER column).
   */
  widenColumn(table: TableName, existing: ExistingColumn, wanted: LogicalType): string[] | undefined;

  // ---- DDL (each returns statements, run in order) --------------------------------------------

  /**
   * Whether the schema exists (optional). When given, the core skips `createSchema` for a schema
   * that exists, so a user without the privilege to create schemas can write to an existing one
   * (Postgres checks that privilege even for `CREATE SCHEMA IF NOT EXISTS`).
   */
  schemaExists?(schema: string): Promise<boolean>;

  /** `CREATE SCHEMA IF NOT EXISTS`; only called when `hasSchemas`. */
  createSchema(schema: string): string[];

  /** `CREATE TABLE` (the core knows the table is absent). */
  createTable(table: TableName, columns: readonly ColumnDefinition[]): string[];

  /** Adds one column (nullable, no default). */
  addColumn(table: TableName, column: ColumnDefinition): string[];

  /** `DROP TABLE IF EXISTS`. */
  dropTable(table: TableName): string[];

  /**
   * The overwrite swap at `finish`: `next` (the generation table the sync filled) takes the place
   * of `final`, which is dropped; readers see the old rows until this runs and the new ones after,
   * never an empty or missing table in between when avoidable. Postgres: drop + rename inside the
   * transaction; MySQL: `RENAME TABLE final TO old, next TO final` (atomic) then drop old.
   * `finalExists` says whether `final` exists now.
   */
  swapTable(next: TableName, final: TableName, finalExists: boolean): string[];

  /**
   * A (non-unique) index on the key columns of an append_dedup table, so merges find the stored
   * rows of a key without scanning the table. `index` is a fitted name derived from the table's.
   * Return an empty list when the database needs none.
   */
  createKeyIndex(table: TableName, index: string, columns: readonly string[]): string[];

  // ---- append_dedup -----------------------------------------------------------------------------

  /**
   * Creates the session-private staging table `name` (a TEMPORARY table, gone with the
   * connection, so nothing stale survives a crash). Called before the first data transaction.
   */
  createStagingTable(name: string, columns: readonly ColumnDefinition[]): string[];

  /** The staging table as a `TableName` for `load` and `readColumns` (SQLite: schema `temp`). */
  stagingTable(name: string): TableName;

  /**
   * Statements that merge the staging table into the final table, run inside the commit's
   * transaction, then empty the staging table (DELETE, not DDL). The final table keeps one row
   * per primary key: the one with the greatest cursor; a NULL cursor loses to any value; ties go
   * to the later-extracted row (among staged rows the greater `sequenceColumn`, between a staged
   * and a stored row the staged one); without a cursor the latest extracted row wins. Keys compare
   * NULL-safely. `standardMergeStatements` (merge-sql.ts) implements this in standard SQL.
   */
  mergeStatements(spec: MergeSpec): string[];

  // ---- statements, transactions, loading -------------------------------------------------------

  /** The placeholder of the `index`-th parameter, 1-based (Postgres `$1`, MySQL and SQLite `?`). */
  placeholder(index: number): string;

  /** Runs one statement, with parameters bound to its placeholders. */
  execute(sql: string, parameters?: readonly SqlValue[]): Promise<void>;

  /** Runs one statement and returns its rows as objects keyed by column name. */
  query(sql: string, parameters?: readonly SqlValue[]): Promise<Record<string, unknown>[]>;

  /** Runs a user's SQL for `conveyor query`: column names in order (also for zero rows), and rows. */
  userQuery(sql: string): Promise<QueryResult>;

  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;

  /**
   * Loads a batch into `table` the fastest way the database has (Postgres COPY, MySQL LOAD DATA,
   * SQLite prepared INSERTs), inside the open transaction. Columns not in the batch get NULL.
   */
  load(table: TableName, batch: LoadBatch): Promise<void>;

  /**
   * A database error turned into a Conveyor error that says what was being done (`doing`) and
   * what to do: transient for lost connections, full disks, deadlocks and serialization failures;
   * config for missing privileges; system otherwise. Never includes a password.
   */
  failure(doing: string, error: unknown): Error;

  /** Closes the connection; an open transaction rolls back. */
  close(): Promise<void>;
}

/**
 * Opens a session for a resolved config. For `read` (committed states, queries) it may return
 * undefined when there is nothing to read yet (SQLite: the file does not exist), and must not
 * create anything. Connection failures throw Conveyor errors that name the cause (wrong password,
 * unreachable host, missing database, missing privileges).
 */
export type DialectFactory<Resolved> = (
  config: Resolved,
  purpose: SessionPurpose,
) => Promise<DestinationDialect | undefined>;

/** Runs a dialect's statements in order; stops at the first failure. */
export async function runStatements(
  dialect: DestinationDialect,
  statements: readonly string[],
): Promise<void> {
  for (const statement of statements) await dialect.execute(statement);
}
