// The Postgres source driver: lists tables and views of the included schemas from pg_catalog,
// reads them through a server-side cursor (pg-cursor) in batches, every value as the text Postgres
// sends, and converts that text to JSON (see source-values.ts).

import { type ConveyorError, configError, type JsonObject } from '@conveyor/protocol';
import type pg from 'pg';
import { pgCursor } from '../drivers.js';
import { POSTGRES_IDENTIFIERS } from '../identifiers.js';
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
  describePostgres,
  openPostgres,
  type PostgresConnectionSettings,
  postgresFailure,
} from './connection.js';
import { postgresConverter, postgresJsonSchema, postgresParameter } from './source-values.js';

const asText = (value: string) => value;

/** Every type arrives as Postgres' text: the source converts it once, exactly, itself. */
const RAW_TEXT_TYPES: pg.CustomTypesConfig = {
  getTypeParser: (() => asText) as unknown as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresSourceOptions {
  /** Schemas whose tables and views the source offers; names are exact (case-sensitive). */
  schemas: string[];
}

/** Opens a connection for one source operation, with a read-only UTC, ISO-dated session. */
export async function openPostgresSourceDriver(
  settings: PostgresConnectionSettings,
  options: PostgresSourceOptions,
): Promise<SourceDriver> {
  const client = await openPostgres(settings, { types: RAW_TEXT_TYPES, applicationName: 'conveyor-source' });
  try {
    await client.query(
      "SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET IntervalStyle TO 'iso_8601'; SET extra_float_digits TO 1; SET default_transaction_read_only TO on",
    );
  } catch (error) {
    await client.end().catch(() => {});
    throw postgresFailure(
      `setting up the session on ${describePostgres(settings, settings.database)}`,
      error,
      settings,
    );
  }
  return new PostgresSourceDriver(client, settings, options);
}

interface ColumnRow {
  schema: string;
  table: string;
  kind: string;
  column: string;
  type: string;
  nullable: string;
}

interface KeyRow {
  schema: string;
  table: string;
  column: string;
}

class PostgresSourceDriver implements SourceDriver {
  readonly identifiers = POSTGRES_IDENTIFIERS;
  private closed = false;

  constructor(
    private readonly client: pg.Client,
    private readonly settings: PostgresConnectionSettings,
    private readonly options: PostgresSourceOptions,
  ) {}

  async listTables(): Promise<SourceTable[]> {
    // Partitions are read through their parent; tables the user may not SELECT are left out.
    const columns = await this.client.query<ColumnRow>(
      `SELECT n.nspname AS schema, c.relname AS table, c.relkind AS kind, a.attname AS column,
              CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)
                   ELSE format_type(a.atttypid, a.atttypmod) END AS type,
              (NOT a.attnotnull)::text AS nullable
         FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
          AND n.nspname = ANY($1::text[])
          AND has_table_privilege(c.oid, 'SELECT')
        ORDER BY n.nspname, c.relname, a.attnum`,
      [this.options.schemas],
    );
    const keys = await this.client.query<KeyRow>(
      `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column
         FROM pg_catalog.pg_index i
         JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
        WHERE i.indisprimary AND n.nspname = ANY($1::text[])
        ORDER BY n.nspname, c.relname, k.position`,
      [this.options.schemas],
    );
    const tables = new Map<string, SourceTable>();
    const keyOf = (schema: string, table: string) => JSON.stringify([schema, table]);
    for (const row of columns.rows) {
      const key = keyOf(row.schema, row.table);
      let table = tables.get(key);
      if (!table) {
        table = {
          schema: row.schema,
          name: row.table,
          columns: [],
          primaryKey: [],
          isView: row.kind === 'v' || row.kind === 'm',
        };
        tables.set(key, table);
      }
      table.columns.push({ name: row.column, databaseType: row.type, nullable: row.nullable === 'true' });
    }
    for (const row of keys.rows) tables.get(keyOf(row.schema, row.table))?.primaryKey.push(row.column);
    return [...tables.values()].sort(
      (a, b) => compare(a.schema ?? '', b.schema ?? '') || compare(a.name, b.name),
    );
  }

  jsonSchemaFor(column: SourceColumn): JsonObject {
    return postgresJsonSchema(column);
  }

  converterFor(column: SourceColumn) {
    return postgresConverter(column);
  }

  parameter(column: SourceColumn, value: JsonValue): unknown {
    return postgresParameter(column, value);
  }

  async *read(query: KeysetQuery): AsyncGenerator<unknown[][]> {
    const sql = keysetSelect(this.identifiers, query, {
      placeholder: (index) => `$${index + 1}`,
      rowValues: true,
      parameter: (column, value) => this.parameter(column, value),
    });
    const cursor = this.client.query(
      new (pgCursor())<unknown[]>(sql.text, sql.values, { rowMode: 'array', types: RAW_TEXT_TYPES }),
    );
    try {
      for (;;) {
        query.signal.throwIfAborted();
        const rows = await cursor.read(query.batchRows);
        if (rows.length === 0) return;
        yield rows;
        if (rows.length < query.batchRows) return;
      }
    } finally {
      await cursor.close().catch(() => {});
    }
  }

  classify(error: unknown, context: FailureContext): ConveyorError {
    const database = `database "${this.settings.database}"`;
    const doing =
      context.table === undefined
        ? `${context.operation} in ${database}`
        : `${context.operation} table ${context.table} in ${database}`;
    return postgresFailure(doing, error, this.settings);
  }

  async check(): Promise<void> {
    const found = await this.client.query<{ name: string; usable: string }>(
      `SELECT nspname AS name, has_schema_privilege(oid, 'USAGE')::text AS usable
         FROM pg_catalog.pg_namespace WHERE nspname = ANY($1::text[])`,
      [this.options.schemas],
    );
    const byName = new Map(found.rows.map((row) => [row.name, row.usable === 'true']));
    const missing = this.options.schemas.filter((schema) => !byName.has(schema));
    if (missing.length > 0) {
      throw configError(
        `Schema ${missing.map((s) => `"${s}"`).join(', ')} does not exist in ${describePostgres(this.settings, this.settings.database)}. Check the "schemas" field (names are case-sensitive).`,
      );
    }
    const denied = this.options.schemas.filter((schema) => byName.get(schema) === false);
    if (denied.length > 0) {
      throw configError(
        `User "${this.settings.username}" lacks the USAGE privilege on schema ${denied.map((s) => `"${s}"`).join(', ')} in ${describePostgres(this.settings, this.settings.database)}. Grant it (GRANT USAGE ON SCHEMA ... TO ...) or remove the schema from "schemas".`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.end().catch(() => {});
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
