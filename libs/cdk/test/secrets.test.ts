import { type AirbyteMessage, configError, SecretMasker } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { consoleLogger, createLogger, errorTrace } from '../src/index.js';
import { jsonFiles, MemoryOutput, runCli } from './fixtures/run.js';
import { type TestConfig, TestSource } from './fixtures/test-source.js';

const secret = 'p@ss w/rd"Zq9+key=é';
const spellings = {
  raw: secret,
  jsonEscaped: JSON.stringify(secret).slice(1, -1),
  urlEncoded: encodeURIComponent(secret),
  base64: Buffer.from(secret).toString('base64'),
};

/** Every string in the output, decoded from its JSON, plus the raw text: a leak in any spelling shows up. */
function texts(stdout: string, stderr: string): string[] {
  const found = [stdout, stderr];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') found.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  for (const line of stdout.split('\n')) if (line) walk(JSON.parse(line));
  return found;
}

function expectNoSecret(all: string[]): void {
  for (const [spelling, value] of Object.entries(spellings)) {
    const leaks = all.filter((text) => text.includes(value));
    expect(leaks, `secret leaked ${spelling}`).toEqual([]);
  }
}

const catalog = {
  streams: [
    {
      stream: { name: 'users', json_schema: {}, supported_sync_modes: ['full_refresh'] },
      sync_mode: 'full_refresh',
      destination_sync_mode: 'append',
    },
  ],
};

describe('secrets never leave the process', () => {
  for (const debug of ['0', '1']) {
    it(`are masked in log lines, error traces and stderr (CONVEYOR_DEBUG=${debug})`, async () => {
      const files = jsonFiles({
        'config.json': { api_key: secret, start: 0, fail_stream: 'users' },
        'catalog.json': catalog,
      });
      const { code, stdout, stderr, messages } = await runCli(
        new TestSource(),
        ['read', '--config', files['config.json']!, '--catalog', files['catalog.json']!],
        { env: { CONVEYOR_DEBUG: debug } },
      );
      expect(code).toBe(1);
      // the failure and the log line really mention the key, masked
      const log = messages.find((m): m is Extract<AirbyteMessage, { type: 'LOG' }> => m.type === 'LOG');
      expect(log?.log.message).toBe('reading users with key ****');
      const error = messages.find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR');
      expect(JSON.stringify(error)).toContain('key=****');
      expect(JSON.stringify(error)).toContain('Basic ****');
      if (debug === '1') expect(stderr).toContain('at ');
      expectNoSecret(texts(stdout, stderr));
    });
  }

  it('are masked in a failed check and in config validation errors', async () => {
    class Failing extends TestSource {
      override streams(config: TestConfig): never {
        throw configError(`The key ${config.api_key} was refused (${encodeURIComponent(config.api_key)})`);
      }
    }
    const good = jsonFiles({ 'config.json': { api_key: secret, start: 0 } });
    const check = await runCli(new Failing(), ['check', '--config', good['config.json']!]);
    expect(check.code).toBe(1);
    expect(check.messages).toEqual([
      {
        type: 'CONNECTION_STATUS',
        connectionStatus: { status: 'FAILED', message: 'The key **** was refused (****)' },
      },
    ]);
    expectNoSecret(texts(check.stdout, check.stderr));

    const bad = jsonFiles({ 'config.json': { api_key: secret, start: secret } });
    const discover = await runCli(new TestSource(), ['discover', '--config', bad['config.json']!]);
    expect(discover.code).toBe(1);
    expect(discover.stdout).toContain('config.start must be integer');
    expectNoSecret(texts(discover.stdout, discover.stderr));
  });

  it('createLogger writes masked LOG messages; consoleLogger writes masked lines', () => {
    const masker = new SecretMasker([secret]);
    const messages: AirbyteMessage[] = [];
    const logger = createLogger({ write: (m) => void messages.push(m) }, masker);
    logger.warn(`token ${spellings.base64} in ${spellings.urlEncoded}`);
    logger.debug(`raw ${secret}`);
    expect(messages).toEqual([
      { type: 'LOG', log: { level: 'WARN', message: 'token **** in ****' } },
      { type: 'LOG', log: { level: 'DEBUG', message: 'raw ****' } },
    ]);

    const err = new MemoryOutput();
    consoleLogger(masker, err).error(`{"password":"${spellings.jsonEscaped}"}`);
    expect(err.text).toMatch(/^\S+ ERROR \{"password":"\*\*\*\*"\}\n$/);
  });

  it('errorTrace masks the message, internal message and stack and keeps the classification', () => {
    const masker = new SecretMasker([secret]);
    const cause = new Error(`connect failed for ${spellings.urlEncoded}`);
    const trace = errorTrace(
      configError(`Password ${secret} is wrong`, { internalMessage: `sent ${spellings.base64}`, cause }),
      masker,
      { name: 'users' },
    );
    expect(trace.trace.type).toBe('ERROR');
    expect(trace.trace.error).toMatchObject({
      message: 'Password **** is wrong',
      internal_message: 'sent ****',
      failure_type: 'config_error',
      stream_descriptor: { name: 'users' },
    });
    expect(trace.trace.error?.stack_trace).toMatch(/^Error: connect failed for \*\*\*\*\n\s+at /);
    expectNoSecret(texts(JSON.stringify(trace), ''));
  });

  it('errorTrace classifies unknown errors as system errors', () => {
    const trace = errorTrace(new TypeError('x is undefined'), new SecretMasker());
    expect(trace.trace.error).toMatchObject({ message: 'x is undefined', failure_type: 'system_error' });
    expect(trace.trace.error).not.toHaveProperty('stream_descriptor');
    // the stack is the internal detail of an unclassified error: it is sent once, as stack_trace
    expect(trace.trace.error?.stack_trace).toMatch(/^TypeError: x is undefined\n/);
    expect(trace.trace.error).not.toHaveProperty('internal_message');
  });
});
