import { describe, expect, test } from 'vitest';
import { catalogOf, lines, objects, query, runSync, tempDatabase } from './helpers.js';

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
