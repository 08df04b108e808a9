// The read loop: per configured stream, its files in (mtime, path) order, each streamed in
// batches; in incremental mode only new files, with a STATE after each one.

import {
  errorTrace,
  type SourceOutput,
  streamFailure,
  streamStateFor,
  streamStateMessage,
  streamStatusTrace,
} from '@conveyor/cdk';
import {
  type AirbyteMessage,
  type ConfiguredCatalog,
  type ConfiguredStream,
  configError,
  type JsonObject,
  SecretMasker,
  type StateMessage,
} from '@conveyor/protocol';
import type { FileStreamConfig, ResolvedFilesConfig } from './config.js';
import { FileCursor } from './file-cursor.js';
import { listMatchingFiles } from './file-listing.js';
import { formatOf, readerFor } from './formats/index.js';
import { columnTypes, inferStreamSchema } from './schema.js';

function message(m: AirbyteMessage): SourceOutput {
  return { kind: 'message', message: m };
}

export const BATCH_RECORDS = 5000;

function planStreams(config: ResolvedFilesConfig, catalog: ConfiguredCatalog) {
  const byName = new Map(config.streams.map((s) => [s.name, s]));
  return catalog.streams.map((configured) => {
    const stream = byName.get(configured.stream.name);
    if (!stream || configured.stream.namespace) {
      throw configError(
        `The catalog asks for stream "${configured.stream.name}", which the config does not define (its streams are ${[...byName.keys()].join(', ')}). Add it to "streams" or run discover and rebuild the catalog.`,
        { stream: { name: configured.stream.name } },
      );
    }
    return { stream, configured };
  });
}

export async function* readFiles(
  config: ResolvedFilesConfig,
  catalog: ConfiguredCatalog,
  states: StateMessage[],
  signal: AbortSignal,
): AsyncGenerator<SourceOutput> {
  for (const { stream, configured } of planStreams(config, catalog)) {
    yield message(streamStatusTrace({ name: stream.name }, 'STARTED'));
    try {
      yield* readStream(stream, configured, config, states, signal);
    } catch (thrown) {
      const failure = streamFailure(thrown, { name: stream.name }, signal);
      yield message(streamStatusTrace({ name: stream.name }, 'INCOMPLETE'));
      yield message(errorTrace(failure, new SecretMasker(), { name: stream.name }));
      throw failure;
    }
    yield message(streamStatusTrace({ name: stream.name }, 'COMPLETE'));
  }
}

async function* readStream(
  stream: FileStreamConfig,
  configured: ConfiguredStream,
  config: ResolvedFilesConfig,
  states: StateMessage[],
  signal: AbortSignal,
): AsyncGenerator<SourceOutput> {
  const name = stream.name;
  const incremental = configured.sync_mode === 'incremental';
  const cursor = incremental ? new FileCursor(streamStateFor(states, { name }), name) : undefined;
  const files = await listMatchingFiles(stream.pattern);
  const pending = cursor ? files.filter((file) => cursor.isNew(file)) : files;
  yield message({
    type: 'TRACE',
    trace: {
      type: 'ESTIMATE',
      emitted_at: Date.now(),
      estimate: { name, type: 'STREAM', byte_estimate: pending.reduce((sum, f) => sum + f.size, 0) },
    },
  });
  if (pending.length > 0) {
    // CSV cells are converted to the types the destination was given; a catalog without a schema
    // (hand-written) gets the types discover would have inferred.
    const types =
      columnTypes(configured.stream.json_schema) ??
      columnTypes(await inferStreamSchema(stream, files, config)) ??
      new Map();
    const options = { batchSize: BATCH_RECORDS, csv: config.csv, csvTypes: types };
    for (const file of pending) {
      signal.throwIfAborted();
      const read = readerFor(formatOf(file, stream.format, name));
      let count = 0;
      for await (const records of read(file, options)) {
        yield {
          kind: 'records',
          batch: { format: 'objects', stream: name, records: records as JsonObject[], emittedAt: Date.now() },
        };
        count += records.length;
        signal.throwIfAborted();
      }
      if (cursor) {
        cursor.advance(file);
        yield message(streamStateMessage({ name }, cursor.state(), count));
      }
    }
  } else if (cursor) {
    // Nothing new: repeat the saved position so the stream still ends on a checkpoint.
    yield message(streamStateMessage({ name }, cursor.state(), 0));
  }
}
