import { ConveyorError } from '@conveyor/protocol';
import { describe, expect, test } from 'vitest';
import { assignColumnNames, foldCase, quoteIdentifier } from '../src/identifiers.js';
import { destination } from '../src/index.js';
import {
  catalogOf,
  lines,
  objects,
  query,
  runSync,
  streamState,
  tempDatabase,
  writeContext,
} from './helpers.js';

describe('assignColumnNames', () => {
  const reserved = ['_conveyor_meta'];

  test('names differing only in ASCII case get suffixes in code-point order', () => {
    const { columns } = assignColumnNames(['name', 'Name', 'NAME'], reserved, new Map(), []);
    expect(Object.fromEntries(columns)).toEqual({ NAME: 'NAME', Name: 'Name_2', name: 'name_3' });
  });

  test('a suffixed name never collides with another property', () => {
    const { columns } = assignColumnNames(['a', 'A', 'a_2'], reserved, new Map(), []);
    expect(Object.fromEntries(columns)).toEqual({ A: 'A', a: 'a_2', a_2: 'a_2_2' });
  });

  test('remembered names are kept when a new colliding property appears', () => {
    const first = assignColumnNames(['name', 'Name'], reserved, new Map(), []);
    const second = assignColumnNames(['nAme', 'name', 'Name'], reserved, first.columns, [
      ...first.columns.values(),
    ]);
    expect(second.columns.get('Name')).toBe(first.columns.get('Name'));
    expect(second.columns.get('name')).toBe(first.columns.get('name'));
    expect(second.columns.get('nAme')).toBe('nAme_3');
    expect([...second.added.keys()]).toEqual(['nAme']);
  });

  test('a property named like a metadata column does not take it', () => {
    const { columns } = assignColumnNames(['_conveyor_meta', '_CONVEYOR_META'], reserved, new Map(), []);
    expect(Object.fromEntries(columns)).toEqual({
      _CONVEYOR_META: '_CONVEYOR_META_2',
      _conveyor_meta: '_conveyor_meta_3',
    });
  });

  test('a property equal to an existing column adopts it', () => {
    const { columns } = assignColumnNames(['Email'], reserved, new Map(), ['Email']);
    expect(columns.get('Email')).toBe('Email');
  });

  test('empty names and NUL characters become usable names', () => {
    const { columns } = assignColumnNames(['', 'a\u0000b'], reserved, new Map(), []);
    expect(Object.fromEntries(columns)).toEqual({ '': '_', 'a\u0000b': 'a_b' });
  });

  test('only ASCII letters fold, as in DuckDB', () => {
    expect(foldCase('ÉtÉ Name')).toBe('ÉtÉ name');
    expect(quoteIdentifier('say "hi"')).toBe('"say ""hi"""');
  });
});

const nasty = {
  id: { type: 'integer' },
  'quote"d': { type: 'string' },
  'with space': { type: 'string' },
  'dot.ted': { type: 'string' },
  'ünï©ødé ✓': { type: 'string' },
  select: { type: 'string' },
  order: { type: 'integer' },
  Name: { type: 'string' },
  name: { type: 'string' },
  'a/b~c': { type: 'string' },
  '': { type: 'string' },
  _conveyor_meta: { type: 'string' },
  rowid: { type: 'string' },
};

const nastyRecord = {
  id: 1,
  'quote"d': 'q',
  'with space': 's',
  'dot.ted': 'd',
  'ünï©ødé ✓': 'u',
  select: 'sel',
  order: 3,
  Name: 'upper',
  name: 'lower',
  'a/b~c': 'path',
  '': 'empty',
  _conveyor_meta: 'mine',
  rowid: 'r',
};

describe('identifiers in DuckDB', () => {
  test.each(['objects', 'jsonl'] as const)(
    '%s: any stream, namespace and property name works, and each value lands in its own column',
    async (format) => {
      const path = await tempDatabase();
      const stream = 'we"ird.table name';
      const namespace = 'sch.e"ma ü';
      const catalog = catalogOf({ name: stream, namespace, properties: nasty });
      const batch = format === 'objects' ? objects(stream, [nastyRecord]) : lines(stream, [nastyRecord]);
      await runSync(path, catalog, [{ ...batch, namespace }]);

      const [row] = await query(
        path,
        `SELECT * EXCLUDE (_conveyor_raw_id, _conveyor_extracted_at, _conveyor_generation_id) FROM "sch.e""ma ü"."we""ird.table name"`,
      );
      expect(row).toEqual({
        _conveyor_meta: null,
        id: '1',
        'quote"d': 'q',
        'with space': 's',
        'dot.ted': 'd',
        'ünï©ødé ✓': 'u',
        select: 'sel',
        order: '3',
        Name: 'upper',
        name_2: 'lower',
        'a/b~c': 'path',
        _: 'empty',
        _conveyor_meta_2: 'mine',
        rowid_2: 'r',
      });
    },
  );

  test('column names stay the same in later syncs when a colliding property is added', async () => {
    const path = await tempDatabase();
    const base = { Name: { type: 'string' }, name: { type: 'string' } };
    await runSync(path, catalogOf({ name: 'p', properties: base }), [
      objects('p', [{ Name: 'A1', name: 'a1' }]),
    ]);
    await runSync(path, catalogOf({ name: 'p', properties: { NAME: { type: 'string' }, ...base } }), [
      objects('p', [{ NAME: 'X2', Name: 'A2', name: 'a2' }]),
    ]);
    expect(await query(path, 'SELECT "Name", name_2, "NAME_3" FROM p ORDER BY "Name"')).toEqual([
      { Name: 'A1', name_2: 'a1', NAME_3: null },
      { Name: 'A2', name_2: 'a2', NAME_3: 'X2' },
    ]);
  });

  test('two streams that would share a table (names differing in case) are refused with a config error', async () => {
    const path = await tempDatabase();
    const catalog = catalogOf({ name: 'Users' }, { name: 'users' });
    const failure = await destination.open({ path }, catalog, writeContext()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConveyorError);
    expect(failure).toMatchObject({ failureType: 'config_error' });
    expect((failure as ConveyorError).userMessage).toContain('destination_object_name');
  });

  test('a stream that would land on the table holding committed states is refused, and the states stay', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf({ name: 'users' }), [objects('users', [{ id: 1 }])], {
      states: [streamState('users', 1)],
    });
    const catalog = catalogOf({ name: '_CONVEYOR_STATE', namespace: '_conveyor' });
    const failure = await destination.open({ path }, catalog, writeContext()).catch((e: unknown) => e);
    expect(failure).toMatchObject({ failureType: 'config_error' });
    expect((failure as ConveyorError).userMessage).toContain('keeps its own state');
    expect(await destination.committedStates?.({ path }, 'connection-1')).toMatchObject({ seq: 1 });
  });

  test('destination_object_name names the table', async () => {
    const path = await tempDatabase();
    const catalog = catalogOf(
      { name: 'Users', properties: { id: { type: 'integer' } } },
      {
        name: 'users',
        destinationObjectName: 'users_lower',
        properties: { id: { type: 'integer' } },
      },
    );
    await runSync(path, catalog, [objects('Users', [{ id: 1 }]), objects('users', [{ id: 2 }])]);
    expect(await query(path, 'SELECT id FROM "Users"')).toEqual([{ id: '1' }]);
    expect(await query(path, 'SELECT id FROM users_lower')).toEqual([{ id: '2' }]);
  });
});
