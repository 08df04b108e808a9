// A loaded manifest as a Conveyor source: spec, check (the manifest's CheckStream), discover and
// read, with the reference's state shapes so that a connection moved from Airbyte keeps its
// cursor. Streams are read one after another (a stream's partitions several at once when the
// manifest asks); an incremental stream checkpoints after every datetime window, a partitioned one
// once, after its last partition, per partition; never behind the state it resumed from.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PreparedConfig, ReadContext, SourceConnector, SourceOutput } from '@conveyor/cdk';
import {
  errorTrace,
  streamFailure,
  streamStateFor,
  streamStateMessage,
  streamStatusTrace,
  withoutFormatChecks,
} from '@conveyor/cdk';
import { addDuration, type HttpTransport, parseIsoDuration, readPartitions } from '@conveyor/http';
import {
  asConveyorError,
  type Catalog,
  type ConfiguredCatalog,
  type ConnectionStatus,
  type ConnectorSpecification,
  ConveyorError,
  configError,
  type JsonObject,
  SecretMasker,
  type StateMessage,
  secretValues,
  streamKey,
} from '@conveyor/protocol';
import type { LoadedManifest } from './manifest/index.js';
import type { AsyncJobTiming } from './runtime/async-jobs.js';
import { type ConfigNormalization, configNormalizationFrom } from './runtime/config-normalization.js';
import { resolveDynamicStreams } from './runtime/dynamic-streams.js';
import { HttpServices } from './runtime/http-services.js';
import type { Config } from './runtime/interpolated.js';
import { Interpolated } from './runtime/interpolated.js';
import { PartitionStates } from './runtime/partition-state.js';
import type { Mapping, StreamSlice } from './runtime/slice.js';
import { DeclarativeStreamRuntime, type PageRead } from './runtime/stream.js';

export interface DeclarativeSourceOptions {
  /** carries every request; tests pass a scripted one */
  transport?: HttpTransport;
  /** how AsyncRetriever jobs wait between status polls (5 s, as the reference); tests pass an instant one */
  asyncJobTiming?: AsyncJobTiming;
}

export class DeclarativeSource implements SourceConnector<JsonObject> {
  private readonly manifest: Mapping;
  private readonly baseDir: string;
  private readonly normalization: ConfigNormalization | undefined;

  constructor(
    readonly loaded: LoadedManifest,
    private readonly options: DeclarativeSourceOptions = {},
  ) {
    this.manifest = loaded.manifest;
    this.baseDir = loaded.file ? dirname(resolve(loaded.file)) : process.cwd();
    if (loaded.customComponents.length > 0) {
      const list = loaded.customComponents
        .slice(0, 5)
        .map((c) => `${c.path} (${c.className ?? c.type})`)
        .join(', ');
      throw configError(
        `This manifest needs custom Python components, which Conveyor does not run: ${list}${loaded.customComponents.length > 5 ? ', …' : ''}. Run it with the Airbyte engine (airbyte:source-<name>) instead.`,
      );
    }
    // configs are checked as the reference checks them: types, patterns, required fields, no formats
    const spec = this.manifest.spec as Mapping | undefined;
    const connectionSpecification = spec?.connection_specification;
    if (connectionSpecification && typeof connectionSpecification === 'object')
      withoutFormatChecks(connectionSpecification as JsonObject);
    this.normalization = configNormalizationFrom(spec?.config_normalization_rules);
  }

  /** The manifest's config migrations and transformations (spec.config_normalization_rules). */
  prepareConfig(config: JsonObject): PreparedConfig {
    return this.normalization?.prepare(config) ?? { migrated: config, effective: config };
  }

  spec(): ConnectorSpecification {
    const spec = this.manifest.spec as Mapping | undefined;
    if (!spec) throw configError('The manifest has no `spec`; add one with a connection_specification.');
    const out: ConnectorSpecification = {
      connectionSpecification: spec.connection_specification as JsonObject,
    };
    if (typeof spec.documentation_url === 'string') out.documentationUrl = spec.documentation_url;
    if (spec.advanced_auth) (out as JsonObject).advanced_auth = spec.advanced_auth as JsonObject;
    return out;
  }

  private services(config: Config, ctx: ReadContext): HttpServices {
    return new HttpServices({
      config,
      manifest: this.manifest,
      baseDir: this.baseDir,
      transport: this.options.transport,
      logger: ctx.logger,
      buildStream: (model, services) => new DeclarativeStreamRuntime(model, services),
      asyncTiming: this.options.asyncJobTiming,
    });
  }

  /**
   * The streams, once the config passed the manifest's config validations (as the reference orders
   * it). A StateDelegatingStream is its full-refresh stream without a saved state and its
   * incremental stream with one; `reset` collects those whose saved cursor is older than the API
   * keeps data (`api_retention_period`): they are read in full again, from an emptied state.
   */
  private async streams(
    services: HttpServices,
    signal: AbortSignal,
    state: StateMessage[] = [],
    reset: Set<string> = new Set(),
  ): Promise<DeclarativeStreamRuntime[]> {
    this.normalization?.validate(services.config as JsonObject);
    const models = (this.manifest.streams as Mapping[] | undefined) ?? [];
    const fixed = models.map((m) =>
      m.type === 'StateDelegatingStream' ? this.delegate(m, services, state, reset) : services.stream(m),
    );
    if (!this.manifest.dynamic_streams) return fixed;
    const dynamic = await resolveDynamicStreams(
      this.manifest.dynamic_streams,
      services,
      services.config,
      signal,
      new Set(fixed.map((s) => s.name)),
    );
    return [...fixed, ...dynamic.map((m) => services.stream(m))];
  }

  private delegate(
    model: Mapping,
    services: HttpServices,
    state: StateMessage[],
    reset: Set<string>,
  ): DeclarativeStreamRuntime {
    const name = String(model.name ?? '');
    const full = model.full_refresh_stream as Mapping;
    const incremental = model.incremental_stream as Mapping;
    const fullStream = services.stream(full);
    const incrementalStream = services.stream(incremental);
    if (fullStream.name !== name || incrementalStream.name !== name) {
      throw configError(
        `The StateDelegatingStream "${name}" names its streams "${fullStream.name}" and "${incrementalStream.name}"; all three names must be equal.`,
      );
    }
    const saved = streamStateFor(state, { name }) as Mapping | undefined;
    if (!saved || Object.keys(saved).length === 0) return fullStream;
    const retention =
      model.api_retention_period === undefined
        ? ''
        : Interpolated.of(model.api_retention_period, (model.parameters as Mapping) ?? {}).evalString(
            services.config,
          );
    const cursor = incrementalStream.cursor;
    if (retention && cursor) {
      const at = safeParse(cursor, saved[cursor.field(services.config)]);
      const oldest = addDuration(Date.now(), parseIsoDuration(retention), -1);
      if (at === undefined || at < oldest) {
        reset.add(name);
        return fullStream;
      }
    }
    return incrementalStream;
  }

  /** How many partitions of a stream are read at once: the manifest's concurrency_level, else one. */
  private concurrency(config: Config): number {
    const level = this.manifest.concurrency_level as Mapping | undefined;
    if (!level) return 1;
    const wanted = Number(Interpolated.of(level.default_concurrency).eval(config));
    const cap = typeof level.max_concurrency === 'number' ? level.max_concurrency : Number.POSITIVE_INFINITY;
    return Number.isInteger(wanted) && wanted >= 1 ? Math.min(wanted, cap) : 1;
  }

  async check(config: JsonObject, ctx: ReadContext): Promise<ConnectionStatus> {
    const masker = new SecretMasker(secretValues(this.spec().connectionSpecification, config));
    try {
      const services = this.services(config, ctx);
      const streams = await this.streams(services, ctx.signal);
      const check = (this.manifest.check as Mapping | undefined) ?? {};
      const names = ((check.stream_names as unknown[]) ?? []).map((n) =>
        Interpolated.of(n).evalString(config),
      );
      for (const name of names) {
        const stream = streams.find((s) => s.name === name);
        if (!stream)
          throw configError(`The manifest's check names stream "${name}", which it does not define.`);
        for await (const slice of stream.slices(config, undefined, ctx.signal)) {
          for await (const _page of stream.readSlice(config, slice, ctx.signal)) break;
          break;
        }
      }
      return { status: 'SUCCEEDED' };
    } catch (error) {
      return { status: 'FAILED', message: masker.mask(asConveyorError(error).userMessage) };
    }
  }

  async discover(config: JsonObject, ctx: ReadContext): Promise<Catalog> {
    const streams = await this.streams(this.services(config, ctx), ctx.signal);
    for (const stream of streams) await stream.loadSchema(ctx.signal);
    return { streams: streams.map((s) => s.describe(config)) };
  }

  async *read(
    config: JsonObject,
    catalog: ConfiguredCatalog,
    state: StateMessage[],
    ctx: ReadContext,
  ): AsyncGenerator<SourceOutput> {
    const masker = new SecretMasker(secretValues(this.spec().connectionSpecification, config));
    const services = this.services(config, ctx);
    const reset = new Set<string>();
    const byName = new Map((await this.streams(services, ctx.signal, state, reset)).map((s) => [s.name, s]));
    for (const configured of catalog.streams) {
      const stream = byName.get(configured.stream.name);
      if (!stream) {
        throw configError(
          `The catalog asks for stream "${streamKey(configured.stream)}", which this manifest does not define (it defines: ${[...byName.keys()].join(', ')}). Run discover and update the catalog.`,
        );
      }
      const incremental = configured.sync_mode === 'incremental' && stream.cursor !== undefined;
      if (reset.has(stream.name)) {
        ctx.logger.warn(
          `Stream "${stream.name}": the saved cursor is older than the API keeps data (api_retention_period), so the stream is read in full.`,
        );
        yield { kind: 'message', message: streamStateMessage({ name: stream.name }, {}, 0) };
      }
      const saved =
        incremental && !reset.has(stream.name)
          ? (streamStateFor(state, { name: stream.name }) as Mapping | undefined)
          : undefined;
      yield* this.readStream(stream, config, saved, incremental, ctx, masker, services);
    }
  }

  private async *readStream(
    stream: DeclarativeStreamRuntime,
    config: Config,
    saved: Mapping | undefined,
    incremental: boolean,
    ctx: ReadContext,
    masker: SecretMasker,
    services: HttpServices,
  ): AsyncGenerator<SourceOutput> {
    const descriptor = { name: stream.name };
    // a rotated OAuth refresh token goes out before anything else, so the platform keeps it
    const control = function* (): Generator<SourceOutput> {
      while (services.control.length > 0) yield { kind: 'message', message: services.control.shift()! };
    };
    const cursor = stream.cursor;
    const field = cursor?.field(config);
    let max =
      saved && cursor && field && saved[field] !== undefined ? safeParse(cursor, saved[field]) : undefined;
    yield { kind: 'message', message: streamStatusTrace(descriptor, 'STARTED') };
    let running = false;
    let sinceState = 0;
    try {
      // a schema read from the API is asked for before the records, as the reference does
      if (stream.schemaFromApi) await stream.loadSchema(ctx.signal);
      const from = incremental ? saved : undefined;
      // a partitioned stream keeps a cursor per partition, in the reference's state shape
      const partitions =
        incremental && cursor && stream.partitioned ? new PartitionStates(saved, cursor, config) : undefined;
      const stateOf = (slice: StreamSlice) => (partitions ? partitions.forPartition(slice.partition) : from);
      const slices = stream.slices(
        config,
        partitions ? (partition: Mapping) => partitions.forPartition(partition) : from,
        ctx.signal,
      );
      const read = (slice: StreamSlice) => stream.readSlice(config, slice, ctx.signal, stateOf(slice));
      // what one page adds to the output: its records, the running status, the cursor seen
      const emit = function* (page: PageRead): Generator<SourceOutput> {
        yield* control();
        if (page.records.length === 0) return;
        if (!running) {
          running = true;
          yield { kind: 'message', message: streamStatusTrace(descriptor, 'RUNNING') };
        }
        if (incremental && cursor) {
          for (const record of page.records) {
            const at = cursor.recordCursor(record, config);
            if (at === undefined) continue;
            if (max === undefined || at > max) max = at;
            partitions?.see(page.slice.partition, at);
          }
        }
        sinceState += page.records.length;
        yield {
          kind: 'records',
          batch: {
            format: 'objects',
            stream: stream.name,
            records: page.records as JsonObject[],
            emittedAt: Date.now(),
          },
        };
      };
      if (stream.partitioned) {
        // Partitions may be read several at once (the manifest's concurrency_level); the one
        // checkpoint comes after the last of them, so the order they finish in cannot matter.
        const pages = readPartitions(slices, {
          concurrency: this.concurrency(config),
          read: (slice, signal) => stream.readSlice(config, slice, signal, stateOf(slice)),
          signal: ctx.signal,
        });
        for await (const event of pages) if (event.kind === 'item') yield* emit(event.value);
      } else {
        for await (const slice of slices) {
          for await (const page of read(slice)) yield* emit(page);
          // windows are read in order, so each one's end is a safe checkpoint
          if (incremental && cursor && max !== undefined) {
            yield {
              kind: 'message',
              message: streamStateMessage(descriptor, cursor.stateFor(max, config) as JsonObject, sinceState),
            };
            sinceState = 0;
          }
        }
      }
      const partitionedState = partitions?.state();
      if (partitionedState) {
        yield {
          kind: 'message',
          message: streamStateMessage(descriptor, partitionedState as JsonObject, sinceState),
        };
      }
      yield* control();
      yield { kind: 'message', message: streamStatusTrace(descriptor, 'COMPLETE') };
    } catch (thrown) {
      yield* control();
      const error = failureOf(thrown, descriptor, ctx.signal);
      yield { kind: 'message', message: streamStatusTrace(descriptor, 'INCOMPLETE') };
      yield { kind: 'message', message: errorTrace(error, masker, descriptor) };
      throw error;
    }
  }
}

/** The stream being read owns the failure, also when a parent stream's request failed under it. */
function failureOf(thrown: unknown, descriptor: { name: string }, signal: AbortSignal): ConveyorError {
  const error = streamFailure(thrown, descriptor, signal);
  if (error.stream?.name === descriptor.name) return error;
  return new ConveyorError(error.userMessage, {
    failureType: error.failureType,
    internalMessage: error.internalMessage,
    stream: descriptor,
    cause: error,
  });
}

function safeParse(
  cursor: NonNullable<DeclarativeStreamRuntime['cursor']>,
  value: unknown,
): number | undefined {
  try {
    return cursor.parse(value);
  } catch {
    return undefined;
  }
}

/** Reads a JSON file next to the manifest (JsonFileSchemaLoader). */
export function readJsonBeside(baseDir: string, path: string): unknown {
  return JSON.parse(readFileSync(resolve(baseDir, path), 'utf8'));
}

export type { StreamSlice };
