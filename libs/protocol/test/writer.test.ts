import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AirbyteMessage } from '../src/messages.js';
import { MessageWriter, serializeMessage } from '../src/writer.js';
import { RecordingWritable } from './helpers.js';

const record = (i: number): AirbyteMessage => ({
  type: 'RECORD',
  record: { stream: 'users', data: { id: i, name: `user ${i}` }, emitted_at: 1700000000000 + i },
});

describe('serializeMessage', () => {
  it('writes one JSON line with no newline inside, even for strings holding newlines', () => {
    const msg: AirbyteMessage = { type: 'LOG', log: { level: 'INFO', message: 'a\nb\r\nc' } };
    const line = serializeMessage(msg);
    expect(line).not.toMatch(/[\r\n]/);
    expect(JSON.parse(line)).toEqual(msg);
  });
});

describe('MessageWriter', () => {
  it('writes 1000 messages in a handful of writes', async () => {
    const out = new RecordingWritable();
    const writer = new MessageWriter(out, { maxBufferedLines: 100 });
    for (let i = 0; i < 1000; i++) expect(writer.write(record(i))).toBeUndefined();
    await writer.flush();
    expect(out.chunks.length).toBe(10);
    expect(out.lines().map((l) => JSON.parse(l))).toEqual(Array.from({ length: 1000 }, (_, i) => record(i)));

    const byDefault = new RecordingWritable();
    const defaultWriter = new MessageWriter(byDefault);
    for (let i = 0; i < 1000; i++) defaultWriter.write(record(i));
    await defaultWriter.flush();
    expect(byDefault.chunks.length).toBe(1);
    expect(byDefault.lines()).toHaveLength(1000);
  });

  it('batches by size as well as by count', async () => {
    const out = new RecordingWritable();
    const writer = new MessageWriter(out, { maxBufferedBytes: 1000 });
    for (let i = 0; i < 100; i++) writer.writeLine('x'.repeat(99));
    expect(out.chunks.length).toBe(10);
    await writer.flush();
    expect(out.chunks.length).toBe(10);
  });

  it('holds lines until flush, then hands them over', async () => {
    const out = new RecordingWritable();
    const writer = new MessageWriter(out);
    writer.write(record(1));
    writer.writeLine('{"raw":true}');
    expect(out.chunks).toHaveLength(0);
    await writer.flush();
    expect(out.lines()).toEqual([serializeMessage(record(1)), '{"raw":true}']);
    await writer.flush();
    expect(out.chunks).toHaveLength(1);
  });

  it('keeps the order of string and buffer lines mixed in one batch', async () => {
    const out = new RecordingWritable();
    const writer = new MessageWriter(out);
    writer.writeLine('a');
    writer.writeLine(Buffer.from('b'));
    writer.writeLine('c');
    writer.writeLine(Buffer.from('{"é":"✓"}'));
    await writer.flush();
    expect(out.lines()).toEqual(['a', 'b', 'c', '{"é":"✓"}']);
  });

  it('waits for a slow reader: every line arrives in order and memory stays bounded', async () => {
    const out = new RecordingWritable({ highWaterMark: 256, delayMs: 1 });
    const writer = new MessageWriter(out, { maxBufferedLines: 20 });
    const batchBytes = 20 * (serializeMessage(record(99999)).length + 1);
    let waits = 0;
    let maxQueued = 0;
    for (let i = 0; i < 2000; i++) {
      const wait = writer.write(record(i));
      maxQueued = Math.max(maxQueued, out.writableLength);
      if (wait) {
        waits++;
        await wait;
      }
    }
    await writer.flush();
    expect(waits).toBeGreaterThan(50);
    // Without back-pressure all 2000 lines (~150 kB) would queue up in the stream.
    expect(maxQueued).toBeLessThanOrEqual(batchBytes + 256);
    expect(
      out.lines().map((l) => (JSON.parse(l) as { record: { data: { id: number } } }).record.data.id),
    ).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('makes flush wait until a full stream drains', async () => {
    const out = new RecordingWritable({ highWaterMark: 16, delayMs: 20 });
    const writer = new MessageWriter(out);
    writer.write(record(1));
    await writer.flush();
    expect(out.writableLength).toBe(0);
  });

  it('surfaces a stream error to the caller waiting on it and to later writes', async () => {
    const out = new Writable({
      highWaterMark: 8,
      write: (_chunk, _enc, callback) => setTimeout(() => callback(new Error('EPIPE: reader went away')), 1),
    });
    out.on('error', () => {});
    const writer = new MessageWriter(out, { maxBufferedLines: 1 });
    const wait = writer.write(record(1));
    expect(wait).toBeInstanceOf(Promise);
    await expect(wait).rejects.toThrow('EPIPE');
    expect(() => writer.write(record(2))).toThrow('EPIPE');
    await expect(writer.flush()).rejects.toThrow('EPIPE');
  });
});
