// The errors of the HTTP family, in one place. Everything thrown is a ConveyorError (config,
// transient or system) so the engine knows what to do; `NetworkError` is the one subclass, because
// a caller (the client's classifier) acts on its kind. Also the helpers that make a request safe to
// print: its method and URL without the query string (where keys travel) and a short, masked body.

import { describeUrl } from '@conveyor/cdk';
import { ConveyorError, type ConveyorErrorOptions, SecretMasker } from '@conveyor/protocol';
import type { HttpRequest, HttpResponse } from './types.js';

/** Why a request got no response at all. */
export type NetworkErrorKind = 'timeout' | 'refused' | 'reset' | 'dns' | 'aborted' | 'other';

/** A request that got no HTTP response. Transient: the client retries it unless it was aborted. */
export class NetworkError extends ConveyorError {
  readonly kind: NetworkErrorKind;

  constructor(
    kind: NetworkErrorKind,
    message: string,
    options: { cause?: unknown; internalMessage?: string } = {},
  ) {
    super(message, { failureType: 'transient_error', ...options });
    this.name = 'NetworkError';
    this.kind = kind;
  }
}

/** An HTTP answer that ended the request: a failure the classifier chose, or retries exhausted. */
export class HttpResponseError extends ConveyorError {
  /** the last HTTP status; undefined when the last attempt got no response */
  readonly status: number | undefined;
  /** how many times the request was sent */
  readonly attempts: number;
  readonly response: HttpResponse | undefined;

  constructor(
    message: string,
    options: ConveyorErrorOptions & { status?: number; attempts: number; response?: HttpResponse },
  ) {
    super(message, options);
    this.name = 'HttpResponseError';
    this.status = options.status;
    this.attempts = options.attempts;
    this.response = options.response;
  }
}

/** `GET https://host/path`: what a person needs to find the request, never its query string. */
export function describeRequest(request: Pick<HttpRequest, 'method' | 'url'>): string {
  return `${request.method} ${describeUrl(request.url)}`;
}

const SENSITIVE_HEADER = /auth|key|token|secret|session|cookie|password|signature/i;

/**
 * A masker for text a server may have echoed back: the request's credential-looking header values
 * and its query parameter values (a key in the query string is as secret as one in a header).
 */
export function requestMasker(
  request: HttpRequest,
  extra?: { mask(text: string): string },
): (text: string) => string {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (!SENSITIVE_HEADER.test(name)) continue;
    secrets.push(value);
    // "Bearer abc" / "Basic abc": the credential alone may be echoed too
    const space = value.indexOf(' ');
    if (space > 0) secrets.push(value.slice(space + 1));
  }
  try {
    for (const value of new URL(request.url).searchParams.values())
      if (value.length >= 4) secrets.push(value);
  } catch {
    // an invalid URL has no query to mask
  }
  const masker = new SecretMasker(secrets);
  return (text) => masker.mask(extra ? extra.mask(text) : text);
}

const SNIPPET_CHARS = 200;

/** The start of a response body as one line of at most 200 characters, masked; '' for an empty body. */
export function bodySnippet(response: HttpResponse, mask: (text: string) => string): string {
  if (response.body.byteLength === 0) return '';
  // decode a little more than needed: multi-byte characters and masking change the length
  const head = Buffer.from(
    response.body.buffer,
    response.body.byteOffset,
    Math.min(response.body.byteLength, 4096),
  );
  const text = mask(head.toString('utf8')).replace(/\s+/g, ' ').trim();
  return text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS - 1)}…` : text;
}

/** `Stream "users": ` when a stream is named, else nothing: the prefix of every client error. */
export function streamPrefix(stream: string | undefined): string {
  return stream ? `Stream "${stream}": ` : '';
}
