// Transports for tests: `scriptedTransport` answers from a list or a function instead of a network,
// `replayTransport` answers recorded exchanges and fails on the first request that differs, and
// `recordingTransport` wraps any transport and keeps every exchange. Exported (not test-only)
// because connector tests and the declarative engine's tests build their clients on them too.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { systemError } from '@conveyor/protocol';
import { describeRequest, NetworkError, type NetworkErrorKind } from './errors.js';
import type { HttpRequest, HttpResponse, HttpTransport } from './types.js';

/** One scripted answer: a response (JSON, text or bytes), or a network failure of some kind. */
export type ScriptedAnswer =
  | {
      status?: number;
      headers?: Record<string, string>;
      /** a JSON body (sets content-type: application/json unless headers say otherwise) */
      json?: unknown;
      body?: string | Uint8Array;
      /** answer after this many milliseconds of real time (a timeout test's slow server) */
      delayMs?: number;
    }
  | { networkError: NetworkErrorKind };

export type Script =
  | readonly ScriptedAnswer[]
  | ((request: HttpRequest, index: number) => ScriptedAnswer | Promise<ScriptedAnswer>);

/** A transport that also lists the requests it was sent, in order. */
export interface ScriptedTransport extends HttpTransport {
  readonly requests: HttpRequest[];
}

const encoder = new TextEncoder();

function toResponse(
  request: HttpRequest,
  answer: Exclude<ScriptedAnswer, { networkError: NetworkErrorKind }>,
): HttpResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers ?? {})) headers[name.toLowerCase()] = value;
  let body: Uint8Array;
  if (answer.json !== undefined) {
    body = encoder.encode(JSON.stringify(answer.json));
    headers['content-type'] ??= 'application/json';
  } else if (typeof answer.body === 'string') body = encoder.encode(answer.body);
  else body = answer.body ?? new Uint8Array(0);
  return { status: answer.status ?? 200, headers, body, url: request.url, request };
}

function delay(ms: number, signal: AbortSignal | undefined, request: HttpRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = () => {
      clearTimeout(timer);
      reject(
        new NetworkError(
          signal?.reason?.name === 'TimeoutError' ? 'timeout' : 'aborted',
          `${describeRequest(request)} got no response: cancelled.`,
        ),
      );
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort, { once: true });
  });
}

/** A transport answering from `script`: the i-th request gets the i-th answer (or `script(request, i)`). */
export function scriptedTransport(script: Script): ScriptedTransport {
  const requests: HttpRequest[] = [];
  const transport = async (request: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> => {
    const index = requests.length;
    requests.push(request);
    let answer: ScriptedAnswer | undefined;
    if (typeof script === 'function') answer = await script(request, index);
    else {
      answer = script[index];
      if (answer === undefined)
        throw systemError(
          `The scripted transport has ${script.length} answers but got request ${index + 1} (${describeRequest(request)}); add answers to the test's script.`,
        );
    }
    if ('networkError' in answer)
      throw new NetworkError(
        answer.networkError,
        `${describeRequest(request)} got no response: scripted ${answer.networkError}.`,
      );
    if (answer.delayMs) await delay(answer.delayMs, signal, request);
    return toResponse(request, answer);
  };
  return Object.assign(transport, { requests });
}

/** One recorded request → response pair, as a connector's test fixture holds it. */
export interface RecordedExchange {
  request: { method: string; url: string };
  response: { status?: number; headers?: Record<string, string>; json?: unknown; body?: string };
}

/** The exchanges of a fixture file: JSON of the shape `{ "exchanges": [...] }`. */
export function readExchanges(file: URL | string): RecordedExchange[] {
  const path = typeof file === 'string' ? file : fileURLToPath(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw systemError(
      `Cannot read the exchanges fixture ${path}: ${error instanceof Error ? error.message : String(error)}. Check that the file exists and holds JSON.`,
      { cause: error },
    );
  }
  const exchanges = (parsed as { exchanges?: unknown } | null)?.exchanges;
  if (!Array.isArray(exchanges))
    throw systemError(
      `The exchanges fixture ${path} has no "exchanges" list; write it as { "exchanges": [{ "request": ..., "response": ... }] }.`,
    );
  return exchanges as RecordedExchange[];
}

/** Method, origin, path and the query sorted by name: the order of query parameters carries no meaning. */
function requestKey(method: string, url: string): string {
  const u = new URL(url);
  const query = [...u.searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${method} ${u.origin}${u.pathname}${query.length ? `?${new URLSearchParams(query)}` : ''}`;
}

/**
 * A transport answering the n-th request with the n-th exchange's response, when the request has
 * that exchange's method and URL (query parameters in any order). A request that differs, or one
 * past the last exchange, gets a 400 whose body names both: a 400 is not retried, so the read ends
 * at once with that text, at the first request the connector sends differently.
 */
export function replayTransport(exchanges: readonly RecordedExchange[]): ScriptedTransport {
  return scriptedTransport((request, index) => {
    const expected = exchanges[index];
    const got = requestKey(request.method, request.url);
    const want = expected && requestKey(expected.request.method, expected.request.url);
    if (!expected || got !== want) {
      return {
        status: 400,
        body: `fixture mismatch at request ${index + 1}: got ${got}, the fixture has ${want ?? 'no more requests'}`,
      };
    }
    return expected.response;
  });
}

/** One request a recording transport saw, and what came of it. */
export interface Exchange {
  request: HttpRequest;
  response?: HttpResponse;
  error?: unknown;
}

export interface RecordingTransport extends HttpTransport {
  readonly exchanges: Exchange[];
}

/** Wraps `inner`, keeping every request with its response or error. */
export function recordingTransport(inner: HttpTransport): RecordingTransport {
  const exchanges: Exchange[] = [];
  const transport = async (request: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> => {
    const exchange: Exchange = { request };
    exchanges.push(exchange);
    try {
      exchange.response = await inner(request, signal);
      return exchange.response;
    } catch (error) {
      exchange.error = error;
      throw error;
    }
  };
  return Object.assign(transport, { exchanges });
}
