// Test connectors that live in memory. The destination keeps "durable" rows and states apart from
// staged ones exactly as a transactional destination does, so the checkpoint rule can be observed.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  DestinationConnector,
  DestinationWriter,
  Logger,
  RecordBatch,
  SourceConnector,
  SourceOutput,
} from '@conveyor/cdk';
import type { ConfiguredCatalog, JsonObject, StateMessage } from '@conveyor/protocol';

export const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'conveyor-engine-test-'));
}

export function streamState(name: string, cursor: number): StateMessage {
  return { type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: { cursor } } };
}

/** A source emitting `count` records of stream `items` (id 1..count), a STATE after every `every`. */
export function countingSource(opts: {
  count: number;
  every: number;
  failAt?: number;
  secret?: string;
}): SourceConnector {
  return {
    spec: () => ({
      connectionSpecification: {
        type: 'object',
        properties: { token: { type: 'string', airbyte_secret: true } },
      },
    }),
    check: async () => ({ status: 'SUCCEEDED' }),
    discover: async () => ({
      streams: [
        {
          name: 'items',
          json_schema: { type: 'object', properties: { id: { type: 'integer' } } },
          supported_sync_modes: ['full_refresh', 'incremental'],
          source_defined_cursor: true,
          default_cursor_field: ['id'],
          source_defined_primary_key: [['id']],
        },
      ],
    }),
    async *read(_config, _catalog, state): AsyncGenerator<SourceOutput> {
      const from = Number((state[0]?.stream?.stream_state as JsonObject | undefined)?.cursor ?? 0);
      let batch: JsonObject[] = [];
      for (let id = from + 1; id <= opts.count; id++) {
        if (opts.failAt !== undefined && id === opts.failAt) {
          throw new Error(`source broke at ${id} using token ${opts.secret ?? ''}`);
        }
        batch.push({ id });
        if (id % opts.every === 0 || id === opts.count) {
          yield {
            kind: 'records',
            batch: { format: 'objects', stream: 'items', records: batch, emittedAt: Date.now() },
          };
          batch = [];
          yield { kind: 'message', message: { type: 'STATE', state: streamState('items', id) } };
        }
      }
    },
  };
}

/** Two streams, `items` (as countingSource's) and `other` (the same schema), read by `read`. */
export function itemsAndOther(read: SourceConnector['read']): SourceConnector {
  const base = countingSource({ count: 1, every: 1 });
  return {
    ...base,
    discover: async () => {
      const catalog = await base.discover({}, { logger: silent, signal: new AbortController().signal });
      const items = catalog.streams[0]!;
      return { streams: [items, { ...items, name: 'other' }] };
    },
    read,
  };
}

export interface MemoryStore {
  durable: JsonObject[];
  committed: { seq: number; states: StateMessage[] } | undefined;
  commits: number;
  /** rows of each stream made durable by each commit, in commit order */
  committedRows: Record<string, number>[];
  finished: boolean;
  catalogs: ConfiguredCatalog[];
}

export function memoryStore(): MemoryStore {
  return { durable: [], committed: undefined, commits: 0, committedRows: [], finished: false, catalogs: [] };
}

function recordsOf(batch: RecordBatch): JsonObject[] {
  if (batch.format === 'objects') return batch.records;
  return batch.lines.map((line) => {
    const data = (JSON.parse(line.toString('utf8')) as { record: { data: unknown } }).record.data;
    if (data === null || typeof data !== 'object' || Array.isArray(data))
      throw new Error('bulk load failed: data is not an object');
    return data as JsonObject;
  });
}

/** A transactional in-memory destination: staged rows become durable with the states on commit. */
export function memoryDestination(
  store: MemoryStore,
  /** `stagesFullRefreshAppends`: the writer says it keeps full-refresh appends out of sight until finish */
  /** `stagedCommitRows`: the writer's step for staged rows (as DuckDB's row groups) */
  opts: { failOnCommit?: number; stagesFullRefreshAppends?: boolean; stagedCommitRows?: number } = {},
): DestinationConnector {
  return {
    spec: () => ({
      connectionSpecification: { type: 'object' },
      supported_destination_sync_modes: ['append', 'overwrite', 'append_dedup'],
    }),
    check: async () => ({ status: 'SUCCEEDED' }),
    committedStates: async () => store.committed,
    async open(_config, catalog): Promise<DestinationWriter> {
      store.catalogs.push(catalog);
      let staged: JsonObject[] = [];
      let stagedRows: Record<string, number> = {};
      const fullRefreshAppends = catalog.streams
        .filter((s) => s.sync_mode === 'full_refresh' && s.destination_sync_mode === 'append')
        .map((s) => (s.stream.namespace ? `${s.stream.namespace}.${s.stream.name}` : s.stream.name));
      return {
        ...(opts.stagesFullRefreshAppends ? { stagedUntilFinish: new Set(fullRefreshAppends) } : {}),
        ...(opts.stagedCommitRows ? { stagedCommitRows: opts.stagedCommitRows } : {}),
        async write(batch) {
          const records = recordsOf(batch);
          staged.push(...records);
          stagedRows[batch.stream] = (stagedRows[batch.stream] ?? 0) + records.length;
        },
        async commit(states, seq) {
          store.commits += 1;
          if (opts.failOnCommit !== undefined && store.commits === opts.failOnCommit)
            throw new Error('disk full');
          store.durable.push(...staged);
          store.committedRows.push(stagedRows);
          staged = [];
          stagedRows = {};
          store.committed = { seq, states };
        },
        async finish() {
          store.finished = true;
        },
        async close() {
          staged = [];
        },
      };
    },
  };
}

/** Writes an executable node script that prints `lines` on stdout (a protocol source for exec:). */
export function scriptSource(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/usr/bin/env node\n${body}\n`, { mode: 0o755 });
  return path;
}
