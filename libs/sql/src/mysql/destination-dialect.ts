// MySQL and MariaDB as a Conveyor destination: the `DestinationDialect` the generic SQL writer
// drives. What is particular to these servers:
// - A stream's namespace is a database (MySQL's schemas are databases); streams without one land
//   in the config's database.
// - DDL commits implicitly, so `transactionalDdl` is false: tables are prepared before the data
//   transaction, and the overwrite swap is one atomic `RENAME TABLE final TO old, next TO final`.
// - Text is compared byte for byte (a binary, no-pad collation), so keys `a`, `A` and `a ` stay
//   three keys when append_dedup merges.
// - Batches load with LOAD DATA LOCAL INFILE (load-data.ts); a server that forbids it
//   (`local_infile=OFF`, MySQL 8's default) gets multi-row INSERTs instead.
// - MySQL cannot name a TEMPORARY table twice in one statement, so the merge of append_dedup picks
//   each key's winner into a second temporary table first, then joins on it.
// - Every column type made here reads back as the logical type it was made for (a DATETIME(6)
//   without time zone says so in its comment; MariaDB's JSON is a LONGTEXT with a json_valid
//   check), so a sync of an unchanged stream runs no DDL and needs no ALTER privilege.

import type { QueryResult } from '@conveyor/cdk';
import { ConveyorError } from '@conveyor/protocol';
import type { Connection, FieldPacket } from 'mysql2/promise';
import { codeOf } from '../connection-settings.js';
import type {
  ColumnDefinition,
  DestinationDialect,
  DialectFactory,
  ExistingColumn,
  LoadBatch,
  MergeSpec,
  SqlValue,
  TableName,
} from '../destination/dialect.js';
import { fitIdentifier, MYSQL_IDENTIFIERS, qualify } from '../identifiers.js';
import type { LogicalType } from '../logical-types.js';
import { type MysqlConnectionSettings, mysqlFailure, openMysqlConnection } from './connection.js';
import { loadDataSql, loadFileStream } from './load-data.js';

const rules = MYSQL_IDENTIFIERS;
const q = (name: string) => rules.quote(name);
const tableSql = (table: TableName) => qualify(rules, table.schema, table.table);

/**
 * The comment that tells a DATETIME(6) column made for timestamps without time zone from one made
 * for timestamps with one (both hold the same text; values with a time zone are stored in UTC).
 * `readColumns` reads it back, so a table Conveyor made compares equal to the stream next sync.
 */
const WITHOUT_TIME_ZONE = 'timestamp without time zone';

const COLUMN_TYPES: Record<LogicalType, string> = {
  integer: 'BIGINT',
  number: 'DOUBLE',
  boolean: 'BOOLEAN',
  string: 'LONGTEXT',
  // DATETIME holds years 1000-9999 at least (TIMESTAMP stops in 2038); values are UTC.
  timestamp_with_timezone: 'DATETIME(6)',
  timestamp_without_timezone: `DATETIME(6) COMMENT '${WITHOUT_TIME_ZONE}'`,
  date: 'DATE',
  // MariaDB's JSON is LONGTEXT with a json_valid check; MySQL's is a binary document type.
  json: 'JSON',
};

/** A column as SHOW FULL COLUMNS and the check constraints describe it. */
interface ColumnFacts {
  /** lower case, integer widths dropped (`bigint`, `datetime(6)`), `json` for MariaDB's checked LONGTEXT */
  type: string;
  comment: string;
}

/**
 * The logical type whose values a column takes as they are: the inverse of `COLUMN_TYPES`, so
 * every column Conveyor makes reads back as the type it was made for. DATETIME(6) is without time
 * zone when its comment says so, with time zone otherwise.
 */
function logicalOf(column: ColumnFacts): LogicalType | undefined {
  const t = column.type;
  if (/^bigint(\(\d+\))?$/.test(t)) return 'integer';
  if (/^tinyint\(1\)$/.test(t)) return 'boolean';
  if (/^double(\(\d+,\d+\))?$/.test(t)) return 'number';
  if (t === 'longtext') return 'string';
  if (t === 'datetime(6)')
    return column.comment === WITHOUT_TIME_ZONE ? 'timestamp_without_timezone' : 'timestamp_with_timezone';
  if (t === 'date') return 'date';
  if (t === 'json') return 'json';
  return undefined;
}

/** MariaDB's check on a JSON column: `json_valid(`name`)`, the name's backticks doubled. */
const JSON_CHECK = /^json_valid\(`((?:[^`]|``)+)`\)$/i;

const INTEGER_TYPE = /^(tinyint|smallint|mediumint|int|integer|bigint)(\(\d+\))?( signed)?$/;
const TEXT_TYPE = /^(tinytext|text|mediumtext|longtext|json|tinyblob|blob|mediumblob|longblob)$/;
const DATETIME_TYPE = /^datetime\(6\)$/;

/** Bytes an index entry may use (InnoDB, DYNAMIC rows); text key columns are indexed by a prefix. */
const INDEX_BYTES = 3072;

export interface MysqlServerInfo {
  /** `SELECT VERSION()`: `10.11.6-MariaDB-...` or `8.0.36` */
  version: string;
  mariadb: boolean;
  /** whether the server accepts LOAD DATA LOCAL INFILE */
  localInfile: boolean;
  /** `lower_case_table_names` is not 0: database and table names compare without case */
  caseInsensitiveNames: boolean;
}

/** The collation of every text column Conveyor creates: exact bytes, trailing spaces significant. */
function binaryCollation(server: MysqlServerInfo): string {
  if (server.mariadb) return 'utf8mb4_nopad_bin';
  return /^5\./.test(server.version) ? 'utf8mb4_bin' : 'utf8mb4_0900_bin';
}

async function serverInfo(connection: Connection): Promise<MysqlServerInfo> {
  const [rows] = await connection.query(
    'SELECT VERSION() AS version, @@local_infile AS local_infile, @@lower_case_table_names AS lower_names',
  );
  const row = (rows as Record<string, unknown>[])[0] ?? {};
  const version = String(row.version ?? '');
  const caseInsensitiveNames = String(row.lower_names ?? '0') !== '0';
  return {
    version,
    mariadb: /mariadb/i.test(version),
    localInfile: String(row.local_infile ?? '0') === '1',
    caseInsensitiveNames,
  };
}

/** Rows per multi-row INSERT when LOAD DATA is not allowed. */
const INSERT_ROWS = 1000;

export class MysqlDestinationDialect implements DestinationDialect {
  readonly identifiers = MYSQL_IDENTIFIERS;
  readonly hasSchemas = true;
  /** the config's database: see `DestinationDialect.internalSchema` */
  get internalSchema(): string {
    return this.settings.database;
  }
  readonly transactionalDdl = false;
  readonly uuidType = 'CHAR(36) CHARACTER SET ascii COLLATE ascii_bin';
  readonly textAllowsNul = true;

  /** Column types seen or made this session, by table, so a key index knows which columns need a prefix. */
  private readonly knownTypes = new Map<string, Map<string, string>>();
  /** Key index statements made here, with their table and name: one whose index exists is skipped. */
  private readonly indexStatements = new Map<string, { table: TableName; index: string }>();
  /** Statements that only change a column's comment: a user without ALTER privilege may skip them. */
  private readonly relabelStatements = new Set<string>();
  private readonly tableOptions: string;

  constructor(
    private readonly connection: Connection,
    readonly server: MysqlServerInfo,
    private readonly settings: MysqlConnectionSettings,
  ) {
    this.tableOptions = `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${binaryCollation(server)}`;
  }

  columnType(logical: LogicalType): string {
    return COLUMN_TYPES[logical];
  }

  // ---- reading the catalog ----------------------------------------------------------------------

  async readColumns(table: TableName): Promise<ExistingColumn[] | 'absent'> {
    let rows: Record<string, unknown>[];
    try {
      // SHOW COLUMNS resolves the name exactly as a statement would, temporary tables included.
      [rows] = (await this.connection.query(`SHOW FULL COLUMNS FROM ${tableSql(table)}`)) as [
        Record<string, unknown>[],
        FieldPacket[],
      ];
    } catch (error) {
      const code = codeOf(error);
      if (code === 'ER_NO_SUCH_TABLE' || code === 'ER_BAD_DB_ERROR') return 'absent';
      throw error;
    }
    const json = this.server.mariadb ? await this.jsonColumns(table) : new Set<string>();
    const columns = rows.map((row) => {
      const name = String(row.Field);
      const type = normalizeType(String(row.Type));
      const facts = {
        type: json.has(name) && type === 'longtext' ? 'json' : type,
        comment: String(row.Comment ?? ''),
      };
      return { name, type: facts.type, logical: logicalOf(facts) };
    });
    this.remember(table, columns);
    return columns;
  }

  /**
   * MariaDB reports a JSON column as LONGTEXT; its json_valid check (named after the column) tells
   * it apart. Temporary tables have no checks listed: their JSON columns read as LONGTEXT.
   */
  private async jsonColumns(table: TableName): Promise<Set<string>> {
    const rows = await this.query(
      `SELECT TABLE_NAME AS table_name, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?`,
      [table.schema ?? null, table.table],
    );
    const same = (name: string) =>
      this.server.caseInsensitiveNames
        ? name.toLowerCase() === table.table.toLowerCase()
        : name === table.table;
    const columns = new Set<string>();
    for (const row of rows) {
      const match = JSON_CHECK.exec(String(row.clause));
      if (match?.[1] && same(String(row.table_name))) columns.add(match[1].replaceAll('``', '`'));
    }
    return columns;
  }

  widenColumn(table: TableName, existing: ExistingColumn, wanted: LogicalType): string[] | undefined {
    const type = existing.type.toLowerCase();
    const modify = (logical: LogicalType) => {
      this.rememberOne(table, existing.name, COLUMN_TYPES[logical]);
      return [
        `ALTER TABLE ${tableSql(table)} MODIFY COLUMN ${q(existing.name)} ${COLUMN_TYPES[logical]} NULL`,
      ];
    };
    // Both timestamp types are DATETIME(6): only the comment changes, in the catalog alone
    // (instant). A user who may not alter the table keeps the column as it is (see `execute`).
    if (
      DATETIME_TYPE.test(type) &&
      (wanted === 'timestamp_with_timezone' || wanted === 'timestamp_without_timezone')
    ) {
      const statements = modify(wanted);
      for (const statement of statements) this.relabelStatements.add(statement);
      return statements;
    }
    if (wanted === 'integer' && INTEGER_TYPE.test(type) && !type.includes('unsigned'))
      return modify('integer');
    if (wanted === 'number' && (INTEGER_TYPE.test(type) || /^(float|decimal)/.test(type)))
      return modify('number');
    // Text columns hold JSON text as it is; LONGTEXT holds whatever another column type held, as text.
    if (wanted === 'json' && /^(longtext|json)$/.test(type)) return [];
    if (wanted === 'string' || wanted === 'json') return modify('string');
    return undefined;
  }

  // ---- DDL ---------------------------------------------------------------------------------------

  async schemaExists(schema: string): Promise<boolean> {
    // A user allowed only in its own database may not run CREATE DATABASE even with IF NOT EXISTS.
    const rows = await this.query(
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [schema],
    );
    // information_schema compares without case; the server may not.
    const wanted = this.server.caseInsensitiveNames ? schema.toLowerCase() : schema;
    return rows.some((row) => {
      const name = String(row.name);
      return (this.server.caseInsensitiveNames ? name.toLowerCase() : name) === wanted;
    });
  }

  createSchema(schema: string): string[] {
    return [
      `CREATE DATABASE IF NOT EXISTS ${q(schema)} CHARACTER SET utf8mb4 COLLATE ${binaryCollation(this.server)}`,
    ];
  }

  createTable(table: TableName, columns: readonly ColumnDefinition[]): string[] {
    this.remember(table, columns);
    const definitions = columns.map((c) => `${q(c.name)} ${c.type}`).join(', ');
    return [`CREATE TABLE ${tableSql(table)} (${definitions}) ${this.tableOptions}`];
  }

  addColumn(table: TableName, column: ColumnDefinition): string[] {
    this.rememberOne(table, column.name, column.type);
    return [`ALTER TABLE ${tableSql(table)} ADD COLUMN ${q(column.name)} ${column.type} NULL`];
  }

  dropTable(table: TableName): string[] {
    this.knownTypes.delete(tableKey(table));
    return [`DROP TABLE IF EXISTS ${tableSql(table)}`];
  }

  swapTable(next: TableName, final: TableName, finalExists: boolean): string[] {
    this.knownTypes.delete(tableKey(final));
    if (!finalExists) return [`RENAME TABLE ${tableSql(next)} TO ${tableSql(final)}`];
    // One RENAME of both is atomic: readers see the old rows, then the new ones, never no table.
    const old: TableName = {
      schema: final.schema,
      table: fitIdentifier(rules, `${final.table}__conveyor_old`),
    };
    return [
      `DROP TABLE IF EXISTS ${tableSql(old)}`,
      `RENAME TABLE ${tableSql(final)} TO ${tableSql(old)}, ${tableSql(next)} TO ${tableSql(final)}`,
      `DROP TABLE ${tableSql(old)}`,
    ];
  }

  createKeyIndex(table: TableName, index: string, columns: readonly string[]): string[] {
    const types = this.knownTypes.get(tableKey(table));
    const isText = (column: string) => TEXT_TYPE.test((types?.get(column) ?? '').toLowerCase());
    const textColumns = columns.filter(isText).length;
    // Text and JSON columns can only be indexed by a prefix; the prefixes share the index's size.
    const prefix =
      textColumns === 0 ? 0 : Math.max(16, Math.floor((INDEX_BYTES / 4 - 8 * columns.length) / textColumns));
    const parts = columns.map((c) => (isText(c) ? `${q(c)}(${prefix})` : q(c)));
    const statement = `ALTER TABLE ${tableSql(table)} ADD INDEX ${q(index)} (${parts.join(', ')})`;
    this.indexStatements.set(statement, { table, index });
    return [statement];
  }

  // ---- append_dedup ------------------------------------------------------------------------------

  createStagingTable(name: string, columns: readonly ColumnDefinition[]): string[] {
    const definitions = columns.map((c) => `${q(c.name)} ${c.type}`).join(', ');
    this.remember({ schema: undefined, table: name }, columns);
    return [
      `DROP TEMPORARY TABLE IF EXISTS ${q(name)}, ${q(winnersTable(name))}`,
      `CREATE TEMPORARY TABLE ${q(name)} (${definitions}) ${this.tableOptions}`,
      `CREATE TEMPORARY TABLE ${q(winnersTable(name))} LIKE ${q(name)}`,
    ];
  }

  stagingTable(name: string): TableName {
    return { schema: undefined, table: name };
  }

  /**
   * 1. each key's winner among the staged rows goes to the winners table (staging named once);
   * 2. stored rows whose key has a winner are deleted unless their cursor is strictly greater;
   * 3. winners whose key has no stored row left are inserted; 4. both temporary tables emptied.
   * Keys compare with `<=>` (NULL-safe, and still served by the key index).
   */
  mergeStatements(spec: MergeSpec): string[] {
    const final = tableSql(spec.final);
    const staging = q(spec.staging);
    const winners = q(winnersTable(spec.staging));
    const keys = spec.keyColumns.map(q);
    const sequence = q(spec.sequenceColumn);
    const columns = spec.columns.map(q);
    const cursor = spec.cursorColumn === undefined ? undefined : q(spec.cursorColumn);
    const rank = q('_conveyor_rank');
    // MySQL sorts NULL first ascending, so last descending: a NULL cursor loses to any value.
    const order = cursor === undefined ? `${sequence} DESC` : `${cursor} DESC, ${sequence} DESC`;
    const sameKey = keys.map((k) => `f.${k} <=> w.${k}`).join(' AND ');
    const storedWins =
      cursor === undefined
        ? 'FALSE'
        : `f.${cursor} IS NOT NULL AND (w.${cursor} IS NULL OR f.${cursor} > w.${cursor})`;
    const moved = [...columns, sequence];
    return [
      `INSERT INTO ${winners} (${moved.join(', ')})
        SELECT ${moved.join(', ')} FROM (
          SELECT ${moved.map((c) => `s.${c}`).join(', ')},
            ROW_NUMBER() OVER (PARTITION BY ${keys.map((k) => `s.${k}`).join(', ')} ORDER BY ${order}) AS ${rank}
          FROM ${staging} AS s) AS ranked
        WHERE ${rank} = 1`,
      `DELETE f FROM ${final} AS f INNER JOIN ${winners} AS w ON ${sameKey} WHERE NOT (${storedWins})`,
      `INSERT INTO ${final} (${columns.join(', ')})
        SELECT ${columns.map((c) => `w.${c}`).join(', ')} FROM ${winners} AS w
        WHERE NOT EXISTS (SELECT 1 FROM ${final} AS f WHERE ${sameKey})`,
      `DELETE FROM ${staging}`,
      `DELETE FROM ${winners}`,
    ];
  }

  // ---- statements, transactions, loading --------------------------------------------------------

  placeholder(_index: number): string {
    return '?';
  }

  async execute(sql: string, parameters: readonly SqlValue[] = []): Promise<void> {
    const keyIndex = this.indexStatements.get(sql);
    // ALTER TABLE needs the ALTER privilege even when the index exists: look first.
    if (keyIndex && (await this.indexExists(keyIndex.table, keyIndex.index))) return;
    try {
      await this.connection.query(sql, parameters as SqlValue[]);
    } catch (error) {
      const code = codeOf(error);
      if (code === 'ER_DUP_KEYNAME' && keyIndex) return;
      // The column holds both timestamp types' values already; its comment is only a label.
      if (code === 'ER_TABLEACCESS_DENIED_ERROR' && this.relabelStatements.has(sql)) return;
      throw error;
    }
  }

  private async indexExists(table: TableName, index: string): Promise<boolean> {
    const rows = await this.query(`SHOW INDEX FROM ${tableSql(table)} WHERE Key_name = ?`, [index]);
    return rows.length > 0;
  }

  async query(sql: string, parameters: readonly SqlValue[] = []): Promise<Record<string, unknown>[]> {
    const [rows] = await this.connection.query(sql, parameters as SqlValue[]);
    return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
  }

  async userQuery(sql: string): Promise<QueryResult> {
    const [rows, fields] = await this.connection.query({ sql, rowsAsArray: true });
    if (!Array.isArray(rows) || fields === undefined) return { columns: [], rows: [] };
    return { columns: fields.map((f) => f.name), rows: rows as unknown[][] };
  }

  async begin(): Promise<void> {
    await this.connection.query('START TRANSACTION');
  }

  async commit(): Promise<void> {
    await this.connection.query('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.connection.query('ROLLBACK');
  }

  async load(table: TableName, batch: LoadBatch): Promise<void> {
    if (batch.rowCount === 0) return;
    if (this.server.localInfile) {
      const statement = loadDataSql(tableSql(table), batch.columns.map(q));
      const [result] = await this.connection.query({
        sql: statement,
        infileStreamFactory: () => loadFileStream(batch),
      });
      await this.expectClean(result, table, batch.rowCount);
      return;
    }
    await this.insertRows(table, batch);
  }

  /** LOAD DATA LOCAL turns bad values into warnings; values were converted to fit, so any warning is a bug. */
  private async expectClean(result: unknown, table: TableName, rows: number): Promise<void> {
    const { affectedRows, warningStatus } = result as { affectedRows?: number; warningStatus?: number };
    if (!warningStatus && affectedRows === rows) return;
    const [warnings] = await this.connection.query('SHOW WARNINGS LIMIT 5');
    const detail = (warnings as { Message?: string }[]).map((w) => w.Message).join('; ');
    throw new ConveyorError(
      `Loading ${rows} rows into ${tableSql(table)} stored ${affectedRows ?? 0} with ${warningStatus ?? 0} warnings: ${detail}. This is a bug in the MySQL destination; please report it.`,
      { failureType: 'system_error', internalMessage: detail },
    );
  }

  private async insertRows(table: TableName, batch: LoadBatch): Promise<void> {
    const columns = batch.columns.map(q).join(', ');
    const width = batch.columns.length;
    const row = `(${new Array(width).fill('?').join(', ')})`;
    for (let start = 0; start < batch.rowCount; start += INSERT_ROWS) {
      const end = Math.min(batch.rowCount, start + INSERT_ROWS);
      const parameters: SqlValue[] = new Array((end - start) * width);
      let i = 0;
      for (let r = start; r < end; r++) {
        for (let c = 0; c < width; c++) {
          const value = (batch.values[c] as readonly SqlValue[])[r] as SqlValue;
          parameters[i++] =
            batch.types[c] === 'timestamp_with_timezone' && typeof value === 'string'
              ? value.replace(/Z$/, '')
              : value;
        }
      }
      const rows = new Array(end - start).fill(row).join(', ');
      await this.connection.query(`INSERT INTO ${tableSql(table)} (${columns}) VALUES ${rows}`, parameters);
    }
  }

  failure(doing: string, error: unknown): Error {
    return mysqlFailure(doing, error, this.settings);
  }

  async close(): Promise<void> {
    try {
      await this.connection.end();
    } catch {
      this.connection.destroy();
    }
  }

  private remember(table: TableName, columns: readonly { name: string; type: string }[]): void {
    this.knownTypes.set(tableKey(table), new Map(columns.map((c) => [c.name, c.type])));
  }

  private rememberOne(table: TableName, column: string, type: string): void {
    const key = tableKey(table);
    const types = this.knownTypes.get(key) ?? new Map<string, string>();
    types.set(column, type);
    this.knownTypes.set(key, types);
  }
}

function tableKey(table: TableName): string {
  return `${table.schema ?? ''}\u0000${table.table}`;
}

/** The temporary table the merge picks each key's winner into, beside the staging table. */
function winnersTable(staging: string): string {
  return fitIdentifier(rules, `${staging}__winners`);
}

/** `bigint(20)` (MariaDB, MySQL 5.7) and `bigint` (MySQL 8) are the same type; `tinyint(1)` keeps its width. */
function normalizeType(type: string): string {
  const t = type.toLowerCase().trim();
  if (t === 'tinyint(1)') return t;
  return t.replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/, '$1');
}

/** Opens a destination session on the config's database. */
export async function openMysqlDestination(
  settings: MysqlConnectionSettings,
): Promise<MysqlDestinationDialect> {
  const connection = await openMysqlConnection(settings);
  try {
    return new MysqlDestinationDialect(connection, await serverInfo(connection), settings);
  } catch (error) {
    await connection.end().catch(() => {});
    throw mysqlFailure('reading the server settings', error, settings);
  }
}

export const mysqlDialectFactory: DialectFactory<MysqlConnectionSettings> = (settings) =>
  openMysqlDestination(settings);
