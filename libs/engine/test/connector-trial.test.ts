import type { Catalog } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { breakingSchemaChanges, parsePackageSpec } from '../src/index.js';

const catalog = (
  streams: Array<{ name: string; props: Record<string, unknown>; pk?: string[][] }>,
): Catalog => ({
  streams: streams.map((s) => ({
    name: s.name,
    json_schema: { type: 'object', properties: s.props },
    supported_sync_modes: ['full_refresh'],
    ...(s.pk ? { source_defined_primary_key: s.pk } : {}),
  })),
});

describe('breakingSchemaChanges', () => {
  const before = catalog([
    { name: 'users', props: { id: { type: 'integer' }, name: { type: ['null', 'string'] } }, pk: [['id']] },
    { name: 'orders', props: { id: { type: 'integer' } } },
  ]);

  it('finds nothing when only streams and columns were added', () => {
    const after = catalog([
      {
        name: 'users',
        props: { id: { type: 'integer' }, name: { type: 'string' }, email: { type: 'string' } },
        pk: [['id']],
      },
      { name: 'orders', props: { id: { type: 'integer' } } },
      { name: 'refunds', props: {} },
    ]);
    expect(breakingSchemaChanges(before, after)).toEqual([]);
  });

  it('names a removed stream, a removed column, a changed type and a changed primary key', () => {
    const after = catalog([{ name: 'users', props: { id: { type: 'string' } }, pk: [['name']] }]);
    expect(breakingSchemaChanges(before, after)).toEqual([
      'column "users.id" changed type integer -> string',
      'column "users.name" is gone',
      'stream "users" changed its primary key [["id"]] -> [["name"]]',
      'stream "orders" is gone',
    ]);
  });

  it('ignores streams the connection does not select', () => {
    const after = catalog([
      { name: 'users', props: { id: { type: 'integer' }, name: { type: 'string' } }, pk: [['id']] },
    ]);
    expect(breakingSchemaChanges(before, after, [{ name: 'users' }])).toEqual([]);
    expect(breakingSchemaChanges(before, after)).toEqual(['stream "orders" is gone']);
  });
});

describe('parsePackageSpec', () => {
  it('reads names with and without a scope and a range', () => {
    expect(parsePackageSpec('@conveyor/source-faker')).toEqual({
      name: '@conveyor/source-faker',
      range: '*',
    });
    expect(parsePackageSpec('@conveyor/source-faker@^0.1')).toEqual({
      name: '@conveyor/source-faker',
      range: '^0.1',
    });
    expect(parsePackageSpec('tap-x@1.2.3')).toEqual({ name: 'tap-x', range: '1.2.3' });
  });

  it('says what a spec should look like when it is not one', () => {
    expect(() => parsePackageSpec('@conveyor/source-faker@latest!')).toThrow(
      /not a package spec.*@conveyor\/source-faker@\^0\.1/,
    );
  });
});
