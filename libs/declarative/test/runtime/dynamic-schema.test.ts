// DynamicSchemaLoader: a stream's schema from the API's own description of its fields, with
// the reference's type names, types_mapping (conditions see `raw_schema`), pairs of types,
// array item types, a filter and transformations. The expected schema below is what airbyte-cdk
// 7.39.1 discovers for the same manifest and answers (checked 2026-11-26).

import { scriptedTransport } from '@conveyor/http';
import { describe, expect, it } from 'vitest';
import { DeclarativeSource, parseManifest } from '../../src/index.js';
import { ctx } from './read-context.js';

const MANIFEST = `
version: 6.0.0
type: DeclarativeSource
check: { type: CheckStream, stream_names: [rows] }
streams:
  - type: DeclarativeStream
    name: rows
    retriever:
      type: SimpleRetriever
      requester: { type: HttpRequester, url_base: https://api.example.com, path: /rows, http_method: GET }
      record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [rows] } }
    schema_loader:
      type: DynamicSchemaLoader
      retriever:
        type: SimpleRetriever
        requester: { type: HttpRequester, url_base: https://api.example.com, path: /describe, http_method: GET }
        record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [] } }
      schema_type_identifier:
        type: SchemaTypeIdentifier
        schema_pointer: [fields]
        key_pointer: [name]
        type_pointer: [kind]
        types_mapping:
          - { type: TypesMap, current_type: text, target_type: string }
          - { type: TypesMap, current_type: num, target_type: integer, condition: "{{ raw_schema.get('scale', 0) == 0 }}" }
          - { type: TypesMap, current_type: num, target_type: number }
          - { type: TypesMap, current_type: when, target_type: [timestamp_with_timezone, date] }
          - type: TypesMap
            current_type: tags
            target_type: { type: ComplexFieldType, field_type: array, items: string }
      schema_filter: { type: RecordFilter, condition: "{{ 'internal' not in record.keys() | list | first }}" }
      schema_transformations:
        - type: AddFields
          fields: [{ path: [loaded_at], value: "{{ {'type': ['null', 'string']} }}" }]
spec:
  type: Spec
  connection_specification: { type: object }
`;

const DESCRIPTION = {
  fields: [
    { name: 'id', kind: 'num', scale: 0 },
    { name: 'price', kind: 'num', scale: 2 },
    { name: 'title', kind: 'text' },
    { name: 'seen', kind: 'when' },
    { name: 'labels', kind: 'tags' },
    { name: 'note' },
    { name: 'internal_flag', kind: 'boolean' },
  ],
};

describe('DynamicSchemaLoader', () => {
  it('builds the schema from the first record the API describes, once per stream', async () => {
    const transport = scriptedTransport((request) =>
      new URL(request.url).pathname === '/describe' ? { json: DESCRIPTION } : { json: { rows: [{ id: 1 }] } },
    );
    const source = new DeclarativeSource(parseManifest(MANIFEST), { transport });
    const catalog = await source.discover({}, ctx());
    expect(catalog.streams[0]!.json_schema).toEqual({
      $schema: 'https://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: true,
      properties: {
        id: { type: ['null', 'integer'] },
        price: { type: ['null', 'number'] },
        title: { type: ['null', 'string'] },
        seen: {
          oneOf: [
            { type: ['null', 'string'], format: 'date-time' },
            { type: ['null', 'string'], format: 'date' },
          ],
        },
        labels: { type: ['null', 'array'], items: { type: ['null', 'string'] } },
        note: { type: ['null', 'string'] },
        loaded_at: { type: ['null', 'string'] },
      },
    });
    expect(transport.requests.map((r) => new URL(r.url).pathname)).toEqual(['/describe']);
  });

  it('names the stream and the type when the API describes a type it cannot map', async () => {
    const transport = scriptedTransport(() => ({ json: { fields: [{ name: 'x', kind: 'geometry' }] } }));
    const source = new DeclarativeSource(parseManifest(MANIFEST), { transport });
    await expect(source.discover({}, ctx())).rejects.toThrow(
      /Stream "rows": the API described a field with the type "geometry", which is not an Airbyte type/,
    );
  });
});
