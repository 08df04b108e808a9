// A partitioned stream of a manifest with concurrency_level reads several partitions at once: the
// requests overlap, every record arrives, the one checkpoint comes after the last partition
// whichever finishes first, and a failing partition fails the stream.

import type { SourceOutput } from '@conveyor/cdk';
import { scriptedTransport } from '@conveyor/http';
import type { ConfiguredCatalog, JsonObject } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { DeclarativeSource, parseManifest } from '../../src/index.js';
import { ctx } from './read-context.js';

const manifest = (concurrency: string) => `
version: 6.0.0
type: DeclarativeSource
${concurrency}
check: { type: CheckStream, stream_names: [items] }
streams:
  - type: DeclarativeStream
    name: items
    schema_loader: { type: InlineSchemaLoader, schema: { type: object } }
    incremental_sync:
      type: DatetimeBasedCursor
      cursor_field: updated
      datetime_format: "%s"
      start_datetime: "1000"
      end_datetime: "2000"
    retriever:
      type: SimpleRetriever
      partition_router: { type: ListPartitionRouter, cursor_field: shop, values: [s1, s2, s3, s4] }
      requester: { type: HttpRequester, url_base: https://api.example.com, path: "/{{ stream_partition.shop }}/items", http_method: GET }
      record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [data] } }
      paginator:
        type: DefaultPaginator
        page_token_option: { type: RequestOption, inject_into: request_parameter, field_name: page }
        pagination_strategy: { type: PageIncrement, page_size: 2, start_from_page: 1 }
spec:
  type: Spec
  connection_specification: { type: object }
`;

const catalog: ConfiguredCatalog = {
  streams: [
    {
      stream: { name: 'items', json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
      sync_mode: 'incremental',
      destination_sync_mode: 'append',
    },
  ],
};

/** Each shop has two full pages and a short one; s1 answers slowly. */
function api(fail?: string) {
  let inFlight = 0;
  let most = 0;
  const transport = scriptedTransport(async (request) => {
    inFlight++;
    most = Math.max(most, inFlight);
    const url = new URL(request.url);
    const shop = url.pathname.split('/')[1]!;
    const page = Number(url.searchParams.get('page') ?? '1');
    await new Promise((resolve) => setTimeout(resolve, shop === 's1' ? 30 : 5));
    inFlight--;
    if (shop === fail) return { status: 400, json: { message: `no shop ${shop}` } };
    const size = page < 3 ? 2 : 1;
    return {
      json: {
        data: Array.from({ length: size }, (_, i) => ({ id: `${shop}-${page}-${i}`, updated: 1500 + page })),
      },
    };
  });
  return { transport, most: () => most };
}

async function read(source: DeclarativeSource) {
  const ids: string[] = [];
  const order: string[] = [];
  for await (const item of source.read({}, catalog, [], ctx()) as AsyncIterable<SourceOutput>) {
    if (item.kind === 'records' && item.batch.format === 'objects') {
      for (const r of item.batch.records as JsonObject[]) ids.push(String(r.id));
      order.push('records');
    } else if (item.kind === 'message' && item.message.type === 'STATE') order.push('state');
  }
  return { ids, order };
}

describe('concurrent partitions', () => {
  it('reads up to concurrency_level partitions at once, every record, one checkpoint at the end', async () => {
    const { transport, most } = api();
    const source = new DeclarativeSource(
      parseManifest(
        manifest(
          'concurrency_level: { type: ConcurrencyLevel, default_concurrency: "{{ 3 }}", max_concurrency: 8 }',
        ),
      ),
      { transport },
    );
    const { ids, order } = await read(source);
    expect([...ids].sort()).toEqual(
      ['s1', 's2', 's3', 's4']
        .flatMap((s) => [`${s}-1-0`, `${s}-1-1`, `${s}-2-0`, `${s}-2-1`, `${s}-3-0`])
        .sort(),
    );
    expect(most()).toBe(3);
    expect(order.filter((o) => o === 'state')).toHaveLength(1);
    expect(order.at(-1)).toBe('state');
    // the slow partition did not hold the others back
    expect(ids.indexOf('s1-3-0')).toBeGreaterThan(ids.indexOf('s2-3-0'));
  });

  it('reads one partition at a time without concurrency_level', async () => {
    const { transport, most } = api();
    const { ids } = await read(new DeclarativeSource(parseManifest(manifest('')), { transport }));
    expect(most()).toBe(1);
    expect(ids.slice(0, 5)).toEqual(['s1-1-0', 's1-1-1', 's1-2-0', 's1-2-1', 's1-3-0']);
  });

  it('fails the stream when one partition fails, with no checkpoint', async () => {
    const { transport } = api('s3');
    const source = new DeclarativeSource(
      parseManifest(manifest('concurrency_level: { type: ConcurrencyLevel, default_concurrency: 4 }')),
      { transport },
    );
    const states: unknown[] = [];
    const run = async () => {
      for await (const item of source.read({}, catalog, [], ctx()) as AsyncIterable<SourceOutput>)
        if (item.kind === 'message' && item.message.type === 'STATE') states.push(item.message);
    };
    await expect(run()).rejects.toThrow(/no shop s3|400/);
    expect(states).toEqual([]);
  });
});
