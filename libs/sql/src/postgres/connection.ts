// Opening a connection to PostgreSQL from a connector's config, and turning what the server or the
// network says when something fails into one clear, classified error that names the cause (wrong
// password, unreachable server, missing database, missing privilege) and never the password. The
// source and the destination both connect through here and share the config fields below.

import { ConveyorError, configError, type JsonObject, systemError, transientError } from '@conveyor/protocol';
import type pg from 'pg';
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
import { pgDriver } from '../drivers.js';

export type PostgresSslMode = (typeof COMMON_SSL_MODES)[number] | 'verify-full';

/** The connection fields of a Postgres connector's config, as its spec writes them. */
export type PostgresConnectionConfig = ServerConnectionConfig<PostgresSslMode>;

export const POSTGRES_SSL_MODES: readonly PostgresSslMode[] = [...COMMON_SSL_MODES, 'verify-full'];

/** The connection fields of a Postgres connector's config, checked and with defaults applied. */
export type PostgresConnectionSettings = ServerConnectionSettings<PostgresSslMode>;

const POSTGRES: ServerKind<PostgresSslMode> = {
  name: 'PostgreSQL',
  serverTitle: 'PostgreSQL server',
  defaultPort: 5432,
  userDescription: 'User (role) to log in as.',
  sslModes: POSTGRES_SSL_MODES,
};

/** The JSON Schema properties every Postgres connector's spec shares (see `connectionProperties`). */
export const POSTGRES_CONNECTION_PROPERTIES: JsonObject = connectionProperties(POSTGRES);

/** Fields a Postgres config must have. */
export const POSTGRES_REQUIRED_FIELDS = REQUIRED_CONNECTION_FIELDS;

/** Reads the connection fields of a config (already validated against the spec, but checked again here). */
export function postgresSettings(config: JsonObject): PostgresConnectionSettings {
  return readConnectionSettings(config, POSTGRES);
}

function sslOptions(settings: PostgresConnectionSettings): pg.ClientConfig['ssl'] {
  const tls = tlsRequirement(settings);
  if (tls === undefined) return false;
  if (!tls.verifyChain) return { rejectUnauthorized: false };
  // pg checks the host name unless told otherwise
  return tls.verifyHost
    ? { ca: tls.ca, rejectUnauthorized: true }
    : { ca: tls.ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
}

export interface PostgresConnectOptions {
  /** Type parsers for this client only (the source reads most values as text). */
  types?: pg.CustomTypesConfig;
  /** Milliseconds before an unanswered connection attempt fails; 10 s by default. */
  connectTimeout?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Connect to this database instead of the config's (to tell a missing database apart, or create one). */
  database?: string;
}

function clientConfig(
  settings: PostgresConnectionSettings,
  options: PostgresConnectOptions,
  ssl: pg.ClientConfig['ssl'],
): pg.ClientConfig {
  return {
    host: settings.host,
    port: settings.port,
    database: options.database ?? settings.database,
    user: settings.username,
    // pg asks a password function when the server wants one; an absent password must not fall back
    // to PGPASSWORD or ~/.pgpass silently, so it is always given (empty when not configured).
    password: settings.password ?? '',
    ssl,
    connectionTimeoutMillis: options.connectTimeout ?? 10_000,
    application_name: options.applicationName ?? 'conveyor',
    ...(options.types ? { types: options.types } : {}),
  };
}

/**
 * Opens a client. With ssl_mode `prefer`, a server that offers no TLS is connected to in the
 * clear. Failures are classified errors naming the cause; see `postgresFailure`.
 */
export async function openPostgres(
  settings: PostgresConnectionSettings,
  options: PostgresConnectOptions = {},
): Promise<pg.Client> {
  const attempt = async (ssl: pg.ClientConfig['ssl']): Promise<pg.Client> => {
    const client = new (pgDriver().Client)(clientConfig(settings, options, ssl));
    // An error on an idle client (server restart) must not crash the process; the next query fails instead.
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  };
  try {
    try {
      return await attempt(sslOptions(settings));
    } catch (error) {
      if (settings.sslMode !== 'prefer' || !/does not support SSL/i.test(messageOf(error))) throw error;
      return await attempt(false);
    }
  } catch (error) {
    throw postgresFailure(
      `connecting to database "${options.database ?? settings.database}"`,
      error,
      settings,
    );
  }
}

/** `database "x" on PostgreSQL server host:port`: the place a message is about, without secrets. */
export function describePostgres(settings: PostgresConnectionSettings, database?: string): string {
  const server = `PostgreSQL server ${settings.host}:${settings.port}`;
  return database === undefined ? server : `database "${database}" on ${server}`;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Classifies a Postgres or network failure met while `doing` something ("connecting to database
 * "x" on PostgreSQL server h:5432", "reading table "public"."t""). Config errors: wrong password
 * (28P01), login refused (28000), missing database (3D000), missing privilege (42501), missing
 * table/column/schema (42P01, 42703, 3F000), unknown host, TLS refused. Transient: network errors,
 * a server starting or shutting down, too many connections, serialization conflicts. The rest:
 * system errors. `settings` lets the message name the user and server.
 */
export function postgresFailure(
  doing: string,
  error: unknown,
  settings?: PostgresConnectionSettings,
): ConveyorError {
  if (error instanceof ConveyorError) return error;
  const code = codeOf(error);
  const detail = messageOf(error);
  const options = { internalMessage: code ? `${code}: ${detail}` : detail, cause: error };
  const user = settings ? `user "${settings.username}"` : 'the configured user';
  const server = settings ? `PostgreSQL server ${settings.host}:${settings.port}` : 'the PostgreSQL server';
  switch (code) {
    case '28P01':
      return configError(
        `The ${server} rejected the password of ${user} while ${doing}. Check the username and password.`,
        options,
      );
    case '28000':
      return configError(
        `The ${server} refused the login of ${user} while ${doing} (no such role, or pg_hba.conf does not allow it from this host). Check the username, or ask the administrator to allow the connection.`,
        options,
      );
    case '3D000':
      return configError(
        `${capitalize(detail)} on ${server} (while ${doing}). Check the "database" field; names are case-sensitive.`,
        options,
      );
    case '42501':
      return configError(
        `${capitalize(user)} lacks a privilege needed for ${doing}: ${detail}. Grant it (for example GRANT CONNECT, USAGE or SELECT) or use another user.`,
        options,
      );
    case '42P01':
    case '42703':
    case '3F000':
      return configError(
        `Failed ${doing}: ${detail}. The table, column or schema is gone or was renamed; run discover again and update the catalog.`,
        options,
      );
    case 'ENOTFOUND':
      return configError(
        `The host name "${settings?.host ?? ''}" could not be resolved (while ${doing}). Check the "host" field.`,
        options,
      );
    case '2BP01':
      // an overwrite swap or a widening meets a view (or rule) the user made on the table
      return configError(
        `Failed ${doing}: ${detail}${serverDetail(error)}. Conveyor replaces or retypes the table and will not drop what depends on it: drop those objects (and recreate them after the sync), or use the append or append_dedup mode.`,
        options,
      );
    case '0A000':
      if (/used by a view or rule/i.test(detail)) {
        return configError(
          `Failed ${doing}: ${detail}${serverDetail(error)}. Drop the view (and recreate it after the sync) so the column's type can change.`,
          options,
        );
      }
      break;
    case '53100':
      return transientError(
        `The disk of the ${server} is full (while ${doing}): ${detail}. Free some space, then try again.`,
        options,
      );
    case '57P03':
    case '57P01':
    case '57P02':
    case '53300':
    case '53000':
    case '40001':
    case '40P01':
      return transientError(
        `PostgreSQL was temporarily unavailable while ${doing}: ${detail}. Try again.`,
        options,
      );
  }
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return transientError(
      `Could not reach the ${server} while ${doing} (${code}). Check "host" and "port", that the server is running and that it accepts connections from this machine.`,
      options,
    );
  }
  if (code?.startsWith('08')) {
    return transientError(
      `The connection to ${server} failed while ${doing}: ${detail}. Try again.`,
      options,
    );
  }
  if ((code !== undefined && TLS_CODES.has(code)) || /SSL|certificate/i.test(detail)) {
    return configError(
      `The TLS connection to ${server} failed while ${doing}: ${detail}. Check "ssl_mode" and "ssl_ca".`,
      options,
    );
  }
  if (/timeout|terminated unexpectedly|Connection terminated/i.test(detail)) {
    return transientError(
      `The ${server} did not answer in time or closed the connection while ${doing}. Check "host" and "port", that the server is running and reachable from this machine, then try again.`,
      options,
    );
  }
  return systemError(`PostgreSQL failed while ${doing}: ${detail}`, options);
}

/** The server's DETAIL line (`view s.v depends on table s.t`), as ` (...)`, or nothing. */
function serverDetail(error: unknown): string {
  const extra =
    error !== null && typeof error === 'object' ? (error as { detail?: unknown }).detail : undefined;
  return typeof extra === 'string' && extra !== '' ? ` (${extra.split('\n').join('; ')})` : '';
}
