// The SQL benchmark's source: a Postgres table of ten mixed columns (bigint key, integer, double,
// numeric, text, varchar, boolean, timestamptz, date, jsonb), generated inside Postgres by
// generate_series in a throwaway database, so 2M rows take seconds and no bytes cross the wire.
// Values are a pure function of the id, with some NULLs and a non-ASCII letter, so every copy can
// be checked against the source's own checksum.

import { postgresDatabase, type TestDatabase } from '@conveyor/testing';
import pg from 'pg';
import { postgresChecksum, type SqlTableChecksum } from './sql-checksum.js';

export const SQL_SOURCE_SCHEMA = 'public';

export interface SqlSourceTable {
  name: string;
  rows: number;
  checksum: SqlTableChecksum;
}

export interface SqlSource {
  database: TestDatabase;
  tables: SqlSourceTable[];
}

/** CREATE TABLE and the INSERT ... SELECT from generate_series for `rows` rows. */
export function sourceTableSql(table: string, rows: number): string[] {
  const name = `"${table.replaceAll('"', '""')}"`;
  return [
    `CREATE TABLE ${name} (
       id bigint PRIMARY KEY,
       quantity integer,
       score double precision,
       price numeric(12, 2),
       name text,
       code varchar(32),
       active boolean,
       updated_at timestamptz,
       birth_date date,
       attributes jsonb)`,
    `INSERT INTO ${name}
     SELECT g,
       CASE WHEN g % 97 = 0 THEN NULL ELSE (g * 7919) % 100000 END,
       (g % 100003) / 7.0,
       ((g * 31) % 10000000) / 100.0,
       CASE WHEN g % 10 = 0 THEN 'Zoë ' || g ELSE 'customer ' || g END,
       'C' || lpad(to_hex(g * 2654435761 % 4294967296), 8, '0'),
       g % 3 = 0,
       timestamptz '2020-01-01 00:00:00+00' + g * interval '17 seconds',
       CASE WHEN g % 53 = 0 THEN NULL ELSE date '1950-01-01' + (g % 20000)::int END,
       jsonb_build_object('k', g % 10, 'tags', jsonb_build_array('t' || (g % 7)), 'nested',
                          jsonb_build_object('x', g % 5 = 0))
     FROM generate_series(1::bigint, ${Math.trunc(rows)}) AS g`,
    `ANALYZE ${name}`,
  ];
}

/**
 * A fresh database holding one generated table per entry of `tables` (name → rows), with each
 * table's checksum computed by Postgres. Drop it with `source.database.drop()`.
 */
export async function createSqlSource(tables: Record<string, number>): Promise<SqlSource> {
  const database = await postgresDatabase();
  try {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const [table, rows] of Object.entries(tables)) {
        for (const statement of sourceTableSql(table, rows)) await client.query(statement);
      }
    } finally {
      await client.end();
    }
    const made: SqlSourceTable[] = [];
    for (const [table, rows] of Object.entries(tables)) {
      const checksum = await postgresChecksum(
        { ...database, password: database.password },
        table,
        SQL_SOURCE_SCHEMA,
      );
      made.push({ name: table, rows, checksum });
    }
    return { database, tables: made };
  } catch (error) {
    await database.drop().catch(() => {});
    throw error;
  }
}
