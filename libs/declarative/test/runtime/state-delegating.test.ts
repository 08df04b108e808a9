// StateDelegatingStream: the full-refresh stream on a first sync, the incremental one once a state
// exists, and the full-refresh one again when the saved cursor is older than the API keeps data.

import type { SourceOutput } from '@conveyor/cdk';
import { scriptedTransport } from '@conveyor/http';
import type { ConfiguredCatalog, JsonObject, StateMessage } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { DeclarativeSource, parseManifest } from '../../src/index.js';
import { ctx } from './read-context.js';

const stream = (path: string, incremental: boolean) => `
      type: DeclarativeStream
      name: fees
      primary_key: [id]
      schema_loader: { type: InlineSchemaLoader, schema: { type: object } }
      retriever:
        type: SimpleRetriever
        requester: { type: HttpRequester, url_base: https://api.example.com, path: ${path}, http_method: GET }
        record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [data] } }
${
  incremental
    ? `      incremental_sync:
        type: DatetimeBasedCursor
        cursor_field: updated
        datetime_format: "%s"
        start_datetime: "{{ config.start }}"
        start_time_option: { type: RequestOption, inject_into: request_parameter, field_name: since }`
    : ''
}`;

const MANIFEST = `
version: 6.0.0
type: DeclarativeSource
check: { type: CheckStream, stream_names: [fees] }
streams:
  - type: StateDelegatingStream
    name: fees
    api_retention_period: P30D
    full_refresh_stream:${stream('/fees', true)}
    incremental_stream:${stream('/events', true)}
spec:
  type: Spec
  connection_specification: { type: object, properties: { start: { type: string } } }
`;

const catalog: ConfiguredCatalog = {
  streams: [
    {
      stream: { name: 'fees', json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
      sync_mode: 'incremental',
      destination_sync_mode: 'append',
      cursor_field: ['updated'],
    },
  ],
};

function stateAt(updated: number): StateMessage[] {
  return [
    {
      type: 'STREAM',
      stream: { stream_descriptor: { name: 'fees' }, stream_state: { updated: String(updated) } },
    },
  ];
}

async function run(state: StateMessage[]) {
  const transport = scriptedTransport((request) => {
    const url = new URL(request.url);
    return { json: { data: [{ id: url.pathname, updated: Math.floor(Date.now() / 1000) }] } };
  });
  const source = new DeclarativeSource(parseManifest(MANIFEST), { transport });
  const states: JsonObject[] = [];
  for await (const item of source.read(
    { start: '1000' },
    catalog,
    state,
    ctx(),
  ) as AsyncIterable<SourceOutput>) {
    if (item.kind === 'message' && item.message.type === 'STATE')
      states.push((item.message.state as { stream: { stream_state: JsonObject } }).stream.stream_state);
  }
  return { paths: transport.requests.map((r) => new URL(r.url).pathname), states };
}

describe('StateDelegatingStream', () => {
  it('reads the full-refresh stream when there is no state', async () => {
    expect((await run([])).paths).toEqual(['/fees']);
  });

  it('reads the incremental stream from a recent state', async () => {
    const recent = Math.floor(Date.now() / 1000) - 86_400;
    expect((await run(stateAt(recent))).paths).toEqual(['/events']);
  });

  it('reads in full again, from an emptied state, when the cursor is older than the retention period', async () => {
    const old = Math.floor(Date.now() / 1000) - 40 * 86_400;
    const { paths, states } = await run(stateAt(old));
    expect(paths).toEqual(['/fees']);
    expect(states[0]).toEqual({});
  });
});
