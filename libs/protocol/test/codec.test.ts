// The whole codec end to end: messages written by MessageWriter, cut into awkward chunks, read
// back by readLineBatches and parseMessage, come out equal, unknown fields included.

import { describe, expect, it } from 'vitest';
import { lineNumberOf, readLineBatches } from '../src/lines.js';
import type { AirbyteMessage } from '../src/messages.js';
import { parseMessage } from '../src/parse.js';
import { peekRecordStream } from '../src/record-prefix.js';
import { MessageWriter } from '../src/writer.js';
import { chunksOf, RecordingWritable, splitAt } from './helpers.js';

// `x_*` fields are ones this version does not know; a newer peer may send them at any level.
const future = { x_future: { nested: [1, { deeper: true }] } };
const descriptor = { name: 'users', namespace: 'crm', ...future };

const messages: AirbyteMessage[] = [
  {
    type: 'RECORD',
    record: {
      namespace: 'crm',
      stream: 'users',
      data: { id: 1, name: 'Ada', tags: ['a'], nested: { deep: null } },
      emitted_at: 1700000000000,
      meta: {
        changes: [{ field: 'bio', change: 'TRUNCATED', reason: 'SOURCE_RECORD_SIZE_LIMITATION', ...future }],
        ...future,
      },
      ...future,
    },
    ...future,
  },
  {
    type: 'RECORD',
    record: { stream: 'events', data: { 'emoji ✓': '😀', quote: 'say "hi"\n' }, emitted_at: 1 },
  },
  {
    type: 'STATE',
    state: {
      type: 'STREAM',
      stream: { stream_descriptor: descriptor, stream_state: { cursor: '2024-01-01', ...future }, ...future },
      sourceStats: { recordCount: 2, ...future },
      destinationStats: { recordCount: 2 },
      ...future,
    },
  },
  {
    type: 'STATE',
    state: {
      type: 'GLOBAL',
      global: {
        shared_state: { lsn: 123 },
        stream_states: [
          { stream_descriptor: descriptor, stream_state: { c: 1 } },
          { stream_descriptor: { name: 'events' } },
        ],
        ...future,
      },
    },
  },
  { type: 'STATE', state: { type: 'LEGACY', data: { users: { cursor: 5 } }, ...future } },
  { type: 'LOG', log: { level: 'WARN', message: 'slow API\nretrying', stack_trace: 'at x', ...future } },
  {
    type: 'SPEC',
    spec: {
      documentationUrl: 'https://example.com/docs',
      connectionSpecification: {
        type: 'object',
        properties: { api_key: { type: 'string', airbyte_secret: true } },
      },
      supportsIncremental: true,
      supported_destination_sync_modes: ['append', 'overwrite', 'append_dedup'],
      ...future,
    },
  },
  { type: 'CONNECTION_STATUS', connectionStatus: { status: 'FAILED', message: 'bad key', ...future } },
  {
    type: 'CATALOG',
    catalog: {
      streams: [
        {
          name: 'users',
          namespace: 'crm',
          json_schema: { type: 'object', properties: { id: { type: 'integer' } } },
          supported_sync_modes: ['full_refresh', 'incremental'],
          source_defined_cursor: true,
          default_cursor_field: ['updated_at'],
          source_defined_primary_key: [['id']],
          is_resumable: true,
          ...future,
        },
      ],
      ...future,
    },
  },
  {
    type: 'TRACE',
    trace: {
      type: 'ERROR',
      emitted_at: 1700000000001,
      error: {
        message: 'The API key was rejected.',
        internal_message: '401 Unauthorized',
        stack_trace: 'Error: 401\n    at fetch',
        failure_type: 'config_error',
        stream_descriptor: descriptor,
        ...future,
      },
      ...future,
    },
  },
  {
    type: 'TRACE',
    trace: {
      type: 'ESTIMATE',
      emitted_at: 1700000000002,
      estimate: {
        name: 'users',
        namespace: 'crm',
        type: 'STREAM',
        row_estimate: 1000,
        byte_estimate: 2e6,
        ...future,
      },
    },
  },
  {
    type: 'TRACE',
    trace: {
      type: 'STREAM_STATUS',
      emitted_at: 1700000000003,
      stream_status: {
        stream_descriptor: descriptor,
        status: 'RUNNING',
        reasons: [{ type: 'RATE_LIMITED', rate_limited: { quota_reset: 1700000060000 } }],
        ...future,
      },
    },
  },
  {
    type: 'TRACE',
    trace: {
      type: 'ANALYTICS',
      emitted_at: 1700000000004,
      analytics: { type: 'pages_fetched', value: '12', ...future },
    },
  },
  {
    type: 'CONTROL',
    control: {
      type: 'CONNECTOR_CONFIG',
      emitted_at: 1700000000005,
      connectorConfig: { config: { refresh_token: 'new-token' }, ...future },
      ...future,
    },
  },
  { type: 'DESTINATION_CATALOG', destination_catalog: { operations: [{ object_name: 'users', ...future }] } },
];

async function roundTrip(cuts: number[]): Promise<{ messages: AirbyteMessage[]; lineNumbers: number[] }> {
  const out = new RecordingWritable();
  const writer = new MessageWriter(out, { maxBufferedLines: 4 });
  for (const msg of messages) await writer.write(msg);
  await writer.flush();
  const bytes = Buffer.concat(out.chunks);
  const knownStreams = new Set(['crm.users', 'events']);
  const read: AirbyteMessage[] = [];
  const lineNumbers: number[] = [];
  for await (const batch of readLineBatches(chunksOf(splitAt(bytes, cuts)), { source: 'test' })) {
    batch.lines.forEach((line, i) => {
      const lineNumber = lineNumberOf(batch, i);
      lineNumbers.push(lineNumber);
      read.push(parseMessage(line, { source: 'test', lineNumber, knownStreams }));
    });
  }
  return { messages: read, lineNumbers };
}

describe('codec round trip', () => {
  it('reads back every message type exactly as written, unknown fields included', async () => {
    const { messages: read, lineNumbers } = await roundTrip([]);
    expect(read).toEqual(messages);
    expect(lineNumbers).toEqual(messages.map((_, i) => i + 1));
  });

  it('reads back the same messages when the bytes arrive in small uneven chunks', async () => {
    const cuts = Array.from({ length: 400 }, (_, i) => i * 7 + (i % 5));
    expect((await roundTrip(cuts)).messages).toEqual(messages);
  });

  it('lets the record prefix scanner route written records without a parse', async () => {
    const out = new RecordingWritable();
    const writer = new MessageWriter(out);
    for (const msg of messages) writer.write(msg);
    await writer.flush();
    const peeked = out.lines().map((l) => peekRecordStream(Buffer.from(l)));
    expect(peeked.map((p) => (p ? { ...p } : undefined))).toEqual(
      messages.map((m) =>
        m.type === 'RECORD'
          ? m.record.namespace
            ? { stream: m.record.stream, namespace: m.record.namespace }
            : { stream: m.record.stream }
          : undefined,
      ),
    );
  });
});
