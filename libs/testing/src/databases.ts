// Throwaway databases on real PostgreSQL and MariaDB servers for tests and benchmarks.
// `postgresDatabase()` / `mariadbDatabase()` make sure the server answers on 127.0.0.1 (starting it
// when its binaries are installed here), create a database with a random `conveyor_test_` name and
// hand back how to reach it plus `drop()`. Point at another server with CONVEYOR_TEST_PG_URL or
// CONVEYOR_TEST_MYSQL_URL. Names carry their creation time, so `sweepStaleTestDatabases()` can drop
// what killed runs left behind.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type ConveyorError, configError } from '@conveyor/protocol';
import {
  type ConnectionOptions,
  createConnection,
  type Connection as MysqlConnection,
  type RowDataPacket,
} from 'mysql2/promise';
import pg from 'pg';

/** Connector config for the SQL connectors (source-postgres, destination-mysql, ...). */
export interface DatabaseConnectorConfig {
  host: string;
  port: number;
  database: string;
  username: string;
  /** Left out when the server takes no password. */
  password?: string;
}

export interface TestDatabase {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  /** `postgres://...` or `mysql://...` for this database. */
  url: string;
  config: DatabaseConnectorConfig;
  /** Ends other sessions on the database and drops it; safe to call twice. */
  drop(): Promise<void>;
}

/** Where a server is expected: the admin login and database used to create throwaway ones. */
export interface ServerTarget {
  engine: 'postgres' | 'mariadb';
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  adminDatabase: string | undefined;
  /** The env var that chose this target, when one did (then nothing is started here). */
  fromEnv: string | undefined;
}

export const POSTGRES_URL_ENV = 'CONVEYOR_TEST_PG_URL';
export const MYSQL_URL_ENV = 'CONVEYOR_TEST_MYSQL_URL';
const NAME_PREFIX = 'conveyor_test_';
const NAME_PATTERN = /^conveyor_test_([0-9a-z]{5,9})_[0-9a-f]{8}$/;
const START_WAIT_MS = 30_000;

/** A fresh database on the PostgreSQL test server (started first when it is installed but down). */
export async function postgresDatabase(): Promise<TestDatabase> {
  const target = postgresTarget();
  await ensurePostgres(target);
  const database = testDatabaseName();
  await withPostgres(target, async (client) => {
    await client.query(`CREATE DATABASE ${quotePg(database)}`);
  });
  let dropped = false;
  return describeDatabase(target, database, async () => {
    if (dropped) return;
    await dropPostgresDatabase(target, database);
    dropped = true;
  });
}

/** A fresh database on the MariaDB/MySQL test server (started first when it is installed but down). */
export async function mariadbDatabase(): Promise<TestDatabase> {
  const target = mariadbTarget();
  await ensureMariadb(target);
  const database = testDatabaseName();
  await withMysql(target, async (connection) => {
    await connection.query(`CREATE DATABASE ${quoteMysql(database)} CHARACTER SET utf8mb4`);
  });
  let dropped = false;
  return describeDatabase(target, database, async () => {
    if (dropped) return;
    await dropMariadbDatabase(target, database);
    dropped = true;
  });
}

/**
 * An administrator's connection to a MariaDB/MySQL test database, for arranging rows and looking at
 * what landed: utf8mb4, session time zone UTC; `options` adds the mysql2 settings a test wants
 * (dateStrings, bigNumberStrings, ...).
 */
export async function mariadbAdmin(
  db: TestDatabase,
  options: ConnectionOptions = {},
): Promise<MysqlConnection> {
  const connection = await createConnection({
    host: db.host,
    port: db.port,
    user: db.user,
    ...(db.password === undefined ? {} : { password: db.password }),
    database: db.database,
    charset: 'utf8mb4_general_ci',
    ...options,
  });
  await connection.query("SET time_zone = '+00:00'");
  return connection;
}

/** The PostgreSQL server tests use: CONVEYOR_TEST_PG_URL, else postgres@127.0.0.1:5432. */
export function postgresTarget(env: NodeJS.ProcessEnv = process.env): ServerTarget {
  return targetFrom('postgres', env[POSTGRES_URL_ENV], POSTGRES_URL_ENV, {
    port: 5432,
    user: 'postgres',
    adminDatabase: 'postgres',
  });
}

/** The MariaDB/MySQL server tests use: CONVEYOR_TEST_MYSQL_URL, else root@127.0.0.1:3306. */
export function mariadbTarget(env: NodeJS.ProcessEnv = process.env): ServerTarget {
  return targetFrom('mariadb', env[MYSQL_URL_ENV], MYSQL_URL_ENV, {
    port: 3306,
    user: 'root',
    adminDatabase: undefined,
  });
}

const ensured = new Map<string, Promise<void>>();

/** Resolves once the PostgreSQL server answers; starts a local one if it can; else one clear error. */
export function ensurePostgres(target: ServerTarget = postgresTarget()): Promise<void> {
  return ensureOnce(target, () => ensureServer(target, probePostgres, startPostgres));
}

/** Resolves once the MariaDB server answers; starts a local one if it can; else one clear error. */
export function ensureMariadb(target: ServerTarget = mariadbTarget()): Promise<void> {
  return ensureOnce(target, () => ensureServer(target, probeMysql, startMariadb));
}

/**
 * Drops `conveyor_test_*` databases older than `olderThanHours` (default 6) on every server that
 * answers now. Servers that are down are skipped, never started. Returns the names dropped.
 */
export async function sweepStaleTestDatabases(
  options: { olderThanHours?: number; now?: Date } = {},
): Promise<{ postgres: string[]; mariadb: string[] }> {
  const cutoff = (options.now ?? new Date()).getTime() - (options.olderThanHours ?? 6) * 3_600_000;
  const swept = { postgres: [] as string[], mariadb: [] as string[] };
  const pgTarget = postgresTarget();
  if ((await probePostgres(pgTarget)).kind === 'ready') {
    const rows = await withPostgres(pgTarget, async (client) => {
      const result = await client.query<{ datname: string; created: Date | null }>(
        `SELECT datname, (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification AS created
           FROM pg_database WHERE datname LIKE 'conveyor\\_test\\_%'`,
      );
      return result.rows;
    });
    for (const row of rows) {
      const created = createdAt(row.datname) ?? row.created?.getTime();
      if (created === undefined || created >= cutoff) continue;
      await dropPostgresDatabase(pgTarget, row.datname);
      swept.postgres.push(row.datname);
    }
  }
  const myTarget = mariadbTarget();
  if ((await probeMysql(myTarget)).kind === 'ready') {
    const names = await withMysql(myTarget, async (connection) => {
      const [rows] = await connection.query<RowDataPacket[]>(
        "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'conveyor\\_test\\_%'",
      );
      return rows.map((row) => String(row.name));
    });
    for (const name of names) {
      const created = createdAt(name);
      if (created === undefined || created >= cutoff) continue;
      await dropMariadbDatabase(myTarget, name);
      swept.mariadb.push(name);
    }
  }
  return swept;
}

/** `conveyor_test_<seconds since 1970 in base 36>_<8 random hex digits>`: fits every dialect's limit. */
export function testDatabaseName(now: Date = new Date()): string {
  const seconds = Math.floor(now.getTime() / 1000).toString(36);
  return `${NAME_PREFIX}${seconds}_${randomBytes(4).toString('hex')}`;
}

/** When a database named by `testDatabaseName` was created (ms since 1970), or undefined. */
export function createdAt(name: string): number | undefined {
  const match = NAME_PATTERN.exec(name);
  return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 36) * 1000;
}

// ---- targets and descriptions ----

function targetFrom(
  engine: ServerTarget['engine'],
  url: string | undefined,
  envName: string,
  defaults: { port: number; user: string; adminDatabase: string | undefined },
): ServerTarget {
  if (url === undefined || url.trim() === '') {
    return { engine, host: '127.0.0.1', ...defaults, password: undefined, fromEnv: undefined };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configError(
      `${envName} is not a URL. Set it like ${engine === 'postgres' ? 'postgres://user:password@host:5432/postgres' : 'mysql://user:password@host:3306/'}.`,
    );
  }
  const path = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return {
    engine,
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port === '' ? defaults.port : Number(parsed.port),
    user: parsed.username === '' ? defaults.user : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    adminDatabase: path === '' ? defaults.adminDatabase : path,
    fromEnv: envName,
  };
}

function describeDatabase(target: ServerTarget, database: string, drop: () => Promise<void>): TestDatabase {
  const scheme = target.engine === 'postgres' ? 'postgres' : 'mysql';
  const login =
    encodeURIComponent(target.user) +
    (target.password === undefined ? '' : `:${encodeURIComponent(target.password)}`);
  const config: DatabaseConnectorConfig = {
    host: target.host,
    port: target.port,
    database,
    username: target.user,
  };
  if (target.password !== undefined) config.password = target.password;
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database,
    url: `${scheme}://${login}@${hostForUrl(target.host)}:${target.port}/${database}`,
    config,
    drop,
  };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function where(target: ServerTarget): string {
  return `${target.host}:${target.port} (user ${target.user})`;
}

// ---- connections ----

async function withPostgres<T>(
  target: ServerTarget,
  work: (client: pg.Client) => Promise<T>,
  database = target.adminDatabase,
): Promise<T> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database,
    connectionTimeoutMillis: 5_000,
  });
  // a server going away while we hold the connection must not crash the test process
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function withMysql<T>(
  target: ServerTarget,
  work: (connection: MysqlConnection) => Promise<T>,
): Promise<T> {
  const connection = await createConnection({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.adminDatabase,
    connectTimeout: 5_000,
  });
  connection.on('error', () => {});
  try {
    return await work(connection);
  } finally {
    await connection.end().catch(() => {});
  }
}

function quotePg(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteMysql(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

async function dropPostgresDatabase(target: ServerTarget, database: string): Promise<void> {
  await withPostgres(target, async (client) => {
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    await client.query(`DROP DATABASE IF EXISTS ${quotePg(database)} WITH (FORCE)`);
  });
}

async function dropMariadbDatabase(target: ServerTarget, database: string): Promise<void> {
  await withMysql(target, async (connection) => {
    // an open transaction elsewhere holds a metadata lock that would make DROP wait forever
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()',
      [database],
    );
    for (const row of rows) {
      await connection.query(`KILL ${Number(row.id)}`).catch(() => {});
    }
    await connection.query(`DROP DATABASE IF EXISTS ${quoteMysql(database)}`);
  });
}

// ---- making sure a server answers ----

type Probe =
  | { kind: 'ready' }
  | { kind: 'down'; detail: string }
  | { kind: 'starting'; detail: string }
  | { kind: 'refused'; detail: string };

const DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOENT', 'EPIPE']);

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) return String(error.code);
  return '';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function probePostgres(target: ServerTarget): Promise<Probe> {
  try {
    await withPostgres(target, async (client) => {
      await client.query('SELECT 1');
    });
    return { kind: 'ready' };
  } catch (error) {
    const code = errorCode(error);
    // 57P03: the database system is starting up / shutting down
    if (code === '57P03') return { kind: 'starting', detail: errorText(error) };
    if (DOWN_CODES.has(code) || /timeout|terminated unexpectedly/i.test(errorText(error))) {
      return { kind: 'down', detail: errorText(error) };
    }
    return { kind: 'refused', detail: errorText(error) };
  }
}

async function probeMysql(target: ServerTarget): Promise<Probe> {
  try {
    await withMysql(target, async (connection) => {
      await connection.query('SELECT 1');
    });
    return { kind: 'ready' };
  } catch (error) {
    const code = errorCode(error);
    if (DOWN_CODES.has(code) || code === 'PROTOCOL_CONNECTION_LOST') {
      return { kind: 'down', detail: errorText(error) };
    }
    return { kind: 'refused', detail: errorText(error) };
  }
}

function ensureOnce(target: ServerTarget, run: () => Promise<void>): Promise<void> {
  const key = `${target.engine} ${target.user}@${target.host}:${target.port}`;
  let pending = ensured.get(key);
  if (pending === undefined) {
    pending = run();
    // a failure is not remembered: a later call may find the server up
    pending.catch(() => ensured.delete(key));
    ensured.set(key, pending);
  }
  return pending;
}

interface StartAttempt {
  /** What was run, for the error message; empty when nothing could be run. */
  tried: string[];
  /** Set when the binaries are missing: how to install them. */
  missing: string | undefined;
}

async function ensureServer(
  target: ServerTarget,
  probe: (target: ServerTarget) => Promise<Probe>,
  start: () => StartAttempt,
): Promise<void> {
  const name = target.engine === 'postgres' ? 'PostgreSQL' : 'MariaDB';
  let state = await probe(target);
  if (state.kind === 'ready') return;
  if (state.kind === 'refused') throw refusedError(target, name, state.detail);
  let attempt: StartAttempt = { tried: [], missing: undefined };
  if (target.fromEnv === undefined && isLocal(target.host) && state.kind === 'down') {
    attempt = start();
  }
  const deadline = Date.now() + START_WAIT_MS;
  while (state.kind !== 'ready' && (attempt.tried.length > 0 || state.kind === 'starting')) {
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
    state = await probe(target);
    if (state.kind === 'refused') throw refusedError(target, name, state.detail);
  }
  if (state.kind === 'ready') return;
  throw unreachableError(target, name, state.detail, attempt);
}

function isLocal(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

function refusedError(target: ServerTarget, name: string, detail: string): ConveyorError {
  const env = target.engine === 'postgres' ? POSTGRES_URL_ENV : MYSQL_URL_ENV;
  return configError(
    `The ${name} test server at ${where(target)} answered but refused the login: ${detail}. ` +
      (target.engine === 'postgres'
        ? 'Tests expect user postgres with trust auth on 127.0.0.1 (a pg_hba.conf line "host all all 127.0.0.1/32 trust"), '
        : 'Tests expect user root with an empty password on 127.0.0.1, ') +
      `or set ${env} to a URL with a user that may create databases.`,
  );
}

function unreachableError(
  target: ServerTarget,
  name: string,
  detail: string,
  attempt: StartAttempt,
): ConveyorError {
  const env = target.engine === 'postgres' ? POSTGRES_URL_ENV : MYSQL_URL_ENV;
  const example =
    target.engine === 'postgres' ? 'postgres://postgres@host:5432/postgres' : 'mysql://root@host:3306/';
  let what: string;
  if (target.fromEnv !== undefined) {
    what = `${env} points at ${where(target)}, which does not answer (${detail}).`;
  } else if (attempt.missing !== undefined) {
    what = `No ${name} server answers at ${where(target)} (${detail}) and none is installed here: ${attempt.missing}.`;
  } else if (attempt.tried.length > 0) {
    what = `No ${name} server answers at ${where(target)} (${detail}), even ${START_WAIT_MS / 1000} s after trying to start it with: ${attempt.tried.join('; ')}.`;
  } else {
    what = `No ${name} server answers at ${where(target)} (${detail}).`;
  }
  return configError(`${what} Start one, or set ${env}=${example} to use another server.`);
}

// ---- starting local servers ----

function findExecutable(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin', ...extraDirs];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

interface CommandResult {
  line: string;
  ok: boolean;
}

function run(command: string, args: string[]): CommandResult {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  const output = `${result.stderr?.toString() ?? ''}${result.stdout?.toString() ?? ''}`.trim().split('\n')[0];
  const line = `${[command, ...args].join(' ')}${result.status === 0 ? '' : ` (exit ${result.status ?? result.signal}${output ? `: ${output}` : ''})`}`;
  return { line, ok: result.status === 0 };
}

/** Debian clusters (`/etc/postgresql/<version>/<name>`), newest version first. */
function postgresClusters(): Array<{ version: string; name: string }> {
  const root = '/etc/postgresql';
  if (!existsSync(root)) return [];
  const clusters: Array<{ version: string; name: string }> = [];
  for (const version of readdirSync(root).sort((a, b) => Number(b) - Number(a))) {
    for (const name of readdirSync(join(root, version))) {
      if (existsSync(join(root, version, name, 'postgresql.conf'))) clusters.push({ version, name });
    }
  }
  return clusters;
}

function startPostgres(): StartAttempt {
  const tried: string[] = [];
  const pgCtlCluster = findExecutable('pg_ctlcluster');
  const clusters = postgresClusters();
  if (pgCtlCluster !== undefined && clusters.length > 0) {
    for (const cluster of clusters) {
      const result = run(pgCtlCluster, ['--skip-systemctl-redirect', cluster.version, cluster.name, 'start']);
      tried.push(result.line);
      if (result.ok) return { tried, missing: undefined };
    }
  }
  const service = findExecutable('service');
  if (service !== undefined && existsSync('/etc/init.d/postgresql')) {
    tried.push(run(service, ['postgresql', 'start']).line);
  }
  if (tried.length > 0) return { tried, missing: undefined };
  return {
    tried,
    missing:
      'install it with `apt-get install postgresql` (Debian/Ubuntu) and allow trust auth for 127.0.0.1',
  };
}

function startMariadb(): StartAttempt {
  const tried: string[] = [];
  const mariadbd = findExecutable('mariadbd') ?? findExecutable('mysqld');
  const daemon = findExecutable('start-stop-daemon');
  if (mariadbd !== undefined && daemon !== undefined) {
    // the pid and socket folder lives on a tmpfs that a reboot empties
    if (!existsSync('/run/mysqld')) {
      run('install', ['-d', '-o', 'mysql', '-g', 'mysql', '/run/mysqld']);
    }
    const result = run(daemon, ['--start', '--oknodo', '--background', '--exec', mariadbd]);
    tried.push(result.line);
    if (result.ok) return { tried, missing: undefined };
  }
  const service = findExecutable('service');
  if (service !== undefined && (existsSync('/etc/init.d/mariadb') || existsSync('/etc/init.d/mysql'))) {
    tried.push(run(service, [existsSync('/etc/init.d/mariadb') ? 'mariadb' : 'mysql', 'start']).line);
    return { tried, missing: undefined };
  }
  const safe = findExecutable('mysqld_safe');
  if (safe !== undefined && tried.length === 0) {
    const result = spawnSync('sh', ['-c', `nohup ${safe} >/dev/null 2>&1 &`], { stdio: 'ignore' });
    tried.push(`${safe} (background${result.status === 0 ? '' : `, exit ${result.status}`})`);
  }
  if (tried.length > 0) return { tried, missing: undefined };
  return {
    tried,
    missing:
      'install it with `apt-get install mariadb-server` (Debian/Ubuntu); tests log in as root without a password',
  };
}
