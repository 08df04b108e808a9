// The SQL databases end-to-end tests sync between: a throwaway Postgres or MariaDB database, or a
// SQLite or DuckDB file, each with the connector reference and config the CLI needs, a way to run
// statements on it and read rows back, all through the database's own client (never the
// connector under test).

import { join } from 'node:path';
import { mariadbDatabase, postgresDatabase } from '@conveyor/testing';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';

export type EndKind = 'postgres' | 'mysql' | 'sqlite' | 'duckdb';

export interface SqlEnd {
  kind: EndKind;
  /** CLI short name of the connector (as source or destination) */
  connector: string;
  config: Record<string, unknown>;
  /** runs statements (`;`-separated is not supported: one statement per call) */
  exec(sql: string, params?: unknown[]): Promise<void>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  quote(name: string): string;
  /** SQL types for the test tables */
  types: { id: string; text: string; double: string; timestamp: string };
  /** a timestamp literal parameter for `minutes` after 2024-01-01T00:00:00 */
  at(minutes: number): string;
  close(): Promise<void>;
}

const BASE = Date.UTC(2024, 0, 1);

function isoAt(minutes: number, separator: 'T' | ' '): string {
  return new Date(BASE + minutes * 60_000).toISOString().replace('T', separator).replace('Z', '');
}

async function postgresEnd(): Promise<SqlEnd> {
  const db = await postgresDatabase();
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.database });
  await client.connect();
  return {
    kind: 'postgres',
    connector: 'postgres',
    config: { ...db.config, ssl_mode: 'disable' },
    async exec(sql, params) {
      await client.query(sql, params);
    },
    async rows(sql) {
      return (await client.query(sql)).rows as Record<string, unknown>[];
    },
    quote: (name) => `"${name.replaceAll('"', '""')}"`,
    types: { id: 'bigint', text: 'text', double: 'double precision', timestamp: 'timestamp' },
    at: (minutes) => isoAt(minutes, ' '),
    async close() {
      await client.end();
      await db.drop();
    },
  };
}

async function mysqlEnd(): Promise<SqlEnd> {
  const db = await mariadbDatabase();
  const connection = await createConnection({
    host: db.host,
    port: db.port,
    user: db.user,
    ...(db.password ? { password: db.password } : {}),
    database: db.database,
    dateStrings: true,
    supportBigNumbers: true,
  });
  return {
    kind: 'mysql',
    connector: 'mysql',
    config: { ...db.config, ssl_mode: 'disable' },
    async exec(sql, params) {
      await connection.query(sql, params);
    },
    async rows(sql) {
      const [rows] = await connection.query(sql);
      return rows as Record<string, unknown>[];
    },
    quote: (name) => `\`${name.replaceAll('`', '``')}\``,
    types: { id: 'BIGINT', text: 'VARCHAR(200)', double: 'DOUBLE', timestamp: 'DATETIME(6)' },
    at: (minutes) => isoAt(minutes, ' '),
    async close() {
      await connection.end();
      await db.drop();
    },
  };
}

function sqliteEnd(dir: string, file = 'data.sqlite'): SqlEnd {
  const path = join(dir, file);
  let db: Database.Database | undefined;
  const open = () => {
    db ??= new Database(path);
    return db;
  };
  const done = () => {
    db?.close();
    db = undefined;
  };
  return {
    kind: 'sqlite',
    connector: 'sqlite',
    config: { path },
    async exec(sql, params) {
      open()
        .prepare(sql)
        .run(...(params ?? []));
      done(); // the connector must see a file no one holds open
    },
    async rows(sql) {
      const rows = open().prepare(sql).all() as Record<string, unknown>[];
      done();
      return rows;
    },
    quote: (name) => `"${name.replaceAll('"', '""')}"`,
    types: { id: 'INTEGER', text: 'TEXT', double: 'REAL', timestamp: 'DATETIME' },
    at: (minutes) => isoAt(minutes, ' '),
    async close() {
      done();
    },
  };
}

function duckdbEnd(dir: string): SqlEnd {
  const path = join(dir, 'warehouse.duckdb');
  const withConnection = async <T>(
    run: (c: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<T>,
  ): Promise<T> => {
    const instance = await DuckDBInstance.create(path);
    try {
      const connection = await instance.connect();
      try {
        return await run(connection);
      } finally {
        connection.closeSync();
      }
    } finally {
      instance.closeSync();
    }
  };
  return {
    kind: 'duckdb',
    connector: 'duckdb',
    config: { path },
    async exec(sql) {
      await withConnection((c) => c.run(sql));
    },
    async rows(sql) {
      return withConnection(
        async (c) => (await c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
      );
    },
    quote: (name) => `"${name.replaceAll('"', '""')}"`,
    types: { id: 'BIGINT', text: 'VARCHAR', double: 'DOUBLE', timestamp: 'TIMESTAMP' },
    at: (minutes) => isoAt(minutes, ' '),
    async close() {},
  };
}

/** A fresh end of `kind`; file-based ones live in `dir`. */
export async function openEnd(kind: EndKind, dir: string, role: 'source' | 'destination'): Promise<SqlEnd> {
  switch (kind) {
    case 'postgres':
      return postgresEnd();
    case 'mysql':
      return mysqlEnd();
    case 'sqlite':
      return sqliteEnd(dir, `${role}.sqlite`);
    case 'duckdb':
      return duckdbEnd(dir);
  }
}

/** A project file with one connection from `source` to `destination`. */
export function projectYaml(
  source: SqlEnd,
  destination: SqlEnd,
  streams: { name: string; sync_mode: string; destination_sync_mode: string; cursor_field?: string }[],
  extra = '',
): string {
  const lines = streams.map(
    (s) =>
      `      - { name: ${s.name}, sync_mode: ${s.sync_mode}, destination_sync_mode: ${s.destination_sync_mode}${
        s.cursor_field ? `, cursor_field: ${s.cursor_field}` : ''
      } }`,
  );
  return `sources:
  src: { connector: ${source.connector}, config: ${JSON.stringify(source.config)} }
destinations:
  dst: { connector: ${destination.connector}, config: ${JSON.stringify(destination.config)} }
connections:
  c:
    source: src
    destination: dst
    namespace: destination
${extra}    streams:
${lines.join('\n')}
`;
}
