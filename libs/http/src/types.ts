// The contracts of the HTTP family: what a request and a response are, the transport that carries
// them (injectable, so tests never need a network), and the pluggable parts a client is built
// from (authenticator, response classifier, backoff, request budget). The declarative engine maps
// manifest components onto these; code connectors use them directly.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface HttpRequest {
  method: HttpMethod;
  /** absolute URL, query string included */
  url: string;
  /** header names as given; the transport sends them as they are */
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** per-attempt timeout; the client's default when absent */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  /** lower-cased header names; repeated headers joined with ", " */
  headers: Record<string, string>;
  body: Uint8Array;
  /** the URL that answered (after redirects) */
  url: string;
  /** the request that produced this response (after authentication was applied) */
  request: HttpRequest;
  /**
   * Set by HttpClient when the classifier answered `ignore`: the caller decides what an ignored
   * response means (`paginate` reads no records from an ignored error response and stops).
   */
  ignored?: { message: string };
}

/** Carries one request. Throws only for network-level failures (refused, reset, DNS, timeout, abort). */
export type HttpTransport = (request: HttpRequest, signal?: AbortSignal) => Promise<HttpResponse>;

/** Adds credentials to a request; may fetch or refresh a token first. */
export interface Authenticator {
  apply(request: HttpRequest, signal?: AbortSignal): Promise<HttpRequest>;
  /**
   * Called after a 401: drop any cached token so the next `apply` fetches a new one. Returns false
   * when there is nothing to refresh (static credentials), so the client fails instead of retrying.
   * `rejected` is the request the server refused: when its credentials are already stale (another
   * request refreshed meanwhile), an authenticator can keep its new token instead of refreshing twice.
   */
  invalidate?(rejected?: HttpRequest): boolean;
}

/** What to do with a response (or a network failure, `response` undefined). */
export type ResponseAction =
  | { action: 'success' }
  /** drop this response's records and go on (for example 404 for a deleted parent) */
  | { action: 'ignore'; message?: string }
  | {
      action: 'retry';
      message?: string;
      /** overrides the backoff strategy for this attempt */ backoffMs?: number;
      /** the failure type reported once retries are exhausted (default 'transient') */
      failureType?: 'config' | 'transient' | 'system';
    }
  | { action: 'fail'; failureType: 'config' | 'transient' | 'system'; message?: string };

export type ResponseClassifier = (
  response: HttpResponse | undefined,
  error: unknown,
  attempt: number,
) => ResponseAction;

/** Milliseconds to wait before retry number `attempt` (1-based); undefined → the default strategy. */
export type BackoffStrategy = (attempt: number, response: HttpResponse | undefined) => number | undefined;

/** Waits until one more request may be sent (a rate limit shared by every request of a connector). */
export interface RequestBudget {
  acquire(request: HttpRequest, signal?: AbortSignal): Promise<void>;
}

/** Time, injectable so retry and budget tests run instantly. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
