// The read loop: per configured stream, its files in (mtime, path) order, each streamed in
// batches; in incremental mode only new files, with a STATE after each one.

import { errorTrace, type SourceOutput } from '@conveyor/cdk';
import {
  asConveyorError,
  type ConfiguredCatalog,
  type ConfiguredStream,
  ConveyorError,
  configError,
  type JsonObject,
  SecretMasker,
  type StateMessage,
  type StreamStatus,
  transientError,
} from '@conveyor/protocol';
import type { FileStreamConfig, ResolvedFilesConfig } from './config.js';
import { FileCursor } from './file-cursor.js';
import { listMatchingFiles } from './file-listing.js';
import { formatOf, readerFor } from './formats/index.js';
import { columnTypes, inferStreamSchema } from './schema.js';

export const BATCH_RECORDS = 5000;

function trace(message: Extract<SourceOutput, { kind: 'message' }>['message']): SourceOutput {
  return { kind: 'message', message };
}

function streamStatus(name: string, status: StreamStatus): SourceOutput {
  return trace({
    type: 'TRACE',
    trace: {
      type: 'STREAM_STATUS',
      emitted_at: Date.now(),
      stream_status: { stream_descriptor: { name }, status },
    },
  });
}

function streamState(name: string, state: JsonObject, recordCount: number): SourceOutput {
  return trace({
    type: 'STATE',
    state: {
      type: 'STREAM',
      stream: { stream_descriptor: { name }, stream_state: state },
      sourceStats: { recordCount },
    },
  });
}

/** The stream's saved state: from a per-stream STATE, or from a legacy blob keyed by stream name. */
function savedState(states: StateMessage[], name: string): JsonObject | undefined {
  let found: JsonObject | undefined;
  for (const state of states) {
    if (state.stream?.stream_descriptor.name === name && !state.stream.stream_descriptor.namespace) {
      found = state.stream.stream_state ?? found;
    } else if ((state.type === 'LEGACY' || state.type === undefined) && state.data) {
      const legacy = state.data[name];
      if (legacy && typeof legacy === 'object' && !Array.isArray(legacy)) found = legacy as JsonObject;
    }
  }
  return found;
}

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

/** The error a failed stream rethrows: classified, naming the stream, an abort reported as one. */
function streamFailure(thrown: unknown, name: string, signal: AbortSignal): ConveyorError {
  if (signal.aborted && thrown === signal.reason) {
    return transientError(`Reading stream "${name}" was stopped before it finished.`, {
      stream: { name },
      cause: thrown,
    });
  }
  const error = asConveyorError(thrown);
  if (error.stream) return error;
  return new ConveyorError(error.userMessage, {
    failureType: error.failureType,
    internalMessage: error.internalMessage,
    stream: { name },
    cause: error.cause ?? error,
  });
}

export async function* readFiles(
  config: ResolvedFilesConfig,
  catalog: ConfiguredCatalog,
  states: StateMessage[],
  signal: AbortSignal,
): AsyncGenerator<SourceOutput> {
  for (const { stream, configured } of planStreams(config, catalog)) {
    yield streamStatus(stream.name, 'STARTED');
    try {
      yield* readStream(stream, configured, config, states, signal);
    } catch (thrown) {
      const failure = streamFailure(thrown, stream.name, signal);
      yield streamStatus(stream.name, 'INCOMPLETE');
      yield trace(errorTrace(failure, new SecretMasker(), { name: stream.name }));
      throw failure;
    }
    yield streamStatus(stream.name, 'COMPLETE');
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
  const cursor = incremental ? new FileCursor(savedState(states, name), name) : undefined;
  const files = await listMatchingFiles(stream.pattern);
  const pending = cursor ? files.filter((file) => cursor.isNew(file)) : files;
  yield trace({
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
        yield streamState(name, cursor.state(), count);
      }
    }
  } else if (cursor) {
    // Nothing new: repeat the saved position so the stream still ends on a checkpoint.
    yield streamState(name, cursor.state(), 0);
  }
}
