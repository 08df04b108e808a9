// What a copy of the SQL benchmark's table holds, read back after the writer exited: the row count
// and one sum per column, computed by the database that holds the copy (Postgres, DuckDB or SQLite)
// with the same meaning everywhere. Every value is cast first, so a destination may keep a column
// under another type (numeric as DOUBLE, a timestamp or JSON as text) and still compare equal.

import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import pg from 'pg';

export interface SqlTableChecksum {
  rows: number;
  sumId: number;
  /** sum of the integer column; its NULLs count as 0 */
  sumQuantity: number;
  nullQuantities: number;
  /** sum of round(score * 1000): exact in doubles, unlike a sum of the raw values */
  sumScoreMillis: number;
  sumPriceCents: number;
  /** characters, not bytes (some names hold a non-ASCII letter) */
  sumNameLength: number;
  distinctCodes: number;
  activeRows: number;
  sumUpdatedEpochSeconds: number;
  /** days since 1970-01-01; NULL dates count as 0 */
  sumBirthDays: number;
  nullBirthDates: number;
  /** sum of the JSON column's `k` */
  sumAttributesK: number;
}

export type SqlDialect = 'postgres' | 'duckdb' | 'sqlite';

/** One expression per field, per dialect; `t` is the table. */
const EXPRESSIONS: Record<keyof SqlTableChecksum, Record<SqlDialect, string>> = {
  rows: { postgres: 'count(*)', duckdb: 'count(*)', sqlite: 'count(*)' },
  sumId: {
    postgres: 'sum(id::bigint)',
    duckdb: 'sum(CAST(id AS BIGINT))',
    sqlite: 'sum(CAST(id AS INTEGER))',
  },
  sumQuantity: {
    postgres: 'coalesce(sum(quantity::bigint), 0)',
    duckdb: 'coalesce(sum(CAST(quantity AS BIGINT)), 0)',
    sqlite: 'coalesce(sum(CAST(quantity AS INTEGER)), 0)',
  },
  nullQuantities: {
    postgres: 'count(*) - count(quantity)',
    duckdb: 'count(*) - count(quantity)',
    sqlite: 'count(*) - count(quantity)',
  },
  sumScoreMillis: {
    postgres: 'sum(round(score::float8 * 1000))',
    duckdb: 'sum(round(CAST(score AS DOUBLE) * 1000))',
    sqlite: 'sum(round(CAST(score AS REAL) * 1000))',
  },
  sumPriceCents: {
    postgres: 'sum(round(price::numeric * 100))',
    duckdb: 'sum(round(CAST(price AS DOUBLE) * 100))',
    sqlite: 'sum(round(CAST(price AS REAL) * 100))',
  },
  sumNameLength: {
    postgres: 'sum(length(name))',
    duckdb: 'sum(length(name))',
    sqlite: 'sum(length(name))',
  },
  distinctCodes: {
    postgres: 'count(DISTINCT code)',
    duckdb: 'count(DISTINCT code)',
    sqlite: 'count(DISTINCT code)',
  },
  activeRows: {
    postgres: 'count(*) FILTER (WHERE active::boolean)',
    duckdb: 'count(*) FILTER (WHERE CAST(active AS BOOLEAN))',
    sqlite: "sum(CASE WHEN active IN (1, '1', 'true', 'TRUE') THEN 1 ELSE 0 END)",
  },
  sumUpdatedEpochSeconds: {
    postgres: 'sum(extract(epoch FROM updated_at::timestamptz))',
    duckdb: 'sum(epoch(CAST(updated_at AS TIMESTAMPTZ)))',
    sqlite: 'sum(unixepoch(updated_at))',
  },
  sumBirthDays: {
    postgres: "coalesce(sum(birth_date::date - date '1970-01-01'), 0)",
    duckdb: "coalesce(sum(CAST(birth_date AS DATE) - DATE '1970-01-01'), 0)",
    sqlite: "coalesce(sum(CAST(round(julianday(birth_date) - julianday('1970-01-01')) AS INTEGER)), 0)",
  },
  nullBirthDates: {
    postgres: 'count(*) - count(birth_date)',
    duckdb: 'count(*) - count(birth_date)',
    sqlite: 'count(*) - count(birth_date)',
  },
  sumAttributesK: {
    postgres: "sum((attributes::jsonb ->> 'k')::int)",
    duckdb: "sum(CAST(json_extract_string(CAST(attributes AS JSON), '$.k') AS INTEGER))",
    sqlite: "sum(json_extract(attributes, '$.k'))",
  },
};

const FIELDS = Object.keys(EXPRESSIONS) as (keyof SqlTableChecksum)[];

/** The checksum query for a table already quoted for its dialect. */
export function checksumSql(dialect: SqlDialect, qualifiedTable: string): string {
  const columns = FIELDS.map((field) => `${EXPRESSIONS[field][dialect]} AS "${field}"`);
  return `SELECT ${columns.join(', ')} FROM ${qualifiedTable}`;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function toChecksum(row: Record<string, unknown> | undefined, where: string): SqlTableChecksum {
  if (row === undefined) throw new Error(`no checksum row from ${where}`);
  const result = {} as SqlTableChecksum;
  for (const field of FIELDS) {
    const value = row[field];
    const number = typeof value === 'bigint' ? Number(value) : value === null ? 0 : Number(value);
    if (!Number.isFinite(number))
      throw new Error(`checksum field ${field} from ${where} is ${String(value)}`);
    result[field] = number;
  }
  return result;
}

/** Fields that differ, as `field: got X, expected Y`; empty when equal. */
export function sqlChecksumDifferences(got: SqlTableChecksum, expected: SqlTableChecksum): string[] {
  return FIELDS.filter((field) => got[field] !== expected[field]).map(
    (field) => `${field}: got ${got[field]}, expected ${expected[field]}`,
  );
}

export interface PostgresLocation {
  host: string;
  port: number;
  user: string;
  password?: string | undefined;
  database: string;
}

/**
 * The checksum of `table` in a Postgres database. Without a schema, the one schema holding a table
 * of that name (outside `_conveyor`) is used; a destination chooses its own schema.
 */
export async function postgresChecksum(
  location: PostgresLocation,
  table: string,
  schema?: string,
): Promise<SqlTableChecksum> {
  const client = new pg.Client({ ...location, password: location.password });
  await client.connect();
  try {
    let found = schema;
    if (found === undefined) {
      const result = await client.query<{ table_schema: string }>(
        `SELECT table_schema FROM information_schema.tables
          WHERE table_name = $1 AND table_schema NOT IN ('_conveyor', 'information_schema', 'pg_catalog')`,
        [table],
      );
      if (result.rows.length !== 1)
        throw new Error(`expected one table ${table} in ${location.database}, found ${result.rows.length}`);
      found = result.rows[0]!.table_schema;
    }
    const result = await client.query(checksumSql('postgres', `${quote(found)}.${quote(table)}`));
    return toChecksum(result.rows[0] as Record<string, unknown> | undefined, `${location.database}.${table}`);
  } finally {
    await client.end();
  }
}

/** The checksum of `table` in a DuckDB file (opened read-only); without a schema, the one that holds it. */
export async function duckdbChecksum(
  dbPath: string,
  table: string,
  schema?: string,
): Promise<SqlTableChecksum> {
  const instance = await DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    try {
      let found = schema;
      if (found === undefined) {
        const reader = await connection.runAndReadAll(
          `SELECT schema_name FROM duckdb_tables() WHERE table_name = $table AND schema_name <> '_conveyor'`,
          { table },
        );
        const schemas = reader.getRows().map((row) => String(row[0]));
        if (schemas.length !== 1)
          throw new Error(`expected one table ${table} in ${dbPath}, found ${schemas.length}`);
        found = schemas[0]!;
      }
      const reader = await connection.runAndReadAll(checksumSql('duckdb', `${quote(found)}.${quote(table)}`));
      return toChecksum(reader.getRowObjects()[0], `${dbPath} ${table}`);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/**
 * The checksum of the table in a SQLite file whose name is `table` or ends with it (a destination
 * may prefix the source's namespace), leaving out the destination's own tables.
 */
export function sqliteChecksum(dbPath: string, table: string): SqlTableChecksum {
  const db = new Database(dbPath, { readonly: true });
  try {
    const names = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
    )
      .map((row) => row.name)
      .filter((name) => (name === table || name.endsWith(`_${table}`)) && !name.includes('conveyor'));
    const exact = names.includes(table) ? [table] : names;
    if (exact.length !== 1)
      throw new Error(`expected one table like ${table} in ${dbPath}, found ${names.join(', ')}`);
    const row = db.prepare(checksumSql('sqlite', quote(exact[0]!))).get() as
      | Record<string, unknown>
      | undefined;
    return toChecksum(row, `${dbPath} ${exact[0]}`);
  } finally {
    db.close();
  }
}
