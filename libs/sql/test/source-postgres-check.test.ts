// `check` of the Postgres source names what is wrong: a wrong password, an unreachable server, a
// missing database, a missing privilege or schema; and never repeats the password.

import { randomBytes } from 'node:crypto';
import {
  type PasswordPostgres,
  passwordPostgresAvailable,
  startPasswordPostgres,
  unusedPort,
} from '@conveyor/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, type PgFixture, pgFixture, pgSource } from './source-helpers.js';

let fixture: PgFixture;
const role = `conveyor_norole_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  fixture = await pgFixture();
});

afterAll(async () => {
  await fixture?.admin.query(`DROP OWNED BY ${role}`).catch(() => {});
  await fixture?.drop();
  const admin = new pg.Client({
    host: fixture.db.host,
    port: fixture.db.port,
    user: fixture.db.user,
    database: 'postgres',
  });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
});

describe('check', () => {
  it('succeeds against a reachable database', async () => {
    expect(await pgSource().check(fixture.config, context())).toEqual({ status: 'SUCCEEDED' });
  });

  it('says the database does not exist, naming it', async () => {
    const status = await pgSource().check({ ...fixture.config, database: 'conveyor_no_such_db' }, context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/Database "conveyor_no_such_db" does not exist on PostgreSQL server/);
    expect(status.message).toMatch(/Check the "database" field/);
  });

  it('says the server cannot be reached when nothing listens on the port', async () => {
    const port = await unusedPort();
    const status = await pgSource().check({ ...fixture.config, port }, context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(
      new RegExp(`Could not reach the PostgreSQL server 127\\.0\\.0\\.1:${port}`),
    );
    expect(status.message).toMatch(/ECONNREFUSED/);
  });

  it('says the host name cannot be resolved', async () => {
    const status = await pgSource().check({ ...fixture.config, host: 'no-such-host.invalid' }, context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/host name "no-such-host\.invalid" could not be resolved|Could not reach/);
  });

  it('names a missing privilege: a user without CONNECT on the database', async () => {
    await fixture.admin.query(`CREATE ROLE ${role} LOGIN`);
    await fixture.admin.query(`REVOKE CONNECT ON DATABASE ${fixture.db.database} FROM PUBLIC`);
    const status = await pgSource().check({ ...fixture.config, username: role }, context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(new RegExp(`User "${role}" lacks a privilege`));
    expect(status.message).toMatch(/permission denied for database/);
  });

  it('names a schema that does not exist', async () => {
    const status = await pgSource().check({ ...fixture.config, schemas: ['public', 'Nope'] }, context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/Schema "Nope" does not exist/);
  });
});

describe.runIf(passwordPostgresAvailable())('check against a server that asks for a password', () => {
  let server: PasswordPostgres;

  beforeAll(async () => {
    server = await startPasswordPostgres();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  const configOf = (password: string) => ({
    host: server.host,
    port: server.port,
    database: 'postgres',
    username: server.user,
    password,
    ssl_mode: 'disable',
  });

  it('says the password was rejected, without repeating it', async () => {
    const status = await pgSource().check(configOf('wrong-password-456'), context());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/rejected the password of user "postgres"/);
    expect(status.message).not.toMatch(/wrong-password-456/);
  });

  it('succeeds with the right password', async () => {
    expect(await pgSource().check(configOf(server.password), context())).toEqual({ status: 'SUCCEEDED' });
  });

  it('fails discover with a config error for a wrong password', async () => {
    await expect(pgSource().discover(configOf('wrong-password-456'), context())).rejects.toMatchObject({
      failureType: 'config_error',
    });
  });
});
