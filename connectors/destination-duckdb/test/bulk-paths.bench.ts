// How fast `objects` batches get into DuckDB, by bulk path. Not a test: run it with
// `npm run bench -w @conveyor/destination-duckdb` and compare the paths on the same machine.
//
//   typed rows    the destination's objects path: each value checked in JavaScript, a batch's
//                 rows (JSON arrays) written with one JSON.stringify, read by read_json as lists
//                 of JSON values cast per column (typed-rows.ts); staged, loaded at the commit
//   json file     the destination's SQL path (jsonl batches, and objects batches with values only
//                 DuckDB can type): the batch as one JSON array file, loaded by read_json with the
//                 typing, NULL-and-note and metadata done in SQL
//   row appends   DuckDB's appender fed value by value
//   jsonl         for reference: the same records as RECORD lines, as a subprocess source sends them
//
// Each path loads the same 1,000,000 faker-like records (10,000 per batch) into the table the
// destination creates, inside one transaction. Generating the records (and, for jsonl, their
// lines) is part of every measurement, as it is part of every sync.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@conveyor/protocol';
import { logicalTypeFor } from '@conveyor/sql';
import {
  BIGINT,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampTZValue,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api';
import { bench, describe } from 'vitest';
import { BatchFile } from '../src/batch-file.js';
import { columnTypeOf } from '../src/column-types.js';
import { destination } from '../src/index.js';
import { jsonPointer, type LoadLayout, loadSql } from '../src/load-sql.js';
import { catalogOf, recordLine, writeContext } from './helpers.js';

const RECORDS = 1_000_000;
const BATCH = 10_000;

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

/**
 * The records, generated batch by batch as a source would: holding a million records in memory
 * for the whole run would slow the garbage collector down and skew the comparison.
 */
function* batches(): Generator<JsonObject[]> {
  for (let start = 0; start < RECORDS; start += BATCH) {
    yield Array.from({ length: BATCH }, (_, j) => fakeUser(start + j));
  }
}

const catalog = catalogOf({ name: 'users', properties });

function* envelopes(): Generator<Buffer[]> {
  for (const records of batches()) yield records.map((data) => recordLine('users', data));
}

async function destinationSync(
  path: string,
  write: (writer: Awaited<ReturnType<typeof destination.open>>) => Promise<void>,
) {
  const writer = await destination.open({ path }, catalog, writeContext());
  await write(writer);
  await writer.commit([], 1);
  await writer.finish();
  await writer.close();
}

/** The SQL path on its own, as the destination runs it for a batch typed chunks leave to SQL. */
async function jsonFileSync(path: string) {
  await tableFor(path);
  const layout: LoadLayout = {
    target: '"main"."users"',
    rawData: false,
    columns: Object.entries(properties).map(([name, schema]) => ({
      property: name,
      column: name,
      type: columnTypeOf(logicalTypeFor(schema)),
    })),
  };
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  const file = await BatchFile.create();
  try {
    await connection.run(`SET TimeZone = 'UTC'`);
    await connection.run('BEGIN TRANSACTION');
    const statement = await connection.prepare(loadSql(layout, 'objects'));
    const paths = listValue(layout.columns.map((c) => jsonPointer(c.property)));
    const fields = listValue(layout.columns.map((c) => c.property));
    for (const records of batches()) {
      const parameters = {
        file: await file.writeObjects(records),
        generation: null,
        paths,
        fields,
        emitted_at: BigInt(Date.now()),
      };
      statement.bind(parameters, {
        paths: LIST(VARCHAR),
        fields: LIST(VARCHAR),
        generation: BIGINT,
        emitted_at: BIGINT,
      });
      await statement.run();
    }
    statement.destroySync();
    await connection.run('COMMIT');
  } finally {
    await file.remove();
    connection.closeSync();
    instance.closeSync();
  }
}

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

/** JS-side typing with the NULL-and-note rule, for the row appends. */
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
    return JSON.stringify({
      changes: notes.map((field) => ({ field, change: 'NULLED', reason: 'DESTINATION_TYPECAST_ERROR' })),
    });
  }
}

function appendRows(appender: DuckDBAppender, records: JsonObject[], extractedAt: DuckDBTimestampTZValue) {
  const typing = new JsTyping();
  const nullable = <T>(value: T | null, append: (v: T) => void) =>
    value === null ? appender.appendNull() : append(value);
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

describe(`${RECORDS} records, ${BATCH} per batch`, () => {
  bench(
    'objects: typed rows + read_json (the destination)',
    () =>
      withDatabase((path) =>
        destinationSync(path, async (writer) => {
          for (const records of batches()) {
            await writer.write({ format: 'objects', stream: 'users', records, emittedAt: Date.now() });
          }
        }),
      ),
    options,
  );

  bench('objects: JSON array file + read_json, typed in SQL', () => withDatabase(jsonFileSync), options);

  bench(
    'objects: appender, row appends',
    () =>
      withDatabase((path) =>
        withAppender(path, (appender) => {
          for (const records of batches())
            appendRows(appender, records, new DuckDBTimestampTZValue(BigInt(Date.now()) * 1000n));
        }),
      ),
    options,
  );

  bench(
    'jsonl: RECORD lines file + read_json (the destination)',
    () =>
      withDatabase((path) =>
        destinationSync(path, async (writer) => {
          for (const lines of envelopes()) await writer.write({ format: 'jsonl', stream: 'users', lines });
        }),
      ),
    options,
  );
});
