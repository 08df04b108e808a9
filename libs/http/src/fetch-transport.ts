// The real transport: one request over undici's fetch, through the proxy that HTTP(S)_PROXY and
// NO_PROXY name (the CDK's rule, shared, so recording and replaying traffic works the same for every
// connector). It carries a request and nothing more: no retries, no classification, no auth. What
// fetch does to bodies it still does (a gzip Content-Encoding is decoded), so `body` is what the API
// meant to send. A request that gets no response throws a NetworkError saying why, without the
// URL's query string. fetch refuses a body on GET (some APIs want one, and Python clients send it),
// so such a request goes through undici's lower-level `request`, decoded the same way.

import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { proxyFor } from '@conveyor/cdk';
import { type Dispatcher, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { describeRequest, NetworkError, type NetworkErrorKind } from './errors.js';
import type { HttpRequest, HttpResponse, HttpTransport } from './types.js';

export interface FetchTransportOptions {
  /** per-attempt timeout when the request sets none; default none (the client always sets one) */
  timeoutMs?: number;
  /** send every request through this dispatcher instead of the proxy rule (tests, custom TLS) */
  dispatcher?: Dispatcher;
}

const CODE_KINDS: Record<string, NetworkErrorKind> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
};

const KIND_WORDS: Record<NetworkErrorKind, string> = {
  timeout: 'timed out',
  refused: 'connection refused',
  reset: 'connection reset',
  dns: 'host name not found',
  aborted: 'cancelled',
  other: 'network error',
};

/** The innermost error code of a fetch failure (undici wraps the socket error in `cause`). */
function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function networkError(
  request: HttpRequest,
  error: unknown,
  caller: AbortSignal | undefined,
  timeout: AbortSignal | undefined,
  timeoutMs: number | undefined,
): NetworkError {
  const kind: NetworkErrorKind = caller?.aborted
    ? 'aborted'
    : timeout?.aborted
      ? 'timeout'
      : (CODE_KINDS[errorCode(error) ?? ''] ?? 'other');
  const detail =
    kind === 'timeout' && timeout?.aborted ? `no complete answer within ${timeoutMs} ms` : KIND_WORDS[kind];
  const code = errorCode(error);
  return new NetworkError(
    kind,
    `${describeRequest(request)} got no response: ${detail}${code ? ` (${code})` : ''}.`,
    {
      cause: error,
    },
  );
}

/** Joins repeated headers with ", " under their lower-cased names. */
function headerRecord(headers: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}

/** A transport over undici fetch, honouring HTTP(S)_PROXY / NO_PROXY. */
export function fetchTransport(options: FetchTransportOptions = {}): HttpTransport {
  return async (request, signal) => {
    const timeoutMs = request.timeoutMs ?? options.timeoutMs;
    const timeout = timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : undefined;
    const combined = timeout && signal ? AbortSignal.any([signal, timeout]) : (timeout ?? signal);
    if (signal?.aborted) throw networkError(request, signal.reason, signal, timeout, timeoutMs);
    const dispatcher = options.dispatcher ?? proxyFor(request.url);
    try {
      if ((request.method === 'GET' || request.method === 'HEAD') && request.body !== undefined) {
        return await withBody(request, combined, dispatcher);
      }
      const res = await undiciFetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        ...(combined ? { signal: combined } : {}),
        ...(dispatcher ? { dispatcher } : {}),
      });
      const body = new Uint8Array(await res.arrayBuffer());
      const response: HttpResponse = {
        status: res.status,
        headers: headerRecord(res.headers),
        body,
        url: res.url || request.url,
        request,
      };
      return response;
    } catch (error) {
      throw networkError(request, error, signal, timeout, timeoutMs);
    }
  };
}

/** A GET or HEAD that carries a body, through undici's `request` (redirects followed, body decoded). */
async function withBody(
  request: HttpRequest,
  signal: AbortSignal | undefined,
  dispatcher: Dispatcher | undefined,
): Promise<HttpResponse> {
  const res = await undiciRequest(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    maxRedirections: 5,
    ...(signal ? { signal } : {}),
    ...(dispatcher ? { dispatcher } : {}),
  });
  let body = new Uint8Array(await res.body.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (body.length > 0 && encoding === 'gzip') body = new Uint8Array(gunzipSync(body));
  else if (body.length > 0 && encoding === 'deflate') body = new Uint8Array(inflateSync(body));
  else if (body.length > 0 && encoding === 'br') body = new Uint8Array(brotliDecompressSync(body));
  return { status: res.statusCode, headers, body, url: request.url, request };
}
