// Which reader a file gets: the stream's configured format, else the file's extension.

import { extname } from 'node:path';
import { configError } from '@conveyor/protocol';
import type { FileFormat } from '../config.js';
import type { MatchedFile } from '../file-listing.js';
import { readCsv } from './csv.js';
import { readJsonl } from './jsonl.js';
import { readParquet } from './parquet.js';
import type { FileReader } from './record-source.js';

export { type FileReadOptions, SOURCE_FILE, SOURCE_FILE_MTIME } from './record-source.js';

const READERS: Record<FileFormat, FileReader> = { csv: readCsv, jsonl: readJsonl, parquet: readParquet };

const EXTENSIONS: Record<string, FileFormat> = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
};

export function formatOf(file: MatchedFile, configured: FileFormat | undefined, stream: string): FileFormat {
  if (configured) return configured;
  const format = EXTENSIONS[extname(file.path).toLowerCase()];
  if (!format) {
    throw configError(
      `Stream "${stream}" matched "${file.path}", whose extension does not tell its format. Set "format" (csv, jsonl or parquet) on the stream, or narrow its glob.`,
      { stream: { name: stream } },
    );
  }
  return format;
}

export function readerFor(format: FileFormat): FileReader {
  return READERS[format];
}
