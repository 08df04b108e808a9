// Test fixtures: temp directories, catalogs, RECORD lines, and reading the output back.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, RecordBatch, WriteContext } from '@conveyor/cdk';
import type { ConfiguredCatalog, DestinationSyncMode, JsonObject, StateMessage } from '@conveyor/protocol';
import { afterEach } from 'vitest';
import { destination } from '../src/index.js';

const directories: string[] = [];

afterEach(async () => {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

export async function tempDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'conveyor-jsonl-test-'));
  directories.push(directory);
  return directory;
}

export interface StreamOptions {
  name: string;
  namespace?: string;
  mode?: DestinationSyncMode;
  generationId?: number;
}

export function catalogOf(...streams: StreamOptions[]): ConfiguredCatalog {
  return {
    streams: streams.map((s) => ({
      stream: {
        name: s.name,
        ...(s.namespace ? { namespace: s.namespace } : {}),
        json_schema: { type: 'object' },
        supported_sync_modes: ['full_refresh', 'incremental'],
      },
      sync_mode: 'full_refresh',
      destination_sync_mode: s.mode ?? 'append',
      ...(s.generationId !== undefined
        ? { generation_id: s.generationId, minimum_generation_id: s.generationId }
        : {}),
    })),
  };
}

export interface RecordingLogger extends Logger {
  lines: string[];
}

export function writeContext(
  connectionId = 'connection-1',
  syncId = 1,
): WriteContext & { logger: RecordingLogger } {
  const lines: string[] = [];
  const log = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
  };
  return {
    logger: { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    connectionId,
    syncId,
  };
}

export function recordLine(stream: string, data: unknown, namespace?: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      type: 'RECORD',
      record: { stream, ...(namespace ? { namespace } : {}), data, emitted_at: 1 },
    }),
  );
}

export function objects(stream: string, records: JsonObject[], namespace?: string): RecordBatch {
  return { format: 'objects', stream, ...(namespace ? { namespace } : {}), records, emittedAt: 1 };
}

export function lines(stream: string, records: unknown[], namespace?: string): RecordBatch {
  return {
    format: 'jsonl',
    stream,
    ...(namespace ? { namespace } : {}),
    lines: records.map((data) => recordLine(stream, data, namespace)),
  };
}

export function streamState(stream: string, cursor: unknown): StateMessage {
  return { type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: { cursor } } };
}

/** The records of a file: each line parsed. */
export async function readRecords(path: string): Promise<unknown[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

export async function listFiles(directory: string): Promise<string[]> {
  return (await readdir(directory, { recursive: true })).sort();
}

export interface SyncOptions {
  connectionId?: string;
  syncId?: number;
  seq?: number;
  states?: StateMessage[];
  finish?: boolean;
}

/** One sync: write every batch, commit once, finish (unless told not to), close. */
export async function runSync(
  path: string,
  catalog: ConfiguredCatalog,
  batches: RecordBatch[],
  options: SyncOptions = {},
): Promise<void> {
  const writer = await destination.open(
    { path },
    catalog,
    writeContext(options.connectionId, options.syncId),
  );
  try {
    for (const batch of batches) await writer.write(batch);
    await writer.commit(options.states ?? [], options.seq ?? 1);
    if (options.finish ?? true) await writer.finish();
  } finally {
    await writer.close();
  }
}
