// The sync loop. A reader pulls the source into a bounded channel; a writer drains it into the
// destination. The checkpoint rule: a source STATE is committed only together with (in-process,
// one transaction) or after (subprocess, on its echo) every record that came before it.

import type { DestinationWriter, Logger, RecordBatch } from '@conveyor/cdk';
import { batchSize, maskedLogger, RejectedRecordLine, splitBatch } from '@conveyor/cdk';
import {
  type AirbyteMessage,
  asConveyorError,
  type ConfiguredCatalog,
  ConveyorError,
  type JsonObject,
  SecretMasker,
  type StateMessage,
  secretValues,
  streamKey,
  transientError,
  validateRecordLines,
} from '@conveyor/protocol';
import { BoundedChannel } from './channel.js';
import type { DestinationHandle, SchemaUpdate, SourceHandle, SourceHandleOutput } from './launcher.js';
import {
  batchForDestination,
  catalogForDestination,
  type NamespacePolicy,
  streamForDestination,
} from './namespaces.js';
import { type ProgressSink, StreamStats } from './progress.js';
import type { StateStore, StoredStates, StreamRunStats } from './state-store.js';

export interface SyncRequest {
  connectionId: string;
  source: SourceHandle;
  sourceConfig: JsonObject;
  destination: DestinationHandle;
  destinationConfig: JsonObject;
  catalog: ConfiguredCatalog;
  store: StateStore;
  logger: Logger;
  progress?: ProgressSink;
  /** commit at the first source STATE after this many records or seconds since the last commit */
  checkpoint?: { records?: number; seconds?: number };
  /** a source silent for longer than this is stopped (default 600 s) */
  heartbeatSeconds?: number;
  /** truncate refresh: every stream starts a new generation from an empty state */
  refresh?: boolean;
  signal?: AbortSignal;
  /** a connector asked to persist an updated config (for example a rotated OAuth token) */
  onConfigUpdate?: (config: JsonObject) => void;
  /** Columns left out of every record, per stream: new columns a schema policy does not apply yet. */
  dropColumns?: Map<string, string[]>;
  /** Where streams land in the destination (default: the source's namespace). */
  namespace?: NamespacePolicy;
}

export interface SyncResult {
  runId: number;
  status: 'succeeded' | 'failed';
  records: number;
  seconds: number;
  streams: StreamRunStats[];
  error?: ConveyorError;
}

const CHANNEL_CAPACITY = 4;
/**
 * Rows of several staged streams, none of which has reached the writer's step yet, commit once
 * there are this many steps of them, so that interleaved streams do not grow one transaction.
 */
const STAGED_STEPS_AT_MOST = 4;

/**
 * A schema announced mid-read replaces the stream's schema in the catalog the sync holds; the
 * destination makes room for new properties when it can, and otherwise the user is told which are
 * not kept.
 */
async function applySchemaUpdate(
  update: SchemaUpdate,
  catalog: ConfiguredCatalog,
  writer: DestinationWriter,
  logger: Logger,
  destinationName: string,
  held: readonly string[],
  namespace: NamespacePolicy,
): Promise<void> {
  const configured = catalog.streams.find(
    (c) => c.stream.name === update.stream && c.stream.namespace === update.namespace,
  );
  if (!configured) return;
  // columns a schema policy holds back stay out, whatever the source announces
  const properties = Object.fromEntries(
    Object.entries((update.schema.properties ?? {}) as JsonObject).filter(([name]) => !held.includes(name)),
  );
  const before = Object.keys((configured.stream.json_schema.properties ?? {}) as JsonObject);
  const added = Object.keys(properties).filter((p) => !before.includes(p));
  configured.stream = { ...configured.stream, json_schema: { ...update.schema, properties } };
  if (added.length === 0) return;
  if (writer.evolve) {
    await writer.evolve(streamForDestination(namespace, configured));
    logger.info(
      `Stream ${update.stream}: the source announced new properties (${added.join(', ')}); added to the destination.`,
    );
  } else {
    logger.warn(
      `Stream ${update.stream}: the source announced new properties mid-sync (${added.join(', ')}), and ${destinationName} cannot add them during a sync; they are kept from the next sync on, once the catalog is refreshed.`,
    );
  }
}

function stateKey(state: StateMessage): string {
  if (state.type === 'GLOBAL') return '\u0000global';
  if (state.type === 'STREAM' && state.stream) return streamKey(state.stream.stream_descriptor);
  return '\u0000legacy';
}

/** Picks the newer of the engine's store and the destination's own committed states. */
function newerStates(stored: StoredStates | undefined, committed: StoredStates | undefined): StoredStates {
  if (stored && committed) return committed.seq > stored.seq ? committed : stored;
  return committed ?? stored ?? { seq: 0, states: [] };
}

/**
 * Resumable full refresh. A source that checkpoints a full-refresh stream mid-read and wants the
 * read resumed after an interruption says so by putting the stream's `generation_id` in its state
 * (and `complete: true` once the stream has been read to the end). Such a stream, interrupted in
 * its current generation, keeps that generation (so the destination keeps the rows it committed,
 * an overwrite's next table included) and gets its state back. Any other full-refresh stream
 * starts over, in a new generation.
 */
function resumesGeneration(state: StateMessage | undefined, generation: number): boolean {
  if (state?.type !== 'STREAM' || !state.stream) return false;
  const streamState = state.stream.stream_state as JsonObject | undefined;
  return streamState?.generation_id === generation && streamState.complete !== true;
}

function withGenerations(
  request: SyncRequest,
  runId: number,
  committed: ReadonlyMap<string, StateMessage>,
  refresh: boolean,
): { catalog: ConfiguredCatalog; resumed: Set<string> } {
  const { store, connectionId, catalog } = request;
  const resumed = new Set<string>();
  const streams = catalog.streams.map((configured) => {
    const key = streamKey(configured.stream);
    const replaces = refresh || configured.destination_sync_mode === 'overwrite';
    const fullRefresh = configured.sync_mode === 'full_refresh';
    let generation = store.generation(connectionId, key);
    const resumes =
      !refresh && fullRefresh && generation > 0 && resumesGeneration(committed.get(key), generation);
    if (resumes) {
      resumed.add(key);
    } else if (replaces || fullRefresh || generation === 0) {
      // every full refresh reads a new copy: a new generation, so what an interrupted one left
      // staged is told apart from a resume's rows
      generation += 1;
      store.setGeneration(connectionId, key, generation);
    }
    return {
      ...configured,
      generation_id: generation,
      minimum_generation_id: replaces ? generation : 0,
      sync_id: runId,
    };
  });
  return { catalog: { ...catalog, streams }, resumed };
}

export async function runSync(request: SyncRequest): Promise<SyncResult> {
  const { store, connectionId, source, destination } = request;
  const started = Date.now();
  const versioned = (h: SourceHandle | DestinationHandle) =>
    h.version ? `${h.name}@${h.version}` : undefined;
  const runId = store.startRun(connectionId, {
    ...(versioned(source) ? { source: versioned(source) } : {}),
    ...(versioned(destination) ? { destination: versioned(destination) } : {}),
  });
  const stats = new Map<string, StreamStats>(
    request.catalog.streams.map((s) => [streamKey(s.stream), new StreamStats(streamKey(s.stream))]),
  );
  const statList = () => [...stats.values()];
  const total = () => statList().reduce((n, s) => n + s.records, 0);
  const masker = new SecretMasker();
  const logger = maskedLogger(request.logger, masker);
  const abort = new AbortController();
  request.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  let writer: DestinationWriter | undefined;

  try {
    const ctx = { logger, signal: abort.signal };
    const [sourceSpec, destinationSpec] = await Promise.all([source.spec(ctx), destination.spec(ctx)]);
    masker.add(secretValues(sourceSpec.connectionSpecification, request.sourceConfig));
    masker.add(secretValues(destinationSpec.connectionSpecification, request.destinationConfig));

    const stored = store.getStates(connectionId);
    const committed = await destination.committedStates(request.destinationConfig, connectionId);
    const start = newerStates(stored, committed);
    if (committed && (!stored || committed.seq > stored.seq))
      store.saveStates(connectionId, committed.seq, committed.states);

    // Streams moved to another namespace land in tables that hold none of their rows: their
    // states would skip everything before the saved cursor there, so they start over.
    const namespaces = request.namespace ?? { kind: 'source' };
    const placement = namespaces.kind === 'custom' ? namespaces.format : namespaces.kind;
    const placedBefore = store.placement(connectionId);
    const moved = placedBefore !== undefined && placedBefore !== placement && start.states.length > 0;
    if (moved) {
      logger.warn(
        `The connection's namespace changed (from "${placedBefore}" to "${placement}"): every stream is read from the beginning into its new place.`,
      );
    }
    const refresh = request.refresh === true || moved;
    const snapshot = new Map<string, StateMessage>();
    for (const state of start.states) {
      const key = stateKey(state);
      if (refresh && (key.startsWith('\u0000') || stats.has(key))) continue;
      snapshot.set(key, state);
    }
    const { catalog, resumed } = withGenerations(request, runId, snapshot, refresh);
    for (const key of resumed) logger.info(`Stream ${key}: resuming the interrupted full refresh.`);
    const handedBack = new Set([
      ...resumed,
      ...catalog.streams
        .filter((s) => s.sync_mode === 'incremental' && !refresh)
        .map((s) => streamKey(s.stream)),
    ]);
    const inputStates = [...snapshot.entries()]
      .filter(([key]) => key.startsWith('\u0000') || handedBack.has(key))
      .map(([, state]) => state);

    let seq = start.seq;
    const awaitingDurable = new Map<number, StateMessage[]>();
    writer = await destination.open(request.destinationConfig, catalogForDestination(namespaces, catalog), {
      logger,
      connectionId,
      syncId: runId,
      onDurable(durableSeq) {
        const states = awaitingDurable.get(durableSeq);
        if (!states) return;
        for (const key of awaitingDurable.keys()) if (key <= durableSeq) awaitingDurable.delete(key);
        store.saveStates(connectionId, durableSeq, states);
        store.updateRun(
          runId,
          total(),
          statList().map((s) => s.snapshot()),
        );
      },
    });

    const channel = new BoundedChannel<SourceHandleOutput>(CHANNEL_CAPACITY);
    const heartbeatMs = (request.heartbeatSeconds ?? 600) * 1000;
    let waitingSince: number | undefined;
    const watchdog = setInterval(
      () => {
        if (waitingSince !== undefined && Date.now() - waitingSince > heartbeatMs) {
          channel.fail(
            transientError(
              `Source ${source.name} sent nothing for ${Math.round(heartbeatMs / 1000)} s (heartbeat timeout) and was stopped. If it can legitimately stay silent that long, raise heartbeat_timeout for this connection.`,
            ),
          );
          abort.abort();
        }
      },
      Math.min(1000, heartbeatMs / 4),
    );
    watchdog.unref();

    const reader = (async () => {
      const iterator = source.read(request.sourceConfig, catalog, inputStates, ctx)[Symbol.asyncIterator]();
      try {
        for (;;) {
          waitingSince = Date.now();
          const next = await iterator.next();
          waitingSince = undefined;
          if (next.done) break;
          await channel.push(next.value);
        }
        channel.close();
      } catch (error) {
        channel.failAfterDrain(error);
      } finally {
        waitingSince = undefined;
        if (abort.signal.aborted) await iterator.return?.();
      }
    })();

    const everyRecords = request.checkpoint?.records ?? 50_000;
    const everyMs = (request.checkpoint?.seconds ?? 5) * 1000;
    let sinceCommit = 0;
    // Streams with rows that no state covers yet: committing now would make those rows durable
    // while a resume re-reads them. A stream's STATE covers its rows (GLOBAL and legacy states cover
    // all). Overwrite streams write to a hidden next generation (and so do the full-refresh appends
    // of a writer that says so), so their rows never block a commit, which also keeps a long full
    // refresh from growing one huge transaction.
    // A resumed full refresh is resumable: its rows commit only with the state covering them.
    // (the writer names streams as the destination sees them, after the namespace policy)
    const staged = writer.stagedUntilFinish ?? new Set<string>();
    const replacing = new Set(
      catalog.streams
        .filter(
          (s) =>
            s.destination_sync_mode === 'overwrite' ||
            staged.has(streamKey(streamForDestination(namespaces, s).stream)),
        )
        .map((s) => streamKey(s.stream))
        .filter((key) => !resumed.has(key)),
    );
    // the writer's own step for staged rows, when it declares one (in whole rows)
    const stagedStep =
      writer.stagedCommitRows === undefined ? undefined : Math.max(1, Math.ceil(writer.stagedCommitRows));
    // rows of each replacing stream since the last commit, counted when the writer has a step
    const stagedSinceCommit = new Map<string, number>();
    if (stagedStep !== undefined) for (const key of replacing) stagedSinceCommit.set(key, 0);
    const dirty = new Set<string>();
    let stateChanged = false;
    let lastCommit = Date.now();
    const activeWriter = writer;
    const commit = async () => {
      seq += 1;
      const states = [...snapshot.values()];
      awaitingDurable.set(seq, states);
      await activeWriter.commit(states, seq);
      sinceCommit = 0;
      for (const key of stagedSinceCommit.keys()) stagedSinceCommit.set(key, 0);
      dirty.clear();
      stateChanged = false;
      lastCommit = Date.now();
    };

    try {
      for (;;) {
        let item: Awaited<ReturnType<typeof channel.pull>>;
        try {
          item = await channel.pull();
        } catch (error) {
          // The source failed. Everything it sent up to its last STATE is consistent: when no
          // rows came after that state, commit it, so a resume starts there instead of at the
          // last periodic commit.
          if (stateChanged && dirty.size === 0) await commit().catch(() => undefined);
          throw error;
        }
        if (item === undefined) break;
        if (item.kind === 'records') {
          const key = batchKey(item.batch);
          let rest: RecordBatch | undefined = request.dropColumns?.size
            ? withoutColumns(item.batch, request.dropColumns)
            : item.batch;
          while (rest) {
            let batch = rest;
            rest = undefined;
            // While only staged rows arrive, a stream's rows commit in whole steps of the writer's size.
            const pending = stagedSinceCommit.get(key);
            if (pending !== undefined && stagedStep !== undefined && !stateChanged && dirty.size === 0) {
              const room = stagedStep - pending;
              if (room >= 1 && batchSize(batch) > room) [batch, rest] = splitBatch(batch, room);
            }
            const n = await writeBatch(activeWriter, batch, stats, source.name, masker, namespaces);
            sinceCommit += n;
            if (pending !== undefined) stagedSinceCommit.set(key, pending + n);
            if (!replacing.has(key)) dirty.add(key);
            if (dirty.size > 0) continue;
            const due =
              stateChanged || stagedStep === undefined
                ? sinceCommit >= everyRecords
                : (stagedSinceCommit.get(key) ?? 0) >= stagedStep ||
                  sinceCommit >= STAGED_STEPS_AT_MOST * stagedStep;
            if (due) await commit();
          }
        } else if (item.kind === 'schema') {
          const held = request.dropColumns?.get(streamKey({ name: item.stream, namespace: item.namespace }));
          await applySchemaUpdate(
            item,
            catalog,
            activeWriter,
            logger,
            destination.name,
            held ?? [],
            namespaces,
          );
        } else {
          const message = item.message;
          if (message.type === 'STATE') {
            snapshot.set(stateKey(message.state), message.state);
            if (message.state.type === 'GLOBAL')
              for (const key of [...snapshot.keys()]) if (!key.startsWith('\u0000')) snapshot.delete(key);
            if (message.state.type === 'STREAM' && message.state.stream) {
              const key = streamKey(message.state.stream.stream_descriptor);
              dirty.delete(key);
              // a resumable full refresh: from now on its rows commit only with the state that
              // covers them, or a resume would read them twice
              if (
                typeof (message.state.stream.stream_state as JsonObject | undefined)?.generation_id ===
                'number'
              ) {
                replacing.delete(key);
                stagedSinceCommit.delete(key);
              }
            } else {
              dirty.clear();
            }
            stateChanged = true;
            const due = sinceCommit >= everyRecords || Date.now() - lastCommit >= everyMs;
            if (due && dirty.size === 0) await commit();
          } else {
            handleMessage(message, stats, logger, source.name, request.onConfigUpdate);
          }
        }
        request.progress?.update(statList());
      }
      await reader;
      if (sinceCommit > 0 || stateChanged || seq === start.seq) await commit();
      await activeWriter.finish();
    } catch (error) {
      channel.fail(error);
      abort.abort();
      await reader;
      throw explainRejectedLine(error, source.name, masker, new Set(stats.keys()));
    } finally {
      clearInterval(watchdog);
    }

    for (const s of statList()) {
      s.start();
      s.endedAt ??= Date.now();
      if (s.status !== 'COMPLETE') s.status = 'COMPLETE';
    }
    await writer.close();
    writer = undefined;
    store.setPlacement(connectionId, placement);
    request.progress?.done(statList());
    const streams = statList().map((s) => s.snapshot());
    store.finishRun(runId, { status: 'succeeded', records: total(), streams });
    return { runId, status: 'succeeded', records: total(), seconds: (Date.now() - started) / 1000, streams };
  } catch (thrown) {
    const error = asConveyorError(thrown);
    const reason = masker.mask(error.userMessage);
    // a fresh error, so that neither its message nor its stack carries an unmasked secret
    const masked = new ConveyorError(reason, {
      failureType: error.failureType,
      internalMessage: masker.mask(error.internalMessage ?? error.stack ?? ''),
      stream: error.stream,
    });
    if (writer) await writer.close().catch(() => undefined);
    for (const s of statList()) if (s.status !== 'COMPLETE') s.status = 'INCOMPLETE';
    request.progress?.done(statList());
    const streams = statList().map((s) => s.snapshot());
    store.finishRun(runId, {
      status: 'failed',
      records: total(),
      streams,
      failureType: error.failureType,
      failureReason: reason,
    });
    return {
      runId,
      status: 'failed',
      records: total(),
      seconds: (Date.now() - started) / 1000,
      streams,
      error: masked,
    };
  }
}

/**
 * A destination that staged raw lines and failed to load them hands back the bad line; parsing it
 * here gives the same clear error (connector, line number, stream, masked snippet) as any bad line.
 */
function explainRejectedLine(
  error: unknown,
  sourceName: string,
  masker: SecretMasker,
  known: Set<string>,
): unknown {
  if (!(error instanceof RejectedRecordLine)) return error;
  try {
    validateRecordLines([error.line], error.lineNumber === undefined ? undefined : [error.lineNumber], {
      source: sourceName,
      masker,
      knownStreams: known,
    });
  } catch (explained) {
    return explained;
  }
  return error;
}

/** Leaves held-back columns out of a batch's records (only when a schema policy holds some). */
function withoutColumns(batch: RecordBatch, drop: Map<string, string[]>): RecordBatch {
  const columns = drop.get(batchKey(batch));
  if (!columns?.length) return batch;
  const strip = (data: JsonObject) => {
    for (const c of columns) delete data[c];
    return data;
  };
  if (batch.format === 'objects') return { ...batch, records: batch.records.map(strip) };
  return {
    ...batch,
    lines: batch.lines.map((line) => {
      // a line that does not parse is left as it is: the destination's load then reports it with
      // its line number, as for any bad line. (Integers beyond 2^53 lose precision on this path.)
      try {
        const message = JSON.parse(line.toString('utf8')) as { record: { data: JsonObject } };
        strip(message.record.data);
        return Buffer.from(JSON.stringify(message));
      } catch {
        return line;
      }
    }),
  };
}

function batchKey(batch: RecordBatch): string {
  return batch.namespace ? `${batch.namespace}.${batch.stream}` : batch.stream;
}

async function writeBatch(
  writer: DestinationWriter,
  batch: RecordBatch,
  stats: Map<string, StreamStats>,
  sourceName: string,
  masker: SecretMasker,
  namespaces: NamespacePolicy,
): Promise<number> {
  const key = batchKey(batch);
  const stat = stats.get(key);
  if (!stat) {
    throw asConveyorError(
      new Error(
        `Source ${sourceName} sent records for stream "${key}", which is not in the configured catalog.`,
      ),
    );
  }
  const n = batchSize(batch);
  try {
    await writer.write(batchForDestination(namespaces, batch));
  } catch (error) {
    // A bulk load failed: find the exact line in JavaScript to say what was wrong and where.
    if (batch.format === 'jsonl') {
      validateRecordLines(batch.lines, batch.lineNumbers, {
        source: sourceName,
        masker,
        knownStreams: new Set(stats.keys()),
      });
    }
    throw error;
  }
  stat.start();
  if (stat.status === 'pending' || stat.status === 'STARTED') stat.status = 'RUNNING';
  stat.records += n;
  if (batch.format === 'jsonl') {
    for (const line of batch.lines) stat.bytes += line.length;
  } else if (n > 0) {
    // estimated from the first record: serializing every record would cost what in-process avoids
    stat.bytes += JSON.stringify(batch.records[0]).length * n;
  }
  return n;
}

function handleMessage(
  message: AirbyteMessage,
  stats: Map<string, StreamStats>,
  logger: Logger,
  sourceName: string,
  onConfigUpdate: ((config: JsonObject) => void) | undefined,
): void {
  switch (message.type) {
    case 'LOG': {
      const text = `[${sourceName}] ${message.log.message}`;
      const level = message.log.level;
      if (level === 'FATAL' || level === 'ERROR') logger.error(text);
      else if (level === 'WARN') logger.warn(text);
      else if (level === 'INFO') logger.info(text);
      else logger.debug(text);
      return;
    }
    case 'TRACE': {
      const trace = message.trace;
      if (trace.type === 'STREAM_STATUS' && trace.stream_status) {
        const stat = stats.get(streamKey(trace.stream_status.stream_descriptor));
        if (stat) {
          stat.start();
          stat.status = trace.stream_status.status;
          if (trace.stream_status.status === 'COMPLETE' || trace.stream_status.status === 'INCOMPLETE')
            stat.endedAt = Date.now();
        }
      } else if (trace.type === 'ESTIMATE' && trace.estimate) {
        const stat = stats.get(streamKey(trace.estimate));
        if (stat && trace.estimate.row_estimate !== undefined) stat.estimate = trace.estimate.row_estimate;
      } else if (trace.type === 'ERROR' && trace.error) {
        logger.error(`[${sourceName}] ${trace.error.message}`);
      }
      return;
    }
    case 'CONTROL': {
      const config = message.control.connectorConfig?.config;
      if (config) {
        logger.warn(`[${sourceName}] asked to persist an updated config (for example a rotated token).`);
        onConfigUpdate?.(config);
      }
      return;
    }
    default:
      logger.debug(`[${sourceName}] ignored a ${message.type} message during read`);
  }
}
