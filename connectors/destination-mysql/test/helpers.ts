// Test helpers for the MySQL destination: a throwaway MariaDB/MySQL database per test file (from
// @conveyor/testing), an admin connection to look at what landed, catalogs and batches, and a whole
// sync (write, commit with states, finish, close) through the connector.

import type { DestinationConnector, ReadContext, RecordBatch, WriteContext } from '@conveyor/cdk';
import type { ConfiguredCatalog, DestinationSyncMode, JsonObject, StateMessage } from '@conveyor/protocol';
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
  const admin = await mariadbAdmin(db, {
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  return {
    db,
    admin,
    config: { ...db.config },
    async drop() {
      const [rows] = await admin.query('SHOW DATABASES');
      for (const row of rows as Record<string, string>[]) {
        const name = Object.values(row)[0] ?? '';
        if (name.startsWith(`${db.database}_`)) await admin.query(`DROP DATABASE ${quote(name)}`);
      }
      await admin.end().catch(() => {});
      await db.drop();
    },
  };
}

export const quote = (name: string) => `\`${name.replaceAll('`', '``')}\``;

export interface StreamOptions {
  name: string;
  namespace?: string;
  mode?: DestinationSyncMode;
  properties: Record<string, JsonObject>;
  primaryKey?: string[][];
  cursor?: string[];
  generationId?: number;
}

export function catalogOf(...streams: StreamOptions[]): ConfiguredCatalog {
  return {
    streams: streams.map((s) => ({
      stream: {
        name: s.name,
        ...(s.namespace ? { namespace: s.namespace } : {}),
        json_schema: { type: 'object', properties: s.properties },
        supported_sync_modes: ['full_refresh', 'incremental'],
      },
      sync_mode: s.mode === 'append_dedup' ? 'incremental' : 'full_refresh',
      destination_sync_mode: s.mode ?? 'append',
      ...(s.primaryKey ? { primary_key: s.primaryKey } : {}),
      ...(s.cursor ? { cursor_field: s.cursor } : {}),
      ...(s.generationId !== undefined ? { generation_id: s.generationId } : {}),
    })),
  };
}

export function objects(stream: string, records: JsonObject[], namespace?: string): RecordBatch {
  return {
    format: 'objects',
    stream,
    ...(namespace ? { namespace } : {}),
    records,
    emittedAt: 1_700_000_000_000,
  };
}

export function lines(stream: string, records: JsonObject[]): RecordBatch {
  return {
    format: 'jsonl',
    stream,
    lines: records.map((data) =>
      Buffer.from(
        JSON.stringify({ type: 'RECORD', record: { stream, data, emitted_at: 1_700_000_000_000 } }),
      ),
    ),
  };
}

export function writeContext(connectionId = 'test-connection'): WriteContext {
  const ignore = () => {};
  return { logger: { debug: ignore, info: ignore, warn: ignore, error: ignore }, connectionId, syncId: 1 };
}

export function checkContext(): ReadContext {
  const ignore = () => {};
  return {
    logger: { debug: ignore, info: ignore, warn: ignore, error: ignore },
    signal: new AbortController().signal,
  };
}

export async function runSync(
  connector: DestinationConnector<JsonObject>,
  config: JsonObject,
  catalog: ConfiguredCatalog,
  batches: RecordBatch[],
  states: StateMessage[] = [],
): Promise<void> {
  const writer = await connector.open(config, catalog, writeContext());
  try {
    for (const batch of batches) await writer.write(batch);
    await writer.commit(states, 1);
    await writer.finish();
  } finally {
    await writer.close();
  }
}
