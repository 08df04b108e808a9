// What a SQL database implements to become a Conveyor source. The generic source (`sqlSource`)
// does everything that is the same for every database: streams from tables, sync modes, keyset
// chunks, state, checkpoints, batches. A driver answers the database-specific questions: which
// tables exist, what their column types mean in JSON, how to run one keyset query as a stream of
// row batches, how to turn a row's values into JSON, and what a failure means.
//
// A driver is opened for one operation (check, discover or read) over one connection and closed
// afterwards. Rows travel as arrays (one value per selected column, in the order asked for) so that
// the hot path allocates one object per record, made by the generic source.

import type { ConveyorError, JsonObject, StreamDescriptor } from '@conveyor/protocol';
import type { IdentifierRules } from '../identifiers.js';

/** A value as it appears in a record or in a saved state: what JSON.stringify can write. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface SourceColumn {
  /** The column's name exactly as the database stores it (case kept, no quotes). */
  name: string;
  /**
   * The database's own type name as its catalog reports it, lower or upper case as the database
   * gives it: `timestamp with time zone`, `numeric`, `_int4` (a Postgres array), `INTEGER`,
   * `DATETIME`, `varchar(20)`. Only the driver interprets it.
   */
  databaseType: string;
  /** False when the database promises no NULL (NOT NULL, primary-key columns of a table). */
  nullable: boolean;
}

export interface SourceTable {
  /** The schema (the stream's namespace); undefined where the database has none (SQLite). */
  schema: string | undefined;
  /** The table or view name (the stream's name). */
  name: string;
  /** In the table's own column order. */
  columns: SourceColumn[];
  /** Primary-key column names in key order; empty for views and tables without one. */
  primaryKey: string[];
  isView: boolean;
}

/**
 * A lower bound of a keyset read: `(columns...) > (values...)`, or `>=` when inclusive, compared
 * as one row value in the order of the columns (lexicographically), exactly as `ORDER BY` sorts.
 * Values come as JSON (from a saved state or the last row read) and are turned into query
 * parameters with `SourceDriver.parameter`.
 */
export interface KeysetBound {
  columns: string[];
  values: JsonValue[];
  /** `>=`: rows equal to the bound are read (the incremental cursor's inclusive lower bound). */
  inclusive: boolean;
}

/**
 * One keyset query:
 * `SELECT <columns> FROM <table> WHERE <each bound, ANDed> AND <notNull IS NOT NULL>
 *  ORDER BY <orderBy ascending> [LIMIT limit]`.
 * Every identifier is quoted with the driver's identifier rules; every value is a parameter.
 */
export interface KeysetQuery {
  table: SourceTable;
  /** Selected column names; each row comes back with one value per column, in this order. */
  columns: string[];
  bounds: KeysetBound[];
  /** Columns that must not be NULL (an incremental cursor: NULL never compares as greater). */
  notNull: string[];
  /** Ascending sort; empty for one unordered pass. */
  orderBy: string[];
  /** At most this many rows; undefined reads to the end. */
  limit: number | undefined;
  /** Rows per yielded batch (a server-side cursor fetch, an iterator page). */
  batchRows: number;
  /** Aborted when the engine stops the read; the driver stops fetching and releases the query. */
  signal: AbortSignal;
}

/** Turns one raw value of a column (never NULL: the caller handles NULL) into its JSON form. */
export type ValueConverter = (value: unknown) => JsonValue;

/** What a failure happened during, so that a classified error can name it. */
export interface FailureContext {
  /** `check`, `discover`, `read` */
  operation: string;
  stream?: StreamDescriptor;
  /** The table as the user knows it: `schema.table` or `table`. */
  table?: string;
}

export interface SourceDriver {
  /** How this database quotes, limits and compares identifiers. */
  readonly identifiers: IdentifierRules;

  /**
   * The tables and views the source offers: those in the schemas its config includes (all
   * schemas for databases without schemas), with columns, primary keys and whether each is a view.
   * Sorted by schema then name, so discover output is stable.
   */
  listTables(): Promise<SourceTable[]>;

  /**
   * The JSON Schema property for a column's values, without the `null` alternative (the source
   * adds it for nullable columns). Integers `{type:'integer'}` (or `{type:'number',
   * airbyte_type:'integer'}`); decimals and floats `{type:'number'}`; booleans; timestamps
   * `{type:'string', format:'date-time'}`, with `airbyte_type:'timestamp_without_timezone'` when
   * the type carries no zone (`timestamp_with_timezone` otherwise); dates `format:'date'`; arrays
   * `{type:'array', items}`; JSON documents untyped-any; everything unknown `{type:'string'}`.
   */
  jsonSchemaFor(column: SourceColumn): JsonObject;

  /**
   * The converter for a column's raw values, or undefined when the raw value already is its JSON
   * form (saves a call per value). The rules: 64-bit integers → number when within ±2^53−1,
   * else a decimal string; decimals → number unless that loses digits (then the exact decimal
   * string); timestamps → ISO-8601 (`2024-05-01T10:00:00.123456`, with the offset for zoned ones);
   * dates → `YYYY-MM-DD`; binary → base64; JSON documents → parsed; arrays → arrays of converted
   * elements. Chosen once per query, applied per value.
   */
  converterFor(column: SourceColumn): ValueConverter | undefined;

  /**
   * The query parameter for a JSON value of a column, taken from a saved state or from the last
   * row read: the inverse of `converterFor`, such that comparing the column with it is exact
   * (base64 back to bytes, decimal strings of big integers back to integers where the driver
   * needs that). Values the database parses from text may be returned as they are.
   */
  parameter(column: SourceColumn, value: JsonValue): unknown;

  /**
   * Runs one keyset query and yields its rows in batches of at most `batchRows` arrays, without
   * holding more than a batch in memory (Postgres: a server-side cursor; SQLite: a statement
   * iterator). Finishing early (`return()` on the iterator, an abort) releases the query.
   */
  read(query: KeysetQuery): AsyncIterable<unknown[][]>;

  /**
   * Classifies a failure for the engine: a missing table, column, schema or privilege is a config
   * error, a lost connection or server restart transient, the rest system errors. The message
   * says what happened and where (stream, table) and never carries the password.
   */
  classify(error: unknown, context: FailureContext): ConveyorError;

  /**
   * Extra probes for `check` beyond opening the connection and listing tables (for example:
   * every included schema exists and can be used). Throws a classified error.
   */
  check?(): Promise<void>;

  /** Releases the connection. Safe to call twice. */
  close(): Promise<void>;
}
