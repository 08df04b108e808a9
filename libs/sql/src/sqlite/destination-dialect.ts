// SQLite as a Conveyor destination: the `DestinationDialect` over one better-sqlite3 database.
// Batches load with one prepared INSERT run per row inside the open transaction (SQLite's fastest
// path: no parsing per row, one fsync per commit). The file runs in WAL mode, so readers keep
// reading the last committed data while a sync writes.
//
// SQLite has no schemas: a stream's namespace becomes a table-name prefix (`<namespace>_<stream>`,
// see stream-plan.ts) and the destination's own tables sit beside the data. Columns hold any value
// whatever their declared type, so widening a column needs DDL only to text (see `widening`);
// JSON is stored as TEXT, dates and times as ISO 8601 text (UTC with `Z` for time-zoned ones),
// booleans as 0/1.

import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { QueryResult } from '@conveyor/cdk';
import { configError } from '@conveyor/protocol';
import Database from 'better-sqlite3';
import type {
  DestinationDialect,
  ExistingColumn,
  LoadBatch,
  SessionPurpose,
  SqlValue,
  TableName,
} from '../destination/dialect.js';
import { standardMergeStatements } from '../destination/merge-sql.js';
import { qualify, SQLITE_IDENTIFIERS } from '../identifiers.js';
import type { LogicalType } from '../logical-types.js';
import { openSqliteReadOnly, sqliteFailure } from './connection.js';

const rules = SQLITE_IDENTIFIERS;
const q = (name: string) => rules.quote(name);
const sql = (table: TableName) => qualify(rules, table.schema, table.table);

/** Declared types; their names give SQLite's affinity (TEXT for JSON keeps JSON text as written). */
const COLUMN_TYPES: Record<LogicalType, string> = {
  integer: 'INTEGER',
  number: 'REAL',
  boolean: 'BOOLEAN',
  string: 'TEXT',
  timestamp_with_timezone: 'TIMESTAMPTZ',
  timestamp_without_timezone: 'TIMESTAMP',
  date: 'DATE',
  json: 'JSON_TEXT',
};

const LOGICAL_OF: Record<string, LogicalType> = {
  INTEGER: 'integer',
  INT: 'integer',
  BIGINT: 'integer',
  REAL: 'number',
  DOUBLE: 'number',
  FLOAT: 'number',
  BOOLEAN: 'boolean',
  TEXT: 'string',
  VARCHAR: 'string',
  TIMESTAMPTZ: 'timestamp_with_timezone',
  TIMESTAMP: 'timestamp_without_timezone',
  DATETIME: 'timestamp_without_timezone',
  DATE: 'date',
  JSON_TEXT: 'json',
  JSON: 'json',
};

/** Whether a declared type's affinity keeps text as written (TEXT, or BLOB/none), by SQLite's rules. */
function keepsText(declared: string): boolean {
  const type = declared.toUpperCase();
  if (type.includes('INT')) return false;
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return true;
  return type.includes('BLOB') || type.trim() === '';
}

/** The column Conveyor fills while it retypes another; it lives inside one transaction only. */
const WIDENING_COLUMN = '_conveyor_widening';

/**
 * SQLite stores any value in any column, so most widenings are only a decision, never DDL:
 * integers may become numbers, anything may become JSON (a JSON text that looks like a number is
 * the same JSON when stored as one). Text is different: a column of numeric affinity (INTEGER,
 * REAL, DATE, ...) would store `"007"` as 7, so such a column is retyped to TEXT (new column, copy,
 * drop, rename; its indexes are made again). A column SQLite cannot drop (primary key, UNIQUE, used
 * by a view or trigger) is not widened: values that do not fit it become NULL with a note.
 */
function widening(
  db: Database.Database,
  table: TableName,
  existing: ExistingColumn,
  wanted: LogicalType,
): string[] | undefined {
  if (wanted === 'number' && existing.logical === 'integer') return [];
  if (wanted === 'json') return [];
  if (wanted !== 'string') return undefined;
  if (keepsText(existing.type)) return [];
  const schema = table.schema ?? 'main';
  const indexes = (
    db
      .prepare(`SELECT name, sql FROM ${q(schema)}.sqlite_schema WHERE type = 'index' AND tbl_name = ?`)
      .all(table.table) as { name: string; sql: string | null }[]
  ).filter((index) =>
    (
      db.prepare('SELECT name FROM pragma_index_info(?, ?)').all(index.name, schema) as { name: string }[]
    ).some((c) => c.name === existing.name),
  );
  const dependents = db
    .prepare(
      `SELECT 1 FROM ${q(schema)}.sqlite_schema WHERE type IN ('view', 'trigger') AND instr(sql, ?) > 0`,
    )
    .get(table.table);
  if (dependents !== undefined || indexes.some((index) => index.sql === null)) return undefined;
  const t = sql(table);
  const column = q(existing.name);
  return [
    ...indexes.map((index) => `DROP INDEX ${q(schema)}.${q(index.name)}`),
    `ALTER TABLE ${t} ADD COLUMN ${q(WIDENING_COLUMN)} TEXT`,
    `UPDATE ${t} SET ${q(WIDENING_COLUMN)} = CAST(${column} AS TEXT)`,
    `ALTER TABLE ${t} DROP COLUMN ${column}`,
    `ALTER TABLE ${t} RENAME COLUMN ${q(WIDENING_COLUMN)} TO ${column}`,
    ...indexes.map((index) => index.sql as string),
  ];
}

function bindable(value: SqlValue): null | number | bigint | string {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

function parameters(values: readonly SqlValue[] | undefined): (null | number | bigint | string)[] {
  return values ? values.map(bindable) : [];
}

/** A `DestinationDialect` over an open database. */
export function sqliteDestinationDialect(db: Database.Database, path: string): DestinationDialect {
  const statements = new Map<string, Database.Statement>();
  const prepared = (text: string) => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };

  return {
    identifiers: rules,
    hasSchemas: false,
    transactionalDdl: true,
    uuidType: 'TEXT',
    textAllowsNul: true,
    columnType: (logical) => COLUMN_TYPES[logical],

    async readColumns(table) {
      const rows = db
        .prepare('SELECT name, type FROM pragma_table_info(?, ?)')
        .all(table.table, table.schema ?? 'main') as { name: string; type: string }[];
      if (rows.length === 0) return 'absent';
      return rows.map((row) => ({
        name: row.name,
        type: row.type,
        logical: LOGICAL_OF[row.type.toUpperCase()],
      }));
    },

    widenColumn: (table, existing, wanted) => widening(db, table, existing, wanted),

    createSchema: () => [],
    createTable: (table, columns) => [
      `CREATE TABLE ${sql(table)} (${columns.map((c) => `${q(c.name)} ${c.type}`).join(', ')})`,
    ],
    addColumn: (table, column) => [`ALTER TABLE ${sql(table)} ADD COLUMN ${q(column.name)} ${column.type}`],
    dropTable: (table) => [`DROP TABLE IF EXISTS ${sql(table)}`],
    swapTable: (next, final, finalExists) => [
      ...(finalExists ? [`DROP TABLE ${sql(final)}`] : []),
      `ALTER TABLE ${sql(next)} RENAME TO ${q(final.table)}`,
    ],
    createKeyIndex: (table, index, columns) => [
      `CREATE INDEX IF NOT EXISTS ${q(index)} ON ${sql(table)} (${columns.map(q).join(', ')})`,
    ],
    createStagingTable: (name, columns) => [
      `CREATE TEMP TABLE ${q(name)} (${columns.map((c) => `${q(c.name)} ${c.type}`).join(', ')})`,
    ],
    stagingTable: (name) => ({ schema: 'temp', table: name }),
    mergeStatements: (spec) =>
      standardMergeStatements(rules, { nullSafeEquals: (a, b) => `${a} IS ${b}` }, spec),

    placeholder: () => '?',
    async execute(text, values) {
      prepared(text).run(...parameters(values));
    },
    async query(text, values) {
      return prepared(text).all(...parameters(values)) as Record<string, unknown>[];
    },
    async userQuery(text): Promise<QueryResult> {
      const statement = db.prepare(text);
      if (!statement.reader) {
        statement.run();
        return { columns: [], rows: [] };
      }
      const columns = statement.columns().map((c) => c.name);
      return { columns, rows: statement.raw(true).all() as unknown[][] };
    },

    // IMMEDIATE takes the write lock at once, so a sync never fails half-way on a lock upgrade.
    begin: async () => {
      db.exec('BEGIN IMMEDIATE');
    },
    commit: async () => {
      db.exec('COMMIT');
    },
    rollback: async () => {
      if (db.inTransaction) db.exec('ROLLBACK');
    },

    async load(table: TableName, batch: LoadBatch) {
      const marks = batch.columns.map(() => '?').join(', ');
      const insert = prepared(
        `INSERT INTO ${sql(table)} (${batch.columns.map(q).join(', ')}) VALUES (${marks})`,
      );
      const row: (null | number | bigint | string)[] = new Array(batch.columns.length);
      const { values } = batch;
      for (let r = 0; r < batch.rowCount; r++) {
        for (let c = 0; c < row.length; c++)
          row[c] = bindable((values[c] as readonly SqlValue[])[r] as SqlValue);
        insert.run(row);
      }
    },

    failure: (doing, error) => sqliteFailure(path, doing, error),

    async close() {
      statements.clear();
      if (db.open) {
        if (db.inTransaction) db.exec('ROLLBACK');
        db.close();
      }
    },
  };
}

/**
 * Opens the database file. `read` opens an existing file read-only and returns undefined when
 * there is none (asking for states must not create a file); `write` and `check` create the file
 * and its directory, and switch it to WAL mode.
 */
export async function openSqliteDestination(
  path: string,
  purpose: SessionPurpose,
): Promise<DestinationDialect | undefined> {
  if (path === ':memory:' || path === '') {
    throw configError(
      'config.path names no file, and an in-memory database loses everything when the sync ends. Give the path of a SQLite file.',
    );
  }
  if (purpose === 'read') {
    if (!existsSync(path)) return undefined;
    return sqliteDestinationDialect(openSqliteReadOnly(path), path);
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw configError(
      `Cannot create the directory of the SQLite file ${path}. Make it writable or choose another path.`,
      {
        internalMessage: String(error),
        cause: error,
      },
    );
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL survives a killed process; a power cut may lose the last commits, data
    // and states together, which keeps exactly-once.
    db.pragma('synchronous = NORMAL');
    return sqliteDestinationDialect(db, path);
  } catch (error) {
    db?.close();
    throw sqliteFailure(path, 'opening the database', error);
  }
}
