// One DeclarativeStream of a manifest, built into the parts that read it: schema, primary key,
// partitions × datetime windows = slices, and per slice the page loop (build the request, send,
// decode, select records, ask the paginator for the next token).

import { type Authenticator, describeRequest, type HttpClient, type HttpResponse } from '@conveyor/http';
import { type AirbyteStream, configError, type JsonObject, systemError } from '@conveyor/protocol';
import { AsyncJobs, type AsyncJobTiming } from './async-jobs.js';
import { DatetimeCursor } from './datetime-cursor.js';
import { type Decoder, decoderFrom } from './decoders.js';
import { loadDynamicSchema } from './dynamic-schema.js';
import type { Config } from './interpolated.js';
import { Interpolated } from './interpolated.js';
import { type Paginator, paginatorFrom } from './paginator.js';
import {
  type ParentReader,
  type PartitionRouter,
  partitionRouterFrom,
  singlePartition,
} from './partition-routers.js';
import { DpathExtractor, MissingRecordPath, RecordFilter, RecordSelector } from './records.js';
import { Requester } from './requester.js';
import { type Mapping, type StreamSlice, sliceOf, sliceScope } from './slice.js';
import { transformationFrom } from './transformations.js';

export interface StreamServices {
  readonly config: Config;
  /** the HTTP client and authenticator of a requester model (shared per source) */
  clientFor(requester: Mapping, parameters: Mapping): { client: HttpClient; authenticator?: Authenticator };
  schemaFor(stream: Mapping, parameters: Mapping): Mapping;
  /** a runtime stream for a model (a schema loader's retriever reads through one) */
  stream(model: Mapping): DeclarativeStreamRuntime;
  /** reads a parent stream for a substream router */
  readParent: ParentReader;
  /** how AsyncRetriever jobs wait between polls (tests make it instant) */
  readonly asyncTiming?: AsyncJobTiming;
}

/** One page read: the records kept and the slice they belong to. */
export interface PageRead {
  records: Mapping[];
  slice: StreamSlice;
}

function primaryKeyOf(value: unknown): string[][] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return [[value]];
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    return value.map((k) => (Array.isArray(k) ? k.map(String) : [String(k)]));
  }
  return undefined;
}

export class DeclarativeStreamRuntime {
  readonly name: string;
  readonly primaryKey: string[][] | undefined;
  readonly cursor: DatetimeCursor | undefined;
  private readonly parameters: Mapping;
  /** how pages are fetched: requests page by page, or an API-side job per slice (AsyncRetriever) */
  private readonly http:
    | { requester: Requester; paginator: Paginator; decoder: Decoder }
    | { jobs: AsyncJobs };
  private readonly selector: RecordSelector;
  private readonly router: PartitionRouter;
  private readonly schemaModel: Mapping;
  private schemaCache: Mapping | undefined;

  constructor(
    readonly model: Mapping,
    private readonly services: StreamServices,
  ) {
    this.parameters = (model.$parameters as Mapping) ?? {};
    const p = this.parameters;
    this.name = String(Interpolated.of(model.name ?? p.name ?? '', p).eval({}) ?? '');
    if (!this.name) throw configError('A stream of the manifest has no name.');
    this.schemaModel = model;
    const retriever = model.retriever as Mapping | undefined;
    if (retriever?.type !== 'SimpleRetriever' && retriever?.type !== 'AsyncRetriever') {
      throw configError(
        `Stream "${this.name}": the retriever "${String(retriever?.type)}" is not supported (SimpleRetriever, AsyncRetriever).`,
      );
    }
    const rp = { ...p, ...((retriever.$parameters as Mapping) ?? {}) };
    this.primaryKey = primaryKeyOf(model.primary_key ?? retriever.primary_key ?? p.primary_key);
    if (retriever.type === 'AsyncRetriever') {
      this.http = { jobs: new AsyncJobs(retriever, rp, services, this.name, services.asyncTiming) };
    } else {
      const requesterModel = retriever.requester as Mapping;
      const reqParams = { ...rp, ...((requesterModel.$parameters as Mapping) ?? {}) };
      const { client, authenticator } = services.clientFor(requesterModel, reqParams);
      this.http = {
        requester: new Requester(requesterModel, reqParams, client, authenticator),
        paginator: paginatorFrom(retriever.paginator as Mapping | undefined, rp, services.config),
        decoder: decoderFrom(retriever.decoder as Mapping | undefined),
      };
    }
    const selectorModel = (retriever.record_selector as Mapping) ?? {};
    const sp = { ...rp, ...((selectorModel.$parameters as Mapping) ?? {}) };
    const extractorModel = (selectorModel.extractor as Mapping) ?? { field_path: [] };
    if (extractorModel.type !== undefined && extractorModel.type !== 'DpathExtractor') {
      throw configError(
        `Stream "${this.name}": the record extractor "${String(extractorModel.type)}" is not supported (DpathExtractor).`,
      );
    }
    const filterModel = selectorModel.record_filter as Mapping | undefined;
    this.selector = new RecordSelector({
      extractor: new DpathExtractor((extractorModel.field_path as unknown[]) ?? [], {
        ...sp,
        ...((extractorModel.$parameters as Mapping) ?? {}),
      }),
      filter: filterModel?.condition === undefined ? undefined : new RecordFilter(filterModel.condition, sp),
      transformations: ((model.transformations as Mapping[]) ?? []).map((t) =>
        transformationFrom(t, { ...p, ...((t.$parameters as Mapping) ?? {}) }),
      ),
      // a client-side incremental stream filters transformed records unless the manifest says otherwise
      transformBeforeFiltering:
        typeof selectorModel.transform_before_filtering === 'boolean'
          ? selectorModel.transform_before_filtering
          : (model.incremental_sync as Mapping | undefined)?.is_client_side_incremental === true,
      normalize: selectorModel.schema_normalization === 'Default',
      schema: () => this.schema(),
    });
    const incremental = model.incremental_sync as Mapping | undefined;
    if (incremental && incremental.type !== 'DatetimeBasedCursor') {
      throw configError(
        `Stream "${this.name}": incremental_sync "${String(incremental.type)}" is not supported (DatetimeBasedCursor).`,
      );
    }
    this.cursor = incremental ? new DatetimeCursor(incremental, p) : undefined;
    this.router = partitionRouterFrom(retriever.partition_router, rp, services.readParent);
  }

  /** true when a partition router splits the stream (a substream, a list of values) */
  get partitioned(): boolean {
    return this.router !== singlePartition;
  }

  /** The schema; a DynamicSchemaLoader's must have been loaded (loadSchema) first. */
  schema(): Mapping {
    if (!this.schemaCache && this.dynamicSchemaLoader) {
      throw systemError(
        `Stream "${this.name}": its schema is read from the API and was not loaded before use.`,
      );
    }
    this.schemaCache ??= this.services.schemaFor(this.schemaModel, this.parameters);
    return this.schemaCache;
  }

  /** true when the schema comes from a DynamicSchemaLoader (an API request) */
  get schemaFromApi(): boolean {
    return this.dynamicSchemaLoader !== undefined;
  }

  private get dynamicSchemaLoader(): Mapping | undefined {
    const loader = this.schemaModel.schema_loader as Mapping | undefined;
    return loader?.type === 'DynamicSchemaLoader' ? loader : undefined;
  }

  /** Loads the schema; for a DynamicSchemaLoader that means asking the API (once per stream). */
  async loadSchema(signal: AbortSignal): Promise<Mapping> {
    const loader = this.dynamicSchemaLoader;
    if (this.schemaCache || !loader) return this.schema();
    this.schemaCache = await loadDynamicSchema(
      loader,
      { ...this.parameters, ...((loader.$parameters as Mapping) ?? {}) },
      { stream: this.name, config: this.services.config, retriever: (m) => this.services.stream(m), signal },
    );
    return this.schemaCache;
  }

  describe(config: Config): AirbyteStream {
    const stream: AirbyteStream = {
      name: this.name,
      json_schema: this.schema() as JsonObject,
      supported_sync_modes: this.cursor ? ['full_refresh', 'incremental'] : ['full_refresh'],
      is_resumable: this.cursor !== undefined,
      is_file_based: false,
    };
    if (this.cursor) {
      stream.source_defined_cursor = true;
      stream.default_cursor_field = [this.cursor.field(config)];
    }
    if (this.primaryKey) stream.source_defined_primary_key = this.primaryKey;
    return stream;
  }

  /**
   * The slices to read: every partition, times every datetime window when incremental. The state
   * is the stream's, or, for a partitioned stream, each partition's (a function of the partition).
   */
  async *slices(
    config: Config,
    state: Mapping | undefined | ((partition: Mapping) => Mapping | undefined),
    signal: AbortSignal,
  ): AsyncGenerator<StreamSlice> {
    const cursor = this.cursor;
    const fixed = typeof state === 'function' ? undefined : (cursor?.windows(config, state) ?? [{}]);
    for await (const { partition, extra } of this.router.partitions(config, signal)) {
      const windows =
        fixed ?? (cursor && typeof state === 'function' ? cursor.windows(config, state(partition)) : [{}]);
      for (const window of windows) yield sliceOf(partition, window, extra);
    }
  }

  private extract(bodies: unknown[], config: Config, response: HttpResponse): unknown[] {
    try {
      return this.selector.extract(bodies, config);
    } catch (error) {
      if (!(error instanceof MissingRecordPath)) throw error;
      const said = JSON.stringify(error.value) ?? '';
      throw systemError(
        `The answer to ${describeRequest(response.request)} (status ${response.status}) has no ${error.path.map((k) => `"${k}"`).join(' → ')} where the manifest's record selector looks for records, and an error instead: "${error.key}": ${said.length > 200 ? `${said.slice(0, 200)}…` : said}.`,
      );
    }
  }

  /**
   * Reads one slice page by page. `state` is the read's saved cursor (none for a full refresh):
   * with it, a client-side incremental stream drops the records outside its range, and a data
   * feed stops at the first page that ends outside it and drops those records after paginating.
   */
  async *readSlice(
    config: Config,
    slice: StreamSlice,
    signal: AbortSignal,
    state?: Mapping,
  ): AsyncGenerator<PageRead> {
    const scopeBase = sliceScope(slice);
    const cursor = this.cursor?.clientSide || this.cursor?.dataFeed ? this.cursor : undefined;
    const range = cursor?.syncRange(config, state);
    const inRange = cursor && range ? (record: Mapping) => cursor.inRange(record, range, config) : undefined;
    if ('jobs' in this.http) {
      // the downloaded records are extracted already: the stream's selector filters and transforms them
      for await (const extracted of this.http.jobs.pages(config, slice, signal)) {
        const records = this.selector.select(extracted, config, scopeBase, inRange);
        yield { records, slice };
      }
      return;
    }
    const { requester, paginator, decoder } = this.http;
    let token = paginator.initialToken();
    for (;;) {
      signal.throwIfAborted();
      const pageToken = token === undefined || token === null ? null : { next_page_token: token };
      const scope = { ...scopeBase, next_page_token: pageToken };
      const contributions = [paginator.requestParts(token, config)];
      contributions.push(this.router.requestParts(slice, config));
      if (this.cursor) contributions.push(this.cursor.requestParts(slice, config));
      const request = requester.build(config, scope, contributions, paginator.path(token), slice.extra);
      const response: HttpResponse = await requester.send(request, signal, this.name);
      if (response.ignored) return; // the error handler chose to ignore this answer: no records, no next page
      const bodies = decoder.decode(response);
      const extracted = this.extract(bodies, config, response);
      const records = this.selector.select(extracted, config, scope, cursor?.dataFeed ? undefined : inRange);
      yield { records: cursor?.dataFeed && inRange ? records.filter(inRange) : records, slice };
      const last = records.at(-1);
      if (cursor?.dataFeed && inRange && last !== undefined && !inRange(last)) return;
      const next = paginator.next({
        response,
        body: bodies[0] ?? {},
        headers: headersForTemplates(response),
        extracted,
        lastPageSize: records.length,
        lastRecord: records.at(-1),
        lastToken: token,
        sliceScope: scopeBase,
      });
      if (next === undefined || next === null) return;
      token = next;
    }
  }
}

/** Response headers as templates see them, with `link` parsed into `{rel: {url}}` as requests does. */
function headersForTemplates(response: HttpResponse): Mapping {
  const headers: Mapping = { ...response.headers };
  const link = response.headers.link;
  const links: Mapping = {};
  if (link) {
    for (const part of link.split(/,(?=\s*<)/)) {
      const url = /<([^>]*)>/.exec(part)?.[1];
      const rel = /rel="?([^";]+)"?/.exec(part)?.[1];
      if (url !== undefined && rel) links[rel] = { url, rel };
    }
  }
  headers.link = links;
  return headers;
}
