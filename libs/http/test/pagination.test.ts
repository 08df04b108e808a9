import { describe, expect, it } from 'vitest';
import {
  cursorPagination,
  HttpClient,
  type HttpRequest,
  type HttpResponse,
  linkHeaderPagination,
  nextUrlPagination,
  offsetPagination,
  type PageToken,
  type PaginationStrategy,
  pageNumberPagination,
  paginate,
  parseLinkHeader,
  responseJson,
  type ScriptedAnswer,
  scriptedTransport,
  virtualClock,
} from '../src/index.js';

const BASE = 'https://api.example.com/items';

/** Reads every page of `strategy` against an API of `total` records, returning the page tokens requested. */
async function readAll(options: {
  strategy: PaginationStrategy;
  answer: (request: HttpRequest, index: number) => ScriptedAnswer;
  request?: (token: PageToken | undefined) => HttpRequest;
  startToken?: PageToken;
}) {
  const transport = scriptedTransport(options.answer);
  const client = new HttpClient({ transport, clock: virtualClock() });
  const pages = [];
  for await (const page of paginate({
    client,
    strategy: options.strategy,
    request:
      options.request ??
      ((token) => ({
        method: 'GET',
        url: token === undefined ? BASE : `${BASE}?token=${token}`,
        headers: {},
      })),
    extract: (response) => (responseJson(response) as { items?: unknown[] }).items ?? [],
    ...(options.startToken !== undefined ? { startToken: options.startToken } : {}),
  }))
    pages.push(page);
  return { pages, urls: transport.requests.map((r) => r.url), records: pages.flatMap((p) => p.records) };
}

/** An offset API: `offset` query parameter, pages of `size`, `total` records. */
const offsetApi =
  (total: number, size: number) =>
  (request: HttpRequest): ScriptedAnswer => {
    const offset = Number(new URL(request.url).searchParams.get('token') ?? 0);
    const items = Array.from({ length: Math.max(0, Math.min(size, total - offset)) }, (_, i) => offset + i);
    return { json: { items } };
  };

describe('offsetPagination', () => {
  it('requests the first page without an offset, then adds each page size, and stops at a short page', async () => {
    const { urls, records, pages } = await readAll({
      strategy: offsetPagination({ pageSize: 10 }),
      answer: offsetApi(25, 10),
    });
    expect(urls).toEqual([BASE, `${BASE}?token=10`, `${BASE}?token=20`]);
    expect(records).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(pages.map((p) => p.nextToken)).toEqual([10, 20, undefined]);
  });

  it('sends offset 0 on the first request when asked to', async () => {
    const { urls } = await readAll({
      strategy: offsetPagination({ pageSize: 10, injectOnFirstRequest: true }),
      answer: offsetApi(5, 10),
    });
    expect(urls).toEqual([`${BASE}?token=0`]);
  });

  it('without a page size, stops only at an empty page', async () => {
    const { urls } = await readAll({ strategy: offsetPagination(), answer: offsetApi(20, 10) });
    expect(urls).toEqual([BASE, `${BASE}?token=10`, `${BASE}?token=20`]);
  });

  it('resumes from a checkpointed token', async () => {
    const { urls, records } = await readAll({
      strategy: offsetPagination({ pageSize: 10 }),
      answer: offsetApi(25, 10),
      startToken: 20,
    });
    expect(urls).toEqual([`${BASE}?token=20`]);
    expect(records).toHaveLength(5);
  });
});

describe('pageNumberPagination', () => {
  const pageApi =
    (pages: number[][], start: number) =>
    (request: HttpRequest): ScriptedAnswer => {
      const page = Number(new URL(request.url).searchParams.get('token') ?? start);
      return { json: { items: pages[page - start] ?? [] } };
    };

  it('counts pages from startFrom: no number on the first request, then startFrom + 1 ...', async () => {
    const { urls } = await readAll({
      strategy: pageNumberPagination({ startFrom: 1, pageSize: 2 }),
      answer: pageApi([[1, 2], [3, 4], [5]], 1),
    });
    expect(urls).toEqual([BASE, `${BASE}?token=2`, `${BASE}?token=3`]);
  });

  it('injects startFrom on the first request when asked, and stops at an empty page', async () => {
    const { urls } = await readAll({
      strategy: pageNumberPagination({ startFrom: 0, injectOnFirstRequest: true }),
      answer: pageApi([[1], [2], []], 0),
    });
    expect(urls).toEqual([`${BASE}?token=0`, `${BASE}?token=1`, `${BASE}?token=2`]);
  });
});

describe('cursorPagination', () => {
  const cursorApi = (request: HttpRequest): ScriptedAnswer => {
    const cursor = new URL(request.url).searchParams.get('token');
    const next = { '': 'c1', c1: 'c2', c2: null }[cursor ?? ''];
    return { json: { items: [cursor ?? 'first'], meta: { next } } };
  };
  const fromBody = (page: { response: HttpResponse }) =>
    (responseJson(page.response) as { meta: { next?: unknown } }).meta.next;

  it('follows the cursor until it is empty', async () => {
    const { urls, records } = await readAll({
      strategy: cursorPagination({ next: fromBody }),
      answer: cursorApi,
    });
    expect(urls).toEqual([BASE, `${BASE}?token=c1`, `${BASE}?token=c2`]);
    expect(records).toEqual(['first', 'c1', 'c2']);
  });

  it('stops when the stop condition holds, before reading the cursor', async () => {
    const { urls } = await readAll({
      strategy: cursorPagination({ next: fromBody, stopWhen: (page) => page.records[0] === 'c1' }),
      answer: cursorApi,
    });
    expect(urls).toEqual([BASE, `${BASE}?token=c1`]);
  });

  it('treats empty values as the end, like the reference (empty string, 0, false, {}, [])', () => {
    for (const value of ['', 0, false, {}, [], null, undefined]) {
      const strategy = cursorPagination({ next: () => value });
      expect(strategy.nextToken({ response: {} as HttpResponse, records: [1] })).toBeUndefined();
    }
  });

  it('fails instead of looping when the API returns the same cursor again', async () => {
    const pages = readAll({
      strategy: cursorPagination({ next: () => 'same' }),
      answer: () => ({ json: { items: [1] } }),
    });
    await expect(pages).rejects.toThrow(/same next-page token/);
  });
});

describe('linkHeaderPagination', () => {
  it('parses Link headers like requests does', () => {
    const links = parseLinkHeader(
      '<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last"; title="end"',
    );
    expect(links.next?.url).toBe('https://a/x?page=2');
    expect(links.last).toEqual({ url: 'https://a/x?page=9', rel: 'last', title: 'end' });
    expect(parseLinkHeader(undefined)).toEqual({});
  });

  it('follows rel="next" (resolving relative URLs) until there is none', async () => {
    const { urls } = await readAll({
      strategy: linkHeaderPagination(),
      request: (token) => ({ method: 'GET', url: token === undefined ? BASE : String(token), headers: {} }),
      answer: (_r, i) =>
        i < 2
          ? {
              json: { items: [i] },
              headers: { link: `</items?page=${i + 2}>; rel="next", </items?page=3>; rel="last"` },
            }
          : { json: { items: [i] }, headers: { link: '</items?page=1>; rel="first"' } },
    });
    expect(urls).toEqual([BASE, `${BASE}?page=2`, `${BASE}?page=3`]);
  });
});

describe('nextUrlPagination', () => {
  it('follows the URL at a body path', async () => {
    const { urls } = await readAll({
      strategy: nextUrlPagination(['paging', 'next']),
      request: (token) => ({ method: 'GET', url: token === undefined ? BASE : String(token), headers: {} }),
      answer: (_r, i) => ({ json: { items: [i], paging: { next: i < 1 ? `${BASE}?after=x${i}` : null } } }),
    });
    expect(urls).toEqual([BASE, `${BASE}?after=x0`]);
  });
});

describe('paginate', () => {
  it('ends with an empty page when the response was ignored', async () => {
    const transport = scriptedTransport([{ status: 404, json: { items: [1, 2] } }]);
    const client = new HttpClient({
      transport,
      classify: (r) => (r?.status === 404 ? { action: 'ignore' } : { action: 'success' }),
    });
    const pages = [];
    for await (const page of paginate({
      client,
      strategy: offsetPagination(),
      request: () => ({ method: 'GET', url: BASE, headers: {} }),
      extract: () => [1, 2],
    }))
      pages.push(page);
    expect(pages).toHaveLength(1);
    expect(pages[0]?.records).toEqual([]);
    expect(pages[0]?.nextToken).toBeUndefined();
  });
});
