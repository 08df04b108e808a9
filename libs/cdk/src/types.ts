// The in-process contract between connectors and the engine. A TypeScript connector implements
// these; the CDK entrypoint turns the same object into a protocol-speaking CLI, and the engine's
// in-process launcher calls it directly (no JSON round trip).

import type {
  AirbyteMessage,
  Catalog,
  ConfiguredCatalog,
  ConfiguredStream,
  ConnectionStatus,
  ConnectorSpecification,
  JsonObject,
  StateMessage,
} from '@conveyor/protocol';

/** Where log lines go. Implementations mask secrets before anything leaves the process. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * A batch of records of one stream. `objects` comes from in-process sources; `jsonl` comes from
 * subprocess sources: each line is a complete, not-yet-parsed RECORD envelope
 * (`{"type":"RECORD","record":{...}}`), so a destination that can bulk-load JSON never decodes
 * them in JavaScript.
 */
export type RecordBatch =
  | {
      format: 'objects';
      stream: string;
      namespace?: string;
      records: JsonObject[];
      /** epoch ms, one for the whole batch */
      emittedAt: number;
    }
  | {
      format: 'jsonl';
      stream: string;
      namespace?: string;
      /** RECORD envelope lines, without trailing newlines */
      lines: Buffer[];
      /** 1-based line numbers in the source's output, parallel to `lines`, for error reports */
      lineNumbers?: number[];
    };

export function batchSize(batch: RecordBatch): number {
  return batch.format === 'objects' ? batch.records.length : batch.lines.length;
}

/** The batch's first `n` records and the rest, as two batches of the same stream and format. */
export function splitBatch(batch: RecordBatch, n: number): [RecordBatch, RecordBatch] {
  if (batch.format === 'objects') {
    return [
      { ...batch, records: batch.records.slice(0, n) },
      { ...batch, records: batch.records.slice(n) },
    ];
  }
  const { lineNumbers } = batch;
  return [
    {
      ...batch,
      lines: batch.lines.slice(0, n),
      ...(lineNumbers ? { lineNumbers: lineNumbers.slice(0, n) } : {}),
    },
    { ...batch, lines: batch.lines.slice(n), ...(lineNumbers ? { lineNumbers: lineNumbers.slice(n) } : {}) },
  ];
}

/** What a source's read yields: record batches, or any other protocol message (STATE, LOG, TRACE, CONTROL). */
export type SourceOutput =
  | { kind: 'records'; batch: RecordBatch }
  | { kind: 'message'; message: AirbyteMessage };

export interface ReadContext {
  logger: Logger;
  /** aborted when the engine stops the read (heartbeat timeout, user interrupt, destination failure) */
  signal: AbortSignal;
  /** Records per batch a reader hands on; small when only a sample is wanted (a health check). */
  batchRecords?: number;
}

/** What a connector makes of a stored config before it is validated (see `prepareConfig`). */
export interface PreparedConfig {
  /**
   * The stored config in its current form (a field renamed, credentials moved under a key). When it
   * differs from what was read, the CLI rewrites the config file and emits a CONTROL message (the
   * engine hands it to its `onConfigUpdate`), so a runner that saves it migrates once.
   */
  migrated: JsonObject;
  /** What the connector runs with: `migrated` plus per-run transformations; checked against the spec. */
  effective: JsonObject;
}

/** Config migrations: optional on sources and destinations. */
export interface ConfigPreparation {
  /** Receives a copy of the stored config, before spec validation. */
  prepareConfig?(config: JsonObject): PreparedConfig;
}

export interface SourceConnector<Config extends JsonObject = JsonObject> extends ConfigPreparation {
  spec(): ConnectorSpecification;
  check(config: Config, ctx: ReadContext): Promise<ConnectionStatus>;
  discover(config: Config, ctx: ReadContext): Promise<Catalog>;
  /** `state` is the list of the last committed STATE messages (per stream or global), possibly empty. */
  read(
    config: Config,
    catalog: ConfiguredCatalog,
    state: StateMessage[],
    ctx: ReadContext,
  ): AsyncIterable<SourceOutput>;
}

export interface WriteContext {
  logger: Logger;
  /** Identifies the connection (source + destination pair) so that state kept in the destination is per connection. */
  connectionId: string;
  syncId: number;
}

/**
 * One sync's worth of writing. The engine calls `write` for batches (staged, not yet visible),
 * `commit(states)` to make everything written so far durable together with those states, and
 * `finish` once the source has ended successfully (overwrite swaps, final dedup).
 */
export interface DestinationWriter {
  write(batch: RecordBatch): Promise<void>;
  /**
   * The source announced a new schema for a stream mid-sync (Singer taps do): make room for its new
   * properties before the records that carry them arrive. Destinations without it keep the schema
   * they were opened with, and the engine says which properties were not kept.
   */
  evolve?(stream: ConfiguredStream): Promise<void>;
  /**
   * Makes everything written so far durable together with `states` before it resolves: the engine
   * records the states as durable then. A writer may resolve sooner only when `states` are the
   * ones its last commit stored (durable, or being made durable by a commit it has not finished:
   * nothing new for the engine to record); it must then finish that commit before any later
   * commit, `finish` or `close`, and report its failure there.
   */
  commit(states: StateMessage[], seq: number): Promise<void>;
  /**
   * Streams (`namespace.name` or `name`) whose rows this writer keeps in a hidden table until
   * `finish` and discards when a later sync starts over (overwrites; some destinations also stage
   * full-refresh appends). The engine may commit such rows before a state covers them.
   */
  readonly stagedUntilFinish?: ReadonlySet<string>;
  /**
   * While only such staged rows arrive (no state, no covered rows), the engine commits each time a
   * stream has this many rows since the last commit (splitting a batch at the boundary), instead of
   * every `checkpoint.records` rows in all: for a destination whose commits cost less in steps of
   * its own size (DuckDB writes a commit of whole row groups straight to its file, a smaller one
   * through its log and again at the next checkpoint). Several staged streams read together also
   * commit once they hold four steps in all.
   */
  readonly stagedCommitRows?: number;
  finish(): Promise<void>;
  /** Releases resources; after a failure, staged but uncommitted data is discarded. */
  close(): Promise<void>;
}

export interface CommittedStates {
  /** monotonic per connection; compared with the engine's state store to pick the newer */
  seq: number;
  states: StateMessage[];
}

export interface DestinationConnector<Config extends JsonObject = JsonObject> extends ConfigPreparation {
  spec(): ConnectorSpecification;
  check(config: Config, ctx: ReadContext): Promise<ConnectionStatus>;
  open(config: Config, catalog: ConfiguredCatalog, ctx: WriteContext): Promise<DestinationWriter>;
  /**
   * Destinations that commit data and state in one transaction (exactly-once) return the states
   * they hold for a connection. Absent for at-least-once destinations.
   */
  committedStates?(config: Config, connectionId: string): Promise<CommittedStates | undefined>;
  /** Destinations that can answer SQL (DuckDB, Postgres) let users look at what landed: `conveyor query`. */
  query?(config: Config, sql: string): Promise<QueryResult>;
}

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

export type { ConfiguredStream };
