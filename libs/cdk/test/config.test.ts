import { type ConnectorSpecification, ConveyorError } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { validateConfig, withoutFormatChecks } from '../src/index.js';

const spec: ConnectorSpecification = {
  connectionSpecification: {
    $schema: 'http://json-schema.org/draft-04/schema#',
    type: 'object',
    required: ['host', 'credentials'],
    additionalProperties: false,
    properties: {
      host: { type: 'string' },
      port: { type: 'integer', default: 5432, minimum: 1 },
      mode: { type: 'string', enum: ['fast', 'safe'], default: 'safe' },
      token: { type: 'string', airbyte_secret: true, pattern: '^tok_' },
      start_date: { type: 'string', format: 'date' },
      'odd-key': { type: 'object', properties: { inner: { type: 'boolean' } } },
      credentials: {
        type: 'object',
        oneOf: [
          {
            title: 'OAuth',
            required: ['auth_type', 'client_id', 'client_secret'],
            properties: {
              auth_type: { const: 'oauth' },
              client_id: { type: 'string' },
              client_secret: { type: 'string', airbyte_secret: true },
            },
          },
          {
            title: 'API key',
            required: ['auth_type', 'api_key'],
            properties: {
              auth_type: { const: 'api_key' },
              api_key: { type: 'string', airbyte_secret: true },
            },
          },
        ],
      },
    },
  },
};

function problem(config: unknown): ConveyorError {
  try {
    validateConfig(spec, config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConveyorError);
    return error as ConveyorError;
  }
  throw new Error('expected the config to be refused');
}

describe('validateConfig', () => {
  it('returns a copy with the defaults filled in and leaves the input alone', () => {
    const input = { host: 'db', credentials: { auth_type: 'api_key', api_key: 'k' } };
    const config = validateConfig(spec, input);
    expect(config).toEqual({ ...input, port: 5432, mode: 'safe' });
    expect(input).not.toHaveProperty('port');
  });

  it('names each bad field as a path with the rule it breaks', () => {
    const error = problem({
      port: 'x',
      mode: 'turbo',
      'odd-key': { inner: 3 },
      credentials: { auth_type: 'api_key' },
    });
    expect(error.failureType).toBe('config_error');
    const message = error.userMessage;
    expect(message).toMatch(/^The config is invalid: /);
    expect(message).toContain('config.host is required');
    expect(message).toContain('config.port must be integer');
    expect(message).toContain('config.mode must be one of: fast, safe');
    expect(message).toContain('config["odd-key"].inner must be boolean');
    expect(message).toContain('config.credentials.api_key is required');
    expect(message).toMatch(/Fix these fields and try again\.$/);
  });

  it('reports only the errors of the oneOf option the config chose', () => {
    const message = problem({ host: 'h', credentials: { auth_type: 'oauth', client_id: 'c' } }).userMessage;
    expect(message).toBe(
      'The config is invalid: config.credentials.client_secret is required. Fix this field and try again.',
    );
  });

  it('says no option matched when the config picked none', () => {
    const message = problem({ host: 'h', credentials: { auth_type: 'password' } }).userMessage;
    expect(message).toBe(
      'The config is invalid: config.credentials does not match any of the allowed options. Fix this field and try again.',
    );
  });

  it('does not echo the value of a field that breaks a rule', () => {
    const message = problem({
      host: 'h',
      token: 'sk_live_very_secret',
      credentials: { auth_type: 'api_key', api_key: 'k' },
    }).userMessage;
    expect(message).toContain('config.token must match pattern "^tok_"');
    expect(message).not.toContain('sk_live_very_secret');
  });

  it('checks simple formats and unknown fields', () => {
    const message = problem({
      host: 'h',
      start_date: '01/02/2024',
      extra: 1,
      credentials: { auth_type: 'api_key', api_key: 'k' },
    }).userMessage;
    expect(message).toContain('config.start_date must match format "date"');
    expect(message).toContain('config.extra is not a known field');
  });

  it('checks no formats for a spec registered without them, and still checks the rest', () => {
    const connectionSpecification = {
      type: 'object',
      required: ['start_date'],
      properties: { start_date: { type: 'string', format: 'date-time' }, count: { type: 'integer' } },
    };
    withoutFormatChecks(connectionSpecification);
    const spec: ConnectorSpecification = { connectionSpecification };
    expect(validateConfig(spec, { start_date: '2026-11-16' })).toEqual({ start_date: '2026-11-16' });
    expect(() => validateConfig(spec, { start_date: '2026-11-16', count: 'x' })).toThrow(
      /count must be integer/,
    );
    expect(() => validateConfig(spec, {})).toThrow(/start_date/);
  });

  it('refuses a config that is not an object', () => {
    expect(problem([]).userMessage).toContain('must be a JSON object');
    expect(problem(null).failureType).toBe('config_error');
  });

  it('reports a spec that is not a valid schema as a system error', () => {
    const broken: ConnectorSpecification = {
      connectionSpecification: { type: 'object', properties: { a: { type: 'nope' } } },
    };
    let caught: unknown;
    try {
      validateConfig(broken, {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConveyorError);
    expect((caught as ConveyorError).failureType).toBe('system_error');
  });

  it('accepts formats it does not check, without logging about them', () => {
    const withUri: ConnectorSpecification = {
      connectionSpecification: { type: 'object', properties: { url: { type: 'string', format: 'uri' } } },
    };
    expect(validateConfig(withUri, { url: 'not really a uri' })).toEqual({ url: 'not really a uri' });
  });
});
