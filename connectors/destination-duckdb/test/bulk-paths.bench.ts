// How fast `objects` batches get into DuckDB, by bulk path. Not a test: run it with
// `npm run bench -w @conveyor/destination-duckdb` and compare the paths on the same machine.
//
//   json file    the destination's path: the batch as one JSON array file, loaded by read_json with
//                the typing, NULL-and-note and metadata done in SQL
//   data chunks  DuckDB's appender fed column-wise DuckDBDataChunks, typing done in JavaScript
//   row appends  DuckDB's appender fed value by value
//
// Each path loads the same 1,000,000 faker-like records (10,000 per batch) into a table of the same
// shape inside one transaction.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@conveyor/protocol';
import {
  BIGINT,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBTimestampTZValue,
  type DuckDBType,
  TIMESTAMPTZ,
  VARCHAR,
} from '@duckdb/node-api';
import { bench, describe } from 'vitest';
import { destination } from '../src/index.js';
import { catalogOf, writeContext } from './helpers.js';

const RECORDS = 1_000_000;
const BATCH = 10_000;
const CHUNK = 2048;

const properties = {
  id: { type: 'integer' },
  name: { type: 'string' },
  email: { type: 'string' },
  age: { type: 'integer' },
  created_at: { type: 'string', format: 'date-time' },
  updated_at: { type: 'string', format: 'date-time' },
  address: { type: 'object' },
  tags: { type: 'array' },
};

function fakeUser(i: number): JsonObject {
  return {
    id: i,
    name: `User ${i} Lastname`,
    email: `user${i}@example.com`,
    age: 18 + (i % 70),
    created_at: new Date(1_600_000_000_000 + i * 1000).toISOString(),
    updated_at: new Date(1_650_000_000_000 + i * 1000).toISOString(),
    address: { street: `${i % 999} Main St`, city: `City ${i % 100}`, zip: String(10000 + (i % 9000)) },
    tags: ['customer', `segment-${i % 10}`],
  };
}

const batches: JsonObject[][] = [];
for (let start = 0; start < RECORDS; start += BATCH) {
  batches.push(Array.from({ length: BATCH }, (_, j) => fakeUser(start + j)));
}

const catalog = catalogOf({ name: 'users', properties });

async function withDatabase(run: (path: string) => Promise<void>): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'conveyor-duckdb-bench-'));
  try {
    await run(join(directory, 'bench.duckdb'));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** The same table the destination creates, made by the destination itself. */
async function tableFor(path: string): Promise<void> {
  const writer = await destination.open({ path }, catalog, writeContext());
  await writer.finish();
  await writer.close();
}

const COLUMN_TYPES: DuckDBType[] = [
  VARCHAR, // _conveyor_raw_id (UUID column, takes text)
  TIMESTAMPTZ,
  BIGINT,
  VARCHAR, // _conveyor_meta (JSON column, takes text)
  BIGINT,
  VARCHAR,
  VARCHAR,
  BIGINT,
  TIMESTAMPTZ,
  TIMESTAMPTZ,
  VARCHAR,
  VARCHAR,
];

/** JS-side typing with the NULL-and-note rule, for the appender paths. */
class JsTyping {
  notes: string[] | undefined;
  integer(value: unknown, field: string): bigint | null {
    if (value === null || value === undefined) return null;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
    this.note(field);
    return null;
  }
  text(value: unknown): string | null {
    if (value === null || value === undefined) return null;
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
  timestamp(value: unknown, field: string): DuckDBTimestampTZValue | null {
    if (value === null || value === undefined) return null;
    const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) {
      this.note(field);
      return null;
    }
    return new DuckDBTimestampTZValue(BigInt(ms) * 1000n);
  }
  json(value: unknown): string | null {
    return value === null || value === undefined ? null : JSON.stringify(value);
  }
  private note(field: string) {
    this.notes ??= [];
    this.notes.push(field);
  }
  takeMeta(): string | null {
    const notes = this.notes;
    this.notes = undefined;
    if (!notes) return null;
    return JSON.stringify({ changes: notes.map((field) => ({ field, change: 'NULLED', reason: 'DESTINATION_TYPECAST_ERROR' })) });
  }
}

async function appendChunks(appender: DuckDBAppender, records: JsonObject[], extractedAt: DuckDBTimestampTZValue) {
  const typing = new JsTyping();
  for (let offset = 0; offset < records.length; offset += CHUNK) {
    const size = Math.min(CHUNK, records.length - offset);
    const columns = COLUMN_TYPES.map(() => new Array(size));
    for (let i = 0; i < size; i++) {
      const r = records[offset + i] as JsonObject;
      (columns[0] as unknown[])[i] = crypto.randomUUID();
      (columns[1] as unknown[])[i] = extractedAt;
      (columns[2] as unknown[])[i] = null;
      (columns[4] as unknown[])[i] = typing.integer(r.id, 'id');
      (columns[5] as unknown[])[i] = typing.text(r.name);
      (columns[6] as unknown[])[i] = typing.text(r.email);
      (columns[7] as unknown[])[i] = typing.integer(r.age, 'age');
      (columns[8] as unknown[])[i] = typing.timestamp(r.created_at, 'created_at');
      (columns[9] as unknown[])[i] = typing.timestamp(r.updated_at, 'updated_at');
      (columns[10] as unknown[])[i] = typing.json(r.address);
      (columns[11] as unknown[])[i] = typing.json(r.tags);
      (columns[3] as unknown[])[i] = typing.takeMeta();
    }
    const chunk = DuckDBDataChunk.create(COLUMN_TYPES, size);
    chunk.setColumns(columns as never);
    appender.appendDataChunk(chunk);
  }
}

function appendRows(appender: DuckDBAppender, records: JsonObject[], extractedAt: DuckDBTimestampTZValue) {
  const typing = new JsTyping();
  const nullable = <T>(value: T | null, append: (v: T) => void) => (value === null ? appender.appendNull() : append(value));
  for (const r of records) {
    const id = typing.integer(r.id, 'id');
    const age = typing.integer(r.age, 'age');
    const created = typing.timestamp(r.created_at, 'created_at');
    const updated = typing.timestamp(r.updated_at, 'updated_at');
    appender.appendVarchar(crypto.randomUUID());
    appender.appendTimestampTZ(extractedAt);
    appender.appendNull();
    nullable(typing.takeMeta(), (v) => appender.appendVarchar(v));
    nullable(id, (v) => appender.appendBigInt(v));
    nullable(typing.text(r.name), (v) => appender.appendVarchar(v));
    nullable(typing.text(r.email), (v) => appender.appendVarchar(v));
    nullable(age, (v) => appender.appendBigInt(v));
    nullable(created, (v) => appender.appendTimestampTZ(v));
    nullable(updated, (v) => appender.appendTimestampTZ(v));
    nullable(typing.json(r.address), (v) => appender.appendVarchar(v));
    nullable(typing.json(r.tags), (v) => appender.appendVarchar(v));
    appender.endRow();
  }
}

async function withAppender(path: string, fill: (appender: DuckDBAppender) => Promise<void> | void) {
  await tableFor(path);
  const instance = await DuckDBInstance.create(path);
  const connection: DuckDBConnection = await instance.connect();
  try {
    await connection.run('BEGIN TRANSACTION');
    const appender = await connection.createAppender('users');
    await fill(appender);
    appender.closeSync();
    await connection.run('COMMIT');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const options = { iterations: 3, warmupIterations: 0, time: 0, warmupTime: 0 };

describe(`objects batches: ${RECORDS} records, ${BATCH} per batch`, () => {
  bench(
    'json file + read_json (the destination)',
    () =>
      withDatabase(async (path) => {
        const writer = await destination.open({ path }, catalog, writeContext());
        for (const records of batches) {
          await writer.write({ format: 'objects', stream: 'users', records, emittedAt: Date.now() });
        }
        await writer.commit([], 1);
        await writer.finish();
        await writer.close();
      }),
    options,
  );

  bench(
    'appender, column-wise data chunks',
    () =>
      withDatabase((path) =>
        withAppender(path, async (appender) => {
          for (const records of batches) {
            await appendChunks(appender, records, new DuckDBTimestampTZValue(BigInt(Date.now()) * 1000n));
          }
        }),
      ),
    options,
  );

  bench(
    'appender, row appends',
    () =>
      withDatabase((path) =>
        withAppender(path, (appender) => {
          for (const records of batches) appendRows(appender, records, new DuckDBTimestampTZValue(BigInt(Date.now()) * 1000n));
        }),
      ),
    options,
  );
});
