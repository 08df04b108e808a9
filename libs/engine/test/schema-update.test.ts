// A schema a source announces mid-read (Singer's SCHEMA): the sync's catalog follows it, a
// destination that can adds the new properties, one that cannot is named in a warning, and columns
// a schema policy holds back stay out either way.

import { join } from 'node:path';
import type { DestinationWriter, Logger } from '@conveyor/cdk';
import type { ConfiguredStream, JsonObject } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import {
  configureCatalog,
  inProcessDestination,
  runSync,
  type SourceHandle,
  type SourceHandleOutput,
  StateStore,
} from '../src/index.js';
import { memoryDestination, memoryStore, silent, streamState, tempDir } from './helpers.js';

const BASE = { type: 'object', properties: { id: { type: 'integer' } } };
const GROWN = {
  type: 'object',
  properties: { id: { type: 'integer' }, colour: { type: 'string' }, held: { type: 'string' } },
};

const source: SourceHandle = {
  name: 'announcing',
  spec: async () => ({ connectionSpecification: { type: 'object' } }),
  check: async () => ({ status: 'SUCCEEDED' }),
  discover: async () => ({
    streams: [{ name: 'items', json_schema: BASE, supported_sync_modes: ['full_refresh'] }],
  }),
  async *read(): AsyncGenerator<SourceHandleOutput> {
    const records = (ids: number[], extra: JsonObject = {}) => ({
      kind: 'records' as const,
      batch: {
        format: 'objects' as const,
        stream: 'items',
        records: ids.map((id) => ({ id, ...extra })),
        emittedAt: 1,
      },
    });
    yield records([1, 2]);
    yield { kind: 'schema', stream: 'items', schema: GROWN };
    yield records([3], { colour: 'red', held: 'x' });
    yield { kind: 'message', message: { type: 'STATE', state: streamState('items', 3) } };
  },
};

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silent, warn: (m: string) => warnings.push(m), warnings };
}

async function sync(evolve: boolean) {
  const dest = memoryStore();
  const evolved: ConfiguredStream[] = [];
  const base = memoryDestination(dest);
  const destination = inProcessDestination('memory', {
    ...base,
    async open(config, catalog, ctx): Promise<DestinationWriter> {
      const writer = await base.open(config, catalog, ctx);
      return evolve
        ? {
            ...writer,
            evolve: async (stream) => {
              evolved.push(stream);
            },
          }
        : writer;
    },
  });
  const catalog = configureCatalog(
    await source.discover({}, { logger: silent, signal: new AbortController().signal }),
    undefined,
  );
  const logger = recordingLogger();
  const result = await runSync({
    connectionId: 'c',
    source,
    sourceConfig: {},
    destination,
    destinationConfig: {},
    catalog,
    store: new StateStore(join(tempDir(), 'state.db')),
    logger,
    dropColumns: new Map([['items', ['held']]]),
  });
  return { result, evolved, logger, dest };
}

describe('a schema announced mid-read', () => {
  it('reaches a destination that can add columns, without the columns a policy holds back', async () => {
    const { result, evolved, dest } = await sync(true);
    expect(result.status).toBe('succeeded');
    expect(evolved).toHaveLength(1);
    expect(Object.keys(evolved[0]!.stream.json_schema.properties as JsonObject)).toEqual(['id', 'colour']);
    expect(dest.durable).toEqual([{ id: 1 }, { id: 2 }, { id: 3, colour: 'red' }]);
  });

  it('a destination that cannot is named in a warning with the properties it does not keep', async () => {
    const { result, logger } = await sync(false);
    expect(result.status).toBe('succeeded');
    expect(logger.warnings.join('\n')).toMatch(
      /Stream items: the source announced new properties mid-sync \(colour\), and memory cannot add them/,
    );
  });
});
