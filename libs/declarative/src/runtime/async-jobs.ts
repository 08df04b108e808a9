// AsyncRetriever: APIs that build a report on request. Per slice: create a job
// (creation_requester), poll its status (polling_requester, status_extractor, status_mapping) until
// it is completed, failed, timed out or skipped, find the download targets (download_target_extractor
// on the polling answer or on download_target_requester's), download each with its own paginator,
// decoder and extractor, then delete the job (delete_requester). A failed or timed-out job (aborted
// through abort_requester) is started again, up to three attempts as in the reference; a job running
// longer than `polling_job_timeout` minutes (60 by default) counts as timed out.
//
// Templates see `creation_response` (the creation answer's JSON, with `headers` and `request`), then
// `polling_response` and `download_target`, both as `stream_slice.extra_fields[...]` and, in URLs,
// as names of their own.

import type { HttpResponse } from '@conveyor/http';
import { configError, systemError } from '@conveyor/protocol';
import { type Decoder, decoderFrom } from './decoders.js';
import { type Config, Interpolated } from './interpolated.js';
import { type Paginator, paginatorFrom } from './paginator.js';
import { DpathExtractor } from './records.js';
import { Requester } from './requester.js';
import { type Mapping, type StreamSlice, sliceOf, sliceScope, sliceView } from './slice.js';

type JobStatus = 'running' | 'completed' | 'failed' | 'timeout' | 'skipped';

const STATUSES: JobStatus[] = ['running', 'completed', 'failed', 'timeout', 'skipped'];

/** Attempts per slice, as the reference's job orchestrator. */
const MAX_ATTEMPTS = 3;

export interface AsyncJobServices {
  readonly config: Config;
  clientFor(
    requester: Mapping,
    parameters: Mapping,
  ): { client: Requester['client']; authenticator?: Requester['authenticator'] };
}

export interface AsyncJobTiming {
  /** between two polls of a running job (the reference waits 5 s) */
  pollIntervalMs: number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  now(): number;
}

export const realTiming: AsyncJobTiming = {
  pollIntervalMs: 5000,
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason);
        },
        { once: true },
      );
    }),
};

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Python's str() of a JSON value, as the status is looked up in the mapping. */
function pythonStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What templates see of an answer: its JSON, plus `headers` and `request` unless the body has those keys. */
function responseContext(response: HttpResponse, decoder: Decoder): Mapping {
  const body = decoder.decode(response)[0];
  const context: Mapping = isMapping(body) ? { ...body } : {};
  if (!Object.hasOwn(context, 'headers')) context.headers = { ...response.headers };
  if (!Object.hasOwn(context, 'request')) context.request = response.request;
  return context;
}

function withExtra(slice: StreamSlice, extra: Mapping): StreamSlice {
  return sliceOf(slice.partition, slice.cursor, { ...slice.extra, ...extra });
}

export class AsyncJobs {
  private readonly creation: Requester;
  private readonly polling: Requester;
  private readonly download: Requester;
  private readonly downloadTarget: Requester | undefined;
  private readonly abort: Requester | undefined;
  private readonly remove: Requester | undefined;
  private readonly decoder: Decoder;
  private readonly downloadDecoder: Decoder;
  private readonly statusExtractor: DpathExtractor;
  private readonly targetExtractor: DpathExtractor | undefined;
  private readonly downloadExtractor: DpathExtractor;
  private readonly downloadPaginator: Paginator;
  private readonly statusOf = new Map<string, JobStatus>();
  private readonly timeoutMs: number;
  private readonly failedWaitMs: number;

  constructor(
    model: Mapping,
    parameters: Mapping,
    services: AsyncJobServices,
    private readonly stream: string,
    private readonly timing: AsyncJobTiming = realTiming,
  ) {
    const config = services.config;
    const requester = (field: string): Requester | undefined => {
      const m = model[field];
      if (!isMapping(m)) return undefined;
      const p = { ...parameters, ...((m.$parameters as Mapping) ?? {}) };
      const { client, authenticator } = services.clientFor(m, p);
      return new Requester(m, p, client, authenticator);
    };
    const required = (field: string): Requester => {
      const built = requester(field);
      if (!built) throw configError(`Stream "${stream}": the AsyncRetriever needs a ${field}.`);
      return built;
    };
    const extractor = (m: unknown): DpathExtractor | undefined =>
      isMapping(m)
        ? new DpathExtractor((m.field_path as unknown[]) ?? [], {
            ...parameters,
            ...((m.$parameters as Mapping) ?? {}),
          })
        : undefined;
    this.creation = required('creation_requester');
    this.polling = required('polling_requester');
    this.download = required('download_requester');
    this.downloadTarget = requester('download_target_requester');
    this.abort = requester('abort_requester');
    this.remove = requester('delete_requester');
    this.decoder = decoderFrom(model.decoder as Mapping | undefined);
    this.downloadDecoder = decoderFrom(model.download_decoder as Mapping | undefined);
    const status = extractor(model.status_extractor);
    if (!status) throw configError(`Stream "${stream}": the AsyncRetriever needs a status_extractor.`);
    this.statusExtractor = status;
    this.targetExtractor = extractor(model.download_target_extractor);
    if (this.downloadTarget && !this.targetExtractor)
      throw configError(`Stream "${stream}": a download_target_requester needs a download_target_extractor.`);
    this.downloadExtractor = extractor(model.download_extractor) ?? new DpathExtractor([], parameters);
    this.downloadPaginator = paginatorFrom(
      model.download_paginator as Mapping | undefined,
      parameters,
      config,
    );
    const mapping = isMapping(model.status_mapping) ? model.status_mapping : {};
    for (const kind of STATUSES) {
      for (const apiStatus of Array.isArray(mapping[kind]) ? mapping[kind] : [])
        this.statusOf.set(String(apiStatus), kind);
    }
    const minutes =
      model.polling_job_timeout === undefined
        ? 60
        : Number(Interpolated.of(String(model.polling_job_timeout)).eval(config));
    this.timeoutMs = (Number.isFinite(minutes) && minutes > 0 ? minutes : 60) * 60_000;
    const wait =
      model.failed_retry_wait_time_in_seconds === undefined
        ? 0
        : Number(Interpolated.of(String(model.failed_retry_wait_time_in_seconds)).eval(config));
    this.failedWaitMs = Number.isFinite(wait) && wait > 0 ? wait * 1000 : 0;
  }

  private async send(
    requester: Requester,
    slice: StreamSlice,
    config: Config,
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    const request = requester.build(config, sliceScope(slice), [], undefined, slice.extra);
    return requester.send(request, signal, this.stream);
  }

  private status(response: HttpResponse, config: Config): JobStatus {
    const apiStatus = this.statusExtractor.extract(this.decoder.decode(response)[0] ?? {}, config)[0];
    const status = this.statusOf.get(pythonStr(apiStatus));
    if (!status)
      throw systemError(
        `Stream "${this.stream}": the API reported the job status ${JSON.stringify(apiStatus ?? null)}, which the manifest's status_mapping does not list (${[...this.statusOf.keys()].join(', ')}).`,
      );
    return status;
  }

  /** Runs the slice's job to its end and yields the downloaded records, page by page (extracted, not yet filtered). */
  async *pages(config: Config, slice: StreamSlice, signal: AbortSignal): AsyncGenerator<Mapping[]> {
    let last: JobStatus = 'failed';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const created = await this.send(this.creation, slice, config, signal);
      const jobSlice = withExtra(slice, { creation_response: responseContext(created, this.decoder) });
      const started = this.timing.now();
      let polled = await this.send(this.polling, jobSlice, config, signal);
      let status = this.status(polled, config);
      while (status === 'running') {
        if (this.timing.now() - started >= this.timeoutMs) {
          status = 'timeout';
          break;
        }
        await this.timing.sleep(this.timing.pollIntervalMs, signal);
        polled = await this.send(this.polling, jobSlice, config, signal);
        status = this.status(polled, config);
      }
      last = status;
      if (status === 'skipped') return;
      if (status === 'completed') {
        yield* this.downloadAll(config, jobSlice, polled, signal);
        if (this.remove) await this.send(this.remove, jobSlice, config, signal);
        return;
      }
      if (status === 'timeout' && this.abort) await this.send(this.abort, jobSlice, config, signal);
      if (status === 'failed' && this.failedWaitMs > 0 && attempt < MAX_ATTEMPTS)
        await this.timing.sleep(this.failedWaitMs, signal);
    }
    throw systemError(
      `Stream "${this.stream}": the API's job for ${JSON.stringify(sliceView(slice))} ended ${last === 'timeout' ? 'timed out' : 'failed'} ${MAX_ATTEMPTS} times in a row.`,
    );
  }

  private async *downloadAll(
    config: Config,
    jobSlice: StreamSlice,
    polled: HttpResponse,
    signal: AbortSignal,
  ): AsyncGenerator<Mapping[]> {
    const polling_response = responseContext(polled, this.decoder);
    let targets: unknown[] = [''];
    if (this.targetExtractor) {
      const answer = this.downloadTarget
        ? await this.send(this.downloadTarget, sliceOf({}, {}, { polling_response }), config, signal)
        : polled;
      targets = this.targetExtractor.extract(this.decoder.decode(answer)[0] ?? {}, config);
    }
    for (const download_target of targets) {
      const slice = withExtra(jobSlice, { download_target, polling_response });
      const base = sliceScope(slice);
      let token = this.downloadPaginator.initialToken();
      for (;;) {
        signal.throwIfAborted();
        const scope = {
          ...base,
          next_page_token: token === undefined || token === null ? null : { next_page_token: token },
        };
        const request = this.download.build(
          config,
          scope,
          [this.downloadPaginator.requestParts(token, config)],
          this.downloadPaginator.path(token),
          slice.extra,
        );
        const response = await this.download.send(request, signal, this.stream);
        if (response.ignored) break;
        const bodies = this.downloadDecoder.decode(response);
        const records = bodies
          .flatMap((body) => this.downloadExtractor.extract(body, config))
          .filter(isMapping);
        yield records;
        const next = this.downloadPaginator.next({
          response,
          body: bodies[0] ?? {},
          headers: { ...response.headers },
          extracted: records,
          lastPageSize: records.length,
          lastRecord: records.at(-1),
          lastToken: token,
          sliceScope: base,
        });
        if (next === undefined || next === null) break;
        token = next;
      }
    }
  }
}
