import { describe, expect, it } from 'vitest';
import {
  batchForDestination,
  catalogForDestination,
  mapNamespace,
  parseNamespacePolicy,
} from '../src/namespaces.js';

const where = 'conveyor.yml:7 connections.c.namespace';

describe('namespace policies', () => {
  it('keeps, drops or formats the source namespace', () => {
    expect(mapNamespace(parseNamespacePolicy('source', where), 'shop')).toBe('shop');
    expect(mapNamespace(parseNamespacePolicy('destination', where), 'shop')).toBeUndefined();
    const custom = parseNamespacePolicy('raw_${SOURCE_NAMESPACE}', where);
    expect(mapNamespace(custom, 'shop')).toBe('raw_shop');
    expect(mapNamespace(parseNamespacePolicy('analytics', where), undefined)).toBe('analytics');
    // a format that comes out empty means no namespace, not an empty one
    expect(mapNamespace(parseNamespacePolicy('${SOURCE_NAMESPACE}', where), undefined)).toBeUndefined();
  });

  it('refuses an empty namespace with the place and the choices', () => {
    expect(() => parseNamespacePolicy('  ', where)).toThrow(
      /connections\.c\.namespace: namespace is empty\. Use source/,
    );
  });

  it('rewrites what the destination sees: the catalog, object batches and raw lines', () => {
    const policy = parseNamespacePolicy('destination', where);
    const catalog = catalogForDestination(policy, {
      streams: [
        {
          stream: {
            name: 'orders',
            namespace: 'shop',
            json_schema: {},
            supported_sync_modes: ['full_refresh'],
          },
          sync_mode: 'full_refresh',
          destination_sync_mode: 'overwrite',
        },
      ],
    });
    expect(catalog.streams[0]?.stream).not.toHaveProperty('namespace');
    const objects = batchForDestination(policy, {
      format: 'objects',
      stream: 'orders',
      namespace: 'shop',
      records: [{ id: 1 }],
      emittedAt: 0,
    });
    expect(objects).not.toHaveProperty('namespace');
    const line = Buffer.from(
      JSON.stringify({
        type: 'RECORD',
        record: { stream: 'orders', namespace: 'shop', data: { id: 1 }, emitted_at: 0 },
      }),
    );
    const lines = batchForDestination(parseNamespacePolicy('raw', where), {
      format: 'jsonl',
      stream: 'orders',
      namespace: 'shop',
      lines: [line, Buffer.from('not json')],
    });
    expect(lines.namespace).toBe('raw');
    if (lines.format !== 'jsonl') throw new Error('expected lines');
    expect(JSON.parse(lines.lines[0]!.toString()).record).toEqual({
      stream: 'orders',
      namespace: 'raw',
      data: { id: 1 },
      emitted_at: 0,
    });
    // a bad line is left for the destination to report with its line number
    expect(lines.lines[1]!.toString()).toBe('not json');
  });
});
