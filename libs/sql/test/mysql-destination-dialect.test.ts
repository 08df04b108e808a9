// The MySQL destination dialect against a real MariaDB/MySQL: loading values of every logical type
// (including text that needs escaping), reading column types back, widening, the overwrite swap,
// the append_dedup merge, key indexes and names the server finds hostile.

import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  ColumnDefinition,
  ExistingColumn,
  LoadBatch,
  SqlValue,
  TableName,
} from '../src/destination/dialect.js';
import { fitIdentifier, MYSQL_IDENTIFIERS } from '../src/identifiers.js';
import type { LogicalType } from '../src/logical-types.js';
import { mysqlSettings } from '../src/mysql/connection.js';
import { type MysqlDestinationDialect, openMysqlDestination } from '../src/mysql/destination-dialect.js';
import { type MysqlTestDatabase, mysqlTestDatabase } from './mysql-helpers.js';

let db: MysqlTestDatabase;
let dialect: MysqlDestinationDialect;

beforeAll(async () => {
  db = await mysqlTestDatabase();
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  dialect = await openMysqlDestination(mysqlSettings(db.config));
});
afterEach(async () => {
  await dialect.close();
});

async function run(statements: readonly string[]): Promise<void> {
  for (const statement of statements) await dialect.execute(statement);
}

function batch(columns: string[], types: LogicalType[], rows: SqlValue[][]): LoadBatch {
  return {
    columns,
    types,
    values: columns.map((_, c) => rows.map((row) => row[c] ?? null)),
    rowCount: rows.length,
  };
}

async function createTable(table: TableName, columns: Record<string, LogicalType>): Promise<void> {
  await run(dialect.dropTable(table));
  await run(
    dialect.createTable(
      table,
      Object.entries(columns).map(([name, logical]) => ({ name, type: dialect.columnType(logical) })),
    ),
  );
}

const t = (table: string): TableName => ({ schema: db.database, table });

describe('MySQL destination dialect: loading', () => {
  it('loads every logical type and hostile text exactly, in a transaction', async () => {
    const table = t('all_types');
    const types: Record<string, LogicalType> = {
      i: 'integer',
      n: 'number',
      b: 'boolean',
      s: 'string',
      tz: 'timestamp_with_timezone',
      ntz: 'timestamp_without_timezone',
      d: 'date',
      j: 'json',
    };
    await createTable(table, types);
    const texts = [
      'tab\there',
      'new\nline and \r\n crlf',
      'back\\slash \\N \\t',
      '\\N',
      'NUL\u0000inside',
      'emoji 😀 and é ß 中文',
      '',
      'ends with backslash \\',
    ];
    const rows: SqlValue[][] = texts.map((s, i) => [
      i === 0 ? 9007199254740993n : i,
      i + 0.5,
      i % 2 === 0,
      s,
      '2024-02-29T23:59:59.123456Z',
      '0001-01-01T00:00:00.000000',
      '9999-12-31',
      JSON.stringify({ s, i }),
    ]);
    rows.push([null, null, null, null, null, null, null, null]);
    await dialect.begin();
    await dialect.load(table, batch(Object.keys(types), Object.values(types), rows));
    await dialect.commit();
    const back = await dialect.query(`SELECT * FROM \`${db.database}\`.\`all_types\``);
    expect(back).toHaveLength(rows.length);
    expect(back.map((r) => r.s)).toEqual([...texts, null]);
    expect(back[0]).toMatchObject({
      i: '9007199254740993',
      n: 0.5,
      b: 1,
      tz: '2024-02-29 23:59:59.123456',
      ntz: '0001-01-01 00:00:00.000000',
      d: '9999-12-31',
    });
    expect(back.map((r) => (r.j === null ? null : JSON.parse(String(r.j))))).toEqual([
      ...texts.map((s, i) => ({ s, i })),
      null,
    ]);
    expect(back[rows.length - 1]).toEqual(Object.fromEntries(Object.keys(types).map((name) => [name, null])));
  });

  it('discards loaded rows on rollback', async () => {
    const table = t('rolled_back');
    await createTable(table, { x: 'integer' });
    await dialect.begin();
    await dialect.load(table, batch(['x'], ['integer'], [[1], [2]]));
    await dialect.rollback();
    expect(await dialect.query(`SELECT * FROM \`${db.database}\`.\`rolled_back\``)).toEqual([]);
  });

  it('loads with multi-row INSERTs where the server forbids LOAD DATA LOCAL', async () => {
    const table = t('inserted');
    await createTable(table, { s: 'string', tz: 'timestamp_with_timezone', big: 'integer' });
    dialect.server.localInfile = false;
    const rows: SqlValue[][] = Array.from({ length: 2500 }, (_, i) => [
      `row ${i}\t\\`,
      '2024-01-01T00:00:00.000001Z',
      BigInt(i) * 10n ** 15n,
    ]);
    await dialect.begin();
    await dialect.load(
      table,
      batch(['s', 'tz', 'big'], ['string', 'timestamp_with_timezone', 'integer'], rows),
    );
    await dialect.commit();
    const back = await dialect.query(`SELECT * FROM \`${db.database}\`.\`inserted\` ORDER BY big`);
    expect(back).toHaveLength(2500);
    expect(back[2499]).toEqual({
      s: 'row 2499\t\\',
      tz: '2024-01-01 00:00:00.000001',
      big: '2499000000000000000',
    });
  });
});

describe('MySQL destination dialect: catalog and DDL', () => {
  it('reads every column type it makes back as the logical type it was made for, and says when a table is absent', async () => {
    const table = t('typed');
    const types: Record<string, LogicalType> = {
      i: 'integer',
      n: 'number',
      b: 'boolean',
      s: 'string',
      tz: 'timestamp_with_timezone',
      ntz: 'timestamp_without_timezone',
      d: 'date',
      j: 'json',
    };
    await createTable(table, types);
    const logicals = async (name: TableName) =>
      ((await dialect.readColumns(name)) as ExistingColumn[]).map((c) => [c.name, c.logical]);
    expect(await logicals(table)).toEqual(Object.entries(types));
    // added columns too, and in a namespace database
    const other = { schema: `${db.database}_typed`, table: 'added' };
    await run(dialect.createSchema(other.schema));
    await run(dialect.createTable(other, [{ name: 'first', type: dialect.columnType('integer') }]));
    for (const [name, logical] of Object.entries(types))
      await run(dialect.addColumn(other, { name, type: dialect.columnType(logical) }));
    expect(await logicals(other)).toEqual([['first', 'integer'], ...Object.entries(types)]);
    expect(await dialect.readColumns(t('no_such_table'))).toBe('absent');
    expect(await dialect.readColumns({ schema: `${db.database}_nope`, table: 'x' })).toBe('absent');
  });

  it('widens integers to doubles and anything to text, keeping the values', async () => {
    const table = t('widened');
    await db.admin.query('CREATE TABLE widened (small INT, big BIGINT, d DATE, label VARCHAR(5))');
    await db.admin.query("INSERT INTO widened VALUES (7, 9007199254740993, '2024-01-02', 'abc')");
    const columns = (await dialect.readColumns(table)) as {
      name: string;
      type: string;
      logical: LogicalType | undefined;
    }[];
    const byName = Object.fromEntries(columns.map((c) => [c.name, c]));
    await run(dialect.widenColumn(table, byName.small!, 'number') ?? []);
    await run(dialect.widenColumn(table, byName.big!, 'string') ?? []);
    await run(dialect.widenColumn(table, byName.label!, 'string') ?? []);
    expect(dialect.widenColumn(table, byName.d!, 'integer')).toBeUndefined();
    const after = (await dialect.readColumns(table)) as { name: string; logical: LogicalType | undefined }[];
    expect(after.map((c) => c.logical)).toEqual(['number', 'string', 'date', 'string']);
    expect(await dialect.query('SELECT * FROM widened')).toEqual([
      { small: 7, big: '9007199254740993', d: '2024-01-02', label: 'abc' },
    ]);
  });

  it('moves DATETIME(6) between the timestamp types by its comment alone, and takes JSON text in LONGTEXT without DDL', async () => {
    const table = t('lenient');
    await createTable(table, { ts: 'timestamp_with_timezone', s: 'string' });
    await dialect.begin();
    await dialect.load(table, batch(['ts'], ['timestamp_with_timezone'], [['2024-01-02T03:04:05.000006Z']]));
    await dialect.commit();
    const [ts, s] = (await dialect.readColumns(table)) as ExistingColumn[];
    await run(dialect.widenColumn(table, ts as ExistingColumn, 'timestamp_without_timezone') ?? []);
    expect(dialect.widenColumn(table, s as ExistingColumn, 'json')).toEqual([]);
    const after = (await dialect.readColumns(table)) as ExistingColumn[];
    expect(after.map((c) => [c.type, c.logical])).toEqual([
      ['datetime(6)', 'timestamp_without_timezone'],
      ['longtext', 'string'],
    ]);
    expect(await dialect.query('SELECT ts FROM lenient')).toEqual([{ ts: '2024-01-02 03:04:05.000006' }]);
    await run(dialect.widenColumn(table, after[0] as ExistingColumn, 'timestamp_with_timezone') ?? []);
    expect(((await dialect.readColumns(table)) as ExistingColumn[])[0]?.logical).toBe(
      'timestamp_with_timezone',
    );
  });

  it('leaves a timestamp column unlabelled for a user who may not alter the table', async () => {
    const table = t('unlabelled');
    await db.admin.query('CREATE TABLE unlabelled (ts DATETIME(6))');
    const user = `cv_${randomBytes(4).toString('hex')}`;
    const hosts = ['127.0.0.1', 'localhost', '%'];
    try {
      for (const host of hosts) {
        await db.admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, 'pw']);
        await db.admin.query(`GRANT SELECT, INSERT ON \`${db.database}\`.* TO ?@?`, [user, host]);
      }
      const limited = await openMysqlDestination(
        mysqlSettings({ ...db.config, username: user, password: 'pw' }),
      );
      try {
        const [ts] = (await limited.readColumns(table)) as ExistingColumn[];
        expect(ts?.logical).toBe('timestamp_with_timezone');
        const statements = limited.widenColumn(table, ts as ExistingColumn, 'timestamp_without_timezone');
        expect(statements).toHaveLength(1);
        for (const statement of statements ?? []) await limited.execute(statement);
        // other DDL still fails as it should
        await expect(limited.execute('ALTER TABLE unlabelled ADD COLUMN x INT')).rejects.toThrow(
          /ALTER command denied/,
        );
      } finally {
        await limited.close();
      }
    } finally {
      for (const host of hosts) await db.admin.query('DROP USER IF EXISTS ?@?', [user, host]);
    }
  });

  it('swaps the generation table into place and drops the old rows', async () => {
    const final = t('swapped');
    const next = t('swapped__conveyor_next');
    await createTable(final, { v: 'string' });
    await createTable(next, { v: 'string' });
    await dialect.begin();
    await dialect.load(final, batch(['v'], ['string'], [['old']]));
    await dialect.load(next, batch(['v'], ['string'], [['new 1'], ['new 2']]));
    await dialect.commit();
    await run(dialect.swapTable(next, final, true));
    expect(await dialect.query('SELECT v FROM swapped ORDER BY v')).toEqual([{ v: 'new 1' }, { v: 'new 2' }]);
    expect(await dialect.readColumns(next)).toBe('absent');
    const [tables] = await db.admin.query('SHOW TABLES');
    const names = (tables as Record<string, string>[]).map((r) => Object.values(r)[0]);
    expect(names.filter((n) => n?.startsWith('swapped'))).toEqual(['swapped']);
  });

  it('renames the generation table when there is no final table yet', async () => {
    await createTable(t('fresh__conveyor_next'), { v: 'integer' });
    await run(dialect.swapTable(t('fresh__conveyor_next'), t('fresh'), false));
    expect(await dialect.readColumns(t('fresh'))).not.toBe('absent');
  });

  it('indexes text keys by a prefix, and making the index twice is no error', async () => {
    const table = t('keyed');
    await createTable(table, { a: 'string', b: 'integer', c: 'json' });
    const statements = dialect.createKeyIndex(table, 'keyed_key', ['a', 'b', 'c']);
    await run(statements);
    await run(statements);
    const [index] = await db.admin.query('SHOW INDEX FROM keyed');
    expect((index as { Column_name: string }[]).map((r) => r.Column_name)).toEqual(['a', 'b', 'c']);
  });

  it('creates a namespace database, and knows which databases exist', async () => {
    expect(await dialect.schemaExists(db.database)).toBe(true);
    const other = `${db.database}_ns`;
    expect(await dialect.schemaExists(other)).toBe(false);
    expect(await dialect.schemaExists(db.database.toUpperCase())).toBe(dialect.server.caseInsensitiveNames);
    await run(dialect.createSchema(other));
    expect(await dialect.schemaExists(other)).toBe(true);
  });
});

describe('MySQL destination dialect: append_dedup merge', () => {
  const columns: ColumnDefinition[] = [
    { name: 'id', type: 'LONGTEXT' },
    { name: 'cursor', type: 'BIGINT' },
    { name: 'v', type: 'LONGTEXT' },
  ];

  async function merged(
    stored: SqlValue[][],
    staged: SqlValue[][],
    cursor: string | undefined,
  ): Promise<Record<string, unknown>[]> {
    const final = t('deduped');
    await run(dialect.dropTable(final));
    await run(dialect.createTable(final, columns));
    await run(dialect.createKeyIndex(final, 'deduped_key', ['id']));
    await run(dialect.createStagingTable('stage_0', [...columns, { name: '_seq', type: 'BIGINT' }]));
    await dialect.begin();
    await dialect.load(final, batch(['id', 'cursor', 'v'], ['string', 'integer', 'string'], stored));
    await dialect.load(
      dialect.stagingTable('stage_0'),
      batch(
        ['id', 'cursor', 'v', '_seq'],
        ['string', 'integer', 'string', 'integer'],
        staged.map((row, i) => [...row, i]),
      ),
    );
    await run(
      dialect.mergeStatements({
        final,
        staging: 'stage_0',
        columns: ['id', 'cursor', 'v'],
        keyColumns: ['id'],
        cursorColumn: cursor,
        sequenceColumn: '_seq',
      }),
    );
    await dialect.commit();
    expect(await dialect.query('SELECT * FROM stage_0')).toEqual([]);
    return dialect.query('SELECT id, `cursor`, v FROM deduped ORDER BY id, v');
  }

  it('keeps the greatest cursor per key; ties go to the later record; NULL cursors lose', async () => {
    const rows = await merged(
      [
        ['a', 5, 'stored a'],
        ['b', 9, 'stored b wins'],
        ['c', 3, 'stored c tie'],
        ['d', null, 'stored d null'],
      ],
      [
        ['a', 4, 'staged a low'],
        ['a', 6, 'staged a high'],
        ['b', 8, 'staged b'],
        ['c', 3, 'staged c tie'],
        ['d', null, 'staged d null 1'],
        ['d', null, 'staged d null 2'],
        ['e', null, 'staged e null'],
        ['e', 1, 'staged e one'],
      ],
      'cursor',
    );
    expect(rows.map((r) => r.v)).toEqual([
      'staged a high',
      'stored b wins',
      'staged c tie',
      'staged d null 2',
      'staged e one',
    ]);
  });

  it('keeps keys that differ by case or trailing space apart, and matches NULL keys', async () => {
    const rows = await merged(
      [
        ['k', 1, 'stored k'],
        [null, 1, 'stored null key'],
      ],
      [
        ['K', 1, 'staged K'],
        ['k ', 1, 'staged k space'],
        ['k', 2, 'staged k'],
        [null, 2, 'staged null key'],
      ],
      'cursor',
    );
    expect(rows.map((r) => [r.id, r.v])).toEqual([
      [null, 'staged null key'],
      ['K', 'staged K'],
      ['k', 'staged k'],
      ['k ', 'staged k space'],
    ]);
  });

  it('without a cursor, the latest record wins', async () => {
    const rows = await merged(
      [['a', 9, 'stored']],
      [
        ['a', 1, 'first'],
        ['a', 0, 'last'],
      ],
      undefined,
    );
    expect(rows.map((r) => r.v)).toEqual(['last']);
  });
});

describe('MySQL destination dialect: hostile names', () => {
  const names = [
    'with `backtick`',
    'with "double" and \'single\' quotes',
    'dots.in.name',
    'spaces in name',
    'select',
    'Ünïcödé 名前',
    'emoji 😀 name',
    'trailing space ',
    `${'long_prefix_'.repeat(6)}first`,
    `${'long_prefix_'.repeat(6)}second`,
  ];

  it('creates, loads and reads tables and columns named anything', async () => {
    const fitted = names.map((n) => fitIdentifier(MYSQL_IDENTIFIERS, n));
    expect(new Set(fitted.map((n) => MYSQL_IDENTIFIERS.fold(n))).size).toBe(names.length);
    for (const name of fitted) {
      const table = t(name);
      await createTable(table, { [name]: 'string', order: 'integer' });
      await dialect.begin();
      await dialect.load(table, batch([name, 'order'], ['string', 'integer'], [[name, 1]]));
      await dialect.commit();
      const columns = (await dialect.readColumns(table)) as { name: string }[];
      expect(columns.map((c) => c.name)).toEqual([name, 'order']);
      const rows = await dialect.query(
        `SELECT * FROM ${MYSQL_IDENTIFIERS.quote(db.database)}.${MYSQL_IDENTIFIERS.quote(name)}`,
      );
      expect(rows).toEqual([{ [name]: name, order: 1 }]);
    }
  });

  it('answers user queries with column names and rows', async () => {
    const result = await dialect.userQuery("SELECT 1 AS `one`, 'x' AS `two` UNION ALL SELECT 2, 'y'");
    expect(result).toEqual({
      columns: ['one', 'two'],
      rows: [
        [1, 'x'],
        [2, 'y'],
      ],
    });
  });
});
