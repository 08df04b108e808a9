// Small shared helpers for the codec tests: feeding chunks to the line reader and collecting
// what a writable stream received.

import { Writable } from 'node:stream';
import { type LineBatch, type LineReaderOptions, readLineBatches } from '../src/lines.js';

export async function* chunksOf(chunks: Iterable<Buffer | string>): AsyncGenerator<Buffer | string> {
  for (const chunk of chunks) yield chunk;
}

export interface ReadLine {
  text: string;
  number: number;
}

/** Every line the reader yields, with its line number. */
export async function readAll(
  chunks: Iterable<Buffer | string>,
  options?: LineReaderOptions,
): Promise<ReadLine[]> {
  const out: ReadLine[] = [];
  for await (const batch of readLineBatches(chunksOf(chunks), options)) out.push(...linesOf(batch));
  return out;
}

function linesOf(batch: LineBatch): ReadLine[] {
  return batch.lines.map((line, index) => ({ text: line.toString('utf8'), number: batch.firstLine + index }));
}

/** Splits bytes at the given cut points (sorted, deduplicated, inside the buffer). */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out;
}

/** A writable that records every chunk it is given, optionally slow to accept each one. */
export class RecordingWritable extends Writable {
  readonly chunks: Buffer[] = [];

  constructor(options: { highWaterMark?: number; delayMs?: number } = {}) {
    const delayMs = options.delayMs ?? 0;
    super({
      highWaterMark: options.highWaterMark ?? 16 * 1024,
      write: (chunk: Buffer, _encoding, callback) => {
        this.chunks.push(chunk);
        if (delayMs > 0) setTimeout(callback, delayMs);
        else callback();
      },
    });
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  lines(): string[] {
    const text = this.text();
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  }
}
