// The MySQL source driver against a real MariaDB/MySQL: what tables, views, keys and column types
// it finds; how each type's values become JSON; keyset reads whose bounds compare exactly
// (64-bit integers, decimals, timestamps, bytes, ENUM and SET members); batches; stopping a read
// early.

import type { JsonObject, StateMessage, SyncMode } from '@conveyor/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MYSQL_CONNECTION_PROPERTIES,
  MYSQL_REQUIRED_FIELDS,
  mysqlSettings,
} from '../src/mysql/connection.js';
import { openMysqlSourceDriver } from '../src/mysql/source-driver.js';
import type { JsonValue, KeysetQuery, SourceDriver, SourceTable } from '../src/source/driver.js';
import { sqlSource } from '../src/source/sql-source.js';
import { type MysqlTestDatabase, mysqlTestDatabase } from './mysql-helpers.js';
import { catalogFor, discoverStreams, findStream, readAll as readStream } from './source-helpers.js';

let db: MysqlTestDatabase;
let driver: SourceDriver;

beforeAll(async () => {
  db = await mysqlTestDatabase();
  const statements = [
    `CREATE TABLE typed (
      id BIGINT UNSIGNED PRIMARY KEY, flag TINYINT(1), tiny TINYINT, small SMALLINT, medium MEDIUMINT UNSIGNED,
      regular INT, big BIGINT, price DECIMAL(30,10), ratio FLOAT, wide DOUBLE,
      day DATE, at DATETIME(6), stamp TIMESTAMP(3) NULL, span TIME, yr YEAR,
      label VARCHAR(20) NOT NULL, body LONGTEXT, doc JSON, bytes VARBINARY(16), blobby BLOB,
      choice ENUM('a','b'), many SET('x','y'), one_bit BIT(1), bits BIT(12))`,
    `INSERT INTO typed VALUES
      (18446744073709551615, 1, -128, -32768, 16777215, -2147483648, -9223372036854775808,
       12345678901234567890.1234567890, 1.5, 0.1, '2024-02-29', '2024-02-29 23:59:59.123456', '2024-01-02 03:04:05.678',
       '-838:59:59', 2024, 'tab\\there', 'línea\\nnueva 😀', '{"a": [1, 2.5, null], "b": "x"}', X'00FF10', X'DEADBEEF',
       'b', 'x,y', b'1', b'101010101010'),
      (1, 0, 0, 0, 0, 0, 9007199254740991, 12.50, 0, 1e300, '9999-12-31', '0001-01-01 00:00:00', NULL,
       '00:00:00', 1901, '', NULL, '"just a string"', X'', NULL, NULL, '', b'0', b'0')`,
    'CREATE VIEW typed_view AS SELECT id, label FROM typed',
    'CREATE TABLE composite (a VARCHAR(10), b INT, v TEXT, PRIMARY KEY (b, a))',
    'CREATE TABLE Cased (x INT)',
    'CREATE TABLE cased (y INT)',
    'CREATE TABLE events (id INT PRIMARY KEY, updated_at DATETIME(6), amount DECIMAL(20,6))',
  ];
  for (const statement of statements) await db.admin.query(statement);
  const values: unknown[][] = [];
  for (let i = 1; i <= 30; i++) {
    values.push([i, `2024-01-01 00:00:0${i % 3}.000001`, `${i}.000001`]);
  }
  await db.admin.query('INSERT INTO events VALUES ?', [values]);
  driver = await openMysqlSourceDriver(mysqlSettings(db.config));
});

afterAll(async () => {
  await driver?.close();
  await db.drop();
});

async function tableNamed(name: string): Promise<SourceTable> {
  const table = (await driver.listTables()).find((t) => t.name === name);
  if (!table) throw new Error(`no table ${name}`);
  return table;
}

async function readAll(
  query: Omit<KeysetQuery, 'signal' | 'batchRows'> & { batchRows?: number },
): Promise<unknown[][][]> {
  const batches: unknown[][][] = [];
  for await (const batch of driver.read({
    batchRows: 1000,
    signal: new AbortController().signal,
    ...query,
  })) {
    batches.push(batch);
  }
  return batches;
}

async function jsonRows(table: SourceTable, orderBy: string[]): Promise<Record<string, JsonValue>[]> {
  const columns = table.columns.map((c) => c.name);
  const converters = table.columns.map((c) => driver.converterFor(c));
  const batches = await readAll({ table, columns, bounds: [], notNull: [], orderBy, limit: undefined });
  return batches
    .flat()
    .map((row) =>
      Object.fromEntries(
        row.map((value, i) => [
          columns[i],
          value === null
            ? null
            : converters[i]
              ? (converters[i] as (v: unknown) => JsonValue)(value)
              : (value as JsonValue),
        ]),
      ),
    );
}

describe('MySQL source driver: discovery', () => {
  it('lists tables and views of the database with keys, in name order, names differing by case apart', async () => {
    const tables = await driver.listTables();
    expect(tables.map((t) => [t.name, t.isView, t.primaryKey])).toEqual([
      ['Cased', false, []],
      ['cased', false, []],
      ['composite', false, ['b', 'a']],
      ['events', false, ['id']],
      ['typed', false, ['id']],
      ['typed_view', true, []],
    ]);
    const typed = tables.find((t) => t.name === 'typed');
    expect(typed?.schema).toBe(db.database);
    expect(typed?.columns.find((c) => c.name === 'label')?.nullable).toBe(false);
    expect(typed?.columns.find((c) => c.name === 'body')?.nullable).toBe(true);
  });

  it('maps column types to JSON schema', async () => {
    const typed = await tableNamed('typed');
    const schemas = Object.fromEntries(typed.columns.map((c) => [c.name, driver.jsonSchemaFor(c)]));
    const anyJson = { type: ['object', 'array', 'string', 'number', 'boolean'] };
    expect(schemas).toEqual({
      id: { type: 'integer' },
      flag: { type: 'boolean' },
      tiny: { type: 'integer' },
      small: { type: 'integer' },
      medium: { type: 'integer' },
      regular: { type: 'integer' },
      big: { type: 'integer' },
      price: { type: 'number' },
      ratio: { type: 'number' },
      wide: { type: 'number' },
      day: { type: 'string', format: 'date' },
      at: { type: 'string', format: 'date-time', airbyte_type: 'timestamp_without_timezone' },
      stamp: { type: 'string', format: 'date-time', airbyte_type: 'timestamp_with_timezone' },
      span: { type: 'string' },
      yr: { type: 'integer' },
      label: { type: 'string' },
      body: { type: 'string' },
      doc: anyJson,
      bytes: { type: 'string', contentEncoding: 'base64' },
      blobby: { type: 'string', contentEncoding: 'base64' },
      choice: { type: 'string' },
      many: { type: 'string' },
      one_bit: { type: 'boolean' },
      bits: { type: 'integer' },
    });
  });
});

describe('MySQL source driver: values', () => {
  it('turns every type into exact JSON', async () => {
    const rows = await jsonRows(await tableNamed('typed'), ['id']);
    expect(rows).toEqual([
      {
        id: 1,
        flag: false,
        tiny: 0,
        small: 0,
        medium: 0,
        regular: 0,
        big: 9007199254740991,
        price: 12.5,
        ratio: 0,
        wide: 1e300,
        day: '9999-12-31',
        at: '0001-01-01T00:00:00.000000',
        stamp: null,
        span: '00:00:00',
        yr: 1901,
        label: '',
        body: null,
        doc: 'just a string',
        bytes: '',
        blobby: null,
        choice: null,
        many: '',
        one_bit: false,
        bits: 0,
      },
      {
        id: '18446744073709551615',
        flag: true,
        tiny: -128,
        small: -32768,
        medium: 16777215,
        regular: -2147483648,
        big: '-9223372036854775808',
        price: '12345678901234567890.1234567890',
        ratio: 1.5,
        wide: 0.1,
        day: '2024-02-29',
        at: '2024-02-29T23:59:59.123456',
        stamp: '2024-01-02T03:04:05.678+00:00',
        span: '-838:59:59',
        yr: 2024,
        label: 'tab\there',
        body: 'línea\nnueva 😀',
        doc: { a: [1, 2.5, null], b: 'x' },
        bytes: Buffer.from([0, 255, 16]).toString('base64'),
        blobby: Buffer.from('deadbeef', 'hex').toString('base64'),
        choice: 'b',
        many: 'x,y',
        one_bit: true,
        bits: 0b101010101010,
      },
    ]);
  });
});

describe('MySQL source driver: keyset reads', () => {
  it('compares a bound above 2^53 exactly', async () => {
    const table = await tableNamed('typed');
    const id = table.columns.find((c) => c.name === 'id')!;
    const bound = (inclusive: boolean) => ({
      columns: ['id'],
      values: ['18446744073709551615'] as JsonValue[],
      inclusive,
    });
    const base = { table, columns: ['id'], notNull: [], orderBy: ['id'], limit: undefined };
    expect((await readAll({ ...base, bounds: [bound(true)] })).flat()).toHaveLength(1);
    expect((await readAll({ ...base, bounds: [bound(false)] })).flat()).toHaveLength(0);
    expect(driver.parameter(id, '18446744073709551614')).toBe(18446744073709551614n);
  });

  it('compares decimal, timestamp and binary bounds exactly', async () => {
    const table = await tableNamed('typed');
    const column = (name: string) => table.columns.find((c) => c.name === name)!;
    const [row] = await jsonRows(table, ['id']).then((rows) => rows.slice(1));
    for (const name of ['price', 'at', 'stamp', 'bytes']) {
      const value = row?.[name] as JsonValue;
      const batches = await readAll({
        table,
        columns: ['id'],
        bounds: [{ columns: [name], values: [value], inclusive: true }],
        notNull: [name],
        orderBy: [name],
        limit: undefined,
      });
      expect([name, batches.flat()]).toEqual([name, [['18446744073709551615']]]);
      const exclusive = await readAll({
        table,
        columns: ['id'],
        bounds: [{ columns: [name], values: [value], inclusive: false }],
        notNull: [name],
        orderBy: [name],
        limit: undefined,
      });
      expect([name, exclusive.flat()]).toEqual([name, []]);
      expect(driver.parameter(column(name), value)).not.toBeUndefined();
    }
  });

  it('reads a composite key in chunks after a bound, in key order', async () => {
    await db.admin.query(
      "INSERT INTO composite VALUES ('b', 1, 'x'), ('a', 1, 'y'), ('a', 2, 'z'), ('A ', 0, 'w')",
    );
    const table = await tableNamed('composite');
    const rows = await readAll({
      table,
      columns: ['b', 'a'],
      bounds: [{ columns: ['b', 'a'], values: [1, 'a'], inclusive: false }],
      notNull: [],
      orderBy: ['b', 'a'],
      limit: 10,
    });
    expect(rows.flat()).toEqual([
      [1, 'b'],
      [2, 'a'],
    ]);
  });

  it('keeps every row sharing the boundary cursor value with an inclusive bound', async () => {
    const table = await tableNamed('events');
    const rows = await readAll({
      table,
      columns: ['id', 'updated_at'],
      bounds: [{ columns: ['updated_at'], values: ['2024-01-01T00:00:01.000001'], inclusive: true }],
      notNull: ['updated_at'],
      orderBy: ['updated_at', 'id'],
      limit: undefined,
      batchRows: 7,
    });
    expect(rows.map((b) => b.length)).toEqual([7, 7, 6]);
    const ids = rows.flat().map((r) => r[0] as number);
    expect(ids).toEqual([
      ...Array.from({ length: 10 }, (_, i) => 1 + 3 * i),
      ...Array.from({ length: 10 }, (_, i) => 2 + 3 * i),
    ]);
  });

  it('stops a read early and still answers the next query', async () => {
    const table = await tableNamed('events');
    const query = {
      table,
      columns: ['id'],
      bounds: [],
      notNull: [],
      orderBy: ['id'],
      limit: undefined,
      batchRows: 5,
      signal: new AbortController().signal,
    };
    for await (const batch of driver.read(query)) {
      expect(batch).toHaveLength(5);
      break;
    }
    const all = await readAll({ ...query, batchRows: 100 });
    expect(all.flat()).toHaveLength(30);
  });

  it('stops when the engine aborts', async () => {
    const table = await tableNamed('events');
    const controller = new AbortController();
    const seen: number[] = [];
    for await (const batch of driver.read({
      table,
      columns: ['id'],
      bounds: [],
      notNull: [],
      orderBy: ['id'],
      limit: undefined,
      batchRows: 4,
      signal: controller.signal,
    })) {
      seen.push(batch.length);
      controller.abort();
    }
    expect(seen).toEqual([4]);
  });

  it('says which table is missing, as a config error for the stream', async () => {
    const table: SourceTable = {
      schema: db.database,
      name: 'gone',
      columns: [],
      primaryKey: [],
      isView: false,
    };
    const error = await readAll({
      table,
      columns: ['x'],
      bounds: [],
      notNull: [],
      orderBy: [],
      limit: undefined,
    }).catch((e: unknown) => e);
    const classified = driver.classify(error, {
      operation: 'reading',
      table: 'gone',
      stream: { name: 'gone' },
    });
    expect(classified.failureType).toBe('config_error');
    expect(classified.stream).toEqual({ name: 'gone' });
    expect(classified.userMessage).toMatch(/gone/);
  });
});

describe('MySQL through the generic source: ENUM and SET keys', () => {
  const source = sqlSource({
    spec: {
      connectionSpecification: {
        type: 'object',
        required: MYSQL_REQUIRED_FIELDS,
        properties: MYSQL_CONNECTION_PROPERTIES,
      },
    },
    resolveConfig: (config: JsonObject) => mysqlSettings(config),
    openDriver: (settings) => openMysqlSourceDriver(settings),
    chunkRows: 2,
    batchRows: 2,
  });

  async function read(name: string, mode: SyncMode, cursor?: string, state: StateMessage[] = []) {
    const stream = findStream(await discoverStreams(source, db.config), name, db.database);
    return readStream(source, db.config, catalogFor(stream, mode, cursor ? { cursor } : {}), state);
  }

  it('reads every row when chunk boundaries fall inside ENUM and SET keys, which sort by list position', async () => {
    await db.admin.query("CREATE TABLE solo (k ENUM('z','a','m') NOT NULL PRIMARY KEY)");
    await db.admin.query("INSERT INTO solo VALUES ('a'), ('m'), ('z')");
    expect((await read('solo', 'full_refresh')).records).toEqual([{ k: 'z' }, { k: 'a' }, { k: 'm' }]);

    await db.admin.query(
      "CREATE TABLE ranked (k ENUM('z','A','it''s','back\\\\slash','b') NOT NULL, n INT NOT NULL, PRIMARY KEY (k, n))",
    );
    const members = ['z', 'A', "it's", 'back\\slash', 'b'];
    await db.admin.query('INSERT INTO ranked VALUES ?', [
      members.flatMap((k) => [1, 2, 3].map((n) => [k, n])),
    ]);
    const ranked = await read('ranked', 'full_refresh');
    expect(ranked.records).toEqual(members.flatMap((k) => [1, 2, 3].map((n) => ({ k, n }))));

    await db.admin.query("CREATE TABLE flags (s SET('x','b','a') NOT NULL PRIMARY KEY)");
    const sets = ['x', 'b', 'x,b', 'a', 'x,a', 'b,a', 'x,b,a'];
    await db.admin.query('INSERT INTO flags VALUES ?', [sets.map((s) => [s])]);
    expect((await read('flags', 'full_refresh')).records).toEqual(sets.map((s) => ({ s })));
  });

  it('takes the rows after an ENUM cursor in list order, not text order', async () => {
    await db.admin.query(
      "CREATE TABLE orders (id INT PRIMARY KEY, status ENUM('new','paid','archived') NOT NULL)",
    );
    await db.admin.query("INSERT INTO orders VALUES (1, 'new'), (2, 'paid')");
    const first = await read('orders', 'incremental', 'status');
    expect(first.records.map((r) => r.id)).toEqual([1, 2]);
    expect(first.streamStates.at(-1)).toMatchObject({ cursor: 'paid' });
    await db.admin.query("INSERT INTO orders VALUES (3, 'archived'), (4, 'new')");
    const next = await read('orders', 'incremental', 'status', first.states.slice(-1));
    expect(next.records).toEqual([
      { id: 2, status: 'paid' },
      { id: 3, status: 'archived' },
    ]);
  });
});
