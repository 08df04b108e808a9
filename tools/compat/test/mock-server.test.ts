import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../src/manifest-model.js';
import { pathPattern, planRoutes, type RecordRoute } from '../src/mock-plan.js';
import { type LoggedRequest, placeRecords, respond, startMock } from '../src/mock-server.js';
import { toXml } from '../src/xml-body.js';

const origin = 'http://127.0.0.1:9999';
const recordDate = new Date('2024-01-03T12:00:00Z');

function manifestWith(stream: JsonObject): JsonObject {
  return {
    definitions: {
      requester: { type: 'HttpRequester', url_base: `${origin}/api.x.com/v1`, http_method: 'GET' },
    },
    streams: [
      {
        type: 'DeclarativeStream',
        name: 'items',
        schema_loader: {
          type: 'InlineSchemaLoader',
          schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
        },
        ...stream,
      },
    ],
  };
}

const retriever = (paginator: JsonObject | undefined, fieldPath: string[] = ['data']): JsonObject => ({
  type: 'SimpleRetriever',
  requester: { $ref: '#/definitions/requester', path: '/items' },
  record_selector: { type: 'RecordSelector', extractor: { type: 'DpathExtractor', field_path: fieldPath } },
  ...(paginator ? { paginator } : {}),
});

const request = (query: [string, string][] = [], headers: JsonObject = {}): LoggedRequest => ({
  method: 'GET',
  path: '/api.x.com/v1/items',
  query,
  body: '',
  headers: headers as LoggedRequest['headers'],
});

function bodyOf(routes: ReturnType<typeof planRoutes>, req: LoggedRequest) {
  const answer = respond(routes, req, origin);
  return { body: JSON.parse(answer.body) as JsonObject & unknown[], headers: answer.headers };
}

describe('record placement', () => {
  it('puts a list of records at the field path, a top-level array for an empty path', () => {
    const records = [{ id: 1 }, { id: 2 }];
    expect(placeRecords(['data', 'items'], records)).toEqual({ data: { items: records } });
    expect(placeRecords([], records)).toEqual(records);
  });

  it('puts one record per element where the path has a wildcard', () => {
    const records = [{ id: 1 }, { id: 2 }];
    expect(placeRecords(['data', '*', 'attributes'], records)).toEqual({
      data: [{ attributes: { id: 1 } }, { attributes: { id: 2 } }],
    });
  });

  it('answers a stream with records shaped by its schema, the same for the same request', () => {
    const routes = planRoutes(
      manifestWith({ retriever: retriever(undefined, ['result', 'rows']) }),
      {},
      recordDate,
    );
    const first = bodyOf(routes, request()).body as unknown as { result: { rows: JsonObject[] } };
    expect(first.result.rows).toHaveLength(2);
    expect(typeof first.result.rows[0]?.id).toBe('number');
    expect(String(first.result.rows[0]?.name)).toMatch(/^name-/);
    expect(bodyOf(routes, request()).body).toEqual(first);
  });

  it('gives cursor fields the cursor format, so records fall inside the window', () => {
    const stream = manifestWith({
      retriever: retriever(undefined),
      incremental_sync: {
        type: 'DatetimeBasedCursor',
        cursor_field: 'updated',
        cursor_datetime_formats: ['%Y-%m-%d %H:%M:%S'],
        datetime_format: '%Y-%m-%d',
      },
    });
    const body = bodyOf(planRoutes(stream, {}, recordDate), request()).body as unknown as {
      data: JsonObject[];
    };
    expect(body.data[0]?.updated).toBe('2024-01-03 12:00:00');
  });
});

describe('pagination ends after three pages', () => {
  it('cursor in the body: a token on pages 1 and 2, null on page 3, flags of the stop condition follow', () => {
    const routes = planRoutes(
      manifestWith({
        retriever: retriever({
          type: 'DefaultPaginator',
          page_token_option: {
            type: 'RequestOption',
            inject_into: 'request_parameter',
            field_name: 'cursor',
          },
          pagination_strategy: {
            type: 'CursorPagination',
            cursor_value: "{{ response.get('meta', {}).get('next') }}",
            stop_condition: '{{ not response.has_more }}',
          },
        }),
      }),
      {},
      recordDate,
    );
    const page1 = bodyOf(routes, request()).body as unknown as JsonObject;
    expect(page1.meta).toEqual({ next: 'mockpage-2' });
    expect(page1.has_more).toBe(true);
    const page2 = bodyOf(routes, request([['cursor', 'mockpage-2']])).body as unknown as JsonObject;
    expect(page2.meta).toEqual({ next: 'mockpage-3' });
    const page3 = bodyOf(routes, request([['cursor', 'mockpage-3']])).body as unknown as JsonObject;
    expect(page3.meta).toEqual({ next: null });
    expect(page3.has_more).toBe(false);
  });

  it('Link header: a next URL on the mock for pages 1 and 2, no Link on page 3', () => {
    const routes = planRoutes(
      manifestWith({
        retriever: retriever({
          type: 'DefaultPaginator',
          page_token_option: { type: 'RequestPath' },
          pagination_strategy: {
            type: 'CursorPagination',
            cursor_value: "{{ headers['link']['next']['url'] }}",
            stop_condition: "{{ 'next' not in headers['link'] }}",
          },
        }),
      }),
      {},
      recordDate,
    );
    expect(bodyOf(routes, request()).headers.link).toBe(
      `<${origin}/api.x.com/v1/items?mockpage=2>; rel="next"`,
    );
    expect(bodyOf(routes, request([['mockpage', '2']])).headers.link).toContain('mockpage=3');
    expect(bodyOf(routes, request([['mockpage', '3']])).headers.link).toBeUndefined();
  });

  it('OffsetIncrement: a full page then a short one', () => {
    const routes = planRoutes(
      manifestWith({
        retriever: retriever({
          type: 'DefaultPaginator',
          page_token_option: {
            type: 'RequestOption',
            inject_into: 'request_parameter',
            field_name: 'offset',
          },
          pagination_strategy: { type: 'OffsetIncrement', page_size: "{{ config['page_size'] }}" },
        }),
      }),
      { page_size: 5 },
      recordDate,
    );
    const data = (q: [string, string][]) =>
      (bodyOf(routes, request(q)).body as unknown as { data: unknown[] }).data;
    expect(data([])).toHaveLength(5);
    expect(data([['offset', '5']])).toHaveLength(1);
  });

  it('PageIncrement (pages counted from 0 unless start_from_page says otherwise): full, then short', () => {
    const routes = planRoutes(
      manifestWith({
        retriever: retriever({
          type: 'DefaultPaginator',
          page_token_option: { type: 'RequestOption', inject_into: 'header', field_name: 'X-Page' },
          pagination_strategy: { type: 'PageIncrement', page_size: 3, start_from_page: 1 },
        }),
      }),
      {},
      recordDate,
    );
    const data = (h: JsonObject) =>
      (bodyOf(routes, request([], h)).body as unknown as { data: unknown[] }).data;
    expect(data({})).toHaveLength(3);
    expect(data({ 'x-page': '2' })).toHaveLength(1);
  });

  it('cursor from the last record: the token rides in that field, the last page is empty', () => {
    const routes = planRoutes(
      manifestWith({
        retriever: retriever({
          type: 'DefaultPaginator',
          page_token_option: { type: 'RequestOption', inject_into: 'request_parameter', field_name: 'after' },
          pagination_strategy: { type: 'CursorPagination', cursor_value: "{{ last_record['id'] }}" },
        }),
      }),
      {},
      recordDate,
    );
    const route = routes.find((r): r is RecordRoute => r.kind === 'records');
    expect(route?.paging.kind).toBe('cursor');
    const data = (q: [string, string][]) =>
      (bodyOf(routes, request(q)).body as unknown as { data: JsonObject[] }).data;
    expect(data([]).at(-1)?.id).toBe('mockpage-2');
    expect(data([['after', 'mockpage-3']])).toEqual([]);
  });

  it("a cursor read from the page's last record (response['data'][-1]['id']) rides in that record", () => {
    const routes = planRoutes(
      manifestWith({
        retriever: retriever({
          type: 'DefaultPaginator',
          page_token_option: { type: 'RequestOption', inject_into: 'request_parameter', field_name: 'after' },
          pagination_strategy: { type: 'CursorPagination', cursor_value: "{{ response['data'][-1]['id'] }}" },
        }),
      }),
      {},
      recordDate,
    );
    const data = (bodyOf(routes, request()).body as unknown as { data: JsonObject[] }).data;
    expect(Array.isArray(data)).toBe(true);
    expect(data.at(-1)?.id).toBe('mockpage-2');
  });

  it('a parent of a substream with a large page size answers one short page; small pages paginate', () => {
    const paginator = (pageSize: number): JsonObject => ({
      type: 'DefaultPaginator',
      page_token_option: { type: 'RequestOption', inject_into: 'request_parameter', field_name: 'page' },
      pagination_strategy: { type: 'PageIncrement', page_size: pageSize, start_from_page: 1 },
    });
    const withChild = (pageSize: number): JsonObject => {
      const manifest = manifestWith({ retriever: retriever(paginator(pageSize)) });
      const parent = (manifest.streams as JsonObject[])[0]!;
      (manifest.streams as JsonObject[]).push({
        type: 'DeclarativeStream',
        name: 'children',
        retriever: {
          ...retriever(undefined),
          requester: { $ref: '#/definitions/requester', path: '/items/{{ stream_partition.id }}/children' },
          partition_router: {
            type: 'SubstreamPartitionRouter',
            parent_stream_configs: [
              { type: 'ParentStreamConfig', parent_key: 'id', partition_field: 'id', stream: parent },
            ],
          },
        },
      });
      return manifest;
    };
    const firstPage = (pageSize: number) =>
      (
        bodyOf(planRoutes(withChild(pageSize), {}, recordDate), request()).body as unknown as {
          data: unknown[];
        }
      ).data;
    expect(firstPage(250)).toHaveLength(2);
    expect(firstPage(3)).toHaveLength(3);
    // the same stream with no child paginates its full page
    const alone = planRoutes(manifestWith({ retriever: retriever(paginator(250)) }), {}, recordDate);
    expect((bodyOf(alone, request()).body as unknown as { data: unknown[] }).data).toHaveLength(250);
  });
});

describe('an XML API (XmlDecoder)', () => {
  it('answers XML with the records repeated at the field path and the page token where the paginator reads it', () => {
    const routes = planRoutes(
      manifestWith({
        retriever: {
          ...retriever(
            {
              type: 'DefaultPaginator',
              pagination_strategy: { type: 'CursorPagination', cursor_value: '{{ response.Response.Next }}' },
            },
            ['Response', 'Items', 'Item'],
          ),
          decoder: { type: 'XmlDecoder' },
        },
      }),
      {},
      recordDate,
    );
    const first = respond(routes, request(), origin);
    expect(first.headers['content-type']).toBe('application/xml');
    expect(first.body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Items>(<Item><id>\d+<\/id><name>[^<]*<\/name><\/Item>){2,}<\/Items><Next>mockpage-2<\/Next><\/Response>$/,
    );
    const last = respond(routes, request([['cursor', 'mockpage-3']]), origin);
    expect(last.body).toMatch(/<Next\/><\/Response>$/);
  });

  it('writes attributes, text, lists, nulls and escapes, and makes names XML can hold', () => {
    expect(toXml({ r: { '@id': 'a"b', '#text': 'x < y & z', list: [1, null], '2 words': true } })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<r id="a&quot;b"><list>1</list><list/><_2_words>true</_2_words>x &lt; y &amp; z</r>',
    );
    expect(toXml([{ id: 1 }])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<response><id>1</id></response>',
    );
  });
});

describe('streams on one path (GraphQL)', () => {
  it('are told apart by the words of their request bodies', () => {
    const stream = (name: string, query: string): JsonObject => ({
      type: 'DeclarativeStream',
      name,
      retriever: {
        type: 'SimpleRetriever',
        requester: {
          type: 'HttpRequester',
          url_base: `${origin}/api.x.com`,
          path: '/graphql',
          http_method: 'POST',
          request_body_json: { query },
        },
        record_selector: {
          type: 'RecordSelector',
          extractor: { type: 'DpathExtractor', field_path: ['data', name, 'nodes'] },
        },
      },
    });
    const routes = planRoutes(
      {
        streams: [
          stream(
            'accounts',
            '{ accounts(first: 10, after: {{ next_page_token }}) { nodes { id name } pageInfo { endCursor } } }',
          ),
          stream('invoices', '{ invoices(first: 10) { nodes { id amount } pageInfo { endCursor } } }'),
        ],
      },
      {},
      recordDate,
    );
    const post = (query: string) =>
      JSON.parse(
        respond(
          routes,
          {
            method: 'POST',
            path: '/api.x.com/graphql',
            query: [],
            body: JSON.stringify({ query }),
            headers: {},
          },
          origin,
        ).body,
      ) as { data: Record<string, unknown> };
    expect(Object.keys(post('{ invoices(first: 10) { nodes { id amount } } }').data)).toEqual(['invoices']);
    expect(Object.keys(post('{ accounts(first: 10, after: null) { nodes { id name } } }').data)).toEqual([
      'accounts',
    ]);
  });
});

describe('token endpoints and the server', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
  });

  it('answers an OAuth refresh with a token, and logs every request', async () => {
    const manifest: JsonObject = {
      ...manifestWith({ retriever: retriever(undefined) }),
      auth: {
        type: 'OAuthAuthenticator',
        token_refresh_endpoint: 'http://127.0.0.1:1/login.x.com/oauth/token',
        access_token_name: 'token',
      },
    };
    const mock = await startMock();
    close = mock.close;
    mock.setRoutes(planRoutes(manifest, {}, recordDate));
    const token = await fetch(`${mock.origin}/login.x.com/oauth/token`, {
      method: 'POST',
      body: 'grant_type=x',
    });
    expect(await token.json()).toMatchObject({ token: 'mock-access-token', expires_in: 3600 });
    const items = await fetch(`${mock.origin}/api.x.com/v1/items?b=2&a=1`);
    expect(((await items.json()) as { data: unknown[] }).data).toHaveLength(2);
    expect(mock.requests.map((r) => [r.method, r.path, r.query, r.body])).toEqual([
      ['POST', '/login.x.com/oauth/token', [], 'grant_type=x'],
      [
        'GET',
        '/api.x.com/v1/items',
        [
          ['a', '1'],
          ['b', '2'],
        ],
        '',
      ],
    ]);
  });
});

describe('path patterns', () => {
  it('match with or without the slashes a manifest writes at either end', () => {
    const { pattern } = pathPattern('http://127.0.0.1:1/api.x.com/graphql/');
    expect(pattern.test('/api.x.com/graphql')).toBe(true);
    expect(pattern.test('/api.x.com/graphql/')).toBe(true);
    expect(pattern.test('/api.x.com/graphqlx')).toBe(false);
  });
});
