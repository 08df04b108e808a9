import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareRecords, userRecord } from '../src/fixtures.js';
import { checksumOf } from '../src/table-check.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-fixtures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prepareRecords', () => {
  it('writes one RECORD envelope per user and the same data objects alone, about 300 bytes a line', () => {
    const prepared = prepareRecords(dir, 2_500);
    const envelopes = readFileSync(prepared.recordsFile, 'utf8').trimEnd().split('\n');
    const data = readFileSync(prepared.dataFile, 'utf8').trimEnd().split('\n');
    expect(envelopes).toHaveLength(2_500);
    expect(data).toHaveLength(2_500);
    const first = JSON.parse(envelopes[0]!) as { type: string; record: { stream: string; data: unknown } };
    expect(first.type).toBe('RECORD');
    expect(first.record.stream).toBe('users');
    expect(first.record.data).toEqual(JSON.parse(data[0]!));
    expect(first.record.data).toEqual(userRecord(1));
    expect(prepared.bytesPerRecord).toBeGreaterThan(250);
    expect(prepared.bytesPerRecord).toBeLessThan(350);
  });

  it('promises exactly the checksum DuckDB reads from the data file', async () => {
    const prepared = prepareRecords(dir, 3_000);
    const dbPath = join(dir, 'check.duckdb');
    const instance = await DuckDBInstance.create(dbPath);
    const connection = await instance.connect();
    await connection.run(
      `CREATE TABLE users AS SELECT * FROM read_json('${prepared.dataFile}', format='newline_delimited')`,
    );
    connection.closeSync();
    instance.closeSync();
    expect(await checksumOf(dbPath)).toEqual(prepared.expected);
  });

  it('reuses the cached files on the next run', () => {
    const first = prepareRecords(dir, 1_000);
    const second = prepareRecords(dir, 1_000);
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.expected).toEqual(first.expected);
  });

  it('makes every email distinct and every record a pure function of its id', () => {
    const emails = new Set(Array.from({ length: 5_000 }, (_, i) => userRecord(i + 1).email));
    expect(emails.size).toBe(5_000);
    expect(userRecord(42)).toEqual(userRecord(42));
    expect(new Set(userRecord(7).tags).size).toBe(userRecord(7).tags.length);
  });
});
