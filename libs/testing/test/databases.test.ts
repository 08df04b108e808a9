// Throwaway test databases on the real PostgreSQL and MariaDB servers: each call gives a fresh
// database that drop() removes even while a session still holds it, stale ones from killed runs are
// swept, and a server that cannot be reached fails with one message saying how to provide one.

import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createdAt,
  ensureMariadb,
  ensurePostgres,
  mariadbDatabase,
  mariadbTarget,
  postgresDatabase,
  postgresTarget,
  sweepStaleTestDatabases,
  testDatabaseName,
} from '../src/databases.js';

async function postgresDatabases(): Promise<string[]> {
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    const result = await client.query<{ datname: string }>('SELECT datname FROM pg_database');
    return result.rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

async function mariadbDatabases(): Promise<string[]> {
  const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  try {
    const [rows] = await connection.query('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA');
    return (rows as Array<{ name: string }>).map((row) => row.name);
  } finally {
    await connection.end();
  }
}

describe('postgresDatabase', () => {
  it('gives a fresh, writable database each time, with a connector config that reaches it', async () => {
    const first = await postgresDatabase();
    const second = await postgresDatabase();
    try {
      expect(first.database).not.toBe(second.database);
      expect(first.database).toMatch(/^conveyor_test_[0-9a-z]+_[0-9a-f]{8}$/);
      expect(first.config).toEqual({
        host: '127.0.0.1',
        port: 5432,
        database: first.database,
        username: 'postgres',
      });
      expect(first.url).toBe(`postgres://postgres@127.0.0.1:5432/${first.database}`);
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      await client.query('CREATE TABLE t (id int)');
      await client.query('INSERT INTO t VALUES (1), (2)');
      const count = await client.query<{ n: string }>('SELECT count(*) AS n FROM t');
      expect(count.rows[0]?.n).toBe('2');
      await client.end();
    } finally {
      await first.drop();
      await second.drop();
    }
  });

  it('drops the database even while another session holds it open in a transaction', async () => {
    const db = await postgresDatabase();
    const holder = new pg.Client({ ...db.config, user: db.config.username });
    holder.on('error', () => {});
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('CREATE TABLE held (id int)');
    await db.drop();
    await db.drop();
    expect(await postgresDatabases()).not.toContain(db.database);
    await holder.end().catch(() => {});
  });
});

describe('mariadbDatabase', () => {
  it('gives a fresh, writable database each time, with a connector config that reaches it', async () => {
    const first = await mariadbDatabase();
    const second = await mariadbDatabase();
    try {
      expect(first.database).not.toBe(second.database);
      expect(first.config).toEqual({
        host: '127.0.0.1',
        port: 3306,
        database: first.database,
        username: 'root',
      });
      expect(first.url).toBe(`mysql://root@127.0.0.1:3306/${first.database}`);
      const connection = await createConnection(first.url);
      await connection.query('CREATE TABLE t (id int)');
      await connection.query('INSERT INTO t VALUES (1), (2)');
      const [rows] = await connection.query('SELECT count(*) AS n FROM t');
      expect((rows as Array<{ n: number }>)[0]?.n).toBe(2);
      await connection.end();
    } finally {
      await first.drop();
      await second.drop();
    }
  });

  it('drops the database even while another session holds a lock in it', async () => {
    const db = await mariadbDatabase();
    const holder = await createConnection({ ...db.config, user: db.config.username });
    holder.on('error', () => {});
    await holder.query('CREATE TABLE held (id int) ENGINE=InnoDB');
    await holder.query('START TRANSACTION');
    await holder.query('INSERT INTO held VALUES (1)');
    await db.drop();
    expect(await mariadbDatabases()).not.toContain(db.database);
    await holder.end().catch(() => {});
  });
});

describe('sweepStaleTestDatabases', () => {
  it('drops test databases older than the cutoff and keeps recent ones', async () => {
    const old = testDatabaseName(new Date(Date.now() - 7 * 3_600_000));
    const fresh = await postgresDatabase();
    const freshMaria = await mariadbDatabase();
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await client.connect();
    await client.query(`CREATE DATABASE "${old}"`);
    await client.end();
    const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    await connection.query(`CREATE DATABASE \`${old}\``);
    await connection.end();
    try {
      const swept = await sweepStaleTestDatabases({ olderThanHours: 6 });
      expect(swept.postgres).toContain(old);
      expect(swept.mariadb).toContain(old);
      expect(swept.postgres).not.toContain(fresh.database);
      expect(await postgresDatabases()).not.toContain(old);
      expect(await postgresDatabases()).toContain(fresh.database);
      expect(await mariadbDatabases()).not.toContain(old);
      expect(await mariadbDatabases()).toContain(freshMaria.database);
    } finally {
      await fresh.drop();
      await freshMaria.drop();
    }
  });

  it('reads the creation time back from the name', () => {
    const when = new Date('2026-11-01T12:34:56Z');
    expect(createdAt(testDatabaseName(when))).toBe(when.getTime());
    expect(createdAt('conveyor_test_something_else')).toBeUndefined();
    expect(createdAt('postgres')).toBeUndefined();
  });
});

describe('a server that cannot be provided', () => {
  it('names the env var that points at it, and keeps its password out of the message', async () => {
    const target = postgresTarget({
      CONVEYOR_TEST_PG_URL: 'postgres://alice:s3cret-pw@127.0.0.1:1/postgres',
    });
    const failure = ensurePostgres(target);
    await expect(failure).rejects.toThrow(/CONVEYOR_TEST_PG_URL points at 127\.0\.0\.1:1 \(user alice\)/);
    await expect(failure).rejects.toSatisfy((error: Error) => !error.message.includes('s3cret-pw'));
  });

  it('says how to point at another MariaDB server when the one named does not answer', async () => {
    const target = mariadbTarget({ CONVEYOR_TEST_MYSQL_URL: 'mysql://root@127.0.0.1:1/' });
    await expect(ensureMariadb(target)).rejects.toThrow(
      /does not answer.*set CONVEYOR_TEST_MYSQL_URL=mysql:\/\/root@host:3306\//,
    );
  });

  it('tells a refused login apart from a missing server', async () => {
    const target = postgresTarget({
      CONVEYOR_TEST_PG_URL: 'postgres://no_such_role_here@127.0.0.1:5432/postgres',
    });
    await expect(ensurePostgres(target)).rejects.toThrow(/answered but refused the login.*no_such_role_here/);
  });

  it('rejects an env var that is not a URL with an example of one', () => {
    expect(() => postgresTarget({ CONVEYOR_TEST_PG_URL: 'localhost 5432' })).toThrow(
      /CONVEYOR_TEST_PG_URL is not a URL.*postgres:\/\/user:password@host:5432\/postgres/,
    );
  });
});
