import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MESSAGE_TYPES } from '../src/messages.js';
import { peekRecordStream } from '../src/record-prefix.js';

const peek = (text: string) => peekRecordStream(Buffer.from(text, 'utf8'));

/** JSON as Python's json.dumps writes it by default: a space after every `:` and `,`. */
function pythonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonDumps).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pythonDumps(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** What a full parse says the line's stream is; undefined when it is not a RECORD with a string stream. */
function truth(value: unknown): { stream: string; namespace?: string } | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const msg = value as { type?: unknown; record?: unknown };
  if (msg.type !== 'RECORD' || msg.record === null || typeof msg.record !== 'object') return undefined;
  const { stream, namespace } = msg.record as { stream?: unknown; namespace?: unknown };
  if (typeof stream !== 'string') return undefined;
  if (typeof namespace === 'string') return { stream, namespace };
  return namespace === undefined || namespace === null ? { stream } : undefined;
}

const hasEscape = (s: string | undefined) => s !== undefined && JSON.stringify(s).includes('\\');

describe('peekRecordStream', () => {
  it('reads the stream of compact and Python-spaced records', () => {
    expect(peek('{"type":"RECORD","record":{"stream":"users","data":{},"emitted_at":1}}')).toEqual({
      stream: 'users',
    });
    expect(peek('{"type": "RECORD", "record": {"stream": "users", "data": {}, "emitted_at": 1}}')).toEqual({
      stream: 'users',
    });
    expect(peek(' {\t"type" : "RECORD" ,\r"record" :{ "stream":"ütf-8 ✓" }}')).toEqual({ stream: 'ütf-8 ✓' });
  });

  it('reads a namespace given before or after the stream', () => {
    expect(peek('{"type":"RECORD","record":{"namespace":"public","stream":"users","data":{}}}')).toEqual({
      stream: 'users',
      namespace: 'public',
    });
    expect(
      peek('{"type": "RECORD", "record": {"stream": "users", "namespace": "public", "data": {}}}'),
    ).toEqual({
      stream: 'users',
      namespace: 'public',
    });
    expect(peek('{"type":"RECORD","record":{"namespace":null,"stream":"users","data":{}}}')).toEqual({
      stream: 'users',
    });
  });

  it('does not miss a namespace that comes after the data', () => {
    expect(peek('{"type":"RECORD","record":{"stream":"users","data":{"a":1},"namespace":"crm"}}')).toEqual({
      stream: 'users',
      namespace: 'crm',
    });
    // "namespace" inside the data is not the record's namespace
    expect(
      peek('{"type":"RECORD","record":{"stream":"users","data":{"namespace":"x"},"emitted_at":1}}'),
    ).toEqual({
      stream: 'users',
    });
  });

  it('leaves lines it cannot read cheaply to the full parser', () => {
    expect(peek('{"type":"RECORD","record":{"stream":"us\\"ers","data":{}}}')).toBeUndefined();
    expect(
      peek('{"type":"RECORD","record":{"namespace":"a\\u0062","stream":"s","data":{}}}'),
    ).toBeUndefined();
    expect(peek('{"record":{"stream":"users","data":{}},"type":"RECORD"}')).toBeUndefined();
    expect(peek('{"type":"RECORD","record":{"data":{},"stream":"users"}}')).toBeUndefined();
    expect(peek('{"type":"RECORD","id":7,"record":{"stream":"users","data":{}}}')).toBeUndefined();
    expect(peek('{"type":"RECORD","record":{"stream":1}}')).toBeUndefined();
    expect(peek('{"type":"RECORD","record":[]}')).toBeUndefined();
    expect(peek('{"type":"RECORDS","record":{"stream":"users"}}')).toBeUndefined();
    expect(peek('{"type":"STATE","state":{"stream":"users"}}')).toBeUndefined();
    expect(peek('{"type":"RECORD","record":{"stream":"a","stream":"b"}}')).toBeUndefined();
    expect(peek('{"type":"RECORD"')).toBeUndefined();
    expect(peek('')).toBeUndefined();
    expect(peek('not json')).toBeUndefined();
  });

  it('hands out the same frozen result for records of the same stream', () => {
    const a = peek('{"type":"RECORD","record":{"stream":"orders","data":{"id":1}}}');
    const b = peek('{"type":"RECORD","record":{"stream":"orders","data":{"id":2}}}');
    const c = peek('{"type":"RECORD","record":{"namespace":"x","stream":"orders","data":{"id":2}}}');
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(peek('{"type":"RECORD","record":{"stream":"o","data":{},"namespace":"n"}}'))).toBe(
      true,
    );
    expect(c).toEqual({ stream: 'orders', namespace: 'x' });
  });

  it('gives the stream of any record JSON.stringify or Python writes, unless a name has escapes', () => {
    const name = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('users', 'namespace', 'a b'),
    );
    fc.assert(
      fc.property(
        name,
        fc.option(name, { nil: undefined }),
        fc.constantFrom('first', 'second', 'last'),
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.boolean(),
        (stream, namespace, where, data, python) => {
          const record: Record<string, unknown> =
            namespace === undefined
              ? { stream, data, emitted_at: 1700000000000 }
              : where === 'first'
                ? { namespace, stream, data, emitted_at: 1700000000000 }
                : where === 'second'
                  ? { stream, namespace, data, emitted_at: 1700000000000 }
                  : { stream, data, emitted_at: 1700000000000, namespace };
          const msg = { type: 'RECORD', record };
          const text = python ? pythonDumps(msg) : JSON.stringify(msg);
          const got = peekRecordStream(Buffer.from(text, 'utf8'));
          if (got === undefined) {
            expect(hasEscape(stream) || hasEscape(namespace)).toBe(true);
          } else {
            expect({ ...got }).toEqual(namespace === undefined ? { stream } : { stream, namespace });
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('returns undefined for every message that is not a RECORD', () => {
    const other = MESSAGE_TYPES.filter((t) => t !== 'RECORD');
    fc.assert(
      fc.property(fc.constantFrom(...other), fc.jsonValue(), fc.boolean(), (type, payload, python) => {
        // Payloads shaped like a record's, to tempt a scanner that looks past the type.
        const msg = { type, record: { stream: 'users', data: {} }, payload };
        const text = python ? pythonDumps(msg) : JSON.stringify(msg);
        expect(peekRecordStream(Buffer.from(text))).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('never disagrees with a full parse of any JSON value', () => {
    const recordish = fc.record({
      type: fc.oneof(fc.constant('RECORD'), fc.string()),
      record: fc.oneof(
        fc.record(
          {
            namespace: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
            stream: fc.oneof(fc.string(), fc.integer()),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue(),
      ),
    });
    fc.assert(
      fc.property(fc.oneof(recordish, fc.jsonValue()), fc.boolean(), (value, python) => {
        const text = python ? pythonDumps(value) : JSON.stringify(value);
        const got = peekRecordStream(Buffer.from(text, 'utf8'));
        if (got !== undefined) expect({ ...got }).toEqual(truth(JSON.parse(text)));
      }),
      { numRuns: 3000 },
    );
  });
});
