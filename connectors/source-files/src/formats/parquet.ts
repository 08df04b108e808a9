// Parquet files through hyparquet (pure JavaScript). One row group is decoded at a time, so memory
// stays bounded by the largest row group, never the file. Values become JSON: 64-bit integers are
// numbers when they fit exactly and decimal strings when not, timestamps are ISO strings, binary
// is base64.

import * as zlib from 'node:zlib';
import { ConveyorError, configError } from '@conveyor/protocol';
import {
  type AsyncBuffer,
  asyncBufferFromFile,
  type Compressors,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
} from 'hyparquet';
import type { MatchedFile } from '../file-listing.js';
import { fileError } from './open-file.js';
import { type FileReadOptions, SOURCE_FILE, SOURCE_FILE_MTIME } from './record-source.js';

// hyparquet decodes snappy itself; the codecs Node's zlib has are added here (zstd from Node 22.15).
const zstd = (zlib as { zstdDecompressSync?: (input: Uint8Array) => Buffer }).zstdDecompressSync;
const COMPRESSORS: Compressors = {
  GZIP: (input) => new Uint8Array(zlib.gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(zlib.brotliDecompressSync(input)),
  ...(zstd ? { ZSTD: (input: Uint8Array) => new Uint8Array(zstd(input)) } : {}),
};

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

function toJson(value: unknown): unknown {
  if (typeof value === 'bigint')
    return value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(toJson);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = toJson((value as Record<string, unknown>)[key]);
  return out;
}

async function openParquet(file: MatchedFile) {
  let buffer: AsyncBuffer;
  try {
    buffer = await asyncBufferFromFile(file.path);
  } catch (error) {
    throw fileError(file.path, error);
  }
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw unreadableParquet(file, error);
  }
  return { buffer, metadata };
}

function unreadableParquet(file: MatchedFile, error: unknown): ConveyorError {
  if (error instanceof ConveyorError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code) return fileError(file.path, error);
  const reason = error instanceof Error ? error.message : String(error);
  return configError(
    `"${file.path}" could not be read as Parquet (${reason}). Check that it is a complete Parquet file written with a supported compression (none, snappy, gzip, brotli; zstd on Node 22.15+), or leave it out of the glob.`,
    { cause: error },
  );
}

export async function* readParquet(
  file: MatchedFile,
  options: FileReadOptions,
): AsyncGenerator<Record<string, unknown>[]> {
  const { buffer, metadata } = await openParquet(file);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let emitted = 0;
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    const rowEnd = Math.min(groupEnd, groupStart + (limit - emitted));
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({
        file: buffer,
        metadata,
        rowStart: groupStart,
        rowEnd,
        compressors: COMPRESSORS,
      });
    } catch (error) {
      throw unreadableParquet(file, error);
    }
    for (const row of rows) {
      for (const key in row) {
        const value = row[key];
        if (typeof value === 'bigint' || (typeof value === 'object' && value !== null))
          row[key] = toJson(value);
      }
      row[SOURCE_FILE] = file.path;
      row[SOURCE_FILE_MTIME] = file.mtime;
    }
    for (let from = 0; from < rows.length; from += options.batchSize) {
      yield rows.slice(from, from + options.batchSize);
    }
    emitted += rows.length;
    groupStart = groupEnd;
    if (emitted >= limit) return;
  }
}
