// What a run actually wrote, read back from the DuckDB file after the writing process exited:
// the row count and a checksum of a few columns, compared between the two sides of a benchmark.

import { DuckDBInstance } from '@duckdb/node-api';

export interface TableChecksum {
  rows: number;
  sumId: number;
  distinctEmails: number;
  sumAge: number;
  sumNameLength: number;
}

const CHECKSUM_SQL = (table: string) => `
  SELECT count(*)::BIGINT AS rows, sum(id)::BIGINT AS sum_id, count(DISTINCT email)::BIGINT AS emails,
         sum(age)::BIGINT AS sum_age, sum(length(name))::BIGINT AS sum_name_length
  FROM ${table}`;

function asNumber(value: unknown, column: string): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  if (value === null) return 0;
  throw new Error(`checksum column ${column} came back as ${typeof value}`);
}

/** Reads the checksum of `table` (default `users`) from a DuckDB file, opened read-only. */
export async function checksumOf(dbPath: string, table = 'users'): Promise<TableChecksum> {
  const instance = await DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll(CHECKSUM_SQL(`"${table.replaceAll('"', '""')}"`));
      const row = reader.getRowObjects()[0];
      if (!row) throw new Error(`no checksum row for ${table} in ${dbPath}`);
      return {
        rows: asNumber(row.rows, 'rows'),
        sumId: asNumber(row.sum_id, 'sum_id'),
        distinctEmails: asNumber(row.emails, 'emails'),
        sumAge: asNumber(row.sum_age, 'sum_age'),
        sumNameLength: asNumber(row.sum_name_length, 'sum_name_length'),
      };
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/**
 * Fields that differ, as `field: got X, expected Y`; empty when the checksums match. Only the
 * fields `expected` holds are compared (a generated source may only promise some of them).
 */
export function checksumDifferences(got: TableChecksum, expected: Partial<TableChecksum>): string[] {
  const fields = (Object.keys(expected) as (keyof TableChecksum)[]).filter((f) => expected[f] !== undefined);
  return fields
    .filter((field) => got[field] !== expected[field])
    .map((field) => `${field}: got ${got[field]}, expected ${expected[field]}`);
}

/** Scales a checksum to a source that sent the same records `times` times (duplicates kept). */
export function repeated(checksum: TableChecksum, times: number): TableChecksum {
  return {
    rows: checksum.rows * times,
    sumId: checksum.sumId * times,
    distinctEmails: checksum.distinctEmails,
    sumAge: checksum.sumAge * times,
    sumNameLength: checksum.sumNameLength * times,
  };
}
