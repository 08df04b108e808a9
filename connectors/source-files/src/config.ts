// The files config as the rest of the package uses it: validated against the spec, defaults
// applied, each stream's glob resolved to an absolute pattern.

import { isAbsolute, join, resolve } from 'node:path';
import { validateConfig } from '@conveyor/cdk';
import { configError } from '@conveyor/protocol';
import { SPEC } from './spec.js';

export type FileFormat = 'csv' | 'jsonl' | 'parquet';

export type FilesConfig = {
  streams: { name: string; glob: string; format?: FileFormat; primary_key?: string[] }[];
  base_path?: string;
  csv?: { delimiter?: string; header?: boolean };
  schema_sample_rows?: number;
};

export interface CsvOptions {
  delimiter: string;
  header: boolean;
}

export interface FileStreamConfig {
  name: string;
  /** The glob as the user wrote it, for messages. */
  glob: string;
  /** The glob as an absolute path pattern. */
  pattern: string;
  format: FileFormat | undefined;
  primaryKey: string[] | undefined;
}

export interface ResolvedFilesConfig {
  streams: FileStreamConfig[];
  csv: CsvOptions;
  sampleRows: number;
}

export function resolveConfig(config: unknown): ResolvedFilesConfig {
  const valid = validateConfig(SPEC, config) as FilesConfig;
  const base = resolve(valid.base_path ?? '.');
  const seen = new Set<string>();
  const streams = valid.streams.map((stream): FileStreamConfig => {
    if (seen.has(stream.name)) {
      throw configError(
        `Two entries of "streams" are named "${stream.name}". Give every stream its own name.`,
      );
    }
    seen.add(stream.name);
    return {
      name: stream.name,
      glob: stream.glob,
      pattern: isAbsolute(stream.glob) ? stream.glob : join(base, stream.glob),
      format: stream.format,
      primaryKey: stream.primary_key,
    };
  });
  return {
    streams,
    csv: { delimiter: valid.csv?.delimiter ?? ',', header: valid.csv?.header ?? true },
    sampleRows: valid.schema_sample_rows ?? 1000,
  };
}
