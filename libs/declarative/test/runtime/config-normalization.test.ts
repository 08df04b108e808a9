// spec.config_normalization_rules: migrations persisted once, transformations applied per run,
// validations before streams are built. Shapes follow the corpus's own rules (source-airtable's
// credentials move, source-gitlab's string-to-list split, source-google-search-console's checks).

import { configForRun } from '@conveyor/cdk';
import { scriptedTransport } from '@conveyor/http';
import { describe, expect, it } from 'vitest';
import { DeclarativeSource, parseManifest } from '../../src/index.js';
import { ctx } from './read-context.js';

const manifest = (rules: string) => `
version: 6.0.0
type: DeclarativeSource
check: { type: CheckStream, stream_names: [items] }
streams:
  - type: DeclarativeStream
    name: items
    schema_loader: { type: InlineSchemaLoader, schema: { type: object } }
    retriever:
      type: SimpleRetriever
      requester:
        type: HttpRequester
        url_base: https://api.example.com
        path: /items
        http_method: GET
        authenticator: { type: BearerAuthenticator, api_token: "{{ config.credentials.api_key }}" }
      record_selector: { type: RecordSelector, extractor: { type: DpathExtractor, field_path: [] } }
spec:
  type: Spec
  connection_specification:
    type: object
    required: [credentials]
    properties:
      credentials:
        type: object
        required: [api_key]
        properties: { api_key: { type: string, airbyte_secret: true }, auth_method: { type: string } }
      groups: { type: string }
      groups_list: { type: array }
      reports: { type: string }
  config_normalization_rules:
    type: ConfigNormalizationRules
${rules}`;

const MIGRATIONS = `
    config_migrations:
      - type: ConfigMigration
        description: the key moves under credentials
        transformations:
          - type: ConfigAddFields
            condition: "{{ config.get('api_key', False) }}"
            fields:
              - { type: AddedFieldDefinition, path: [credentials, api_key], value: "{{ config['api_key'] }}" }
              - { type: AddedFieldDefinition, path: [credentials, auth_method], value: api_key }
          - type: ConfigRemoveFields
            field_pointers: [[api_key]]
      - type: ConfigMigration
        transformations:
          - type: ConfigAddFields
            condition: "{{ not config.get('groups_list', False) }}"
            fields:
              - type: AddedFieldDefinition
                path: [groups_list]
                value: "{{ config.get('groups').split(' ') if config.get('groups') else [] }}"
    transformations:
      - type: ConfigRemapField
        field_path: [credentials, auth_method]
        map: { api_key: "{{ 'API key' if config.groups else 'key' }}" }
      - type: ConfigAddFields
        fields:
          - { type: AddedFieldDefinition, path: [page_size], value: "{{ 2 * 50 }}", value_type: integer }
`;

describe('config_normalization_rules', () => {
  const source = new DeclarativeSource(parseManifest(manifest(MIGRATIONS)));

  it('migrates an old config (fields moved, strings split into lists), then transforms it for the run', () => {
    const { config, updated } = configForRun(source, { api_key: 'sk-1', groups: 'a b' });
    expect(updated).toEqual({
      credentials: { api_key: 'sk-1', auth_method: 'api_key' },
      groups: 'a b',
      groups_list: ['a', 'b'],
    });
    expect(config).toEqual({
      credentials: { api_key: 'sk-1', auth_method: 'API key' },
      groups: 'a b',
      groups_list: ['a', 'b'],
      page_size: 100,
    });
  });

  it('leaves a config in the current format as it is (nothing to persist)', () => {
    const stored = { credentials: { api_key: 'sk-1' }, groups_list: ['x'] };
    const { config, updated } = configForRun(source, stored);
    expect(updated).toBeUndefined();
    expect(config).toEqual({ credentials: { api_key: 'sk-1' }, groups_list: ['x'], page_size: 100 });
  });

  it('reads with the migrated config: the request carries the moved key', async () => {
    const transport = scriptedTransport(() => ({ json: [{ id: 1 }] }));
    const s = new DeclarativeSource(parseManifest(manifest(MIGRATIONS)), { transport });
    const { config } = configForRun(s, { api_key: 'sk-2' });
    const status = await s.check(config, ctx());
    expect(status).toEqual({ status: 'SUCCEEDED' });
    expect(transport.requests[0]!.headers.Authorization).toBe('Bearer sk-2');
  });

  const VALIDATIONS = `
    validations:
      - type: DpathValidator
        field_path: [reports]
        validation_strategy:
          type: ValidateAdheresToSchema
          base_schema:
            type: array
            items: { type: object, required: [name], properties: { name: { type: string, minLength: 1 } } }
      - type: DpathValidator
        field_path: [custom, "*", dimensions]
        validation_strategy:
          type: ValidateAdheresToSchema
          base_schema: '{"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}}'
`;

  it('validates the config before any stream is built, naming the field and the rule', async () => {
    const s = new DeclarativeSource(parseManifest(manifest(VALIDATIONS)));
    const good = {
      credentials: { api_key: 'k' },
      reports: '[{"name": "r"}]',
      custom: [{ dimensions: ['ab'] }, { dimensions: ['cd', 'ef'] }],
    };
    await expect(s.discover(good, ctx())).resolves.toMatchObject({ streams: [{ name: 'items' }] });
    // a path the config does not have is skipped, as the reference does
    await expect(s.discover({ credentials: { api_key: 'k' } }, ctx())).resolves.toBeDefined();
    await expect(s.discover({ ...good, reports: '[{"name": ""}]' }, ctx())).rejects.toThrow(
      /The config's field reports at \/0\/name must NOT have fewer than 1 characters/,
    );
    await expect(s.discover({ ...good, reports: 'not json' }, ctx())).rejects.toThrow(
      /field reports must hold JSON/,
    );
    // a string is read as JSON first, as the reference reads it: a plain word is not JSON
    await expect(s.discover({ ...good, custom: [{ dimensions: 'ab' }] }, ctx())).rejects.toThrow(
      /field custom\.\*\.dimensions must hold JSON/,
    );
    await expect(s.discover({ ...good, custom: [{ dimensions: ['ok', 'Not-Ok'] }] }, ctx())).rejects.toThrow(
      /field custom\.\*\.dimensions at \/1 must match pattern/,
    );
    const status = await s.check({ ...good, custom: [{ dimensions: ['UP'] }] }, ctx());
    expect(status.status).toBe('FAILED');
  });

  it('refuses an unknown rule when the manifest loads (the schema check names it)', () => {
    expect(
      () =>
        new DeclarativeSource(
          parseManifest(manifest('    transformations:\n      - { type: ConfigShuffle, field_path: [x] }\n')),
        ),
    ).toThrow(/ConfigShuffle/);
  });
});
