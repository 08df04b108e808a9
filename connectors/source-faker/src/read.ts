// The read loop: per configured stream, batches of generated records, STATE after every batch in
// incremental mode, and the TRACE messages the engine uses for progress.

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
  configError,
  type JsonObject,
  SecretMasker,
  type StateMessage,
} from '@conveyor/protocol';
import type { ResolvedFakerConfig } from './config.js';
import { CURSOR_FIELD, FAKER_STREAMS, type FakerStream, findStream, firstIndexAfter } from './streams.js';

function message(m: AirbyteMessage): SourceOutput {
  return { kind: 'message', message: m };
}

function estimate(name: string, rows: number): SourceOutput {
  return {
    kind: 'message',
    message: {
      type: 'TRACE',
      trace: {
        type: 'ESTIMATE',
        emitted_at: Date.now(),
        estimate: { name, type: 'STREAM', row_estimate: rows },
      },
    },
  };
}

interface Cursor {
  value: string;
  ms: number;
}

function cursorOf(stream: FakerStream, state: JsonObject | undefined): Cursor | undefined {
  const value = state?.[CURSOR_FIELD];
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (typeof value !== 'string' || Number.isNaN(ms)) {
    throw configError(
      `The saved state of stream "${stream.name}" has ${CURSOR_FIELD} = ${JSON.stringify(value)}, which is not an ISO 8601 date-time. Reset the stream's state to read it from the beginning.`,
      { stream: { name: stream.name } },
    );
  }
  return { value, ms };
}

function planStreams(catalog: ConfiguredCatalog) {
  return catalog.streams.map((configured) => {
    const name = configured.stream.name;
    const stream = findStream(name);
    if (!stream || configured.stream.namespace) {
      throw configError(
        `The catalog asks for stream "${name}", which the faker source does not have. Its streams are ${FAKER_STREAMS.map((s) => s.name).join(', ')}; run discover and configure the catalog from its output.`,
        { stream: { name } },
      );
    }
    return { stream, incremental: configured.sync_mode === 'incremental' };
  });
}

export async function* readFaker(
  config: ResolvedFakerConfig,
  catalog: ConfiguredCatalog,
  states: StateMessage[],
  signal: AbortSignal,
): AsyncGenerator<SourceOutput> {
  for (const { stream, incremental } of planStreams(catalog)) {
    yield message(streamStatusTrace({ name: stream.name }, 'STARTED'));
    try {
      yield* readStream(stream, incremental, config, states, signal);
    } catch (thrown) {
      const failure = streamFailure(thrown, { name: stream.name }, signal);
      yield message(streamStatusTrace({ name: stream.name }, 'INCOMPLETE'));
      yield { kind: 'message', message: errorTrace(failure, new SecretMasker(), { name: stream.name }) };
      throw failure;
    }
    yield message(streamStatusTrace({ name: stream.name }, 'COMPLETE'));
  }
}

async function* readStream(
  stream: FakerStream,
  incremental: boolean,
  config: ResolvedFakerConfig,
  states: StateMessage[],
  signal: AbortSignal,
): AsyncGenerator<SourceOutput> {
  const name = stream.name;
  const total = stream.total(config.count);
  const cursor = incremental ? cursorOf(stream, streamStateFor(states, { name })) : undefined;
  const start = cursor ? Math.min(firstIndexAfter(stream, cursor.ms), total) : 0;
  yield estimate(name, total - start);

  const generate = stream.generator(config.seed);
  for (let from = start; from < total; from += config.recordsPerBatch) {
    signal.throwIfAborted();
    const records = generate(from, Math.min(from + config.recordsPerBatch, total));
    yield { kind: 'records', batch: { format: 'objects', stream: name, records, emittedAt: Date.now() } };
    if (incremental) {
      // Records come in cursor order, so the last one's cursor covers the whole batch.
      yield message(
        streamStateMessage(
          { name },
          { [CURSOR_FIELD]: records[records.length - 1]![CURSOR_FIELD] },
          records.length,
        ),
      );
    }
  }
  if (incremental && start >= total) {
    // Nothing new: repeat the saved cursor so the stream still ends on a checkpoint.
    yield message(streamStateMessage({ name }, cursor ? { [CURSOR_FIELD]: cursor.value } : {}, 0));
  }
}
