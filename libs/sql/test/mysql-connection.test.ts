// Connecting to MariaDB/MySQL: a working config connects in UTC, and each way a config can be
// wrong gives a config error naming which, without the password.

import { randomBytes } from 'node:crypto';
import { ConveyorError } from '@conveyor/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlSettings, openMysqlConnection } from '../src/mysql/connection.js';
import { type MysqlTestDatabase, mysqlTestDatabase } from './mysql-helpers.js';

let db: MysqlTestDatabase;
const user = `conveyor_u_${randomBytes(4).toString('hex')}`;
const password = `pw-${randomBytes(8).toString('hex')}`;

beforeAll(async () => {
  db = await mysqlTestDatabase();
  for (const host of ['127.0.0.1', 'localhost', '%']) {
    await db.admin.query(`CREATE USER ?@? IDENTIFIED BY ?`, [user, host, password]);
  }
});

afterAll(async () => {
  for (const host of ['127.0.0.1', 'localhost', '%'])
    await db.admin.query('DROP USER IF EXISTS ?@?', [user, host]);
  await db.drop();
});

async function failure(config: Record<string, unknown>): Promise<ConveyorError> {
  try {
    const connection = await openMysqlConnection(mysqlSettings({ ...db.config, ...config } as never));
    await connection.end();
  } catch (error) {
    expect(error).toBeInstanceOf(ConveyorError);
    return error as ConveyorError;
  }
  throw new Error('connected although it should not have');
}

describe('openMysqlConnection', () => {
  it('connects to the database with a UTC session and exact values as text', async () => {
    const connection = await openMysqlConnection(mysqlSettings(db.config));
    try {
      const [rows] = await connection.query(
        "SELECT DATABASE() AS db, @@session.time_zone AS tz, CAST(9007199254740993 AS UNSIGNED) AS big, CAST('2024-01-02 03:04:05' AS DATETIME) AS dt",
      );
      expect(rows).toEqual([
        { db: db.database, tz: '+00:00', big: '9007199254740993', dt: '2024-01-02 03:04:05' },
      ]);
    } finally {
      await connection.end();
    }
  });

  it('says the password is wrong, without showing it', async () => {
    const error = await failure({ username: user, password: 'not-the-password' });
    expect(error.failureType).toBe('config_error');
    expect(error.userMessage).toMatch(/Wrong username or password/);
    expect(error.userMessage).toContain(user);
    expect(`${error.userMessage} ${error.internalMessage}`).not.toContain('not-the-password');
  });

  it('says nothing listens when the port is refused', async () => {
    const error = await failure({ port: 1 });
    expect(error.failureType).toBe('transient_error');
    expect(error.userMessage).toMatch(/refused/);
    expect(error.userMessage).toContain('127.0.0.1:1');
  });

  it('says the host cannot be resolved', async () => {
    const error = await failure({ host: 'no-such-host.invalid' });
    expect(error.failureType).toBe('config_error');
    expect(error.userMessage).toMatch(/no-such-host\.invalid/);
  });

  it('says the database does not exist', async () => {
    const error = await failure({ database: `${db.database}_missing` });
    expect(error.failureType).toBe('config_error');
    expect(error.userMessage).toMatch(/does not exist/);
    expect(error.userMessage).toContain(`${db.database}_missing`);
  });

  it('says the user may not use the database', async () => {
    const error = await failure({ username: user, password });
    expect(error.failureType).toBe('config_error');
    expect(error.userMessage).toMatch(new RegExp(`User "${user}" may not use database`));
    expect(`${error.userMessage} ${error.internalMessage}`).not.toContain(password);
  });

  it('refuses verify modes without a CA certificate', () => {
    expect(() => mysqlSettings({ ...db.config, ssl_mode: 'verify-ca' })).toThrow(/ssl_ca/);
  });

  it('fails clearly when TLS is required and the server offers none', async () => {
    const [rows] = await db.admin.query('SELECT @@have_ssl AS tls');
    if ((rows as { tls: string }[])[0]?.tls === 'YES') return; // the server offers TLS: nothing to refuse
    const error = await failure({ ssl_mode: 'require' });
    expect(error.failureType).toBe('config_error');
    expect(error.userMessage).toMatch(/does not offer TLS/);
  });
});
