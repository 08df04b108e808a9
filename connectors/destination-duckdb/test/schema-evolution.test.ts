import { describe, expect, test } from 'vitest';
import { destination } from '../src/index.js';
import {
  catalogOf,
  configuredStream,
  lines,
  objects,
  query,
  runSync,
  tempDatabase,
  writeContext,
} from './helpers.js';

async function typeOf(path: string, table: string, column: string): Promise<unknown> {
  const rows = await query(
    path,
    `SELECT data_type FROM duckdb_columns() WHERE table_name = '${table}' AND column_name = '${column}'`,
  );
  return rows[0]?.data_type;
}

describe('schema evolution', () => {
  test('a new property adds a column; earlier rows have NULL in it', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf({ name: 'users', properties: { id: { type: 'integer' } } }), [
      objects('users', [{ id: 1, email: 'not declared yet' }]),
    ]);
    await runSync(
      path,
      catalogOf({ name: 'users', properties: { id: { type: 'integer' }, email: { type: 'string' } } }),
      [objects('users', [{ id: 2, email: 'b@example.com' }])],
    );
    expect(await query(path, 'SELECT id, email FROM users ORDER BY id')).toEqual([
      { id: '1', email: null },
      { id: '2', email: 'b@example.com' },
    ]);
  });

  test('an integer column widens to DOUBLE when the property becomes a number', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf({ name: 'm', properties: { v: { type: 'integer' } } }), [
      objects('m', [{ v: 1 }]),
    ]);
    await runSync(path, catalogOf({ name: 'm', properties: { v: { type: 'number' } } }), [
      lines('m', [{ v: 1.5 }]),
    ]);
    expect(await typeOf(path, 'm', 'v')).toBe('DOUBLE');
    expect(await query(path, 'SELECT v FROM m ORDER BY v')).toEqual([{ v: 1 }, { v: 1.5 }]);
  });

  test('any column widens to VARCHAR when the property becomes a string, keeping its values as text', async () => {
    const path = await tempDatabase();
    const first = { b: { type: 'boolean' }, t: { type: 'string', format: 'date-time' } };
    await runSync(path, catalogOf({ name: 'm', properties: first }), [
      objects('m', [{ b: true, t: '2024-01-01T00:00:00Z' }]),
    ]);
    await runSync(
      path,
      catalogOf({ name: 'm', properties: { b: { type: 'string' }, t: { type: 'string' } } }),
      [objects('m', [{ b: 'perhaps', t: 'soon' }])],
    );
    expect(await typeOf(path, 'm', 'b')).toBe('VARCHAR');
    expect(await typeOf(path, 'm', 't')).toBe('VARCHAR');
    expect(await query(path, 'SELECT b, t FROM m ORDER BY b')).toEqual([
      { b: 'perhaps', t: 'soon' },
      { b: 'true', t: '2024-01-01 00:00:00+00' },
    ]);
  });

  test('a scalar column widens to JSON when the property becomes an object', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf({ name: 'm', properties: { v: { type: 'integer' } } }), [
      objects('m', [{ v: 3 }]),
    ]);
    await runSync(path, catalogOf({ name: 'm', properties: { v: { type: 'object' } } }), [
      objects('m', [{ v: { a: 1 } }]),
    ]);
    expect(await typeOf(path, 'm', 'v')).toBe('JSON');
    expect(await query(path, 'SELECT v FROM m ORDER BY v')).toEqual([{ v: '3' }, { v: '{"a":1}' }]);
  });

  test('a change DuckDB cannot widen keeps the column, and values that do not fit it are NULL and noted', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf({ name: 'm', properties: { v: { type: 'integer' } } }), [
      objects('m', [{ v: 3 }]),
    ]);
    await runSync(path, catalogOf({ name: 'm', properties: { v: { type: 'boolean' } } }), [
      objects('m', [{ v: true }, { v: 4 }]),
    ]);
    expect(await typeOf(path, 'm', 'v')).toBe('BIGINT');
    expect(
      await query(path, 'SELECT v, _conveyor_meta IS NOT NULL AS noted FROM m ORDER BY v NULLS FIRST'),
    ).toEqual([
      { v: null, noted: true },
      { v: '3', noted: false },
      { v: '4', noted: false },
    ]);
  });

  test('a string column stays VARCHAR when the property becomes an integer', async () => {
    const path = await tempDatabase();
    await runSync(path, catalogOf({ name: 'm', properties: { v: { type: 'string' } } }), [
      objects('m', [{ v: 'a' }]),
    ]);
    await runSync(path, catalogOf({ name: 'm', properties: { v: { type: 'integer' } } }), [
      objects('m', [{ v: 5 }]),
    ]);
    expect(await typeOf(path, 'm', 'v')).toBe('VARCHAR');
    expect(await query(path, 'SELECT v FROM m ORDER BY v')).toEqual([{ v: '5' }, { v: 'a' }]);
  });
});

describe('a schema announced mid-sync (evolve)', () => {
  const before = { id: { type: 'integer' }, name: { type: 'string' } };
  const after = { ...before, colour: { type: 'string' } };

  for (const mode of ['append', 'overwrite', 'append_dedup'] as const) {
    test(`${mode}: rows before keep NULL, rows after carry the new column, in one transaction`, async () => {
      const path = await tempDatabase();
      const options = { name: 'items', mode, primaryKey: [['id']], cursor: ['id'], generationId: 1 };
      const catalog = catalogOf({ ...options, properties: before });
      const writer = await destination.open({ path }, catalog, writeContext());
      try {
        // raw lines staged on disk load with the columns they were staged for
        await writer.write(lines('items', [{ id: 1, name: 'a', colour: 'lost before the schema' }]));
        await writer.write(objects('items', [{ id: 2, name: 'b' }]));
        await writer.evolve!(configuredStream({ ...options, properties: after }));
        await writer.write(lines('items', [{ id: 3, name: 'c', colour: 'red' }]));
        await writer.write(objects('items', [{ id: 4, name: 'd', colour: 'blue' }]));
        await writer.commit([], 1);
        await writer.finish();
      } finally {
        await writer.close();
      }
      expect(await query(path, 'SELECT id, name, colour FROM items ORDER BY id')).toEqual([
        { id: '1', name: 'a', colour: null },
        { id: '2', name: 'b', colour: null },
        { id: '3', name: 'c', colour: 'red' },
        { id: '4', name: 'd', colour: 'blue' },
      ]);
    });
  }

  test('a failed sync after evolve leaves neither the rows nor a half-made table', async () => {
    const path = await tempDatabase();
    const catalog = catalogOf({ name: 'items', properties: before });
    await runSync(path, catalog, [objects('items', [{ id: 1, name: 'kept' }])]);
    const writer = await destination.open({ path }, catalog, writeContext());
    await writer.write(objects('items', [{ id: 2, name: 'never committed' }]));
    await writer.evolve!(configuredStream({ name: 'items', properties: after }));
    await writer.write(objects('items', [{ id: 3, name: 'x', colour: 'red' }]));
    await writer.close(); // the engine closes without commit when the sync fails
    expect(await query(path, 'SELECT id, name FROM items ORDER BY id')).toEqual([{ id: '1', name: 'kept' }]);
    const added =
      "SELECT count(*)::INT AS n FROM duckdb_columns() WHERE table_name = 'items' AND column_name = 'colour'";
    expect(await query(path, added)).toEqual([{ n: 0 }]);
  });
});
