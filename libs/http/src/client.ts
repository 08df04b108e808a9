// The one HTTP client of the family. Every request goes the same way: wait for the request budget,
// let the authenticator add credentials, send through the transport, classify the answer, and
// retry with backoff until it succeeds, the classifier gives up, or the retries run out. Errors name
// the stream, the request (never its query string), the last status and the start of the body,
// masked, so a person can act on them without turning on debug logs.

import { ConveyorError, configError } from '@conveyor/protocol';
import { defaultBackoff, defaultClassifier } from './classify.js';
import { systemClock } from './clock.js';
import {
  bodySnippet,
  describeRequest,
  HttpResponseError,
  NetworkError,
  requestMasker,
  streamPrefix,
} from './errors.js';
import { fetchTransport } from './fetch-transport.js';
import type {
  Authenticator,
  BackoffStrategy,
  Clock,
  HttpRequest,
  HttpResponse,
  HttpTransport,
  RequestBudget,
  ResponseClassifier,
} from './types.js';

/** Where the client says what it does (retries, refreshed credentials, ignored answers). */
export interface HttpLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export interface HttpClientOptions {
  /** default: fetchTransport() (undici, honouring HTTP(S)_PROXY / NO_PROXY) */
  transport?: HttpTransport;
  authenticator?: Authenticator;
  /** default: defaultClassifier (the reference CDK's default error mapping) */
  classify?: ResponseClassifier;
  /** asked first for each retry's wait; when it answers undefined, the default applies (Retry-After, else 1 s·2^(n−1)) */
  backoff?: BackoffStrategy;
  /** retries after the first attempt; default 5 */
  maxRetries?: number;
  /** stop retrying when the next wait would end past this much time since the first attempt; default 600 000 (10 min) */
  maxRetryTimeMs?: number;
  /** per-attempt timeout (headers and whole body); default 300 000 (5 min, undici's own limits) */
  timeoutMs?: number;
  budget?: RequestBudget;
  clock?: Clock;
  logger?: HttpLogger;
  /** masks text before it goes into an error or a log line (the connector's secret masker) */
  masker?: { mask(text: string): string };
  /** names the stream in every error; `send` can override it per request */
  stream?: string;
  /** how a request is named in errors and logs; default `METHOD origin/path` */
  describe?: (request: HttpRequest) => string;
}

export interface SendOptions {
  signal?: AbortSignal;
  /** the stream this request reads, for error messages */
  stream?: string;
}

const FAILURE_TYPES = {
  config: 'config_error',
  transient: 'transient_error',
  system: 'system_error',
} as const;

const quiet: HttpLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined };

export class HttpClient {
  private readonly transport: HttpTransport;
  private readonly authenticator: Authenticator | undefined;
  private readonly classify: ResponseClassifier;
  private readonly backoff: BackoffStrategy | undefined;
  private readonly fallbackBackoff: BackoffStrategy;
  private readonly maxRetries: number;
  private readonly maxRetryTimeMs: number;
  private readonly timeoutMs: number;
  private readonly budget: RequestBudget | undefined;
  private readonly clock: Clock;
  private readonly logger: HttpLogger;
  private readonly masker: { mask(text: string): string } | undefined;
  private readonly stream: string | undefined;
  private readonly describe: (request: HttpRequest) => string;

  constructor(options: HttpClientOptions = {}) {
    this.transport = options.transport ?? fetchTransport();
    this.authenticator = options.authenticator;
    this.classify = options.classify ?? defaultClassifier;
    this.backoff = options.backoff;
    this.clock = options.clock ?? systemClock;
    this.fallbackBackoff = defaultBackoff(this.clock);
    this.maxRetries = options.maxRetries ?? 5;
    this.maxRetryTimeMs = options.maxRetryTimeMs ?? 600_000;
    this.timeoutMs = options.timeoutMs ?? 300_000;
    this.budget = options.budget;
    this.logger = options.logger ?? quiet;
    this.masker = options.masker;
    this.stream = options.stream;
    this.describe = options.describe ?? describeRequest;
  }

  /**
   * Sends `request` until it succeeds or fails for good. Resolves with the response for `success`
   * and for `ignore` (then `response.ignored` is set; a network failure that is ignored resolves
   * with status 0 and an empty body). Throws a ConveyorError otherwise: an HttpResponseError for an
   * HTTP answer, a NetworkError when the last attempt got none, the signal's reason when aborted.
   */
  async send(request: HttpRequest, options: SendOptions = {}): Promise<HttpResponse> {
    const { signal } = options;
    const stream = options.stream ?? this.stream;
    const where = this.describe(request);
    try {
      new URL(request.url);
    } catch {
      throw configError(
        `${streamPrefix(stream)}"${where}" is not a valid URL; check the base URL in the config.`,
        {
          ...(stream ? { stream: { name: stream } } : {}),
        },
      );
    }
    const started = this.clock.now();
    let attempts = 0;
    let retries = 0;
    let reauthenticated = false;
    for (;;) {
      signal?.throwIfAborted();
      await this.budget?.acquire(request, signal);
      const authed = this.authenticator ? await this.authenticator.apply(request, signal) : request;
      const sent: HttpRequest =
        authed.timeoutMs === undefined ? { ...authed, timeoutMs: this.timeoutMs } : authed;
      attempts++;
      let response: HttpResponse | undefined;
      let error: unknown;
      try {
        response = await this.transport(sent, signal);
      } catch (caught) {
        signal?.throwIfAborted();
        if (caught instanceof ConveyorError && !(caught instanceof NetworkError)) throw caught;
        error =
          caught instanceof NetworkError
            ? caught
            : new NetworkError(
                'other',
                `${where} got no response: ${String((caught as Error)?.message ?? caught)}.`,
                {
                  cause: caught,
                },
              );
      }
      const action = this.classify(response, error, attempts);

      // A 401 may only mean the token expired: refresh once (when the authenticator can) and resend at once.
      if (
        response?.status === 401 &&
        (action.action === 'fail' || action.action === 'retry') &&
        !reauthenticated &&
        this.authenticator?.invalidate?.(sent)
      ) {
        reauthenticated = true;
        this.logger.info(`${where} answered HTTP 401; refreshing the credentials and sending it again.`);
        continue;
      }

      switch (action.action) {
        case 'success':
          if (response) return response;
          // a classifier that calls a network failure a success: nothing to return but an empty answer
          return this.emptyResponse(sent, 'the request got no response');
        case 'ignore': {
          const message =
            action.message ?? `ignored HTTP ${response?.status ?? 'network failure'} from ${where}`;
          this.logger.info(this.mask(sent, message));
          return response ? { ...response, ignored: { message } } : this.emptyResponse(sent, message);
        }
        case 'fail':
          throw this.failure(
            sent,
            response,
            error,
            action.failureType,
            action.message,
            attempts,
            stream,
            false,
          );
        case 'retry': {
          retries++;
          const failureType = action.failureType ?? 'transient';
          if (retries > this.maxRetries)
            throw this.failure(sent, response, error, failureType, action.message, attempts, stream, true);
          const wait = Math.max(
            0,
            action.backoffMs ??
              this.backoff?.(retries, response) ??
              this.fallbackBackoff(retries, response) ??
              0,
          );
          if (this.clock.now() + wait - started > this.maxRetryTimeMs)
            throw this.failure(sent, response, error, failureType, action.message, attempts, stream, true);
          const what = response ? `answered HTTP ${response.status}` : 'got no response';
          this.logger.info(
            this.mask(
              sent,
              `${streamPrefix(stream)}${where} ${what}${action.message ? ` (${action.message})` : ''}; retry ${retries} of ${this.maxRetries} in ${(wait / 1000).toFixed(1)} s.`,
            ),
          );
          await this.clock.sleep(wait, signal);
        }
      }
    }
  }

  private mask(request: HttpRequest, text: string): string {
    return requestMasker(request, this.masker)(text);
  }

  private emptyResponse(request: HttpRequest, message: string): HttpResponse {
    return {
      status: 0,
      headers: {},
      body: new Uint8Array(0),
      url: request.url,
      request,
      ignored: { message },
    };
  }

  private failure(
    request: HttpRequest,
    response: HttpResponse | undefined,
    error: unknown,
    failureType: 'config' | 'transient' | 'system',
    reason: string | undefined,
    attempts: number,
    stream: string | undefined,
    exhausted: boolean,
  ): ConveyorError {
    const mask = requestMasker(request, this.masker);
    const where = this.describe(request);
    const prefix = streamPrefix(stream);
    let what: string;
    if (response) {
      const snippet = bodySnippet(response, mask);
      what = `HTTP ${response.status}${reason ? ` (${reason})` : ''}${snippet ? `; the body began: "${snippet}"` : '; the body was empty'}`;
    } else {
      const detail =
        error instanceof NetworkError ? error.message.replace(/^.*? got no response: /, '') : String(error);
      what = `no response (${detail.replace(/\.$/, '')})`;
    }
    const advice =
      failureType === 'config'
        ? 'Check the credentials and settings in the config.'
        : failureType === 'transient'
          ? response?.status === 429
            ? "The API's rate limit did not reset in time; try again later or lower the request rate."
            : 'The API kept failing; try again later.'
          : 'This looks like a bug in the connector or an API change; report it with this message.';
    const message = exhausted
      ? `${prefix}${where} failed after ${attempts} attempts; the last one got ${what}. ${advice}`
      : `${prefix}${where} got ${what}. ${advice}`;
    return new HttpResponseError(mask(message), {
      failureType: FAILURE_TYPES[failureType],
      ...(stream ? { stream: { name: stream } } : {}),
      ...(error !== undefined ? { cause: error } : {}),
      ...(response ? { status: response.status, response } : {}),
      attempts,
    });
  }
}
