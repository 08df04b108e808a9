// The mock API both engines read from: node:http on 127.0.0.1, answering each request from the
// manifest's routes with fake records where the record selector looks, and pagination that ends
// after PAGES pages. A response is a pure function of the request (method, path, query, body and
// the page token in it), never of arrival order, because the reference reads streams concurrently.
// Every request is logged for the comparison.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeRecords } from './fake-data.js';
import { isObject, type Json, type JsonObject } from './manifest-model.js';
import { findRoute, PAGES, type Paging, type RecordRoute, type Route } from './mock-plan.js';
import { canonicalJson, maskTimes } from './normalize.js';
import { toXml } from './xml-body.js';

export interface LoggedRequest {
  method: string;
  path: string;
  /** query pairs, decoded, sorted */
  query: [string, string][];
  body: string;
  headers: IncomingHttpHeaders;
}

export interface MockResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const PAGE_MARK = /mockpage[-=](\d+)/;

function tokenValue(
  request: LoggedRequest,
  option: { field: string; injectInto: string } | undefined,
): string | undefined {
  if (!option) return undefined;
  const fromQuery = request.query.find(([key]) => key === option.field)?.[1];
  if (option.injectInto === 'header') {
    const header = request.headers[option.field.toLowerCase()];
    return Array.isArray(header) ? header[0] : header;
  }
  if (option.injectInto === 'request_parameter' || !request.body) return fromQuery;
  try {
    const parsed: unknown = JSON.parse(request.body);
    if (isObject(parsed) && option.field in parsed) return String(parsed[option.field]);
  } catch {
    // a form body
  }
  return new URLSearchParams(request.body).get(option.field) ?? fromQuery;
}

/** The page a request asks for, from 0, read from the page token the engine sent. */
export function pageIndex(paging: Paging, request: LoggedRequest): number {
  if (paging.kind === 'none') return 0;
  if (paging.kind === 'cursor') {
    const raw = [request.path, ...request.query.map(([k, v]) => `${k}=${v}`), request.body];
    for (const value of Object.values(request.headers)) raw.push(String(value));
    const mark = raw.map((text) => PAGE_MARK.exec(text)).find((m) => m !== null);
    return mark ? Number(mark[1]) - 1 : 0;
  }
  const value = Number(tokenValue(request, paging.option));
  if (!Number.isFinite(value)) return 0;
  if (paging.kind === 'page') return Math.max(0, value - paging.startFrom);
  return Math.floor(value / (paging.pageSize ?? 2));
}

/** How many records page `index` holds, and whether another page follows. */
export function pageContent(paging: Paging, index: number): { count: number; more: boolean } {
  switch (paging.kind) {
    case 'none':
      return { count: 2, more: false };
    case 'cursor': {
      const more = index < PAGES - 1;
      if (paging.source.in === 'last_record') return { count: more ? paging.recordsPerPage : 0, more };
      return { count: paging.recordsPerPage, more };
    }
    default:
      // a full page then a short one (or, without a known size, two pages then an empty one)
      if (paging.pageSize)
        return { count: index === 0 ? paging.pageSize : index === 1 ? 1 : 0, more: index === 0 };
      return { count: index < 2 ? 2 : 0, more: index < 2 };
  }
}

function placeOne(path: readonly string[], record: Json): Json {
  if (path.length === 0) return record;
  const [head, ...rest] = path;
  return head === '*' ? [placeOne(rest, record)] : { [head!]: placeOne(rest, record) };
}

/** The response body with `records` where a DpathExtractor with `fieldPath` finds them. */
export function placeRecords(fieldPath: readonly string[], records: JsonObject[]): Json {
  if (fieldPath.length === 0) return records;
  const [head, ...rest] = fieldPath;
  if (head === '*') return records.map((record) => placeOne(rest, record));
  return { [head!]: placeRecords(rest, records) };
}

function setPath(body: Json, path: readonly string[], value: Json): Json {
  if (path.length === 0) return value;
  const target: JsonObject = isObject(body) ? body : {};
  const [head, ...rest] = path;
  target[head!] = setPath(target[head!] ?? {}, rest, value);
  return target;
}

function seedOf(route: RecordRoute, request: LoggedRequest, index: number): string {
  const query = request.query.filter(([, value]) => !PAGE_MARK.test(value));
  return maskTimes(
    `${route.stream}|${request.method}|${request.path}|${index}|${canonicalJson(query)}|${canonicalBody(request.body)}`,
  );
}

/** A JSON body as data (key order and spacing do not matter to a server), other bodies as sent. */
function canonicalBody(body: string): string {
  try {
    return canonicalJson(JSON.parse(body));
  } catch {
    return body;
  }
}

/** The answer to one request; `origin` is `http://127.0.0.1:PORT` for URLs the mock hands out. */
export function respond(routes: readonly Route[], request: LoggedRequest, origin: string): MockResponse {
  const json = (body: Json, headers: Record<string, string> = {}): MockResponse => ({
    status: 200,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const route = findRoute(routes, request.path, request.body);
  if (!route) return json({});
  if (route.kind === 'token') return json(route.body);
  const index = pageIndex(route.paging, request);
  const { count, more } = pageContent(route.paging, index);
  const records = fakeRecords(route.shape, seedOf(route, request, index), count);
  const paging = route.paging;
  const headers: Record<string, string> = {};
  const nextUrl = `${origin}${request.path}?mockpage=${index + 2}`;
  if (paging.kind === 'cursor' && paging.source.in === 'last_record' && more && records.length > 0) {
    records[records.length - 1]![paging.source.field] = `mockpage-${index + 2}`;
  }
  if (route.format === 'jsonl') {
    return {
      status: 200,
      headers: { 'content-type': 'application/jsonl' },
      body: records.map((r) => JSON.stringify(r)).join('\n'),
    };
  }
  let body = placeRecords(route.fieldPath, records);
  if (paging.kind === 'cursor') {
    if (paging.source.in === 'link' && more) headers.link = `<${nextUrl}>; rel="next"`;
    // the last page holds the cursor's path with null, as APIs answer (a template reading
    // `response.paging.next` fails on a page without `paging`)
    if (paging.source.in === 'body')
      body = setPath(
        body,
        paging.source.path,
        more ? (paging.tokenIsUrl ? nextUrl : `mockpage-${index + 2}`) : null,
      );
    for (const flag of paging.flags) body = setPath(body, flag, more);
  }
  if (route.format === 'xml') {
    return { status: 200, headers: { 'content-type': 'application/xml', ...headers }, body: toXml(body) };
  }
  return json(body, headers);
}

export interface MockServer {
  origin: string;
  requests: LoggedRequest[];
  close(): Promise<void>;
}

/** Starts a mock for `routes` on a free port of 127.0.0.1; `setRoutes` swaps them (same port). */
export async function startMock(
  initial: readonly Route[] = [],
): Promise<MockServer & { setRoutes(routes: readonly Route[]): void }> {
  let routes = initial;
  const requests: LoggedRequest[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const logged: LoggedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: [...url.searchParams.entries()].sort(([a, x], [b, y]) =>
          a === b ? x.localeCompare(y) : a.localeCompare(b),
        ),
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
      };
      requests.push(logged);
      let answer: MockResponse;
      try {
        answer = respond(routes, logged, origin);
      } catch (error) {
        answer = { status: 500, headers: {}, body: String(error) };
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    setRoutes(next) {
      routes = next;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
