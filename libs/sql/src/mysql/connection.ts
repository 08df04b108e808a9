// Opening a connection to MySQL or MariaDB from a connector's config, and turning what the server
// or the network says when something fails into one clear, classified error. Both the source and
// the destination connect through here, so they read and write values the same way: dates as the
// server's text (never a JavaScript Date in local time), the session in UTC, big integers and
// decimals as exact strings, JSON as text, and LOAD DATA LOCAL INFILE fed from a stream.

import type { Readable } from 'node:stream';
import { ConveyorError, configError, type JsonObject, systemError, transientError } from '@conveyor/protocol';
import type { Connection, ConnectionOptions } from 'mysql2/promise';
import {
  COMMON_SSL_MODES,
  capitalize,
  codeOf,
  connectionProperties,
  messageOf,
  REQUIRED_CONNECTION_FIELDS,
  readConnectionSettings,
  type ServerConnectionConfig,
  type ServerConnectionSettings,
  type ServerKind,
  tlsRequirement,
} from '../connection-settings.js';
import { mysqlDriver } from '../drivers.js';

export type MysqlSslMode = (typeof COMMON_SSL_MODES)[number] | 'verify-identity';

/** The connection fields of a MySQL connector's config, as its spec writes them. */
export type MysqlConnectionConfig = ServerConnectionConfig<MysqlSslMode>;

export const MYSQL_SSL_MODES: readonly MysqlSslMode[] = [...COMMON_SSL_MODES, 'verify-identity'];

/** The connection fields of a MySQL connector's config, checked and with defaults applied. */
export type MysqlConnectionSettings = ServerConnectionSettings<MysqlSslMode>;

const MYSQL: ServerKind<MysqlSslMode> = {
  name: 'MySQL',
  serverTitle: 'MySQL or MariaDB server',
  defaultPort: 3306,
  userDescription: 'User to log in as.',
  sslModes: MYSQL_SSL_MODES,
};

/** The JSON Schema properties every MySQL connector's spec shares (see `connectionProperties`). */
export const MYSQL_CONNECTION_PROPERTIES: JsonObject = connectionProperties(MYSQL);

/** Fields a MySQL config must have. */
export const MYSQL_REQUIRED_FIELDS = REQUIRED_CONNECTION_FIELDS;

/** Reads the connection fields of a config (already validated against the spec, but checked again here). */
export function mysqlSettings(config: JsonObject): MysqlConnectionSettings {
  return readConnectionSettings(config, MYSQL);
}

function sslOptions(settings: MysqlConnectionSettings): ConnectionOptions['ssl'] {
  const tls = tlsRequirement(settings);
  if (tls === undefined) return undefined;
  if (!tls.verifyChain) return { rejectUnauthorized: false };
  return { ca: tls.ca, rejectUnauthorized: true, verifyIdentity: tls.verifyHost };
}

export interface MysqlConnectOptions {
  /** connect without selecting the config's database (to create it, or to tell a missing one apart) */
  withoutDatabase?: boolean;
  /** milliseconds before an unanswered connection attempt fails; 10 s by default */
  connectTimeout?: number;
}

/**
 * mysql2 options shared by every connection: exact numbers and dates as text, JSON as text (MariaDB
 * stores JSON as LONGTEXT, so both servers then answer alike), utf8mb4 throughout, and LOAD DATA
 * LOCAL INFILE allowed (each statement passes its own stream, see load-data.ts).
 */
function connectionOptions(
  settings: MysqlConnectionSettings,
  options: MysqlConnectOptions,
  ssl: ConnectionOptions['ssl'],
): ConnectionOptions {
  return {
    host: settings.host,
    port: settings.port,
    user: settings.username,
    password: settings.password,
    ...(options.withoutDatabase ? {} : { database: settings.database }),
    ...(ssl === undefined ? {} : { ssl }),
    charset: 'utf8mb4_general_ci',
    connectTimeout: options.connectTimeout ?? 10_000,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
    timezone: '+00:00',
    flags: ['LOCAL_FILES'],
    multipleStatements: false,
    namedPlaceholders: false,
    // Loads name a stream per statement; a file path the server asks for is never opened from disk.
    infileStreamFactory: (path: string): Readable => {
      throw systemError(`The server asked for the local file ${path}, but no stream was given for it.`);
    },
  };
}

/**
 * Opens a connection whose session is in UTC and utf8mb4. With ssl_mode `prefer`, a server that
 * offers no TLS is connected to in the clear. Failures are classified by `mysqlFailure`.
 */
export async function openMysqlConnection(
  settings: MysqlConnectionSettings,
  options: MysqlConnectOptions = {},
): Promise<Connection> {
  const where = describeMysql(settings, options.withoutDatabase ? undefined : settings.database);
  let connection: Connection;
  try {
    try {
      connection = await mysqlDriver().createConnection(
        connectionOptions(settings, options, sslOptions(settings)),
      );
    } catch (error) {
      if (settings.sslMode !== 'prefer' || codeOf(error) !== 'HANDSHAKE_NO_SSL_SUPPORT') throw error;
      connection = await mysqlDriver().createConnection(connectionOptions(settings, options, undefined));
    }
  } catch (error) {
    throw await explainConnectFailure(settings, options, error, where);
  }
  // An error on an idle connection (server restart) must not crash the process; the next query fails instead.
  connection.on('error', () => {});
  try {
    await connection.query("SET time_zone = '+00:00', NAMES utf8mb4");
  } catch (error) {
    await connection.end().catch(() => {});
    throw mysqlFailure(`setting up the session on ${where}`, error);
  }
  return connection;
}

/** `host:port` and, when given, the database: the place a message is about, without secrets. */
export function describeMysql(settings: MysqlConnectionSettings, database?: string): string {
  const server = `MySQL server ${settings.host}:${settings.port}`;
  return database === undefined ? server : `database "${database}" on ${server}`;
}

/**
 * A failed connection attempt, made specific: an access denied error on a database the user may
 * not see is told apart from a wrong password by connecting again without a database.
 */
async function explainConnectFailure(
  settings: MysqlConnectionSettings,
  options: MysqlConnectOptions,
  error: unknown,
  where: string,
): Promise<ConveyorError> {
  if (codeOf(error) === 'ER_DBACCESS_DENIED_ERROR' && !options.withoutDatabase) {
    return configError(
      `User "${settings.username}" may not use database "${settings.database}" on ${describeMysql(settings)}. Grant it access (GRANT ... ON \`${settings.database}\`.* TO ...) or choose another database.`,
      { internalMessage: messageOf(error), cause: error },
    );
  }
  return mysqlFailure(`connecting to ${where}`, error, settings);
}

const TRANSIENT_SERVER_CODES = new Set([
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNRESET',
  'EPIPE',
]);

const PRIVILEGE_CODES = new Set([
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_COLUMNACCESS_DENIED_ERROR',
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_PROCACCESS_DENIED_ERROR',
  'ER_KILL_DENIED_ERROR',
]);

/**
 * A ConveyorError saying what failed while `doing` something, classified by what the user or
 * engine can do about it. Messages name the host, port, database and user, never the password.
 */
export function mysqlFailure(
  doing: string,
  error: unknown,
  settings?: MysqlConnectionSettings,
): ConveyorError {
  if (error instanceof ConveyorError) return error;
  const code = codeOf(error);
  const detail = messageOf(error);
  const options = { internalMessage: code ? `${code}: ${detail}` : detail, cause: error };
  const server = settings ? describeMysql(settings) : 'the MySQL server';
  const user = settings ? `"${settings.username}"` : 'the configured user';
  switch (code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return configError(
        `Wrong username or password: ${server} refused user ${user} while ${doing}. Check "username" and "password".`,
        options,
      );
    case 'ER_HOST_NOT_PRIVILEGED':
      return configError(
        `${capitalize(server)} does not let user ${user} connect from this machine's address while ${doing}. Allow the host for that user on the server.`,
        options,
      );
    case 'ER_BAD_DB_ERROR':
      return configError(
        `The database "${settings?.database ?? '?'}" does not exist on ${server} (while ${doing}). Create it or fix "database".`,
        options,
      );
    case 'ENOTFOUND':
      return configError(
        `The host name "${settings?.host ?? '?'}" could not be resolved while ${doing}. Check "host".`,
        options,
      );
    // A server that is down or out of reach may come back: transient, like the Postgres connection.
    case 'ECONNREFUSED':
      return transientError(
        `Nothing accepts connections at ${server}: the connection was refused while ${doing}. Check "host" and "port", and that the server is running.`,
        options,
      );
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return transientError(
        `${capitalize(server)} is unreachable: no answer while ${doing} (${code}). Check "host" and "port", that the server is running and that a firewall lets this machine through.`,
        options,
      );
    case 'ER_NO_SUCH_TABLE':
    case 'ER_BAD_FIELD_ERROR':
    case 'ER_BAD_TABLE_ERROR':
      return configError(
        `Failed ${doing}: ${firstLine(detail)}. The table or column is gone or was renamed; run discover again and update the catalog.`,
        options,
      );
    case 'HANDSHAKE_NO_SSL_SUPPORT':
      return configError(
        `${capitalize(server)} does not offer TLS, but ssl_mode asks for it (while ${doing}). Enable TLS on the server or set ssl_mode to "prefer" or "disable".`,
        options,
      );
    case 'ER_NOT_SUPPORTED_AUTH_MODE':
      return configError(
        `${capitalize(server)} asks user ${user} for an authentication method this client does not support (while ${doing}). Use mysql_native_password or caching_sha2_password for that user.`,
        options,
      );
  }
  if (code !== undefined && PRIVILEGE_CODES.has(code)) {
    return configError(
      `User ${user} lacks a privilege on ${server} for ${doing}: ${firstLine(detail)}. Grant the privilege or use another user.`,
      options,
    );
  }
  if (
    /certificate|self[- ]signed|SSL|TLS/i.test(detail) &&
    /ERR_TLS|CERT|certificate/i.test(`${code} ${detail}`)
  ) {
    return configError(
      `The TLS certificate of ${server} was refused while ${doing}: ${firstLine(detail)}. Check "ssl_ca", or use a weaker ssl_mode.`,
      options,
    );
  }
  if (code !== undefined && TRANSIENT_SERVER_CODES.has(code)) {
    return transientError(
      `${server} interrupted ${doing}: ${firstLine(detail)}. Retrying may help.`,
      options,
    );
  }
  return systemError(`MySQL failed while ${doing}: ${firstLine(detail)}`, options);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
