import { describe, expect, it } from 'vitest';
import { defaultStartDate, generateConfig } from '../src/config-gen.js';
import type { Json, JsonObject } from '../src/manifest-model.js';
import { exampleForPattern } from '../src/pattern-example.js';

const options = { startDate: '2024-01-01T00:00:00Z' };
const manifest = (properties: Record<string, Json>, required: string[]): JsonObject => ({
  spec: { type: 'Spec', connection_specification: { type: 'object', required, properties } },
});

describe('generateConfig', () => {
  it('fills required fields with values of their type and keeps optional fields only when they have defaults', () => {
    const config = generateConfig(
      manifest(
        {
          api_key: { type: 'string', airbyte_secret: true },
          page_size: { type: 'integer', default: 50 },
          region: { type: 'string', enum: ['eu', 'us'] },
          lookback: { type: 'integer' },
          verbose: { type: 'boolean' },
          ratio: { type: 'number', minimum: 0.5 },
          start_date: { type: 'string', format: 'date-time' },
          day: { type: 'string', format: 'date' },
          optional_filter: { type: 'string' },
        },
        ['api_key', 'region', 'lookback', 'verbose', 'ratio', 'start_date', 'day'],
      ),
      options,
    );
    expect(config).toEqual({
      api_key: 'secret-api_key',
      page_size: 50,
      region: 'eu',
      lookback: 10,
      verbose: false,
      ratio: 0.5,
      start_date: '2024-01-01T00:00:00Z',
      day: '2024-01-01',
    });
  });

  it('honours const, and picks the first oneOf variant of an auth block with its const discriminator', () => {
    const config = generateConfig(
      manifest(
        {
          credentials: {
            type: 'object',
            oneOf: [
              {
                type: 'object',
                required: ['auth_type', 'access_token'],
                properties: {
                  auth_type: { type: 'string', const: 'token' },
                  access_token: { type: 'string' },
                },
              },
              { type: 'object', properties: { auth_type: { const: 'oauth' } } },
            ],
          },
        },
        [],
      ),
      options,
    );
    expect(config).toEqual({ credentials: { auth_type: 'token', access_token: 'mock-access_token' } });
  });

  it('generates a string that matches a date pattern', () => {
    const config = generateConfig(
      manifest(
        {
          a: {
            type: 'string',
            format: 'date-time',
            pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}.[0-9]{3}Z$',
          },
          b: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
          c: { type: 'string', pattern: '^\\d+$' },
        },
        ['a', 'b', 'c'],
      ),
      options,
    );
    expect(config).toEqual({ a: '2024-01-01T00:00:00.000Z', b: '2024-01-01', c: '12345' });
  });

  it('writes the start date in the format a pattern asks for, and as Unix seconds in a numeric date field', () => {
    const config = generateConfig(
      manifest(
        {
          dmy: { type: 'string', pattern: '^[0-9]{2}-[0-9]{2}-[0-9]{4}$' },
          dmy_time: { type: 'string', pattern: '^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}$' },
          compact: { type: 'string', pattern: '^[0-9]{8}T[0-9]{6}Z$' },
          date_created_from: { type: 'integer', examples: [1651363200] },
          since: { type: 'integer', description: 'Unix timestamp to start from' },
        },
        ['dmy', 'dmy_time', 'compact', 'date_created_from', 'since'],
      ),
      { startDate: '2024-01-16T00:00:00Z' },
    );
    expect(config).toEqual({
      dmy: '16-01-2024',
      dmy_time: '16/01/2024 00:00',
      compact: '20240116T000000Z',
      date_created_from: 1705363200,
      since: 1705363200,
    });
  });

  it('replaces a default start date by the start date, written the same way; end dates keep theirs', () => {
    const config = generateConfig(
      manifest(
        {
          start_date: { type: 'string', format: 'date-time', default: '2017-01-25T00:00:00Z' },
          since: { type: 'string', default: '2019-03-01', description: 'UTC date' },
          start_timestamp: { type: 'integer', default: 1493078400 },
          end_date: { type: 'string', format: 'date', default: '2099-12-31' },
          page_size: { type: 'integer', default: 100 },
        },
        [],
      ),
      options,
    );
    expect(config).toEqual({
      start_date: '2024-01-01T00:00:00Z',
      since: '2019-03-01',
      start_timestamp: 1704067200,
      end_date: '2099-12-31',
      page_size: 100,
    });
  });

  it('writes a start date the way the manifest parses it, unless the pattern says otherwise', () => {
    const spec = manifest(
      {
        start_date: { type: 'string', format: 'date-time' },
        since: { type: 'string', format: 'date-time' },
        from: { type: 'string', format: 'date-time', pattern: '^\\d{4}-\\d{2}-\\d{2}T' },
      },
      ['start_date', 'since', 'from'],
    );
    const withTemplates = {
      ...spec,
      definitions: {
        cursor: {
          type: 'DatetimeBasedCursor',
          datetime_format: '%s',
          start_datetime: "{{ config['since'] }}",
        },
        window: {
          type: 'MinMaxDatetime',
          datetime: "{{ config['start_date'] }}",
          datetime_format: '%Y-%m-%d',
        },
        other: { type: 'MinMaxDatetime', datetime: '{{ config.from }}', datetime_format: '%Y-%m-%d' },
      },
    };
    expect(generateConfig(withTemplates, options)).toEqual({
      start_date: '2024-01-01',
      since: '1704067200',
      from: '2024-01-01T00:00:00Z',
    });
  });

  it("uses the spec's examples where the type gives no meaningful value, checked against the pattern", () => {
    const config = generateConfig(
      manifest(
        {
          region: { type: 'string', examples: ['eu-west-1'] },
          token: { type: 'string', pattern: '^(sandbox|live)_.+$', examples: ['nope', 'live_abc'] },
          count: { type: 'integer', examples: ['x', 25] },
          secret: { type: 'string', airbyte_secret: true, examples: ['a real-looking key'] },
        },
        ['region', 'token', 'count', 'secret'],
      ),
      options,
    );
    expect(config).toEqual({ region: 'eu-west-1', token: 'live_abc', count: 25, secret: 'secret-secret' });
  });

  it('is deterministic and gives {} without a spec', () => {
    const spec = manifest({ x: { type: 'array', items: { type: 'integer' } } }, ['x']);
    expect(generateConfig(spec, options)).toEqual(generateConfig(spec, options));
    expect(generateConfig(spec, options)).toEqual({ x: [10] });
    expect(generateConfig({}, options)).toEqual({});
  });

  it('defaults the start date to midnight UTC ten days before now', () => {
    expect(defaultStartDate(new Date('2026-03-05T17:45:00Z'))).toBe('2026-02-23T00:00:00Z');
  });
});

describe('specs whose own rules are hard to satisfy', () => {
  it('finds a string for a pattern none of the usual candidates match', () => {
    expect(exampleForPattern('^(sandbox|live)_.+$')).toBe('sandbox_x');
    expect(exampleForPattern('^(s|r)k_(live|test)_[a-zA-Z0-9]+$')).toBe('sk_live_a');
    expect(exampleForPattern('^[A-Z]{2}-\\d{3,}$')).toBe('AA-000');
    expect(exampleForPattern('^(?=x)')).toBeUndefined();
  });

  it('ignores a default of the wrong type, and a oneOf default that is a copy of a schema', () => {
    const config = generateConfig(
      {
        spec: {
          connection_specification: {
            type: 'object',
            required: ['token'],
            properties: {
              token: { type: 'string', pattern: '^(sandbox|live)_.+$' },
              limit: { type: 'number', default: '1000' },
              flag: { type: ['null', 'boolean'], default: null },
              region: {
                type: 'object',
                oneOf: [
                  {
                    type: 'object',
                    properties: { url_base: { type: 'string', const: 'https://eu.example.com' } },
                  },
                  {
                    type: 'object',
                    properties: { url_base: { type: 'string', const: 'https://example.com' } },
                  },
                ],
                default: {
                  type: 'object',
                  properties: { url_base: { type: 'string', const: 'https://example.com' } },
                },
              },
            },
          },
        },
      },
      { startDate: '2026-01-01T00:00:00Z' },
    );
    expect(config).toMatchObject({
      token: 'sandbox_x',
      flag: null,
      region: { url_base: 'https://eu.example.com' },
    });
    expect(typeof config.limit).toBe('number');
  });
});
