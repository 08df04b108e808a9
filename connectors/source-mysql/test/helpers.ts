// Test helpers for the MySQL source: a throwaway MariaDB/MySQL database per test file (from
// @conveyor/testing) with an admin connection for arranging rows, a catalog from discover, and a
// read that collects records and states as a destination would commit them.

import type { ReadContext, SourceConnector } from '@conveyor/cdk';
import type {
  AirbyteStream,
  ConfiguredCatalog,
  JsonObject,
  StateMessage,
  SyncMode,
} from '@conveyor/protocol';
import { mariadbAdmin, mariadbDatabase, type TestDatabase } from '@conveyor/testing';
import type { Connection } from 'mysql2/promise';

export interface MysqlFixture {
  db: TestDatabase;
  admin: Connection;
  config: JsonObject;
  drop(): Promise<void>;
}

export async function mysqlFixture(): Promise<MysqlFixture> {
  const db = await mariadbDatabase();
  const admin = await mariadbAdmin(db, { timezone: '+00:00' });
  return {
    db,
    admin,
    config: { ...db.config },
    async drop() {
      await admin.end().catch(() => {});
      await db.drop();
    },
  };
}

export const quote = (name: string) => `\`${name.replaceAll('`', '``')}\``;

export function context(): ReadContext & { lines: string[] } {
  const lines: string[] = [];
  const push = (line: string) => lines.push(line);
  return {
    logger: { debug: push, info: push, warn: push, error: push },
    signal: new AbortController().signal,
    lines,
  };
}

export async function discoverStreams(source: SourceConnector, config: JsonObject): Promise<AirbyteStream[]> {
  return (await source.discover(config, context())).streams;
}

export function findStream(streams: AirbyteStream[], name: string): AirbyteStream {
  const stream = streams.find((s) => s.name === name);
  if (!stream) throw new Error(`no stream ${name} in ${streams.map((s) => s.name).join(', ')}`);
  return stream;
}

export function catalogFor(stream: AirbyteStream, syncMode: SyncMode, cursor?: string): ConfiguredCatalog {
  return {
    streams: [
      {
        stream,
        sync_mode: syncMode,
        destination_sync_mode: syncMode === 'incremental' ? 'append_dedup' : 'append',
        ...(cursor ? { cursor_field: [cursor] } : {}),
      },
    ],
  };
}

export interface ReadResult {
  records: JsonObject[];
  states: StateMessage[];
}

/** Reads to the end, or stops (like a killed sync) right after the `stopAfterStates`-th STATE. */
export async function readAll(
  source: SourceConnector,
  config: JsonObject,
  catalog: ConfiguredCatalog,
  state: StateMessage[] = [],
  stopAfterStates?: number,
): Promise<ReadResult> {
  const result: ReadResult = { records: [], states: [] };
  for await (const output of source.read(config, catalog, state, context())) {
    if (output.kind === 'records') {
      if (output.batch.format !== 'objects') throw new Error('SQL sources emit object batches');
      result.records.push(...output.batch.records);
    } else if (output.message.type === 'STATE') {
      result.states.push(output.message.state);
      if (stopAfterStates !== undefined && result.states.length >= stopAfterStates) break;
    }
  }
  return result;
}
