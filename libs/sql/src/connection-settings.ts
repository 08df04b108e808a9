// What the server databases (PostgreSQL, MySQL/MariaDB) share about connecting: the config fields
// host, port, database, username, password, ssl_mode and ssl_ca (their JSON Schema and how a
// config is read and checked), what each ssl_mode asks of TLS, and reading a driver's error code
// and message. Each database keeps its own driver options and error classification in its
// connection.ts.

import { configError, type JsonObject } from '@conveyor/protocol';

/**
 * The ssl_mode values, weakest first. The strongest is spelled as each database's own clients
 * spell it: `verify-identity` for MySQL, `verify-full` for PostgreSQL.
 */
export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-identity' | 'verify-full';

/** The ssl_mode values every database has, weakest first; each adds its strongest mode after them. */
export const COMMON_SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca'] as const;

/** The connection fields of a server database's config as the connector specs write them. */
export type ServerConnectionConfig<Mode extends SslMode> = {
  host: string;
  /** default: the database's usual port */
  port?: number;
  database: string;
  username: string;
  password?: string;
  /** default `prefer` */
  ssl_mode?: Mode;
  ssl_ca?: string;
};

/** The connection fields of a server database's config, checked and with defaults applied. */
export interface ServerConnectionSettings<Mode extends SslMode> {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string | undefined;
  sslMode: Mode;
  /** PEM text of the certificate authority, for the modes that verify the certificate */
  sslCa: string | undefined;
}

/** What differs between the databases in their connection fields. */
export interface ServerKind<Mode extends SslMode> {
  /** the product as a message names it: `MySQL`, `PostgreSQL` */
  name: string;
  /** the server as the host field describes it: `MySQL or MariaDB server` */
  serverTitle: string;
  defaultPort: number;
  /** how the username field describes the user: `User to log in as.` */
  userDescription: string;
  /** every accepted ssl_mode, weakest first */
  sslModes: readonly Mode[];
}

/** Whether a mode checks the server's certificate against ssl_ca. */
function verifies(mode: SslMode): boolean {
  return mode === 'verify-ca' || mode === 'verify-identity' || mode === 'verify-full';
}

/**
 * The JSON Schema properties a server database's connector spec shares (source and destination),
 * in the order a form shows them. spec.json files repeat them (a spec is data, not code); a test
 * in each connector checks that its spec.json still agrees with this fragment.
 */
export function connectionProperties<Mode extends SslMode>(kind: ServerKind<Mode>): JsonObject {
  const strongest = kind.sslModes[kind.sslModes.length - 1] as Mode;
  return {
    host: {
      type: 'string',
      title: 'Host',
      description: `Host name or IP address of the ${kind.serverTitle}.`,
      order: 0,
    },
    port: {
      type: 'integer',
      title: 'Port',
      description: 'Port the server listens on.',
      default: kind.defaultPort,
      minimum: 1,
      maximum: 65535,
      order: 1,
    },
    database: {
      type: 'string',
      title: 'Database',
      description: 'Name of the database to connect to.',
      order: 2,
    },
    username: {
      type: 'string',
      title: 'User',
      description: kind.userDescription,
      order: 3,
    },
    password: {
      type: 'string',
      title: 'Password',
      description: 'Password of the user; leave out when the server does not ask for one.',
      airbyte_secret: true,
      order: 4,
    },
    ssl_mode: {
      type: 'string',
      title: 'SSL mode',
      description: `disable: never encrypt; prefer: encrypt when the server offers it; require: always encrypt, accept any certificate; verify-ca: encrypt and check the certificate against ssl_ca; ${strongest}: also check that the certificate names the host.`,
      enum: [...kind.sslModes],
      default: 'prefer',
      order: 5,
    },
    ssl_ca: {
      type: 'string',
      title: 'SSL certificate authority',
      description: `PEM text of the certificate authority that signed the server certificate (verify-ca, ${strongest}).`,
      multiline: true,
      order: 6,
    },
  };
}

/** Fields a server database's config must have. */
export const REQUIRED_CONNECTION_FIELDS = ['host', 'database', 'username'];

function text(config: JsonObject, field: string): string | undefined {
  const value = config[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Reads the connection fields of a config (already validated against the spec, but checked again here). */
export function readConnectionSettings<Mode extends SslMode>(
  config: JsonObject,
  kind: ServerKind<Mode>,
): ServerConnectionSettings<Mode> {
  const host = text(config, 'host');
  const database = text(config, 'database');
  const username = text(config, 'username');
  const missing = [
    host ? undefined : 'host',
    database ? undefined : 'database',
    username ? undefined : 'username',
  ].filter((f) => f !== undefined);
  if (missing.length > 0) {
    throw configError(
      `The ${kind.name} config lacks ${missing.join(', ')}. Set ${missing.length === 1 ? 'it' : 'them'} and try again.`,
    );
  }
  const port = config.port === undefined ? kind.defaultPort : config.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw configError(`The ${kind.name} config field "port" must be a whole number from 1 to 65535.`);
  }
  const sslMode = (text(config, 'ssl_mode') ?? 'prefer') as Mode;
  if (!kind.sslModes.includes(sslMode)) {
    throw configError(`The ${kind.name} config field "ssl_mode" must be one of ${kind.sslModes.join(', ')}.`);
  }
  const sslCa = text(config, 'ssl_ca');
  if (verifies(sslMode) && sslCa === undefined) {
    throw configError(
      `ssl_mode "${sslMode}" checks the server's certificate against a certificate authority: set "ssl_ca" to the CA certificate (PEM text).`,
    );
  }
  return {
    host: host as string,
    port,
    database: database as string,
    username: username as string,
    password: typeof config.password === 'string' ? config.password : undefined,
    sslMode,
    sslCa,
  };
}

/** What an ssl_mode asks of TLS, for a driver's own options. */
export interface TlsRequirement {
  /** the certificate authority the server's chain must lead to; none for prefer and require */
  ca: string | undefined;
  /** whether the chain is checked at all (prefer and require accept any certificate) */
  verifyChain: boolean;
  /** whether the certificate must also name the host */
  verifyHost: boolean;
}

/**
 * TLS for an ssl_mode, or undefined for `disable`. `prefer` asks for the same as `require`; the
 * caller connects again in the clear when the server offers no TLS.
 */
export function tlsRequirement(settings: ServerConnectionSettings<SslMode>): TlsRequirement | undefined {
  switch (settings.sslMode) {
    case 'disable':
      return undefined;
    case 'prefer':
    case 'require':
      // Encrypted, but any certificate is accepted: that is what these modes promise.
      return { ca: undefined, verifyChain: false, verifyHost: false };
    case 'verify-ca':
      // The chain must lead to the CA, whatever name the certificate carries.
      return { ca: settings.sslCa, verifyChain: true, verifyHost: false };
    case 'verify-identity':
    case 'verify-full':
      return { ca: settings.sslCa, verifyChain: true, verifyHost: true };
  }
}

/** The driver's error code (a server code, SQLSTATE or Node's `ECONNREFUSED`) of a thrown value, if any. */
export function codeOf(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Node's happy-eyeballs connect reports every address it tried in an AggregateError.
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner)) for (const e of inner) if (codeOf(e)) return codeOf(e);
  return undefined;
}

/** The message of a thrown value; every address's message for a failed happy-eyeballs connect. */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return error.errors.map(messageOf).join('; ');
  return error instanceof Error ? error.message : String(error);
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
