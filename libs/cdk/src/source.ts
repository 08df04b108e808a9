// The base class of a TypeScript source. A source lists its streams; this class turns them into
// the protocol: discover describes them, read runs the configured ones in catalog order, batches
// their records, reports stream statuses, and checkpoints incremental streams.

import {
  asConveyorError,
  type Catalog,
  type ConfiguredCatalog,
  type ConfiguredStream,
  type ConnectionStatus,
  type ConnectorSpecification,
  ConveyorError,
  configError,
  type JsonObject,
  type MessageOf,
  SecretMasker,
  type StateMessage,
  type StreamDescriptor,
  secretValues,
  streamKey,
  transientError,
} from '@conveyor/protocol';
import { CheckpointPolicy } from './checkpoint.js';
import { streamStateFor } from './state.js';
import { CursorTracker, IncrementalStream, type Stream, type StreamContext } from './stream.js';
import { descriptorOf, errorTrace, streamStatusTrace } from './trace.js';
import type { ReadContext, SourceConnector, SourceOutput } from './types.js';

/** Records yielded one at a time are gathered into batches of this many. */
const DEFAULT_BATCH_RECORDS = 1_000;

export abstract class Source<Config extends JsonObject = JsonObject> implements SourceConnector<Config> {
  /** Size of the batches made from records a stream yields one at a time. */
  protected readonly batchRecords: number = DEFAULT_BATCH_RECORDS;

  abstract spec(): ConnectorSpecification;

  /** The streams this source offers for a config. May look things up (tables, files) first. */
  abstract streams(config: Config): Stream<Config>[] | Promise<Stream<Config>[]>;

  /** How often incremental streams checkpoint; override for another cadence. */
  protected checkpointPolicy(): CheckpointPolicy {
    return new CheckpointPolicy();
  }

  /**
   * The default check only proves the streams can be listed for this config. Override it to
   * really connect (one cheap request) so users learn about bad credentials before a sync.
   */
  async check(config: Config, _ctx: ReadContext): Promise<ConnectionStatus> {
    try {
      await this.streams(config);
      return { status: 'SUCCEEDED' };
    } catch (error) {
      return { status: 'FAILED', message: this.masker(config).mask(asConveyorError(error).userMessage) };
    }
  }

  async discover(config: Config, _ctx: ReadContext): Promise<Catalog> {
    const streams = await this.streams(config);
    return { streams: streams.map((stream) => stream.describe()) };
  }

  async *read(
    config: Config,
    catalog: ConfiguredCatalog,
    state: StateMessage[],
    ctx: ReadContext,
  ): AsyncGenerator<SourceOutput> {
    const masker = this.masker(config);
    const planned = this.plan(await this.streams(config), catalog);
    for (const { stream, configured } of planned) {
      yield* this.readStream(config, stream, configured, state, ctx, masker);
    }
  }

  private masker(config: Config): SecretMasker {
    return new SecretMasker(secretValues(this.spec().connectionSpecification, config));
  }

  /** Pairs each configured stream with the source's stream, failing before any data moves. */
  private plan(streams: Stream<Config>[], catalog: ConfiguredCatalog) {
    const byKey = new Map(streams.map((s) => [streamKey(s), s]));
    return catalog.streams.map((configured) => {
      const key = streamKey(configured.stream);
      const stream = byKey.get(key);
      if (!stream) {
        throw configError(
          `The catalog asks for stream "${key}", which this source does not offer (it offers: ${[...byKey.keys()].join(', ') || 'none'}). Run discover and update the catalog.`,
        );
      }
      if (configured.sync_mode === 'incremental' && !(stream instanceof IncrementalStream)) {
        throw configError(
          `Stream "${key}" cannot be read incrementally; set its sync_mode to full_refresh in the catalog.`,
        );
      }
      return { stream, configured };
    });
  }

  private async *readStream(
    config: Config,
    stream: Stream<Config>,
    configured: ConfiguredStream,
    states: StateMessage[],
    ctx: ReadContext,
    masker: SecretMasker,
  ): AsyncGenerator<SourceOutput> {
    const descriptor = descriptorOf(stream);
    const incremental = configured.sync_mode === 'incremental' && stream instanceof IncrementalStream;
    const saved = incremental ? streamStateFor(states, descriptor) : undefined;
    const tracker = incremental ? new CursorTracker(stream, saved) : undefined;
    const checkpointMidStream = incremental && stream.sortedByCursor;
    const policy = this.checkpointPolicy();
    const streamCtx: StreamContext = { ...ctx, configuredStream: configured };
    const batch = (records: JsonObject[]): SourceOutput => ({
      kind: 'records',
      batch: {
        format: 'objects',
        stream: descriptor.name,
        namespace: descriptor.namespace,
        records,
        emittedAt: Date.now(),
      },
    });
    let sinceState = 0;
    let checkpointed = false;
    const checkpoint = (stateOfStream: JsonObject): SourceOutput => {
      const message = streamStateMessage(descriptor, stateOfStream, sinceState);
      sinceState = 0;
      checkpointed = true;
      return { kind: 'message', message };
    };

    yield { kind: 'message', message: streamStatusTrace(descriptor, 'STARTED') };
    let pending: JsonObject[] = [];
    let running = false;
    try {
      for await (const item of stream.read(config, streamCtx, saved)) {
        ctx.signal.throwIfAborted();
        if (!running) {
          running = true;
          yield { kind: 'message', message: streamStatusTrace(descriptor, 'RUNNING') };
        }
        let count: number;
        if (Array.isArray(item)) {
          if (item.length === 0) continue;
          if (pending.length > 0) {
            yield batch(pending);
            pending = [];
          }
          tracker?.observeBatch(item);
          yield batch(item);
          count = item.length;
        } else {
          tracker?.observe(item);
          pending.push(item);
          if (pending.length >= this.batchRecords) {
            yield batch(pending);
            pending = [];
          }
          count = 1;
        }
        sinceState += count;
        // Also bounds how long records wait in `pending` when a full-refresh stream is slow.
        if (policy.observe(count)) {
          if (pending.length > 0) {
            yield batch(pending);
            pending = [];
          }
          const current = checkpointMidStream ? tracker?.current() : undefined;
          if (current) yield checkpoint(current);
          policy.checkpointed();
        }
      }
      if (pending.length > 0) yield batch(pending);
      // A checkpoint that fell on the last item already is the end state.
      if (tracker && (sinceState > 0 || !checkpointed)) yield checkpoint(tracker.final());
      yield { kind: 'message', message: streamStatusTrace(descriptor, 'COMPLETE') };
    } catch (thrown) {
      const error = streamFailure(thrown, descriptor, ctx.signal);
      yield { kind: 'message', message: streamStatusTrace(descriptor, 'INCOMPLETE') };
      yield { kind: 'message', message: errorTrace(error, masker, descriptor) };
      throw error;
    }
  }
}

export function streamStateMessage(
  stream: StreamDescriptor,
  streamState: JsonObject,
  records: number,
): MessageOf<'STATE'> {
  return {
    type: 'STATE',
    state: {
      type: 'STREAM',
      stream: { stream_descriptor: stream, stream_state: streamState },
      sourceStats: { recordCount: records },
    },
  };
}

/** The error a failed stream rethrows: classified, and naming the stream. */
export function streamFailure(thrown: unknown, stream: StreamDescriptor, signal: AbortSignal): ConveyorError {
  if (signal.aborted && thrown === signal.reason) {
    return transientError(`Reading stream "${streamKey(stream)}" was stopped before it finished.`, {
      stream,
      cause: thrown,
    });
  }
  const error = asConveyorError(thrown);
  if (error.stream) return error;
  return new ConveyorError(error.userMessage, {
    failureType: error.failureType,
    internalMessage: error.internalMessage,
    stream,
    cause: error.cause ?? error,
  });
}
