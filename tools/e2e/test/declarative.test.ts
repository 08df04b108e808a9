// A declarative manifest (`manifest:PATH`) synced into DuckDB through the CLI, against a mock API
// in this process: paging, incremental windows, dedup, a token that expires mid-sync, and the
// bad answers of real APIs (HTML instead of JSON, a 500 storm, an error where records belong). Each
// failure names the stream, the request and the cause, and keeps what was committed before it.

import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conveyorAsync, query, tempProject } from './cli.js';

interface Api {
  /** what the mock does for a request; undefined → the orders API */
  override?: (req: IncomingMessage, url: URL, res: ServerResponse) => boolean;
  requests: URL[];
  tokens: number;
}

const api: Api = { requests: [], tokens: 0 };
let server: Server;
let base = '';

const ORDERS = Array.from({ length: 40 }, (_, i) => ({
  id: i + 1,
  amount: (i + 1) * 10,
  updated_at: `2024-01-${String(Math.ceil((i + 1) / 4)).padStart(2, '0')}T00:00:00Z`,
}));

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function orders(url: URL, res: ServerResponse): void {
  const since = url.searchParams.get('updated_since') ?? '';
  const until = url.searchParams.get('updated_until') ?? '9999';
  const offset = Number(url.searchParams.get('cursor') ?? 0);
  const matching = ORDERS.filter((o) => o.updated_at >= since && o.updated_at <= until);
  const page = matching.slice(offset, offset + 3);
  json(res, 200, { data: page, next: offset + 3 < matching.length ? String(offset + 3) : null });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    api.requests.push(url);
    if (api.override?.(req, url, res)) return;
    if (url.pathname === '/oauth/token') {
      api.tokens++;
      json(res, 200, { access_token: `token-${api.tokens}`, expires_in: 3600 });
      return;
    }
    if (req.headers['x-api-key'] !== 'key-1' && req.headers.authorization === undefined) {
      json(res, 401, { error: 'missing key' });
      return;
    }
    if (url.pathname === '/v1/orders') orders(url, res);
    else json(res, 404, { error: 'no such path' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function manifest(options: { path?: string; auth?: string; errorHandler?: string } = {}): string {
  const auth =
    options.auth ??
    `authenticator: { type: ApiKeyAuthenticator, api_token: "{{ config['api_key'] }}", inject_into: { type: RequestOption, inject_into: header, field_name: X-Api-Key } }`;
  return `
version: 6.0.0
type: DeclarativeSource
check: { type: CheckStream, stream_names: [orders] }
streams:
  - type: DeclarativeStream
    name: orders
    primary_key: id
    schema_loader:
      type: InlineSchemaLoader
      schema: { type: object, properties: { id: { type: integer }, amount: { type: integer }, updated_at: { type: string, format: date-time } } }
    incremental_sync:
      type: DatetimeBasedCursor
      cursor_field: updated_at
      datetime_format: "%Y-%m-%dT%H:%M:%SZ"
      start_datetime: "{{ config['start_date'] }}"
      end_datetime: "2024-01-10T23:59:59Z"
      step: P3D
      cursor_granularity: PT1S
      start_time_option: { type: RequestOption, inject_into: request_parameter, field_name: updated_since }
      end_time_option: { type: RequestOption, inject_into: request_parameter, field_name: updated_until }
    retriever:
      type: SimpleRetriever
      requester:
        type: HttpRequester
        url_base: "{{ config['base_url'] }}"
        path: ${options.path ?? '/v1/orders'}
        ${auth}
        ${options.errorHandler ?? ''}
      record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [data] } }
      paginator:
        type: DefaultPaginator
        page_token_option: { type: RequestOption, inject_into: request_parameter, field_name: cursor }
        pagination_strategy: { type: CursorPagination, cursor_value: "{{ response.next }}", stop_condition: "{{ response.next is none }}" }
spec:
  type: Spec
  connection_specification:
    type: object
    required: [api_key, base_url, start_date]
    properties:
      api_key: { type: string, airbyte_secret: true }
      base_url: { type: string }
      start_date: { type: string }
      client_secret: { type: string, airbyte_secret: true }
`;
}

function project(dir: string, yaml: string, mode = 'append_dedup'): void {
  writeFileSync(join(dir, 'api.yaml'), yaml);
  writeFileSync(
    join(dir, 'conveyor.yml'),
    `
sources:
  api:
    connector: manifest:./api.yaml
    config: { api_key: key-1, base_url: "${base}", start_date: "2024-01-01T00:00:00Z", client_secret: very-secret-value }
destinations:
  dest: { connector: duckdb, config: { path: ./w.duckdb } }
connections:
  c:
    source: api
    destination: dest
    streams:
      - { name: orders, sync_mode: incremental, destination_sync_mode: ${mode} }
`,
  );
}

async function rows(dir: string) {
  return query(
    join(dir, 'w.duckdb'),
    'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids, sum(amount)::INT AS total FROM orders',
  );
}

describe('a declarative manifest synced through the CLI', () => {
  it('reads every page of every window into DuckDB, and a second sync resumes from the state', async () => {
    api.override = undefined;
    const dir = tempProject();
    project(dir, manifest());
    const first = await conveyorAsync(['sync'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(await rows(dir)).toEqual([{ n: 40, ids: 40, total: 8200 }]);
    api.requests = [];
    const second = await conveyorAsync(['sync'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    // resumed from the greatest updated_at (inclusive), not from start_date
    expect(api.requests[0]?.searchParams.get('updated_since')).toBe('2024-01-10T00:00:00Z');
    expect(await rows(dir)).toEqual([{ n: 40, ids: 40, total: 8200 }]);
  });

  it('refreshes an OAuth token that expires mid-sync and goes on', async () => {
    let served = 0;
    api.tokens = 0;
    api.override = (req, url, res) => {
      if (url.pathname !== '/v1/orders') return false;
      served++;
      // the first token stops working after three pages
      if (req.headers.authorization === 'Bearer token-1' && served > 3) {
        json(res, 401, { error: 'token expired' });
        return true;
      }
      orders(url, res);
      return true;
    };
    const dir = tempProject();
    const oauth = `authenticator: { type: OAuthAuthenticator, token_refresh_endpoint: "{{ config['base_url'] }}/oauth/token", client_id: app, client_secret: "{{ config['client_secret'] }}", refresh_token: "{{ config['api_key'] }}" }`;
    project(dir, manifest({ auth: oauth }));
    const r = await conveyorAsync(['sync'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(api.tokens).toBe(2);
    expect(await rows(dir)).toEqual([{ n: 40, ids: 40, total: 8200 }]);
  });

  it('an API answering HTML fails with the stream, the request and the cause, keeping committed windows', async () => {
    api.override = (_req, url, res) => {
      if (url.pathname !== '/v1/orders') return false;
      if ((url.searchParams.get('updated_since') ?? '') >= '2024-01-07') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>Please log in</body></html>');
        return true;
      }
      orders(url, res);
      return true;
    };
    const dir = tempProject();
    project(dir, manifest());
    const r = await conveyorAsync(['sync', '--retries', '0'], { cwd: dir });
    expect(r.code).not.toBe(0);
    const said = r.stdout + r.stderr;
    expect(said).toContain('orders');
    expect(said).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/v1\/orders/);
    expect(said).toMatch(/HTML/);
    expect(said).not.toContain('very-secret-value');
    expect(said).not.toMatch(/at .*\.js:\d+/); // no stack trace by default
    // the windows before the failure (Jan 1–6) were committed with their state
    expect(await rows(dir)).toEqual([{ n: 24, ids: 24, total: 3000 }]);
    api.override = undefined;
    api.requests = [];
    const again = await conveyorAsync(['sync'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(api.requests[0]?.searchParams.get('updated_since')).toBe('2024-01-06T00:00:00Z');
    expect(await rows(dir)).toEqual([{ n: 40, ids: 40, total: 8200 }]);
  });

  it('a 500 storm ends after the retries with the status and the request named', async () => {
    api.override = (_req, url, res) => {
      if (url.pathname !== '/v1/orders') return false;
      json(res, 500, { error: 'database on fire' });
      return true;
    };
    const dir = tempProject();
    const handler = `error_handler: { type: DefaultErrorHandler, max_retries: 2, backoff_strategies: [{ type: ConstantBackoffStrategy, backoff_time_in_seconds: 0.01 }] }`;
    project(dir, manifest({ errorHandler: handler }));
    api.requests = [];
    const r = await conveyorAsync(['sync', '--retries', '0'], { cwd: dir });
    expect(r.code).not.toBe(0);
    const said = r.stdout + r.stderr;
    expect(said).toContain('orders');
    expect(said).toContain('500');
    expect(said).toMatch(/\/v1\/orders/);
    expect(api.requests.length).toBe(3);
  });

  it('an error answered with status 200 where records were expected is named, not read as an empty page', async () => {
    api.override = (_req, url, res) => {
      if (url.pathname !== '/v1/orders') return false;
      json(res, 200, { error: { message: 'Daily quota exceeded' }, next: null });
      return true;
    };
    const dir = tempProject();
    project(dir, manifest());
    const r = await conveyorAsync(['sync', '--retries', '0'], { cwd: dir });
    expect(r.code).not.toBe(0);
    const said = r.stdout + r.stderr;
    expect(said).toContain('orders');
    expect(said).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/v1\/orders/);
    expect(said).toMatch(/"data"/);
    expect(said).toContain('Daily quota exceeded');
  });

  it('a record path an answer leaves out is an empty page, as APIs leave out empty lists', async () => {
    api.override = (_req, url, res) => {
      if (url.pathname !== '/v1/orders') return false;
      json(res, 200, { meta: { count: 0 }, next: null });
      return true;
    };
    const dir = tempProject();
    project(dir, manifest());
    const r = await conveyorAsync(['sync', '--retries', '0'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
  });
});
