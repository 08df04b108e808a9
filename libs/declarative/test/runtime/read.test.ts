// The engine reading small manifests of our own against a scripted API: the requests it sends
// (URL, query, auth) and the records and states it emits, for the components most manifests use.

import { type SourceOutput, validateConfig } from '@conveyor/cdk';
import { type HttpRequest, scriptedTransport } from '@conveyor/http';
import type { ConfiguredCatalog, JsonObject } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { DeclarativeSource, parseManifest } from '../../src/index.js';
import { ctx } from './read-context.js';

function source(yaml: string, answer: (request: HttpRequest) => unknown) {
  const transport = scriptedTransport((request) => ({ json: answer(request) }));
  return { source: new DeclarativeSource(parseManifest(yaml), { transport }), transport };
}

function catalog(name: string, mode: 'full_refresh' | 'incremental' = 'full_refresh'): ConfiguredCatalog {
  return {
    streams: [
      {
        stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
        sync_mode: mode,
        destination_sync_mode: 'append',
      },
    ],
  };
}

async function collect(out: AsyncIterable<SourceOutput>) {
  const records: JsonObject[] = [];
  const states: JsonObject[] = [];
  for await (const item of out) {
    if (item.kind === 'records' && item.batch.format === 'objects') records.push(...item.batch.records);
    else if (item.kind === 'message' && item.message.type === 'STATE') {
      states.push((item.message.state as { stream: { stream_state: JsonObject } }).stream.stream_state);
    }
  }
  return { records, states };
}

const SPEC = `
spec:
  type: Spec
  connection_specification:
    type: object
    required: [api_key]
    properties:
      api_key: { type: string, airbyte_secret: true }
      start_date: { type: string }
`;

const PAGED = `
version: 6.0.0
type: DeclarativeSource
check: { type: CheckStream, stream_names: [items] }
definitions:
  requester:
    type: HttpRequester
    url_base: https://api.example.com/v1/
    http_method: GET
    authenticator:
      type: ApiKeyAuthenticator
      api_token: "{{ config['api_key'] }}"
      inject_into: { type: RequestOption, inject_into: header, field_name: X-Api-Key }
streams:
  - type: DeclarativeStream
    name: items
    primary_key: id
    schema_loader: { type: InlineSchemaLoader, schema: { type: object, properties: { id: { type: integer } } } }
    retriever:
      type: SimpleRetriever
      requester:
        $ref: "#/definitions/requester"
        path: /items
        request_parameters:
          kind: "{{ parameters.kind }}"
      record_selector:
        type: RecordSelector
        extractor: { type: DpathExtractor, field_path: [data] }
        record_filter: { type: RecordFilter, condition: "{{ record.id != 3 }}" }
      paginator:
        type: DefaultPaginator
        page_token_option: { type: RequestOption, inject_into: request_parameter, field_name: cursor }
        page_size_option: { type: RequestOption, inject_into: request_parameter, field_name: limit }
        pagination_strategy:
          type: CursorPagination
          page_size: 2
          cursor_value: "{{ response.next }}"
          stop_condition: "{{ not response.next }}"
    transformations:
      - type: AddFields
        fields: [{ path: [source], value: "{{ parameters.kind }}-{{ record.id }}" }]
    $parameters:
      kind: widget
${SPEC}`;

describe('reading a manifest', () => {
  it('pages with a cursor, authenticates, filters and transforms records', async () => {
    const { source: s, transport } = source(PAGED, (request) => {
      const cursor = new URL(request.url).searchParams.get('cursor');
      if (cursor === null) return { data: [{ id: 1 }, { id: 2 }], next: 'p2' };
      if (cursor === 'p2') return { data: [{ id: 3 }, { id: 4 }], next: 'p3' };
      return { data: [{ id: 5 }], next: null };
    });
    const { records } = await collect(s.read({ api_key: 'k-123' }, catalog('items'), [], ctx()));
    expect(records).toEqual([
      { id: 1, source: 'widget-1' },
      { id: 2, source: 'widget-2' },
      { id: 4, source: 'widget-4' },
      { id: 5, source: 'widget-5' },
    ]);
    expect(transport.requests.map((r) => r.url)).toEqual([
      'https://api.example.com/v1/items?kind=widget&limit=2',
      'https://api.example.com/v1/items?kind=widget&cursor=p2&limit=2',
      'https://api.example.com/v1/items?kind=widget&cursor=p3&limit=2',
    ]);
    expect(transport.requests.every((r) => r.headers['X-Api-Key'] === 'k-123')).toBe(true);
  });

  it('discovers streams with their schema and primary key', async () => {
    const { source: s } = source(PAGED, () => ({}));
    const catalog = await s.discover({ api_key: 'k' }, ctx());
    expect(catalog.streams).toEqual([
      {
        name: 'items',
        json_schema: { type: 'object', properties: { id: { type: 'integer' } } },
        supported_sync_modes: ['full_refresh'],
        is_resumable: false,
        is_file_based: false,
        source_defined_primary_key: [['id']],
      },
    ]);
  });

  it('checks by reading the first page of the check stream, and reports a rejected key', async () => {
    const ok = source(PAGED, () => ({ data: [{ id: 1 }] }));
    expect(await ok.source.check({ api_key: 'k' }, ctx())).toEqual({ status: 'SUCCEEDED' });
    const transport = scriptedTransport(() => ({ status: 401, json: { error: 'bad key' } }));
    const rejected = new DeclarativeSource(parseManifest(PAGED), { transport });
    const status = await rejected.check({ api_key: 'secret-key-value' }, ctx());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/401/);
    expect(status.message).not.toContain('secret-key-value');
  });
});

const INCREMENTAL = `
version: 6.0.0
type: DeclarativeSource
check: { type: CheckStream, stream_names: [events] }
streams:
  - type: DeclarativeStream
    name: events
    primary_key: [id]
    schema_loader: { type: InlineSchemaLoader, schema: { type: object } }
    incremental_sync:
      type: DatetimeBasedCursor
      cursor_field: updated_at
      datetime_format: "%Y-%m-%d"
      start_datetime: "{{ config['start_date'] }}"
      end_datetime: "2024-01-05"
      step: P2D
      cursor_granularity: P1D
      start_time_option: { type: RequestOption, inject_into: request_parameter, field_name: since }
      end_time_option: { type: RequestOption, inject_into: request_parameter, field_name: until }
    retriever:
      type: SimpleRetriever
      requester: { type: HttpRequester, url_base: "https://api.example.com", path: events }
      record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [] } }
${SPEC}`;

describe('incremental reading by a datetime cursor', () => {
  const answer = (request: HttpRequest) => {
    const since = new URL(request.url).searchParams.get('since');
    return [{ id: since, updated_at: since }];
  };

  it('reads windows of the step (the last one ends at the end) and checkpoints the greatest cursor after each', async () => {
    const { source: s, transport } = source(INCREMENTAL, answer);
    const config = { api_key: 'k', start_date: '2024-01-01' };
    const { records, states } = await collect(s.read(config, catalog('events', 'incremental'), [], ctx()));
    expect(transport.requests.map((r) => new URL(r.url).search)).toEqual([
      '?since=2024-01-01&until=2024-01-02',
      '?since=2024-01-03&until=2024-01-05',
    ]);
    expect(records.map((r) => r.id)).toEqual(['2024-01-01', '2024-01-03']);
    expect(states).toEqual([{ updated_at: '2024-01-01' }, { updated_at: '2024-01-03' }]);
  });

  it('resumes from the saved state', async () => {
    const { source: s, transport } = source(INCREMENTAL, answer);
    const state = [
      {
        type: 'STREAM' as const,
        stream: { stream_descriptor: { name: 'events' }, stream_state: { updated_at: '2024-01-04' } },
      },
    ];
    await collect(
      s.read({ api_key: 'k', start_date: '2024-01-01' }, catalog('events', 'incremental'), state, ctx()),
    );
    expect(new URL(transport.requests[0]!.url).searchParams.get('since')).toBe('2024-01-04');
  });
});

const FEED = (flags: string) => `
version: 6.0.0
type: DeclarativeSource
check: { type: CheckStream, stream_names: [events] }
streams:
  - type: DeclarativeStream
    name: events
    schema_loader: { type: InlineSchemaLoader, schema: { type: object } }
    incremental_sync:
      type: DatetimeBasedCursor
      cursor_field: updated_at
      datetime_format: "%Y-%m-%d"
      start_datetime: "{{ config['start_date'] }}"
      end_datetime: "2024-01-31"
      ${flags}
    retriever:
      type: SimpleRetriever
      requester: { type: HttpRequester, url_base: "https://api.example.com", path: events }
      record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [data] } }
      paginator:
        type: DefaultPaginator
        page_token_option: { type: RequestOption, inject_into: request_parameter, field_name: page }
        pagination_strategy: { type: PageIncrement, start_from_page: 1 }
${SPEC}`;

describe('config checks', () => {
  it("checks a manifest's configs as the reference does: types and required fields, not formats", () => {
    const yaml = FEED('').replace(
      'start_date: { type: string }',
      'start_date: { type: string, format: date-time }',
    );
    const s = new DeclarativeSource(parseManifest(yaml), {
      transport: scriptedTransport(() => ({ json: {} })),
    });
    expect(validateConfig(s.spec(), { api_key: 'k', start_date: '2024-01-01' })).toEqual({
      api_key: 'k',
      start_date: '2024-01-01',
    });
    expect(() => validateConfig(s.spec(), { start_date: '2024-01-01' })).toThrow(/api_key/);
  });
});

describe('records outside the read range (is_client_side_incremental, is_data_feed)', () => {
  // newest first, two pages and an empty third: the API ignores any date filter
  const pages: Record<string, JsonObject[]> = {
    '1': [
      { id: 1, updated_at: '2024-01-20' },
      { id: 2, updated_at: '2024-01-10' },
      { id: 3, note: 'no cursor value' },
    ],
    '2': [
      { id: 4, updated_at: '2024-01-08' },
      { id: 5, updated_at: '2023-12-30' },
    ],
    '3': [],
  };
  const answer = (request: HttpRequest) => ({
    data: pages[new URL(request.url).searchParams.get('page') ?? '1'],
  });
  const state = (updatedAt: string) => [
    {
      type: 'STREAM' as const,
      stream: { stream_descriptor: { name: 'events' }, stream_state: { updated_at: updatedAt } },
    },
  ];

  it('a client-side incremental stream drops records before the saved cursor, keeps those without one', async () => {
    const { source: s, transport } = source(FEED('is_client_side_incremental: true'), answer);
    const config = { api_key: 'k', start_date: '2024-01-01' };
    const { records } = await collect(
      s.read(config, catalog('events', 'incremental'), state('2024-01-09'), ctx()),
    );
    expect(records.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(transport.requests).toHaveLength(3);
    // without state the configured start is the floor
    const full = await collect(
      source(FEED('is_client_side_incremental: true'), answer).source.read(
        config,
        catalog('events'),
        [],
        ctx(),
      ),
    );
    expect(full.records.map((r) => r.id)).toEqual([1, 2, 3, 4]);
  });

  it('a data feed stops paginating at the first page that ends before the cursor, and drops the older records', async () => {
    const { source: s, transport } = source(FEED('is_data_feed: true'), answer);
    const config = { api_key: 'k', start_date: '2024-01-01' };
    const { records } = await collect(
      s.read(config, catalog('events', 'incremental'), state('2024-01-09'), ctx()),
    );
    // page 1 ends with a record without a cursor value: kept, and it does not stop the feed;
    // page 2 ends before the cursor: the last page read
    expect(transport.requests.map((r) => new URL(r.url).searchParams.get('page'))).toEqual([null, '2']);
    expect(records.map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('without either flag every record is kept, as before', async () => {
    const { source: s } = source(FEED(''), answer);
    const config = { api_key: 'k', start_date: '2024-01-01' };
    const { records } = await collect(
      s.read(config, catalog('events', 'incremental'), state('2024-01-09'), ctx()),
    );
    expect(records.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
  });
});

const SUBSTREAM = `
version: 6.0.0
type: DeclarativeSource
check: { type: CheckStream, stream_names: [projects] }
definitions:
  base:
    type: SimpleRetriever
    requester: { type: HttpRequester, url_base: "https://api.example.com" }
    record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [] } }
  projects:
    type: DeclarativeStream
    name: projects
    schema_loader: { type: InlineSchemaLoader, schema: { type: object } }
    retriever:
      $ref: "#/definitions/base"
      requester: { $ref: "#/definitions/base/requester", path: projects }
streams:
  - $ref: "#/definitions/projects"
  - type: DeclarativeStream
    name: tasks
    schema_loader: { type: InlineSchemaLoader, schema: { type: object } }
    retriever:
      $ref: "#/definitions/base"
      requester: { $ref: "#/definitions/base/requester", path: "projects/{{ stream_partition.project_id }}/tasks" }
      partition_router:
        type: SubstreamPartitionRouter
        parent_stream_configs:
          - type: ParentStreamConfig
            stream: { $ref: "#/definitions/projects" }
            parent_key: id
            partition_field: project_id
    transformations:
      - type: AddFields
        fields: [{ path: [project], value: "{{ stream_partition.project_id }}" }]
${SPEC}`;

describe('substreams', () => {
  it('reads the child once per parent record, with the parent key in the path', async () => {
    const { source: s, transport } = source(SUBSTREAM, (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/projects') return [{ id: 7 }, { id: 9 }];
      return [{ task: `${path}-a` }];
    });
    const { records } = await collect(s.read({ api_key: 'k' }, catalog('tasks'), [], ctx()));
    expect(transport.requests.map((r) => new URL(r.url).pathname)).toEqual([
      '/projects',
      '/projects/7/tasks',
      '/projects/9/tasks',
    ]);
    expect(records).toEqual([
      { task: '/projects/7/tasks-a', project: 7 },
      { task: '/projects/9/tasks-a', project: 9 },
    ]);
  });
});

const PARTITIONED = INCREMENTAL.replace(
  'record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [] } }',
  `record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [] } }
      partition_router: { type: ListPartitionRouter, values: [eu, us], cursor_field: region, request_option: { type: RequestOption, inject_into: request_parameter, field_name: region } }`,
);

describe('incremental reading of a partitioned stream', () => {
  it('checkpoints once, after every partition, so a resume cannot skip a partition not read yet', async () => {
    const { source: s, transport } = source(PARTITIONED, (request) => {
      const url = new URL(request.url);
      // the eu partition has newer records than anything in us
      const day = url.searchParams.get('region') === 'eu' ? '2024-01-04' : '2024-01-02';
      return [{ id: `${url.searchParams.get('region')}-${url.searchParams.get('since')}`, updated_at: day }];
    });
    const config = { api_key: 'k', start_date: '2024-01-01' };
    const { records, states } = await collect(s.read(config, catalog('events', 'incremental'), [], ctx()));
    expect(transport.requests.map((r) => new URL(r.url).searchParams.get('region'))).toEqual([
      'eu',
      'eu',
      'us',
      'us',
    ]);
    expect(records).toHaveLength(4);
    // the reference's per-partition shape: each region's own cursor, and the greatest of them
    expect(states).toEqual([
      {
        use_global_cursor: false,
        states: [
          { partition: { region: 'eu' }, cursor: { updated_at: '2024-01-04' } },
          { partition: { region: 'us' }, cursor: { updated_at: '2024-01-02' } },
        ],
        state: { updated_at: '2024-01-04' },
      },
    ]);
  });

  it('resumes each partition from its own cursor; a partition the state does not list starts from the global one', async () => {
    const saved = {
      use_global_cursor: false,
      states: [{ partition: { region: 'us' }, cursor: { updated_at: '2024-01-02' } }],
      state: { updated_at: '2024-01-03' },
    };
    const { source: s, transport } = source(PARTITIONED, () => []);
    const state = [
      { type: 'STREAM' as const, stream: { stream_descriptor: { name: 'events' }, stream_state: saved } },
    ];
    const config = { api_key: 'k', start_date: '2024-01-01' };
    await collect(s.read(config, catalog('events', 'incremental'), state, ctx()));
    const firstSince = (region: string) =>
      transport.requests
        .map((r) => new URL(r.url).searchParams)
        .find((q) => q.get('region') === region)
        ?.get('since');
    expect(firstSince('us')).toBe('2024-01-02');
    expect(firstSince('eu')).toBe('2024-01-03');
  });
});

describe('an XML API (XmlDecoder)', () => {
  const XML = PAGED.replace(
    '      record_selector:',
    '      decoder: { type: XmlDecoder }\n      record_selector:',
  )
    .replace('field_path: [data]', 'field_path: [Response, Items, Item]')
    .replace('record.id != 3', "record['@id'] != '3'")
    .replace('cursor_value: "{{ response.next }}"', 'cursor_value: "{{ response.Response.Next }}"')
    .replace(
      'stop_condition: "{{ not response.next }}"',
      'stop_condition: "{{ not response.Response.Next }}"',
    )
    .replace('"{{ parameters.kind }}-{{ record.id }}"', '"{{ record.Name | upper }}"');

  it('extracts repeated elements as records, attributes as @keys, and pages on a value read from the XML', async () => {
    const pages: Record<string, string> = {
      first:
        '<?xml version="1.0"?><Response><Items><Item id="1"><Name>a</Name></Item><Item id="2"><Name>b</Name><Note/></Item></Items><Next>p2</Next></Response>',
      p2: '<Response><Items><Item id="3"><Name>c</Name></Item><Item id="4"><Name>d &amp; e</Name></Item></Items><Next/></Response>',
    };
    const transport = scriptedTransport((request) => ({
      body: pages[new URL(request.url).searchParams.get('cursor') ?? 'first'],
      headers: { 'content-type': 'application/xml' },
    }));
    const s = new DeclarativeSource(parseManifest(XML), { transport });
    const { records } = await collect(s.read({ api_key: 'k' }, catalog('items'), [], ctx()));
    expect(records).toEqual([
      { '@id': '1', Name: 'a', source: 'A' },
      { '@id': '2', Name: 'b', Note: null, source: 'B' },
      { '@id': '4', Name: 'd & e', source: 'D & E' },
    ]);
    expect(transport.requests).toHaveLength(2);
  });

  it('names the request when the body is not well-formed XML', async () => {
    const transport = scriptedTransport(() => ({ body: '<html><body>Login</html>' }));
    const s = new DeclarativeSource(parseManifest(XML), { transport });
    await expect(collect(s.read({ api_key: 'k' }, catalog('items'), [], ctx()))).rejects.toThrow(
      /GET https:\/\/api\.example\.com\/v1\/items.*not well-formed XML \(the end tag <\/html> does not match <body> at line 1, column 17\)/,
    );
  });
});
