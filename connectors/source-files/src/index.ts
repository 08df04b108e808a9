import type { SourceConnector } from '@conveyor/cdk';
import { type AirbyteStream, ConveyorError, configError } from '@conveyor/protocol';
import {
  type FileStreamConfig,
  type FilesConfig,
  type ResolvedFilesConfig,
  resolveConfig,
} from './config.js';
import { listMatchingFiles } from './file-listing.js';
import { formatOf, readerFor, SOURCE_FILE_MTIME } from './formats/index.js';
import { readFiles } from './read.js';
import { inferStreamSchema } from './schema.js';
import { SPEC } from './spec.js';

async function describeStream(stream: FileStreamConfig, config: ResolvedFilesConfig): Promise<AirbyteStream> {
  const files = await listMatchingFiles(stream.pattern);
  const jsonSchema = await inferStreamSchema(stream, files, config);
  const described: AirbyteStream = {
    name: stream.name,
    json_schema: jsonSchema,
    supported_sync_modes: ['full_refresh', 'incremental'],
    source_defined_cursor: true,
    default_cursor_field: [SOURCE_FILE_MTIME],
    is_resumable: true,
  };
  if (stream.primaryKey) {
    const properties = jsonSchema.properties as Record<string, unknown>;
    const missing = files.length > 0 ? stream.primaryKey.filter((column) => !(column in properties)) : [];
    if (missing.length > 0) {
      throw configError(
        `The primary key of stream "${stream.name}" names ${missing.map((c) => `"${c}"`).join(', ')}, which the sampled files do not have. Its columns are: ${Object.keys(properties).join(', ')}.`,
        { stream: { name: stream.name } },
      );
    }
    described.source_defined_primary_key = stream.primaryKey.map((column) => [column]);
  }
  return described;
}

/** Proves a stream can be read: its glob matches files, and the first one parses. */
async function checkStream(
  stream: FileStreamConfig,
  config: ResolvedFilesConfig,
): Promise<string | undefined> {
  const files = await listMatchingFiles(stream.pattern);
  const first = files[0];
  if (!first) {
    return `Stream "${stream.name}": the glob "${stream.glob}" (resolved to "${stream.pattern}") matches no files. Check base_path and the pattern.`;
  }
  const batches = readerFor(formatOf(first, stream.format, stream.name))(first, {
    batchSize: 100,
    limit: 100,
    csv: config.csv,
  });
  for await (const _ of batches) break;
  return undefined;
}

export const source: SourceConnector<FilesConfig> = {
  spec: () => structuredClone(SPEC),

  async check(config) {
    try {
      const resolved = resolveConfig(config);
      const problems: string[] = [];
      for (const stream of resolved.streams) {
        const problem = await checkStream(stream, resolved);
        if (problem) problems.push(problem);
      }
      return problems.length > 0
        ? { status: 'FAILED', message: problems.join(' ') }
        : { status: 'SUCCEEDED' };
    } catch (error) {
      if (error instanceof ConveyorError && error.failureType === 'config_error') {
        return { status: 'FAILED', message: error.userMessage };
      }
      throw error;
    }
  },

  async discover(config) {
    const resolved = resolveConfig(config);
    const streams: AirbyteStream[] = [];
    for (const stream of resolved.streams) streams.push(await describeStream(stream, resolved));
    return { streams };
  },

  async *read(config, catalog, state, ctx) {
    yield* readFiles(resolveConfig(config), catalog, state, ctx.signal);
  },
};

export default source;
export type { FilesConfig } from './config.js';
