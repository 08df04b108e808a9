// Test fixtures: temp DuckDB files, catalogs, RECORD lines, and reading a file back with a fresh
// DuckDB instance (closed again, so the next writer can open the file).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordBatch, WriteContext } from '@conveyor/cdk';
import type { ConfiguredCatalog, JsonObject, StateMessage } from '@conveyor/protocol';
import { type RecordingLogger, recordingLogger } from '@conveyor/testing';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach } from 'vitest';
import { destination } from '../src/index.js';

export {
  catalogOf,
  configuredStream,
  type RecordingLogger,
  recordingLogger,
  type StreamOptions,
} from '@conveyor/testing';

const directories: string[] = [];

afterEach(async () => {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

/** A fresh directory, removed after the test. */
export async function tempDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'conveyor-duckdb-test-'));
  directories.push(directory);
  return directory;
}

export async function tempDatabase(): Promise<string> {
  return join(await tempDirectory(), 'warehouse.duckdb');
}

export function writeContext(
  connectionId = 'connection-1',
  syncId = 1,
): WriteContext & { logger: RecordingLogger } {
  return { logger: recordingLogger(), connectionId, syncId };
}

/** A RECORD envelope line as a subprocess source writes it. */
export function recordLine(
  stream: string,
  data: unknown,
  emittedAt = 1_700_000_000_000,
  extra: JsonObject = {},
): Buffer {
  return Buffer.from(
    JSON.stringify({ type: 'RECORD', record: { stream, data, emitted_at: emittedAt, ...extra } }),
  );
}

export function streamState(stream: string, cursor: unknown): StateMessage {
  return { type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: { cursor } } };
}

export interface Reader {
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

/**
 * Another connection to the file, like a user's: it shares the instance of a writer open in this
 * process (DuckDB's instance cache) and sees only committed data. BIGINT comes back as a string,
 * JSON as its text.
 */
export async function openReader(path: string): Promise<Reader> {
  const instance = await DuckDBInstance.fromCache(path);
  const connection = await instance.connect();
  return {
    async rows(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Rows of `sql` through a reader opened and closed for this one query. */
export async function query(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await openReader(path);
  try {
    return await reader.rows(sql);
  } finally {
    reader.close();
  }
}

export interface SyncOptions {
  connectionId?: string;
  seq?: number;
  states?: StateMessage[];
  finish?: boolean;
  schema?: string;
}

/** One sync: write every batch, commit once with the states, finish, close. Returns what the writer logged. */
export async function runSync(
  path: string,
  catalog: ConfiguredCatalog,
  batches: RecordBatch[],
  options: SyncOptions = {},
): Promise<string[]> {
  const config = options.schema ? { path, schema: options.schema } : { path };
  const context = writeContext(options.connectionId);
  const writer = await destination.open(config, catalog, context);
  try {
    for (const batch of batches) await writer.write(batch);
    await writer.commit(options.states ?? [], options.seq ?? 1);
    if (options.finish ?? true) await writer.finish();
  } finally {
    await writer.close();
  }
  return context.logger.lines;
}

/** How many times the writer logged that DuckDB refused to read a stream's lines by field. */
export function byFieldRefusals(logged: string[]): number {
  return logged.filter((line) => line.includes('loading them by JSON pointer')).length;
}

export function objects(stream: string, records: JsonObject[], emittedAt = 1_700_000_000_000): RecordBatch {
  return { format: 'objects', stream, records, emittedAt };
}

export function lines(stream: string, records: unknown[], emittedAt = 1_700_000_000_000): RecordBatch {
  return { format: 'jsonl', stream, lines: records.map((data) => recordLine(stream, data, emittedAt)) };
}
