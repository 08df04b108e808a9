import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConveyorError } from '../src/errors.js';
import { readLineBatches } from '../src/lines.js';
import { ProtocolError } from '../src/protocol-error.js';
import { SecretMasker } from '../src/secrets.js';
import { chunksOf, readAll, splitAt } from './helpers.js';

describe('readLineBatches', () => {
  it('splits on LF, drops the CR of CRLF and keeps a last line without newline', async () => {
    const lines = await readAll(['{"a":1}\r\n{"b":2}\n', '{"c"', ':3}']);
    expect(lines).toEqual([
      { text: '{"a":1}', number: 1 },
      { text: '{"b":2}', number: 2 },
      { text: '{"c":3}', number: 3 },
    ]);
  });

  it('skips empty lines but counts them in line numbers', async () => {
    const lines = await readAll(['\n{"a":1}\n\r\n\n{"b":2}\n{"c":3}\n\n{"d":4}\n\n']);
    expect(lines).toEqual([
      { text: '{"a":1}', number: 2 },
      { text: '{"b":2}', number: 5 },
      { text: '{"c":3}', number: 6 },
      { text: '{"d":4}', number: 8 },
    ]);
  });

  it('keeps line numbers consecutive within a batch, so line i is firstLine + i', async () => {
    const batches = [];
    for await (const b of readLineBatches(chunksOf(['a\nb\n\nc\nd\n\n\ne']))) {
      batches.push({ lines: b.lines.map(String), firstLine: b.firstLine });
    }
    expect(batches).toEqual([
      { lines: ['a', 'b'], firstLine: 1 },
      { lines: ['c', 'd'], firstLine: 4 },
      { lines: ['e'], firstLine: 8 },
    ]);
  });

  it('yields the complete lines of each chunk as they arrive, not at the end of the stream', async () => {
    let released = false;
    async function* slow(): AsyncGenerator<string> {
      yield 'one\ntwo\nthr';
      released = true;
      yield 'ee\n';
    }
    const it = readLineBatches(slow());
    const first = await it.next();
    expect(released).toBe(false);
    expect(first.value?.lines.map(String)).toEqual(['one', 'two']);
    expect(first.value?.firstLine).toBe(1);
    const second = await it.next();
    expect(second.value?.lines.map(String)).toEqual(['three']);
    expect(second.value?.firstLine).toBe(3);
  });

  it('reads the same lines however the bytes are cut into chunks', async () => {
    const lineText = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ''));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(lineText, fc.constantFrom('\n', '\r\n')), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        fc.array(fc.nat(2000), { maxLength: 30 }),
        async (lines, lastNewline, cuts) => {
          let text = lines.map(([t, end]) => t + end).join('');
          if (!lastNewline) text = text.replace(/\r?\n$/, '');
          const bytes = Buffer.from(text, 'utf8');
          const expected = lines
            .map(([t], i) => ({ text: t, number: i + 1 }))
            .filter((l) => l.text.length > 0);
          expect(await readAll(splitAt(bytes, cuts))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the same lines with a chunk boundary at every byte position', async () => {
    const bytes = Buffer.from('{"x":"é€😀"}\r\n\n{"y":[1,2]}\n{"z":null}', 'utf8');
    const whole = await readAll([bytes]);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(await readAll(splitAt(bytes, [cut]))).toEqual(whole);
    }
    const oneByteChunks = [...bytes].map((b) => Buffer.from([b]));
    expect(await readAll(oneByteChunks)).toEqual(whole);
  });

  it('reads a 20 MB line that spans hundreds of chunks', async () => {
    const payload = Buffer.alloc(20 * 1024 * 1024, 'a');
    const line = Buffer.concat([
      Buffer.from('{"type":"RECORD","record":{"stream":"big","data":{"v":"'),
      payload,
      Buffer.from('"}}}'),
    ]);
    const input = Buffer.concat([Buffer.from('{"first":1}\n'), line, Buffer.from('\n{"last":1}\n')]);
    const chunks: Buffer[] = [];
    for (let o = 0; o < input.length; o += 64 * 1024) chunks.push(input.subarray(o, o + 64 * 1024));
    const seen: { length: number; number: number }[] = [];
    let big: Buffer | undefined;
    for await (const batch of readLineBatches(chunksOf(chunks))) {
      batch.lines.forEach((l, i) => {
        seen.push({ length: l.length, number: batch.firstLine + i });
        if (l.length > 1000) big = l;
      });
    }
    expect(seen).toEqual([
      { length: 11, number: 1 },
      { length: line.length, number: 2 },
      { length: 10, number: 3 },
    ]);
    expect(big?.equals(line)).toBe(true);
  });

  it('accepts a line exactly at the limit, with or without CR', async () => {
    const line = 'x'.repeat(100);
    expect(await readAll([`${line}\r\n${line}\n${line}`], { maxLineBytes: 100 })).toHaveLength(3);
  });

  it('rejects a line over the limit with the source, line number, stream and what to do', async () => {
    const secret = 'sk_live_0123456789';
    const masker = new SecretMasker([secret]);
    const record = `{"type":"RECORD","record":{"stream":"users","data":{"token":"${secret}","pad":"${'p'.repeat(500)}"}}}`;
    const error = await readAll(['{"ok":1}\n\n', record.slice(0, 100), record.slice(100), '\n'], {
      maxLineBytes: 300,
      source: 'source-acme',
      masker,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    const e = error as ProtocolError;
    expect(e).toBeInstanceOf(ConveyorError);
    expect(e.failureType).toBe('system_error');
    expect(e.source).toBe('source-acme');
    expect(e.lineNumber).toBe(3);
    expect(e.stream).toEqual({ name: 'users' });
    expect(e.message).toContain('"source-acme"');
    expect(e.message).toContain('line 3');
    expect(e.message).toContain('line 3, stream "users" is longer');
    expect(e.message).toContain('300 bytes');
    expect(e.message).toContain('maxLineBytes');
    expect(e.message).not.toContain(secret);
    expect(e.snippet).not.toContain(secret);
  });

  it('stops at the limit instead of buffering the rest of an overlong line', async () => {
    let chunksRead = 0;
    async function* overlongLine(): AsyncGenerator<Buffer> {
      // 100 KiB in all: enough to prove the reader gave up at 10 KiB, finite if it did not.
      for (let k = 0; k < 100; k++) {
        chunksRead++;
        yield Buffer.alloc(1024, 'z');
      }
    }
    const error = await (async () => {
      for await (const _ of readLineBatches(overlongLine(), { maxLineBytes: 10 * 1024, source: 'src' })) {
        // no complete line ever arrives
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).lineNumber).toBe(1);
    expect(chunksRead).toBeLessThanOrEqual(12);
  });

  it('rejects an oversize complete line found inside a single chunk', async () => {
    const error = await readAll([`{"a":1}\n${'y'.repeat(50)}\n{"b":2}\n`], {
      maxLineBytes: 20,
      source: 's',
    }).catch((e: unknown) => e);
    expect((error as ProtocolError).lineNumber).toBe(2);
  });

  it('lets a line spanning chunks own its bytes and a one-chunk line share the chunk', async () => {
    const text = '{"a":1}\n{"b"';
    const chunk = Buffer.alloc(text.length); // not from the shared pool, so its ArrayBuffer is its own
    chunk.write(text);
    const batches = [];
    for await (const b of readLineBatches(chunksOf([chunk, ':2}\n']))) batches.push(b);
    expect(batches[0]?.lines[0]?.buffer).toBe(chunk.buffer);
    expect(batches[1]?.lines[0]?.toString()).toBe('{"b":2}');
    expect(batches[1]?.lines[0]?.buffer).not.toBe(chunk.buffer);
  });
});
