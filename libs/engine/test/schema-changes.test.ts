// Every rule of the schema-change classification, one case each, plus selection and combination.

import type { AirbyteStream, Catalog } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { breakingSchemaChanges, diffCatalogs } from '../src/index.js';

const stream = (
  name: string,
  props: Record<string, unknown>,
  extra: Partial<AirbyteStream> = {},
): AirbyteStream => ({
  name,
  json_schema: { type: 'object', properties: props },
  supported_sync_modes: ['full_refresh', 'incremental'],
  ...extra,
});
const catalog = (...streams: AirbyteStream[]): Catalog => ({ streams });

const users = (props: Record<string, unknown> = {}, extra: Partial<AirbyteStream> = {}) =>
  stream(
    'users',
    { id: { type: 'integer' }, name: { type: 'string' }, age: { type: 'integer' }, ...props },
    { source_defined_primary_key: [['id']], default_cursor_field: ['updated_at'], ...extra },
  );
const base = catalog(users(), stream('orders', { id: { type: 'integer' } }));

const only = (after: Catalog, selected?: { name: string }[]) =>
  diffCatalogs(base, after, selected).map((c) => [c.kind, c.breaking, c.message]);

describe('diffCatalogs', () => {
  it('finds nothing when nothing changed', () => {
    expect(diffCatalogs(base, structuredClone(base))).toEqual([]);
  });

  it.each([
    [
      'a stream added',
      catalog(users(), stream('orders', { id: { type: 'integer' } }), stream('refunds', {})),
      [['stream_added', false, 'stream "refunds" is new']],
    ],
    [
      'a column added',
      catalog(users({ email: { type: 'string' } }), stream('orders', { id: { type: 'integer' } })),
      [['column_added', false, 'column "users.email" is new']],
    ],
    [
      'integer widened to number',
      catalog(users({ age: { type: 'number' } }), stream('orders', { id: { type: 'integer' } })),
      [['type_widened', false, 'column "users.age" widened integer -> number']],
    ],
    [
      'a type gaining null',
      catalog(users({ name: { type: ['null', 'string'] } }), stream('orders', { id: { type: 'integer' } })),
      [['type_widened', false, 'column "users.name" widened string -> null|string']],
    ],
    [
      'a type gaining another type (anyOf)',
      catalog(
        users({ age: { anyOf: [{ type: 'integer' }, { type: 'string' }] } }),
        stream('orders', { id: { type: 'integer' } }),
      ),
      [['type_widened', false, 'column "users.age" widened integer -> integer|string']],
    ],
  ])('%s is not breaking', (_what, after, expected) => {
    expect(only(after)).toEqual(expected);
  });

  it.each([
    ['a stream removed', catalog(users()), [['stream_removed', true, 'stream "orders" is gone']]],
    [
      'a column removed',
      catalog(users({ age: undefined }), stream('orders', { id: { type: 'integer' } })),
      [['column_removed', true, 'column "users.age" is gone']],
    ],
    [
      'a type changed',
      catalog(users({ age: { type: 'string' } }), stream('orders', { id: { type: 'integer' } })),
      [['type_changed', true, 'column "users.age" changed type integer -> string']],
    ],
    [
      'a primary key changed',
      catalog(
        users({}, { source_defined_primary_key: [['name']] }),
        stream('orders', { id: { type: 'integer' } }),
      ),
      [['primary_key_changed', true, 'stream "users" primary key [["id"]] -> [["name"]]']],
    ],
    [
      'a primary key removed',
      catalog(
        users({}, { source_defined_primary_key: undefined }),
        stream('orders', { id: { type: 'integer' } }),
      ),
      [['primary_key_changed', true, 'stream "users" primary key [["id"]] -> null']],
    ],
    [
      'a cursor changed',
      catalog(
        users({}, { default_cursor_field: ['created_at'] }),
        stream('orders', { id: { type: 'integer' } }),
      ),
      [['cursor_changed', true, 'stream "users" cursor ["updated_at"] -> ["created_at"]']],
    ],
    [
      'a cursor removed',
      catalog(users({}, { default_cursor_field: undefined }), stream('orders', { id: { type: 'integer' } })),
      [['cursor_changed', true, 'stream "users" cursor ["updated_at"] -> null']],
    ],
  ])('%s is breaking', (_what, after, expected) => {
    // a column set to undefined in the helper is removed
    for (const s of after.streams) {
      const props = s.json_schema.properties as Record<string, unknown>;
      for (const k of Object.keys(props)) if (props[k] === undefined) delete props[k];
    }
    expect(only(after)).toEqual(expected);
  });

  it('narrowing number to integer and losing null are breaking', () => {
    const wide = catalog(stream('t', { n: { type: 'number' }, s: { type: ['null', 'string'] } }));
    const narrow = catalog(stream('t', { n: { type: 'integer' }, s: { type: 'string' } }));
    expect(diffCatalogs(wide, narrow).map((c) => [c.kind, c.breaking, c.message])).toEqual([
      ['type_changed', true, 'column "t.n" changed type number -> integer'],
      ['type_changed', true, 'column "t.s" changed type null|string -> string'],
    ]);
  });

  it('treats a string format as part of the type: adding one narrows, dropping one widens', () => {
    const plain = catalog(stream('t', { at: { type: 'string' } }));
    const timed = catalog(stream('t', { at: { type: 'string', format: 'date-time' } }));
    expect(diffCatalogs(plain, timed).map((c) => [c.kind, c.breaking])).toEqual([['type_changed', true]]);
    expect(diffCatalogs(timed, plain).map((c) => [c.kind, c.breaking])).toEqual([['type_widened', false]]);
  });

  it('an empty alternative admits anything, and no key is no key however it is written', () => {
    const typed = catalog(stream('t', { v: { type: 'string' } }, { source_defined_primary_key: [] }));
    const loose = catalog(stream('t', { v: { anyOf: [{ type: 'string' }, {}] } }));
    expect(diffCatalogs(typed, loose).map((c) => [c.kind, c.breaking])).toEqual([['type_widened', false]]);
    expect(diffCatalogs(loose, typed).map((c) => [c.kind, c.breaking])).toEqual([['type_changed', true]]);
  });

  it('a key or cursor change breaks only a connection that relies on the source-defined one', () => {
    const after = catalog(
      users({}, { source_defined_primary_key: [['name']], default_cursor_field: ['created_at'] }),
      stream('orders', { id: { type: 'integer' } }),
    );
    const breaking = (
      selected: {
        name: string;
        sync_mode?: 'full_refresh' | 'incremental';
        cursor_field?: string;
        primary_key?: string;
      }[],
    ) =>
      diffCatalogs(base, after, [...selected, { name: 'orders' }])
        .filter((c) => c.breaking)
        .map((c) => c.kind);
    expect(breaking([{ name: 'users' }])).toEqual(['primary_key_changed', 'cursor_changed']);
    expect(breaking([{ name: 'users', sync_mode: 'full_refresh' }])).toEqual(['primary_key_changed']);
    expect(breaking([{ name: 'users', cursor_field: 'updated_at', primary_key: 'id' }])).toEqual([]);
  });

  it('a change to a stream the connection does not read is reported but never breaking', () => {
    const after = catalog(users({ age: { type: 'string' } }));
    const changes = diffCatalogs(base, after, [{ name: 'users' }]);
    expect(changes.map((c) => [c.kind, c.breaking, c.unused ?? false])).toEqual([
      ['type_changed', true, false],
      ['stream_removed', false, true],
    ]);
    expect(breakingSchemaChanges(base, after, [{ name: 'users' }])).toEqual([
      'column "users.age" changed type integer -> string',
    ]);
  });

  it('reports several changes of one stream together', () => {
    const after = catalog(
      users({ age: undefined, email: { type: 'string' } }, { default_cursor_field: ['created_at'] }),
      stream('orders', { id: { type: 'integer' } }),
    );
    delete (after.streams[0]!.json_schema.properties as Record<string, unknown>).age;
    expect(only(after).map((c) => c[0])).toEqual(['column_removed', 'column_added', 'cursor_changed']);
  });
});
