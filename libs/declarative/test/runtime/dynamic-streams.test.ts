// dynamic_streams: streams built from a template, one per set of component values (records an API
// lists, entries of the config, a list in the manifest), then read like any other stream.

import { type SourceOutput, validateConfig } from '@conveyor/cdk';
import { scriptedTransport } from '@conveyor/http';
import type { ConfiguredCatalog, JsonObject } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { DeclarativeSource, parseManifest } from '../../src/index.js';
import { ctx } from './read-context.js';

async function records(out: AsyncIterable<SourceOutput>) {
  const byStream: Record<string, JsonObject[]> = {};
  for await (const item of out) {
    if (item.kind !== 'records' || item.batch.format !== 'objects') continue;
    byStream[item.batch.stream] = [...(byStream[item.batch.stream] ?? []), ...item.batch.records];
  }
  return byStream;
}

function catalogOf(...names: string[]): ConfiguredCatalog {
  return {
    streams: names.map((name) => ({
      stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh'] },
      sync_mode: 'full_refresh',
      destination_sync_mode: 'append',
    })),
  };
}

const TEMPLATE = `
      type: DeclarativeStream
      name: placeholder
      primary_key: [id]
      schema_loader: { type: InlineSchemaLoader, schema: { type: object } }
      retriever:
        type: SimpleRetriever
        requester:
          type: HttpRequester
          url_base: https://api.example.com
          path: "/tables/{{ parameters.table }}"
          http_method: GET
          request_parameters:
            view: placeholder
        record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [records] } }
      transformations:
        - type: AddFields
          fields: [{ path: [table], value: placeholder }]
      $parameters:
        table: none`;

const manifest = (resolver: string, extra = '') => `
version: 6.0.0
type: DeclarativeSource
check: { type: CheckStream, stream_names: [fixed] }
streams:
  - type: DeclarativeStream
    name: fixed
    schema_loader: { type: InlineSchemaLoader, schema: { type: object } }
    retriever:
      type: SimpleRetriever
      requester: { type: HttpRequester, url_base: https://api.example.com, path: /fixed, http_method: GET }
      record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [] } }
dynamic_streams:
  - type: DynamicDeclarativeStream
    name: tables
    stream_template:${TEMPLATE}
    components_resolver:
${resolver}
spec:
  type: Spec
  connection_specification:
    type: object
    properties:
      reports: { type: array }
${extra}`;

const HTTP = `
      type: HttpComponentsResolver
      retriever:
        type: SimpleRetriever
        requester: { type: HttpRequester, url_base: https://api.example.com, path: /meta/tables, http_method: GET }
        record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [tables] } }
      components_mapping:
        - { type: ComponentMappingDefinition, field_path: [name], value: "{{ components_values.name | lower }}" }
        - { type: ComponentMappingDefinition, field_path: ["$parameters", table], value: "{{ components_values.id }}" }
        - { type: ComponentMappingDefinition, field_path: [retriever, requester, request_parameters, view], value: "{{ components_values.view }}" }
        - { type: ComponentMappingDefinition, field_path: [transformations, "0", fields, "0", value], value: "{{ components_values.name }}" }
        - { type: ComponentMappingDefinition, field_path: [retriever, requester, not_there], value: "ignored" }`;

describe('dynamic_streams', () => {
  it('HttpComponentsResolver: one stream per listed record, its path, parameters and fields filled in', async () => {
    const transport = scriptedTransport((request) => {
      const url = new URL(request.url);
      if (url.pathname === '/meta/tables')
        return {
          json: {
            tables: [
              { id: 't1', name: 'Orders', view: 'all' },
              { id: 't2', name: 'Users', view: 'grid' },
            ],
          },
        };
      if (url.pathname === '/fixed') return { json: [{ id: 0 }] };
      return { json: { records: [{ id: `${url.pathname}?${url.searchParams}` }] } };
    });
    const source = new DeclarativeSource(parseManifest(manifest(HTTP)), { transport });
    const catalog = await source.discover({}, ctx());
    expect(catalog.streams.map((s) => s.name)).toEqual(['fixed', 'orders', 'users']);
    expect(catalog.streams[1]!.source_defined_primary_key).toEqual([['id']]);
    const read = await records(source.read({}, catalogOf('orders', 'users'), [], ctx()));
    expect(read).toEqual({
      orders: [{ id: '/tables/t1?view=all', table: 'Orders' }],
      users: [{ id: '/tables/t2?view=grid', table: 'Users' }],
    });
  });

  const CONFIG = `
      type: ConfigComponentsResolver
      stream_config: { type: StreamConfig, configs_pointer: [reports], default_values: [{ name: builtin, columns: "[a]" }] }
      components_mapping:
        - { type: ComponentMappingDefinition, field_path: [name], value: "report_{{ components_values.name }}" }
        - { type: ComponentMappingDefinition, field_path: ["$parameters", table], value: "{{ components_values.name }}" }
        - type: ComponentMappingDefinition
          field_path: [retriever, requester, request_parameters, columns]
          value: "{{ components_values.columns }}"
          create_or_update: true
        - type: ComponentMappingDefinition
          field_path: [retriever, requester, request_parameters, view]
          value: "{{ components_values.view }}"
          condition: "{{ components_values.get('view') }}"
        - type: ComponentMappingDefinition
          field_path: ["**", name]
          value: "r_{{ components_values.name }}"
          condition: "{{ components_values.name == 'deep' }}"`;

  it('ConfigComponentsResolver: one stream per config entry plus the defaults, YAML values, conditions, created paths', async () => {
    const transport = scriptedTransport((request) => {
      const url = new URL(request.url);
      return { json: { records: [{ id: `${url.pathname}?${url.searchParams}` }] } };
    });
    const source = new DeclarativeSource(parseManifest(manifest(CONFIG)), { transport });
    const config = validateConfig(source.spec(), {
      reports: [{ name: 'sales', columns: '[x, y]', view: 'v1' }, { name: 'deep' }],
    });
    const catalog = await source.discover(config, ctx());
    expect(catalog.streams.map((s) => s.name)).toEqual(['fixed', 'report_sales', 'r_deep', 'report_builtin']);
    const read = await records(source.read(config, catalogOf('report_sales', 'report_builtin'), [], ctx()));
    // a YAML list is a list (sent as repeated parameters); the condition kept "placeholder" where no view was given
    expect(read.report_sales).toEqual([
      { id: '/tables/sales?view=v1&columns=x&columns=y', table: 'placeholder' },
    ]);
    expect(read.report_builtin).toEqual([
      { id: '/tables/builtin?view=placeholder&columns=a', table: 'placeholder' },
    ]);
  });

  it('refuses two streams with one name, naming the config as the place to fix', async () => {
    const source = new DeclarativeSource(parseManifest(manifest(CONFIG)));
    const config = { reports: [{ name: 'same' }, { name: 'same' }] };
    await expect(source.discover(config, ctx())).rejects.toThrow(
      /second stream named "report_same".*Check the config/,
    );
  });

  it('ParametrizedComponentsResolver: one stream per listed parameter set', async () => {
    const PARAMETRIZED = `
      type: ParametrizedComponentsResolver
      stream_parameters:
        type: StreamParametersDefinition
        list_of_parameters_for_stream: [{ name: alpha, key: [a, b] }, { name: beta, key: id }]
      components_mapping:
        - { type: ComponentMappingDefinition, field_path: [name], value: "{{ components_values.name }}" }
        - { type: ComponentMappingDefinition, field_path: [primary_key], value: "{{ components_values.key }}" }`;
    const source = new DeclarativeSource(parseManifest(manifest(PARAMETRIZED)));
    const catalog = await source.discover({}, ctx());
    expect(catalog.streams.slice(1).map((s) => [s.name, s.source_defined_primary_key])).toEqual([
      ['alpha', [['a'], ['b']]],
      ['beta', [['id']]],
    ]);
  });
});
