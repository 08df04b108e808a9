// What a response means and how long to wait before trying again. The default classification
// follows the reference CDK's default error mapping, so a connector ported from it fails and retries
// on the same answers; the backoff strategies are small functions the client and the declarative
// engine's backoff components are built from.
//
//   status / failure          action  failure type when it ends the sync
//   < 400                     success
//   400, 404, 405             fail    system (the request is wrong: a bug in the connector)
//   401, 403                  fail    config (credentials or permissions)
//   408, 429, 500/502/503/504 retry   transient
//   network error             retry   transient
//   anything else             retry   system (unexpected: retried, then reported as a bug)

import { NetworkError } from './errors.js';
import type { BackoffStrategy, Clock, HttpResponse, ResponseAction, ResponseClassifier } from './types.js';

const FAILURES: Record<number, ResponseAction> = {
  400: { action: 'fail', failureType: 'system', message: 'bad request; the request parameters are wrong' },
  401: {
    action: 'fail',
    failureType: 'config',
    message: 'unauthorized; check the credentials in the config (the key or token may be wrong or expired)',
  },
  403: {
    action: 'fail',
    failureType: 'config',
    message: 'forbidden; the credentials are valid but lack permission for this resource',
  },
  404: { action: 'fail', failureType: 'system', message: 'not found; check the base URL and the path' },
  405: { action: 'fail', failureType: 'system', message: 'method not allowed' },
  408: { action: 'retry', failureType: 'transient', message: 'request timeout' },
  429: { action: 'retry', failureType: 'transient', message: 'too many requests (the API rate limit)' },
  500: { action: 'retry', failureType: 'transient', message: 'internal server error' },
  502: { action: 'retry', failureType: 'transient', message: 'bad gateway' },
  503: { action: 'retry', failureType: 'transient', message: 'service unavailable' },
  504: { action: 'retry', failureType: 'transient', message: 'gateway timeout' },
};

/** The default classification (table above). Aborted requests are not retried. */
export const defaultClassifier: ResponseClassifier = (response, error) => {
  if (!response) {
    if (error instanceof NetworkError && error.kind === 'aborted')
      return { action: 'fail', failureType: 'transient', message: 'the request was cancelled' };
    return { action: 'retry', failureType: 'transient', message: 'no response (network error)' };
  }
  if (response.status < 400) return { action: 'success' };
  return (
    FAILURES[response.status] ?? {
      action: 'retry',
      failureType: 'system',
      message: `unexpected HTTP status ${response.status}`,
    }
  );
};

/** Milliseconds a `Retry-After` value asks for: delta seconds or an HTTP date; undefined if unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Waits as long as the response's `Retry-After` header says (seconds or HTTP date). */
export function retryAfterBackoff(clock: Pick<Clock, 'now'>): BackoffStrategy {
  return (_attempt, response) => parseRetryAfter(response?.headers['retry-after'], clock.now());
}

/** factorMs × 2^attempt (attempt 1 waits 2 × factor): the reference's ExponentialBackoffStrategy. */
export function exponentialBackoff(factorMs: number): BackoffStrategy {
  return (attempt) => factorMs * 2 ** attempt;
}

/** The same wait before every retry. */
export function constantBackoff(ms: number): BackoffStrategy {
  return () => ms;
}

function headerNumber(
  response: HttpResponse | undefined,
  header: string,
  pattern?: RegExp,
): number | undefined {
  const raw = response?.headers[header.toLowerCase()];
  if (raw === undefined) return undefined;
  const text = pattern ? (pattern.exec(raw)?.[1] ?? pattern.exec(raw)?.[0]) : raw;
  const n = text === undefined ? Number.NaN : Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** Waits the number of seconds a header holds (optionally the first match of `pattern` in it). */
export function headerSecondsBackoff(options: {
  header: string;
  pattern?: RegExp;
  maxWaitMs?: number;
}): BackoffStrategy {
  return (_attempt, response) => {
    const seconds = headerNumber(response, options.header, options.pattern);
    if (seconds === undefined) return undefined;
    const ms = seconds * 1000;
    return options.maxWaitMs !== undefined ? Math.min(ms, options.maxWaitMs) : ms;
  };
}

/** Waits until the epoch second a header names (`X-RateLimit-Reset` style), at least `minWaitMs`. */
export function headerResetBackoff(options: {
  header: string;
  pattern?: RegExp;
  minWaitMs?: number;
  clock: Pick<Clock, 'now'>;
}): BackoffStrategy {
  return (_attempt, response) => {
    const epochSeconds = headerNumber(response, options.header, options.pattern);
    if (epochSeconds === undefined) return undefined;
    return Math.max(epochSeconds * 1000 - options.clock.now(), options.minWaitMs ?? 0);
  };
}

/** The first strategy that answers with a wait wins. */
export function firstBackoff(...strategies: BackoffStrategy[]): BackoffStrategy {
  return (attempt, response) => {
    for (const strategy of strategies) {
      const ms = strategy(attempt, response);
      if (ms !== undefined) return ms;
    }
    return undefined;
  };
}

/**
 * The client's default: `Retry-After` when the server sends one, else 1 s, 2 s, 4 s, 8 s, 16 s
 * (the reference client's fallback when no backoff strategy is configured).
 */
export function defaultBackoff(clock: Pick<Clock, 'now'>): BackoffStrategy {
  return firstBackoff(retryAfterBackoff(clock), (attempt) => 1000 * 2 ** (attempt - 1));
}
