// The SQL benchmark's checksum means the same in Postgres, DuckDB and SQLite: the generated source
// table, copied the way a destination might store it (typed, or every column as text), gives the
// source's checksum in each, and a one-cent change in one row does not.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbChecksum, sqlChecksumDifferences, sqliteChecksum } from '../src/sql-checksum.js';
import { createSqlSource, type SqlSource } from '../src/sql-fixture.js';

const ROWS = 600;
const dir = mkdtempSync(join(tmpdir(), 'bench-sql-checksum-'));
let source: SqlSource;
let records: Array<Record<string, unknown>>;

beforeAll(async () => {
  source = await createSqlSource({ bench_rows: ROWS });
  const client = new pg.Client({ connectionString: source.database.url });
  await client.connect();
  // what a source emits: JSON with ISO timestamps, numbers, nested JSON
  const result = await client.query<{ r: Record<string, unknown> }>(
    'SELECT row_to_json(t) AS r FROM bench_rows t ORDER BY id',
  );
  records = result.rows.map((row) => row.r);
  await client.end();
}, 60_000);

afterAll(async () => {
  await source?.database.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function intoDuckdb(
  file: string,
  rows: Array<Record<string, unknown>>,
  allText: boolean,
): Promise<void> {
  const jsonl = join(dir, `${file}.jsonl`);
  writeFileSync(jsonl, rows.map((row) => JSON.stringify(row)).join('\n'));
  const columns = allText
    ? `, columns = {${Object.keys(rows[0]!)
        .map((name) => `'${name}': 'VARCHAR'`)
        .join(', ')}}`
    : '';
  const instance = await DuckDBInstance.create(join(dir, `${file}.duckdb`));
  const connection = await instance.connect();
  await connection.run('CREATE SCHEMA copied');
  await connection.run(
    `CREATE TABLE copied.bench_rows AS SELECT * FROM read_json('${jsonl}', format = 'newline_delimited'${columns})`,
  );
  connection.closeSync();
  instance.closeSync();
}

function intoSqlite(file: string, rows: Array<Record<string, unknown>>): string {
  const path = join(dir, `${file}.sqlite`);
  const db = new Database(path);
  const names = Object.keys(rows[0]!);
  db.exec(`CREATE TABLE public_bench_rows (${names.map((n) => `"${n}"`).join(', ')})`);
  db.exec('CREATE TABLE _conveyor_state (x)');
  const insert = db.prepare(`INSERT INTO public_bench_rows VALUES (${names.map(() => '?').join(', ')})`);
  db.transaction(() => {
    for (const row of rows) {
      insert.run(
        names.map((name) => {
          const value = row[name];
          if (typeof value === 'boolean') return value ? 1 : 0;
          if (value !== null && typeof value === 'object') return JSON.stringify(value);
          return value;
        }),
      );
    }
  })();
  db.close();
  return path;
}

describe('the SQL benchmark checksum', () => {
  it('is the same in Postgres, DuckDB (typed or all text) and SQLite for the same rows', async () => {
    const expected = source.tables[0]!.checksum;
    expect(expected.rows).toBe(ROWS);
    expect(expected.sumId).toBe((ROWS * (ROWS + 1)) / 2);
    expect(expected.nullQuantities).toBeGreaterThan(0);
    expect(expected.nullBirthDates).toBeGreaterThan(0);

    await intoDuckdb('typed', records, false);
    await intoDuckdb('text', records, true);
    expect(await duckdbChecksum(join(dir, 'typed.duckdb'), 'bench_rows')).toEqual(expected);
    expect(await duckdbChecksum(join(dir, 'text.duckdb'), 'bench_rows', 'copied')).toEqual(expected);
    expect(sqliteChecksum(intoSqlite('copy', records), 'bench_rows')).toEqual(expected);
  });

  it('tells a copy with one value off by a cent from the source', async () => {
    const changed = records.map((row) => (row.id === 7 ? { ...row, price: Number(row.price) + 0.01 } : row));
    const differences = sqlChecksumDifferences(
      sqliteChecksum(intoSqlite('changed', changed), 'bench_rows'),
      source.tables[0]!.checksum,
    );
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatch(/^sumPriceCents: got \d+, expected \d+$/);
  });
});
