import { describe, expect, it } from 'vitest';
import { ConveyorError } from '../src/errors.js';
import { isProtocolLine, parseMessage, validateRecordLines } from '../src/parse.js';
import { ProtocolError } from '../src/protocol-error.js';
import { SecretMasker } from '../src/secrets.js';

const SECRET = 'pw-Zq81!x7vLmN';
const masker = new SecretMasker([SECRET]);
const ctx = {
  source: 'source-acme',
  lineNumber: 42,
  masker,
  knownStreams: new Set(['users', 'crm.accounts']),
};

function parseError(line: string, context: Parameters<typeof parseMessage>[1] = ctx): ProtocolError {
  try {
    parseMessage(Buffer.from(line), context);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error(`expected a ProtocolError for ${line}`);
}

/** What every protocol error must say: who, where, what to do, and no secret. */
function expectClearError(e: ProtocolError, stream?: string): void {
  expect(e).toBeInstanceOf(ConveyorError);
  expect(e.failureType).toBe('system_error');
  expect(e.source).toBe('source-acme');
  expect(e.lineNumber).toBe(42);
  expect(e.message).toContain('"source-acme"');
  expect(e.message).toContain('line 42');
  expect(e.message).toContain('fix the connector or report it to its maintainer');
  if (stream) expect(e.message).toContain(`, stream "${stream}"`);
  else expect(e.message).not.toContain('stream "');
  expect(e.message).not.toContain(SECRET);
  expect(e.snippet).not.toContain(SECRET);
  expect(e.message).toContain('****');
}

describe('parseMessage', () => {
  it('returns the parsed message with unknown fields kept', () => {
    const line = `{"type":"RECORD","x":1,"record":{"stream":"users","data":{"a":{"b":[1]}},"emitted_at":5,"y":{"z":true}}}`;
    expect(parseMessage(line, ctx)).toEqual(JSON.parse(line));
  });

  it('keys a record by namespace and name, and treats a null namespace as none', () => {
    const namespaced = parseMessage(
      '{"type":"RECORD","record":{"namespace":"crm","stream":"accounts","data":{},"emitted_at":1}}',
      ctx,
    );
    expect(namespaced.type).toBe('RECORD');
    const plain = parseMessage(
      '{"type":"RECORD","record":{"namespace":null,"stream":"users","data":{},"emitted_at":1}}',
      ctx,
    );
    expect(plain).toEqual({ type: 'RECORD', record: { stream: 'users', data: {}, emitted_at: 1 } });
  });

  it('rejects a line that is not JSON', () => {
    const e = parseError(`{"type":"LOG","log":{"level":"INFO","message":"password ${SECRET}"`);
    expectClearError(e);
    expect(e.message).toContain('is not valid JSON');
  });

  it('names the stream of a truncated record line', () => {
    const e = parseError(`{"type":"RECORD","record":{"stream":"users","data":{"pw":"${SECRET}"`);
    expectClearError(e, 'users');
    expect(e.stream).toEqual({ name: 'users' });
  });

  it('rejects JSON that is not an object', () => {
    expectClearError(parseError(`["${SECRET}"]`));
    expect(parseError(`["${SECRET}"]`).message).toContain('is an array, not a JSON object');
    expect(parseError(`"${SECRET}"`).message).toContain('is a string, not a JSON object');
  });

  it('rejects a missing or unknown type', () => {
    const missing = parseError(`{"log":{"message":"${SECRET}"}}`);
    expectClearError(missing);
    expect(missing.message).toContain('has no "type" field');
    const unknown = parseError(`{"type":"GOSSIP","gossip":{"message":"${SECRET}"}}`);
    expectClearError(unknown);
    expect(unknown.message).toContain('unknown message type "GOSSIP"');
    expect(unknown.message).toContain('DESTINATION_CATALOG');
    const secretType = parseError(`{"type":"${SECRET}","log":{}}`);
    expectClearError(secretType);
    expect(secretType.message).toContain('unknown message type "****"');
  });

  it('accepts every known type, DESTINATION_CATALOG included', () => {
    expect(
      parseMessage('{"type":"DESTINATION_CATALOG","destination_catalog":{"operations":[]}}', ctx).type,
    ).toBe('DESTINATION_CATALOG');
  });

  it('rejects a missing or non-object payload', () => {
    const missing = parseError(`{"type":"LOG","message":"${SECRET}"}`);
    expectClearError(missing);
    expect(missing.message).toContain('"log" field is missing');
    const wrong = parseError(`{"type":"CONNECTION_STATUS","connectionStatus":"${SECRET}"}`);
    expectClearError(wrong);
    expect(wrong.message).toContain('"connectionStatus" field is a string, not an object');
  });

  it('rejects a record for a stream that is not in the catalog', () => {
    const e = parseError(
      `{"type":"RECORD","record":{"stream":"orders","data":{"pw":"${SECRET}"},"emitted_at":1}}`,
    );
    expectClearError(e, 'orders');
    expect(e.message).toContain('not in the configured catalog');
    const ns = parseError(
      `{"type":"RECORD","record":{"namespace":"erp","stream":"accounts","data":{"pw":"${SECRET}"},"emitted_at":1}}`,
    );
    expectClearError(ns, 'erp.accounts');
    expect(ns.stream).toEqual({ name: 'accounts', namespace: 'erp' });
  });

  it('accepts any stream when no catalog is given', () => {
    const { knownStreams: _, ...noCatalog } = ctx;
    const line = '{"type":"RECORD","record":{"stream":"orders","data":{},"emitted_at":1}}';
    expect(parseMessage(line, noCatalog).type).toBe('RECORD');
  });

  it('rejects a record whose data is not an object', () => {
    for (const data of ['[1,2]', 'null', `"${SECRET}"`]) {
      const e = parseError(
        `{"type":"RECORD","record":{"stream":"users","data":${data},"emitted_at":1,"k":"${SECRET}"}}`,
      );
      expectClearError(e, 'users');
      expect(e.message).toContain('"record.data"');
    }
  });

  it('rejects a record without a stream name or timestamp', () => {
    const noStream = parseError(`{"type":"RECORD","record":{"data":{"pw":"${SECRET}"},"emitted_at":1}}`);
    expectClearError(noStream);
    expect(noStream.message).toContain('"record.stream"');
    const noTime = parseError(`{"type":"RECORD","record":{"stream":"users","data":{"pw":"${SECRET}"}}}`);
    expectClearError(noTime, 'users');
    expect(noTime.message).toContain('"record.emitted_at"');
  });

  it('checks a state by its type', () => {
    const valid = [
      '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},"stream_state":{"c":1}}}}',
      '{"type":"STATE","state":{"type":"GLOBAL","global":{"shared_state":{},"stream_states":[{"stream_descriptor":{"name":"users"}}]}}}',
      '{"type":"STATE","state":{"type":"LEGACY","data":{"c":1}}}',
      '{"type":"STATE","state":{"data":{"c":1}}}',
    ];
    for (const line of valid) expect(parseMessage(line, ctx)).toEqual(JSON.parse(line));
    const invalid: [string, string][] = [
      [
        `{"type":"STATE","state":{"type":"STREAM","stream":{"stream_state":{"k":"${SECRET}"}}}}`,
        'stream_descriptor.name',
      ],
      [
        `{"type":"STATE","state":{"type":"GLOBAL","global":{"shared_state":{"k":"${SECRET}"}}}}`,
        'stream_states',
      ],
      [
        `{"type":"STATE","state":{"type":"GLOBAL","global":{"stream_states":[{"k":"${SECRET}"}]}}}`,
        'stream_states',
      ],
      [`{"type":"STATE","state":{"type":"LEGACY","k":"${SECRET}"}}`, '"state.data"'],
      [`{"type":"STATE","state":{"k":"${SECRET}"}}`, '"state.data"'],
      [`{"type":"STATE","state":{"type":"SHARDED","k":"${SECRET}"}}`, 'unknown type "SHARDED"'],
    ];
    for (const [line, says] of invalid) {
      const e = parseError(line);
      expectClearError(e);
      expect(e.message).toContain(says);
    }
  });

  it('quotes at most 200 characters of the line, masking a secret cut by the limit', () => {
    const prefix = `{"type":"LOG","log":{"level":"INFO","message":"`;
    const line = `${prefix}${'m'.repeat(190 - prefix.length)}${SECRET}${'z'.repeat(5000)}"}`; // no closing brace
    const e = parseError(line);
    expect(e.snippet.length).toBeLessThanOrEqual(201);
    expect(e.snippet.endsWith('…')).toBe(true);
    expect(e.snippet).toContain(`${'m'.repeat(10)}****`);
    expect(e.snippet).not.toContain(SECRET.slice(0, 5));
    expect(e.message).not.toContain('z'.repeat(200));
    expect(e.message.length).toBeLessThan(700);
  });

  it('accepts a string line as well as a buffer', () => {
    expect(parseMessage('{"type":"LOG","log":{"level":"INFO","message":"hi"}}', ctx).type).toBe('LOG');
  });
});

describe('isProtocolLine', () => {
  it('is true only when the first non-space byte is {', () => {
    expect(isProtocolLine(Buffer.from('{"type":"LOG"}'))).toBe(true);
    expect(isProtocolLine(Buffer.from(' \t{broken'))).toBe(true);
    expect(isProtocolLine(Buffer.from('Starting up...'))).toBe(false);
    expect(isProtocolLine(Buffer.from('[1,2]'))).toBe(false);
    expect(isProtocolLine(Buffer.from('   '))).toBe(false);
    expect(isProtocolLine(Buffer.alloc(0))).toBe(false);
  });
});

describe('validateRecordLines', () => {
  const record = (stream: string, data = '{}') =>
    Buffer.from(`{"type":"RECORD","record":{"stream":"${stream}","data":${data},"emitted_at":1}}`);
  const batchCtx = { source: 'source-acme', masker, knownStreams: new Set(['users']) };

  it('passes a batch of valid records', () => {
    expect(() => validateRecordLines([record('users'), record('users')], [3, 4], batchCtx)).not.toThrow();
  });

  it('throws for the first bad line with its line number', () => {
    const lines = [record('users'), record('users', '[]'), record('ghosts')];
    const e = (() => {
      try {
        validateRecordLines(lines, [10, 12, 13], batchCtx);
      } catch (error) {
        return error as ProtocolError;
      }
    })();
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e?.lineNumber).toBe(12);
    expect(e?.message).toContain('line 12');
    expect(e?.message).toContain('"record.data"');
  });

  it('numbers lines by position when no line numbers are given', () => {
    expect(() => validateRecordLines([record('users'), record('ghosts')], undefined, batchCtx)).toThrow(
      /line 2\b/,
    );
  });

  it('reports a valid message that is not a record', () => {
    const state = Buffer.from('{"type":"STATE","state":{"data":{}}}');
    expect(() => validateRecordLines([record('users'), state], [1, 2], batchCtx)).toThrow(
      /"source-acme" output line 2 is a STATE message where a RECORD was expected/,
    );
  });
});
