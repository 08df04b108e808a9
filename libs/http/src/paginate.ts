// Reading every page of a paginated endpoint as an async generator of pages. Each page comes with
// the token that fetched it and the token of the next one, so a caller can checkpoint `nextToken`
// after handling a page (resumable full refresh) and later pass it back as `startToken`.

import { systemError } from '@conveyor/protocol';
import { describeRequest, streamPrefix } from './errors.js';
import type { PageToken, PaginationStrategy } from './pagination.js';
import type { HttpRequest, HttpResponse } from './types.js';

export interface PaginateOptions<T> {
  client: {
    send(request: HttpRequest, options?: { signal?: AbortSignal; stream?: string }): Promise<HttpResponse>;
  };
  /** the request for a page: `token` undefined for a first request without one */
  request: (token: PageToken | undefined) => HttpRequest;
  strategy: PaginationStrategy;
  extract: (response: HttpResponse) => readonly T[] | Promise<readonly T[]>;
  /** resume from a checkpointed `nextToken` instead of the first page */
  startToken?: PageToken;
  signal?: AbortSignal;
  stream?: string;
}

export interface PageOf<T> {
  records: readonly T[];
  response: HttpResponse;
  /** the token that fetched this page */
  token: PageToken | undefined;
  /** the next page's token; undefined on the last page */
  nextToken: PageToken | undefined;
}

const sameToken = (a: PageToken | undefined, b: PageToken | undefined) =>
  a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);

/**
 * Every page, in order. An ignored error response (the classifier said `ignore`) ends the
 * pagination with an empty page, as the reference does; an ignored success is read as usual.
 * A next token equal to the current one would loop forever, so it fails instead.
 */
export async function* paginate<T>(options: PaginateOptions<T>): AsyncGenerator<PageOf<T>, void, undefined> {
  const { client, strategy, signal, stream } = options;
  strategy.reset?.();
  let token = options.startToken ?? strategy.initialToken();
  for (;;) {
    signal?.throwIfAborted();
    const request = options.request(token);
    const sendOptions = { ...(signal ? { signal } : {}), ...(stream ? { stream } : {}) };
    const response = await client.send(request, sendOptions);
    if (response.ignored && (response.status >= 400 || response.status === 0)) {
      yield { records: [], response, token, nextToken: undefined };
      return;
    }
    const records = await options.extract(response);
    const nextToken = strategy.nextToken({ response, records, lastRecord: records.at(-1), token });
    if (sameToken(nextToken, token))
      throw systemError(
        `${streamPrefix(stream)}${describeRequest(request)} answered with the same next-page token as the page before; stopping instead of reading the same page forever. Check the pagination settings.`,
        stream ? { stream: { name: stream } } : {},
      );
    yield { records, response, token, nextToken };
    if (nextToken === undefined) return;
    token = nextToken;
  }
}
