// Splits a connector's stdout (or a destination's stdin) into JSON lines. Works chunk by chunk:
// memory holds one chunk plus the unfinished line, never the whole stream, and a line may be as
// large as the limit however many chunks it spans.

import { protocolError } from './protocol-error.js';
import { prefixStreamDescriptor } from './record-prefix.js';
import type { SecretMasker } from './secrets.js';

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface LineReaderOptions {
  /** Longest accepted line in bytes, newline excluded. Default 64 MiB. */
  maxLineBytes?: number;
  /** Who wrote the stream (a connector name), for error messages. */
  source?: string;
  /** Masks secrets in the snippet an oversize-line error quotes. */
  masker?: SecretMasker;
}

export interface LineBatch {
  /** Complete, non-empty lines without their line ending. */
  lines: Buffer[];
  /**
   * 1-based line number of `lines[0]`; `lines[i]` is line `firstLine + i`. Empty lines are
   * skipped but counted, and a batch never spans one, so the numbering holds within a batch.
   */
  firstLine: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** 1-based line number of `batch.lines[index]`. */
export function lineNumberOf(batch: LineBatch, index: number): number {
  return batch.firstLine + index;
}

function withoutCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}

/**
 * Reads JSON lines from a byte stream, yielding the complete lines of each chunk as one batch.
 * LF ends a line and a CR before it is dropped; a last line without a newline still counts.
 * A line longer than `maxLineBytes` throws a ProtocolError naming the source and line number.
 */
export async function* readLineBatches(
  input: AsyncIterable<Buffer | string>,
  options: LineReaderOptions = {},
): AsyncGenerator<LineBatch> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // Pieces of the line still waiting for its newline, and their total size.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = 0; // of the last line ended

  // The head of the line is enough to quote it and, for a record, to name its stream.
  const tooLong = (parts: Buffer[], length: number, atLine: number): Error => {
    const head = Buffer.concat(parts, Math.min(length, 4096));
    return protocolError(head, {
      source: options.source ?? 'unknown',
      lineNumber: atLine,
      problem: `is longer than the limit of ${maxLineBytes} bytes (at least ${length} bytes)`,
      stream: prefixStreamDescriptor(head),
      masker: options.masker,
      advice: `If records this large are expected, raise the maxLineBytes option (currently ${maxLineBytes}); otherwise the connector is writing something it should not.`,
    });
  };

  for await (const piece of input) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    let start = 0;
    let nl = chunk.indexOf(LF);
    if (nl < 0) {
      if (chunk.length > 0) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        // One byte of slack for the CR of a CRLF ending that has not arrived yet.
        if (pendingBytes > maxLineBytes + 1) throw tooLong(pending, pendingBytes, lineNumber + 1);
      }
      continue;
    }

    let lines: Buffer[] = [];
    let firstLine = 0;
    while (nl >= 0) {
      lineNumber++;
      let line: Buffer;
      if (pending.length > 0) {
        pending.push(chunk.subarray(start, nl));
        line = Buffer.concat(pending, pendingBytes + nl - start);
        pending = [];
        pendingBytes = 0;
      } else {
        line = chunk.subarray(start, nl);
      }
      line = withoutCr(line);
      if (line.length > maxLineBytes) throw tooLong([line], line.length, lineNumber);
      if (line.length > 0) {
        if (lines.length === 0) firstLine = lineNumber;
        lines.push(line);
      } else if (lines.length > 0) {
        // Close the batch at an empty line so that numbers stay consecutive within a batch.
        yield { lines, firstLine };
        lines = [];
      }
      start = nl + 1;
      nl = chunk.indexOf(LF, start);
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes = chunk.length - start;
      if (pendingBytes > maxLineBytes + 1) throw tooLong(pending, pendingBytes, lineNumber + 1);
    }
    if (lines.length > 0) yield { lines, firstLine };
  }

  if (pendingBytes > 0) {
    lineNumber++;
    const line = withoutCr(
      pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes),
    );
    if (line.length > maxLineBytes) throw tooLong([line], line.length, lineNumber);
    if (line.length > 0) yield { lines: [line], firstLine: lineNumber };
  }
}
