// The MySQL/MariaDB source driver: lists the tables and views of the config's database from
// information_schema, streams each keyset query's rows from the server (mysql2's row stream, with
// back-pressure: the socket is paused while a batch waits) and converts values to JSON
// (source-values.ts).

import type { Readable } from 'node:stream';
import { ConveyorError, type JsonObject } from '@conveyor/protocol';
import type { Connection as CallbackConnection } from 'mysql2';
import type { Connection } from 'mysql2/promise';
import { MYSQL_IDENTIFIERS } from '../identifiers.js';
import type {
  FailureContext,
  JsonValue,
  KeysetQuery,
  SourceColumn,
  SourceDriver,
  SourceTable,
} from '../source/driver.js';
import { keysetSelect } from '../source/keyset-sql.js';
import {
  describeMysql,
  type MysqlConnectionSettings,
  mysqlFailure,
  openMysqlConnection,
} from './connection.js';
import { mysqlConverter, mysqlJsonSchema, mysqlParameter } from './source-values.js';

/** Opens a connection for one source operation. */
export async function openMysqlSourceDriver(settings: MysqlConnectionSettings): Promise<SourceDriver> {
  const connection = await openMysqlConnection(settings);
  try {
    // A slow destination may keep a streamed result waiting; the server must not give up on it
    // after its default 60 s.
    await connection.query('SET SESSION net_write_timeout = 3600');
    await connection.query('SET SESSION TRANSACTION READ ONLY');
    const [rows] = await connection.query('SELECT VERSION() AS version');
    const version = String((rows as { version?: unknown }[])[0]?.version ?? '');
    return new MysqlSourceDriver(connection, settings, /mariadb/i.test(version));
  } catch (error) {
    await connection.end().catch(() => {});
    throw mysqlFailure(
      `setting up the session on ${describeMysql(settings, settings.database)}`,
      error,
      settings,
    );
  }
}

interface TableRow {
  name: string;
  kind: string;
}

interface ColumnRow {
  table_name: string;
  column_name: string;
  column_type: string;
  nullable: string;
}

interface KeyRow {
  table_name: string;
  column_name: string;
  position: number;
}

interface CheckRow {
  table_name: string;
  clause: string;
}

const JSON_CHECK = /^json_valid\(`((?:[^`]|``)+)`\)$/i;

class MysqlSourceDriver implements SourceDriver {
  readonly identifiers = MYSQL_IDENTIFIERS;
  private closed = false;
  /** a streamed result was left before its end: the connection is dropped instead of drained */
  private abandoned = false;

  constructor(
    private readonly connection: Connection,
    private readonly settings: MysqlConnectionSettings,
    private readonly mariadb: boolean,
  ) {}

  private async rows<T>(sql: string, values: unknown[]): Promise<T[]> {
    const [rows] = await this.connection.query(sql, values);
    return rows as T[];
  }

  async listTables(): Promise<SourceTable[]> {
    const database = this.settings.database;
    // information_schema compares names without case; rows are matched exactly here instead.
    const tableRows = await this.rows<TableRow>(
      `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_TYPE AS kind FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED')`,
      [database],
    );
    const columnRows = await this.rows<ColumnRow & { db: string }>(
      `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS table_name, COLUMN_NAME AS column_name, COLUMN_TYPE AS column_type,
              IS_NULLABLE AS nullable
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY ORDINAL_POSITION`,
      [database],
    );
    const keyRows = await this.rows<KeyRow & { db: string }>(
      `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS table_name, COLUMN_NAME AS column_name, SEQ_IN_INDEX AS position
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_NAME = 'PRIMARY'`,
      [database],
    );
    // MariaDB's JSON is LONGTEXT with a json_valid check named after the column.
    const jsonColumns = new Set<string>();
    if (this.mariadb) {
      const checks = await this.rows<CheckRow & { db: string }>(
        `SELECT CONSTRAINT_SCHEMA AS db, TABLE_NAME AS table_name, CHECK_CLAUSE AS clause
           FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`,
        [database],
      );
      for (const check of checks) {
        const match = JSON_CHECK.exec(String(check.clause));
        if (String(check.db) === database && match?.[1]) {
          jsonColumns.add(keyOf(String(check.table_name), match[1].replaceAll('``', '`')));
        }
      }
    }

    const tables = new Map<string, SourceTable>();
    for (const row of tableRows as (TableRow & { db: string })[]) {
      if (String(row.db) !== database) continue;
      const name = String(row.name);
      tables.set(name, { schema: database, name, columns: [], primaryKey: [], isView: row.kind === 'VIEW' });
    }
    for (const row of columnRows) {
      const table = String(row.db) === database ? tables.get(String(row.table_name)) : undefined;
      if (!table) continue;
      const name = String(row.column_name);
      // as the server spells it: ENUM and SET members keep their case
      const type = String(row.column_type);
      const json = jsonColumns.has(keyOf(table.name, name)) && /text$/i.test(type);
      table.columns.push({ name, databaseType: json ? 'json' : type, nullable: row.nullable === 'YES' });
    }
    const keys = keyRows
      .filter((row) => String(row.db) === database)
      .sort((a, b) => Number(a.position) - Number(b.position));
    for (const row of keys) tables.get(String(row.table_name))?.primaryKey.push(String(row.column_name));
    return [...tables.values()].sort((a, b) => compare(a.name, b.name));
  }

  jsonSchemaFor(column: SourceColumn): JsonObject {
    return mysqlJsonSchema(column);
  }

  converterFor(column: SourceColumn) {
    return mysqlConverter(column);
  }

  parameter(column: SourceColumn, value: JsonValue): unknown {
    return mysqlParameter(column, value);
  }

  async *read(query: KeysetQuery): AsyncGenerator<unknown[][]> {
    const sql = keysetSelect(this.identifiers, query, {
      placeholder: () => '?',
      // MySQL compares row values, but uses an index for them less reliably than for the OR form.
      rowValues: false,
      parameter: (column, value) => this.parameter(column, value),
    });
    const raw = (this.connection as unknown as { connection: CallbackConnection }).connection;
    const stream = raw
      .query({ sql: sql.text, values: sql.values, rowsAsArray: true })
      .stream({ highWaterMark: query.batchRows });
    const rows = new RowBatches(stream, query.batchRows, query.signal);
    let finished = false;
    try {
      for (;;) {
        const batch = await rows.next();
        if (batch === undefined) break;
        yield batch;
      }
      finished = true;
    } finally {
      rows.dispose();
      if (!finished) this.abandoned = true;
    }
  }

  classify(error: unknown, context: FailureContext): ConveyorError {
    const where = describeMysql(this.settings, this.settings.database);
    const doing =
      context.table === undefined
        ? `${context.operation} on ${where}`
        : `${context.operation} table ${context.table} of ${where}`;
    const failure = mysqlFailure(doing, error, this.settings);
    if (context.stream === undefined || failure.stream !== undefined) return failure;
    return new ConveyorError(failure.userMessage, {
      failureType: failure.failureType,
      internalMessage: failure.internalMessage,
      stream: context.stream,
      cause: error,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A result left half-read would be drained to its end by `end()`; dropping the socket is instant.
    if (this.abandoned) this.connection.destroy();
    else await this.connection.end().catch(() => this.connection.destroy());
  }
}

/**
 * Gathers a row stream into batches without a promise per row: rows are taken with `read()` while
 * the stream has them, and only an empty buffer waits for the next 'readable'.
 */
class RowBatches {
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private readonly onReadable = () => this.notify();
  private readonly onEnd = () => {
    this.ended = true;
    this.notify();
  };
  private readonly onError = (error: unknown) => {
    this.failure = error;
    this.notify();
  };
  private readonly onAbort = () => this.notify();

  constructor(
    private readonly stream: Readable,
    private readonly size: number,
    private readonly signal: AbortSignal,
  ) {
    stream.on('readable', this.onReadable);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
    signal.addEventListener('abort', this.onAbort);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** The next batch of at most `size` rows, or undefined at the end (or when aborted). */
  async next(): Promise<unknown[][] | undefined> {
    const batch: unknown[][] = [];
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.signal.aborted) return undefined;
      while (batch.length < this.size) {
        const row = this.stream.read() as unknown[] | null;
        if (row === null) break;
        batch.push(row);
      }
      if (batch.length >= this.size) return batch;
      if (this.ended || this.stream.readableEnded) return batch.length > 0 ? batch : undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  dispose(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.stream.off('readable', this.onReadable);
    this.stream.off('end', this.onEnd);
    this.stream.off('error', this.onError);
    if (!this.ended) this.stream.destroy();
  }
}

function keyOf(table: string, column: string): string {
  return `${table}\u0000${column}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
