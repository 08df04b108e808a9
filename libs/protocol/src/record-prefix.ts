// A byte scanner that tells a RECORD line's stream without parsing the line, so the engine can
// route records to a destination's bulk loader as raw bytes. It recognises only the envelope
// shape every JSON encoder we know writes:
//
//   {"type":"RECORD","record":{"stream":"NAME", ...        (namespace may come first or second)
//   {"type": "RECORD", "record": {"namespace": "NS", "stream": "NAME", ...   (Python's spacing)
//
// Anything else returns undefined and the caller parses the line in full. The answer is never
// wrong for a line a JSON encoder could have written; the two shapes it cannot see through are
// a key spelled with escapes ("\u0074ype") and a repeated key, neither of which an encoder emits.

import type { StreamDescriptor } from './messages.js';

export interface RecordStream {
  stream: string;
  namespace?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

const TYPE_KEY = Buffer.from('"type"');
const RECORD_VALUE = Buffer.from('"RECORD"');
const RECORD_KEY = Buffer.from('"record"');
const STREAM_KEY = Buffer.from('"stream"');
const NAMESPACE_KEY = Buffer.from('"namespace"');
const NULL_VALUE = Buffer.from('null');

function skipSpace(line: Buffer, i: number): number {
  let c = line[i];
  while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = line[++i];
  return i;
}

function startsAt(line: Buffer, i: number, literal: Buffer): boolean {
  if (i + literal.length > line.length) return false;
  for (let k = 0; k < literal.length; k++) if (line[i + k] !== literal[k]) return false;
  return true;
}

/** Skips `"key"` and the colon after it; -1 when the key is not there. */
function afterKey(line: Buffer, i: number, key: Buffer): number {
  if (!startsAt(line, i, key)) return -1;
  i = skipSpace(line, i + key.length);
  if (line[i] !== COLON) return -1;
  return skipSpace(line, i + 1);
}

/** End (index of the closing quote) of a string starting at i with no escapes or control bytes; else -1. */
function plainStringEnd(line: Buffer, i: number): number {
  if (line[i] !== QUOTE) return -1;
  const n = line.length;
  for (let j = i + 1; j < n; j++) {
    const c = line[j] as number;
    if (c === QUOTE) return j;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}

// Scan state kept in module scope rather than a per-call object: this runs once per record.
let valueStart = 0;
let valueEnd = 0;

/** Reads `"stream"` or `"namespace"` with its value at i; returns which, or 0 when neither. */
function readKnownKey(line: Buffer, i: number): 0 | 1 | 2 {
  let at = afterKey(line, i, STREAM_KEY);
  const which = at >= 0 ? 1 : 2;
  if (at < 0) at = afterKey(line, i, NAMESPACE_KEY);
  if (at < 0) return 0;
  if (which === 2 && startsAt(line, at, NULL_VALUE)) {
    valueStart = -1;
    valueEnd = at + NULL_VALUE.length;
    return 2;
  }
  const end = plainStringEnd(line, at);
  if (end < 0) return 0;
  valueStart = at + 1;
  valueEnd = end;
  return which;
}

/**
 * The stream (and namespace) of a RECORD line, read from the first bytes only; undefined when the
 * line does not start with the plain RECORD envelope (then parse it in full). The result is
 * shared between calls and frozen.
 */
export function peekRecordStream(line: Buffer): Readonly<RecordStream> | undefined {
  let i = skipSpace(line, 0);
  if (line[i] !== OPEN_BRACE) return undefined;
  i = afterKey(line, skipSpace(line, i + 1), TYPE_KEY);
  if (i < 0 || !startsAt(line, i, RECORD_VALUE)) return undefined;
  i = skipSpace(line, i + RECORD_VALUE.length);
  if (line[i] !== COMMA) return undefined;
  i = afterKey(line, skipSpace(line, i + 1), RECORD_KEY);
  if (i < 0 || line[i] !== OPEN_BRACE) return undefined;
  i = skipSpace(line, i + 1);

  let streamStart = -1;
  let streamEnd = -1;
  let nsStart = -1;
  let nsEnd = -1;
  let sawNamespace = false;
  for (let keys = 0; keys < 2; keys++) {
    const which = readKnownKey(line, i);
    if (which === 0) {
      if (keys === 0) return undefined;
      break;
    }
    if (which === 1) {
      if (streamStart >= 0) return undefined;
      streamStart = valueStart;
      streamEnd = valueEnd;
    } else {
      if (sawNamespace) return undefined;
      sawNamespace = true;
      nsStart = valueStart;
      nsEnd = valueEnd;
    }
    i = skipSpace(line, valueEnd + (valueStart < 0 ? 0 : 1));
    const c = line[i];
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) return undefined;
    i = skipSpace(line, i + 1);
  }
  if (streamStart < 0) return undefined;

  // A namespace after `data` would change the stream's identity; the rare line that mentions
  // "namespace" anywhere later is settled by a full parse.
  if (!sawNamespace && mentionsNamespace(line, i)) return parsedRecordStream(line);

  return cachedResult(line, streamStart, streamEnd, nsStart, nsEnd);
}

// Horspool search for `"namespace"`: it looks at every few bytes only, where the native
// Buffer#indexOf costs more in call overhead than the whole rest of the scan.
const SHIFT = new Uint8Array(256).fill(NAMESPACE_KEY.length);
for (let k = 0; k < NAMESPACE_KEY.length - 1; k++) SHIFT[NAMESPACE_KEY[k] as number] = NAMESPACE_KEY.length - 1 - k;

function mentionsNamespace(line: Buffer, from: number): boolean {
  const last = NAMESPACE_KEY.length - 1;
  for (let end = from + last; end < line.length; ) {
    const c = line[end] as number;
    if (c === QUOTE) {
      let k = last - 1;
      while (k >= 0 && line[end - last + k] === NAMESPACE_KEY[k]) k--;
      if (k < 0) return true;
    }
    end += SHIFT[c] as number;
  }
  return false;
}

// Records of a stream arrive in runs, so the answer for the last few names is kept and handed out
// again (frozen) when the bytes match, sparing a string decode and an allocation per record.
interface CacheEntry {
  streamBytes: Buffer;
  nsBytes: Buffer | undefined;
  result: Readonly<RecordStream>;
}
const CACHE_SIZE = 16;
const cache: CacheEntry[] = [];
let lastHit = 0;
let nextSlot = 0;

function sameBytes(line: Buffer, start: number, end: number, bytes: Buffer): boolean {
  if (end - start !== bytes.length) return false;
  for (let k = 0; k < bytes.length; k++) if (line[start + k] !== bytes[k]) return false;
  return true;
}

function matches(e: CacheEntry, line: Buffer, s0: number, s1: number, n0: number, n1: number): boolean {
  if (!sameBytes(line, s0, s1, e.streamBytes)) return false;
  return n0 < 0 ? e.nsBytes === undefined : e.nsBytes !== undefined && sameBytes(line, n0, n1, e.nsBytes);
}

function cachedResult(line: Buffer, s0: number, s1: number, n0: number, n1: number): Readonly<RecordStream> {
  const hot = cache[lastHit];
  if (hot && matches(hot, line, s0, s1, n0, n1)) return hot.result;
  for (let k = 0; k < cache.length; k++) {
    const e = cache[k] as CacheEntry;
    if (matches(e, line, s0, s1, n0, n1)) {
      lastHit = k;
      return e.result;
    }
  }
  const stream = line.toString('utf8', s0, s1);
  const nsBytes = n0 < 0 ? undefined : Buffer.from(line.subarray(n0, n1));
  const result: Readonly<RecordStream> = Object.freeze(
    nsBytes ? { stream, namespace: nsBytes.toString('utf8') } : { stream },
  );
  cache[nextSlot] = { streamBytes: Buffer.from(line.subarray(s0, s1)), nsBytes, result };
  lastHit = nextSlot;
  nextSlot = (nextSlot + 1) % CACHE_SIZE;
  return result;
}

function parsedRecordStream(line: Buffer): Readonly<RecordStream> | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(line.toString('utf8'));
  } catch {
    return undefined;
  }
  if (msg === null || typeof msg !== 'object') return undefined;
  const { type, record } = msg as { type?: unknown; record?: unknown };
  if (type !== 'RECORD' || record === null || typeof record !== 'object') return undefined;
  const { stream, namespace } = record as { stream?: unknown; namespace?: unknown };
  if (typeof stream !== 'string') return undefined;
  if (typeof namespace === 'string') return { stream, namespace };
  return namespace === undefined || namespace === null ? { stream } : undefined;
}

/** The stream a (possibly broken or truncated) RECORD line names in its prefix, for error messages. */
export function prefixStreamDescriptor(line: Buffer | string): StreamDescriptor | undefined {
  const peeked = peekRecordStream(typeof line === 'string' ? Buffer.from(line.slice(0, 4096)) : line);
  if (!peeked) return undefined;
  return peeked.namespace === undefined
    ? { name: peeked.stream }
    : { name: peeked.stream, namespace: peeked.namespace };
}
