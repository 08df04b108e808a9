// Parsing one protocol line into a message, checking the envelope the engine relies on. Rules for
// a connector's stdout (see docs/protocol.md):
//   - a line whose first non-space byte is not `{` is not a protocol line; the engine logs it;
//   - a line starting with `{` must be a valid message, or the sync fails with a ProtocolError.
// Checks stop at the envelope: payload fields the engine does not read are not validated, and
// unknown fields anywhere are kept, since the result is simply the parsed object.

import {
  type AirbyteMessage,
  MESSAGE_TYPES,
  type MessageType,
  type StreamDescriptor,
  streamKey,
} from './messages.js';
import { protocolError } from './protocol-error.js';
import { prefixStreamDescriptor } from './record-prefix.js';
import type { SecretMasker } from './secrets.js';

export interface ParseContext {
  /** Who wrote the line (a connector name), for error messages. */
  source: string;
  /** 1-based line number of the line in its output. */
  lineNumber: number;
  /** Masks secrets in errors that quote the line. */
  masker?: SecretMasker;
  /** Stream keys (`name` or `namespace.name`) records may use; unchecked when absent. */
  knownStreams?: ReadonlySet<string>;
}

const PAYLOAD_KEY: Record<MessageType, string> = {
  RECORD: 'record',
  STATE: 'state',
  LOG: 'log',
  SPEC: 'spec',
  CONNECTION_STATUS: 'connectionStatus',
  CATALOG: 'catalog',
  TRACE: 'trace',
  CONTROL: 'control',
  DESTINATION_CATALOG: 'destination_catalog',
};

const KNOWN_TYPES: ReadonlySet<string> = new Set(MESSAGE_TYPES);

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** True when the line's first non-space byte is `{`: it is meant as a protocol message. */
export function isProtocolLine(line: Buffer): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === 0x7b) return true;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return false;
}

/**
 * Parses one line into a message and checks its envelope; throws a ProtocolError naming the
 * source, line number and stream (when known) otherwise.
 */
export function parseMessage(line: Buffer | string, ctx: ParseContext): AirbyteMessage {
  let value: unknown;
  try {
    value = JSON.parse(typeof line === 'string' ? line : line.toString('utf8'));
  } catch (error) {
    // The SyntaxError text quotes the input unmasked, so only its position is kept; the masked
    // snippet shows the line. A truncated record still names its stream through the prefix.
    const position = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined;
    const at = position === undefined ? '' : ` (at character ${Number(position) + 1})`;
    throw fail(line, ctx, `is not valid JSON${at}`, prefixStreamDescriptor(line));
  }
  if (!isObject(value)) throw fail(line, ctx, `is ${describe(value)}, not a JSON object`);

  const type = value.type;
  if (type === undefined) throw fail(line, ctx, 'has no "type" field');
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
    const shown = typeof type === 'string' ? `"${type.slice(0, 50)}"` : describe(type);
    throw fail(line, ctx, `has an unknown message type ${shown} (known: ${MESSAGE_TYPES.join(', ')})`);
  }
  const key = PAYLOAD_KEY[type as MessageType];
  const payload = value[key];
  if (!isObject(payload)) {
    const what = payload === undefined ? 'is missing' : `is ${describe(payload)}, not an object`;
    throw fail(line, ctx, `is a ${type} message whose "${key}" field ${what}`);
  }
  if (type === 'RECORD') checkRecord(line, ctx, payload);
  else if (type === 'STATE') checkState(line, ctx, payload);
  return value as AirbyteMessage;
}

function checkRecord(line: Buffer | string, ctx: ParseContext, record: Obj): void {
  const { stream, namespace } = record;
  if (typeof stream !== 'string' || stream === '') {
    throw fail(line, ctx, `is a RECORD whose "record.stream" is ${describe(stream)}, not a stream name`);
  }
  if (namespace === null) delete record.namespace;
  else if (namespace !== undefined && typeof namespace !== 'string') {
    throw fail(line, ctx, `is a RECORD whose "record.namespace" is ${describe(namespace)}, not a string`);
  }
  const descriptor: StreamDescriptor =
    typeof namespace === 'string' ? { name: stream, namespace } : { name: stream };
  if (ctx.knownStreams && !ctx.knownStreams.has(streamKey(descriptor))) {
    throw fail(line, ctx, 'is a RECORD for a stream that is not in the configured catalog', descriptor);
  }
  if (!isObject(record.data)) {
    throw fail(
      line,
      ctx,
      `is a RECORD whose "record.data" is ${describe(record.data)}, not an object`,
      descriptor,
    );
  }
  if (typeof record.emitted_at !== 'number' || !Number.isFinite(record.emitted_at)) {
    throw fail(
      line,
      ctx,
      `is a RECORD whose "record.emitted_at" is ${describe(record.emitted_at)}, not a timestamp in milliseconds`,
      descriptor,
    );
  }
}

function hasDescriptor(streamState: unknown): boolean {
  if (!isObject(streamState)) return false;
  const d = streamState.stream_descriptor;
  return isObject(d) && typeof d.name === 'string' && d.name !== '';
}

function checkState(line: Buffer | string, ctx: ParseContext, state: Obj): void {
  switch (state.type) {
    case 'STREAM':
      if (!hasDescriptor(state.stream)) {
        throw fail(line, ctx, 'is a STREAM state without "state.stream.stream_descriptor.name"');
      }
      return;
    case 'GLOBAL': {
      const global = state.global;
      if (!isObject(global) || !Array.isArray(global.stream_states)) {
        throw fail(line, ctx, 'is a GLOBAL state without a "state.global.stream_states" array');
      }
      if (!global.stream_states.every(hasDescriptor)) {
        throw fail(
          line,
          ctx,
          'is a GLOBAL state with an entry in "stream_states" that has no stream_descriptor.name',
        );
      }
      return;
    }
    case 'LEGACY':
    case undefined:
      if (!isObject(state.data))
        throw fail(line, ctx, 'is a LEGACY state whose "state.data" is not an object');
      return;
    default:
      throw fail(
        line,
        ctx,
        `is a state of unknown type ${typeof state.type === 'string' ? `"${state.type.slice(0, 50)}"` : describe(state.type)} (known: STREAM, GLOBAL, LEGACY)`,
      );
  }
}

function fail(line: Buffer | string, ctx: ParseContext, problem: string, stream?: StreamDescriptor): Error {
  return protocolError(line, {
    source: ctx.source,
    lineNumber: ctx.lineNumber,
    problem,
    stream,
    masker: ctx.masker,
  });
}

/**
 * Parses every line of a batch of RECORD lines and throws the first problem; for pinpointing the
 * bad line after a bulk load of raw lines failed. `lineNumbers[i]` is the number of `lines[i]`;
 * without it, numbers are positions in the batch (1-based). A valid message that is not a RECORD
 * is reported too, since the batch was meant to hold only records.
 */
export function validateRecordLines(
  lines: Buffer[],
  lineNumbers: readonly number[] | undefined,
  ctx: Omit<ParseContext, 'lineNumber'>,
): void {
  const lineCtx: ParseContext = { ...ctx, lineNumber: 0 };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as Buffer;
    lineCtx.lineNumber = lineNumbers?.[i] ?? i + 1;
    const msg = parseMessage(line, lineCtx);
    if (msg.type !== 'RECORD')
      throw fail(line, lineCtx, `is a ${msg.type} message where a RECORD was expected`);
  }
}
