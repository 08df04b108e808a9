// Transports for tests: `scriptedTransport` answers from a list or a function instead of a network,
// and `recordingTransport` wraps any transport and keeps every exchange. Exported (not test-only)
// because connector tests and the declarative engine's tests build their clients on them too.

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
