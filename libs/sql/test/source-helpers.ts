// Test helpers for the SQL sources: a throwaway Postgres database per test file, sources built on
// sqlSource with small chunks and batches (so a few dozen rows already cross many chunk and batch
// boundaries), a catalog from discover, and a read that collects records, states and log lines.

import type { Logger, ReadContext, SourceConnector } from '@conveyor/cdk';
import type {
  AirbyteStream,
  ConfiguredCatalog,
  ConnectorSpecification,
  JsonObject,
  StateMessage,
  SyncMode,
} from '@conveyor/protocol';
import { postgresDatabase, type TestDatabase } from '@conveyor/testing';
import pg from 'pg';
import { POSTGRES_CONNECTION_PROPERTIES, postgresSettings } from '../src/postgres/connection.js';
import { openPostgresSourceDriver } from '../src/postgres/source-driver.js';
import { type SqlSourceOptions, sqlSource } from '../src/source/sql-source.js';
import { openSqliteSourceDriver } from '../src/sqlite/source-driver.js';

export interface PgFixture {
  db: TestDatabase;
  /** a connection to the throwaway database, for arranging data */
  admin: pg.Client;
  config: JsonObject;
  drop(): Promise<void>;
}

export async function pgFixture(): Promise<PgFixture> {
  const db = await postgresDatabase();
  const admin = new pg.Client({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
  });
  await admin.connect();
  return {
    db,
    admin,
    config: { ...db.config, ssl_mode: 'disable' },
    async drop() {
      await admin.end().catch(() => {});
      await db.drop();
    },
  };
}

export const PG_TEST_SPEC: ConnectorSpecification = {
  connectionSpecification: {
    type: 'object',
    required: ['host', 'database', 'username'],
    properties: {
      ...POSTGRES_CONNECTION_PROPERTIES,
      schemas: { type: 'array', items: { type: 'string' }, default: ['public'] },
    },
  },
};

export const SQLITE_TEST_SPEC: ConnectorSpecification = {
  connectionSpecification: {
    type: 'object',
    required: ['path'],
    properties: { path: { type: 'string' } },
  },
};

type Tuning = Pick<SqlSourceOptions<JsonObject, unknown>, 'chunkRows' | 'batchRows' | 'checkpoint'>;

export function pgSource(tuning: Tuning = {}): SourceConnector {
  return sqlSource({
    spec: PG_TEST_SPEC,
    resolveConfig: (config: JsonObject) => ({
      settings: postgresSettings(config),
      schemas: (config.schemas as string[] | undefined) ?? ['public'],
    }),
    openDriver: ({ settings, schemas }) => openPostgresSourceDriver(settings, { schemas }),
    ...tuning,
  });
}

export function sqliteSource(tuning: Tuning = {}): SourceConnector {
  return sqlSource({
    spec: SQLITE_TEST_SPEC,
    resolveConfig: (config: JsonObject) => config.path as string,
    openDriver: async (path) => openSqliteSourceDriver(path),
    ...tuning,
  });
}

export interface LogLines {
  lines: string[];
  logger: Logger;
}

export function collectingLogger(): LogLines {
  const lines: string[] = [];
  const push = (line: string) => lines.push(line);
  return { lines, logger: { debug: push, info: push, warn: push, error: push } };
}

export function context(
  logger: Logger = collectingLogger().logger,
  signal: AbortSignal = new AbortController().signal,
): ReadContext {
  return { logger, signal };
}

export async function discoverStreams(source: SourceConnector, config: JsonObject): Promise<AirbyteStream[]> {
  return (await source.discover(config, context())).streams;
}

export function findStream(streams: AirbyteStream[], name: string, namespace?: string): AirbyteStream {
  const stream = streams.find((s) => s.name === name && s.namespace === namespace);
  if (!stream)
    throw new Error(`no stream ${namespace ?? ''}.${name} in ${streams.map((s) => s.name).join(', ')}`);
  return stream;
}

export function catalogFor(
  stream: AirbyteStream,
  syncMode: SyncMode,
  extra: { cursor?: string; generation?: number } = {},
): ConfiguredCatalog {
  return {
    streams: [
      {
        stream,
        sync_mode: syncMode,
        destination_sync_mode: syncMode === 'incremental' ? 'append_dedup' : 'append',
        ...(extra.cursor ? { cursor_field: [extra.cursor] } : {}),
        ...(extra.generation !== undefined ? { generation_id: extra.generation } : {}),
      },
    ],
  };
}

export interface ReadResult {
  records: JsonObject[];
  states: StateMessage[];
  /** the stream states, in order */
  streamStates: JsonObject[];
  logs: string[];
}

/**
 * Reads to the end, or stops (like a killed sync) right after the `stopAfterStates`-th STATE:
 * the records returned are those a destination would have committed with that state.
 */
export async function readAll(
  source: SourceConnector,
  config: JsonObject,
  catalog: ConfiguredCatalog,
  state: StateMessage[] = [],
  options: { stopAfterStates?: number } = {},
): Promise<ReadResult> {
  const log = collectingLogger();
  const result: ReadResult = { records: [], states: [], streamStates: [], logs: log.lines };
  for await (const output of source.read(config, catalog, state, context(log.logger))) {
    if (output.kind === 'records') {
      if (output.batch.format !== 'objects') throw new Error('SQL sources emit object batches');
      result.records.push(...output.batch.records);
    } else if (output.message.type === 'STATE') {
      result.states.push(output.message.state);
      result.streamStates.push(output.message.state.stream?.stream_state ?? {});
      if (options.stopAfterStates !== undefined && result.states.length >= options.stopAfterStates) break;
    }
  }
  return result;
}
