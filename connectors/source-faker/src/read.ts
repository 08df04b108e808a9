// The read loop: per configured stream, batches of generated records, STATE after every batch in
// incremental mode, and the TRACE messages the engine uses for progress.

import type { SourceOutput } from '@conveyor/cdk';
import {
  type AirbyteMessage,
  type ConfiguredCatalog,
  configError,
  type JsonObject,
  type StateMessage,
  type StreamStatus,
} from '@conveyor/protocol';
import { resolveConfig } from './config.js';
import { CURSOR_FIELD, FAKER_STREAMS, type FakerStream, findStream, firstIndexAfter } from './streams.js';

function streamStatus(name: string, status: StreamStatus): SourceOutput {
  const message: AirbyteMessage = {
    type: 'TRACE',
    trace: { type: 'STREAM_STATUS', emitted_at: Date.now(), stream_status: { stream_descriptor: { name }, status } },
  };
  return { kind: 'message', message };
}

function estimate(name: string, rows: number): SourceOutput {
  const message: AirbyteMessage = {
    type: 'TRACE',
    trace: { type: 'ESTIMATE', emitted_at: Date.now(), estimate: { name, type: 'STREAM', row_estimate: rows } },
  };
  return { kind: 'message', message };
}

function streamState(name: string, state: JsonObject, recordCount: number): SourceOutput {
  const message: AirbyteMessage = {
    type: 'STATE',
    state: {
      type: 'STREAM',
      stream: { stream_descriptor: { name }, stream_state: state },
      sourceStats: { recordCount },
    },
  };
  return { kind: 'message', message };
}

/** The stream's state from the incoming STATE messages: per-stream ones, or a legacy blob keyed by stream. */
function incomingState(states: StateMessage[], name: string): JsonObject | undefined {
  let found: JsonObject | undefined;
  for (const state of states) {
    if (state.stream?.stream_descriptor.name === name && !state.stream.stream_descriptor.namespace) {
      found = state.stream.stream_state;
    } else if ((state.type === 'LEGACY' || state.type === undefined) && state.data) {
      const legacy = state.data[name];
      if (legacy && typeof legacy === 'object' && !Array.isArray(legacy)) found = legacy as JsonObject;
    }
  }
  return found;
}

/** The cursor in a stream's state as epoch ms, or undefined when the stream starts from the beginning. */
function cursorMs(stream: FakerStream, state: JsonObject | undefined): { ms: number; value: string } | undefined {
  const value = state?.[CURSOR_FIELD];
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (typeof value !== 'string' || Number.isNaN(ms)) {
    throw configError(
      `The saved state of stream "${stream.name}" has ${CURSOR_FIELD} = ${JSON.stringify(value)}, which is not an ISO 8601 date-time. Reset the stream's state to read it from the beginning.`,
      { stream: { name: stream.name } },
    );
  }
  return { ms, value };
}

export async function* readFaker(
  rawConfig: unknown,
  catalog: ConfiguredCatalog,
  states: StateMessage[],
  signal: AbortSignal,
): AsyncGenerator<SourceOutput> {
  const config = resolveConfig(rawConfig);
  for (const configured of catalog.streams) {
    const name = configured.stream.name;
    const stream = findStream(name);
    if (!stream || configured.stream.namespace) {
      throw configError(
        `The catalog asks for stream "${name}", which the faker source does not have. Its streams are ${FAKER_STREAMS.map((s) => s.name).join(', ')}; run discover and configure the catalog from its output.`,
        { stream: { name } },
      );
    }
    const incremental = configured.sync_mode === 'incremental';
    const total = stream.total(config.count);
    const cursor = incremental ? cursorMs(stream, incomingState(states, name)) : undefined;
    const start = cursor ? Math.min(firstIndexAfter(stream, cursor.ms), total) : 0;

    yield streamStatus(name, 'STARTED');
    yield estimate(name, total - start);

    const generate = stream.generator(config.seed, config.count);
    let emitted = 0;
    for (let from = start; from < total; from += config.recordsPerBatch) {
      signal.throwIfAborted();
      const records = generate(from, Math.min(from + config.recordsPerBatch, total));
      yield { kind: 'records', batch: { format: 'objects', stream: name, records, emittedAt: Date.now() } };
      emitted += records.length;
      if (incremental) {
        const last = records[records.length - 1]!;
        yield streamState(name, { [CURSOR_FIELD]: last[CURSOR_FIELD] }, records.length);
      }
    }
    if (incremental && emitted === 0) {
      // Nothing new: repeat the incoming cursor so the engine sees the stream checkpointed.
      yield streamState(name, cursor ? { [CURSOR_FIELD]: cursor.value } : {}, 0);
    }
    yield streamStatus(name, 'COMPLETE');
  }
}
