import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ReadContext, SourceOutput } from '@conveyor/cdk';
import type {
  AirbyteMessage,
  Catalog,
  ConfiguredCatalog,
  JsonObject,
  StateMessage,
  SyncMode,
} from '@conveyor/protocol';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FilesConfig } from '../src/config.js';
import { source } from '../src/index.js';

export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
export const ctx: ReadContext = { signal: new AbortController().signal, logger: silentLogger };

export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'source-files-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Writes `content` at `path` with its modification time set to `mtime` (ISO). */
export async function writeFileAt(path: string, content: string, mtime?: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  if (mtime) await utimes(path, new Date(mtime), new Date(mtime));
}

/** Writes a Parquet file with DuckDB from a SELECT. */
export async function writeParquet(
  path: string,
  select: string,
  mtime?: string,
  compression = 'snappy',
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    await connection.run(
      `COPY (${select}) TO '${path.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION ${compression})`,
    );
  } finally {
    connection.closeSync();
    db.closeSync();
  }
  if (mtime) await utimes(path, new Date(mtime), new Date(mtime));
}

export function configure(catalog: Catalog, syncMode: SyncMode = 'full_refresh'): ConfiguredCatalog {
  return {
    streams: catalog.streams.map((stream) => ({
      stream,
      sync_mode: syncMode,
      destination_sync_mode: 'append',
    })),
  };
}

export interface ReadResult {
  outputs: SourceOutput[];
  records: JsonObject[];
  batches: JsonObject[][];
  states: StateMessage[];
  messages: AirbyteMessage[];
}

export async function read(
  config: FilesConfig,
  catalog: ConfiguredCatalog,
  state: StateMessage[] = [],
): Promise<ReadResult> {
  const result: ReadResult = { outputs: [], records: [], batches: [], states: [], messages: [] };
  for await (const output of source.read(config, catalog, state, ctx)) {
    result.outputs.push(output);
    if (output.kind === 'records') {
      if (output.batch.format !== 'objects') throw new Error('files source emits object batches');
      result.batches.push(output.batch.records);
      result.records.push(...output.batch.records);
    } else {
      result.messages.push(output.message);
      if (output.message.type === 'STATE') result.states.push(output.message.state);
    }
  }
  return result;
}

/** discover, then read every stream in the given mode. */
export async function discoverAndRead(
  config: FilesConfig,
  syncMode: SyncMode = 'full_refresh',
  state: StateMessage[] = [],
) {
  const catalog = await source.discover(config, ctx);
  return { catalog, ...(await read(config, configure(catalog, syncMode), state)) };
}
