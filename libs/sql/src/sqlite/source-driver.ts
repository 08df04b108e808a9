// The SQLite source driver: tables and views of a database file (no schemas: streams have no
// namespace), their declared column types mapped to JSON by SQLite's own affinity rules, read with
// a statement iterator so that only one batch is in memory. Values are passed on as stored (SQLite
// keeps what was written, whatever the declared type); integers are read as BigInt so that none
// loses digits.

import type { ConveyorError, JsonObject } from '@conveyor/protocol';
import { SQLITE_IDENTIFIERS } from '../identifiers.js';
import type {
  FailureContext,
  JsonValue,
  KeysetQuery,
  SourceColumn,
  SourceDriver,
  SourceTable,
  ValueConverter,
} from '../source/driver.js';
import { keysetSelect } from '../source/keyset-sql.js';
import { base64FromBytes, integerToJson } from '../source/values.js';
import { openSqliteReadOnly, type SqliteDatabase, sqliteFailure } from './connection.js';

type Kind =
  | 'integer'
  | 'boolean'
  | 'number'
  | 'timestamp'
  | 'date'
  | 'json'
  | 'text'
  | 'blob'
  | 'any'
  | 'other';

/**
 * SQLite's affinity rules on the declared type (INT → integer; CHAR, CLOB, TEXT → text; BLOB or
 * none → as stored; REAL, FLOA, DOUB → real; else numeric), refined by common names within the
 * numeric affinity: BOOLEAN, DATETIME/TIMESTAMP, DATE, JSON, and the decimal names (NUMERIC,
 * DECIMAL, MONEY). Any other name (TIME, UUID, ...) is `other`: numeric affinity, but what such a
 * column holds is text to its users, so it is read as text.
 */
export function sqliteKind(declared: string): Kind {
  const type = declared.toUpperCase();
  if (type.includes('INT')) return 'integer';
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'text';
  if (type.includes('BLOB')) return 'blob';
  if (type.trim() === '') return 'any';
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return 'number';
  if (type.includes('BOOL')) return 'boolean';
  if (type.includes('DATETIME') || type.includes('TIMESTAMP')) return 'timestamp';
  if (type.includes('DATE')) return 'date';
  if (type.includes('JSON')) return 'json';
  if (type.includes('NUM') || type.includes('DEC') || type.includes('MONEY')) return 'number';
  return 'other';
}

const ANY_JSON = { type: ['object', 'array', 'string', 'number', 'boolean'] };

function schemaOf(kind: Kind): JsonObject {
  switch (kind) {
    case 'integer':
      return { type: 'integer' };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      return { type: 'number' };
    case 'timestamp':
      return { type: 'string', format: 'date-time', airbyte_type: 'timestamp_without_timezone' };
    case 'date':
      return { type: 'string', format: 'date' };
    case 'json':
    case 'any':
      return { ...ANY_JSON };
    case 'blob':
      return { type: 'string', contentEncoding: 'base64' };
    case 'text':
    case 'other':
      return { type: 'string' };
  }
}

/** Any stored value (integers as BigInt) as JSON: blobs base64, infinities as text. */
function storedValue(value: unknown): JsonValue {
  if (typeof value === 'bigint') return integerToJson(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value instanceof Uint8Array) return base64FromBytes(value);
  return value as JsonValue;
}

function converterOf(kind: Kind): ValueConverter {
  switch (kind) {
    case 'boolean':
      return (value) =>
        typeof value === 'bigint' || typeof value === 'number' ? Number(value) !== 0 : storedValue(value);
    case 'json':
      return (value) => {
        if (typeof value !== 'string') return storedValue(value);
        try {
          return JSON.parse(value) as JsonValue;
        } catch {
          return value;
        }
      };
    case 'other':
      // numeric affinity stored numeric-looking text as a number: give it back as text
      return (value) =>
        typeof value === 'bigint' || typeof value === 'number' ? String(value) : storedValue(value);
    default:
      return storedValue;
  }
}

export function openSqliteSourceDriver(path: string): SourceDriver {
  return new SqliteSourceDriver(openSqliteReadOnly(path), path);
}

interface ColumnRow {
  name: string;
  type: string;
  notnull: number | bigint;
  pk: number | bigint;
  hidden: number | bigint;
}

class SqliteSourceDriver implements SourceDriver {
  readonly identifiers = SQLITE_IDENTIFIERS;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly path: string,
  ) {}

  async listTables(): Promise<SourceTable[]> {
    const objects = this.db
      .prepare(
        `SELECT name, type FROM sqlite_schema
          WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
          ORDER BY name`,
      )
      .all() as { name: string; type: string }[];
    const columnsOf = this.db.prepare('SELECT name, type, "notnull", pk, hidden FROM pragma_table_xinfo(?)');
    const tables: SourceTable[] = [];
    for (const object of objects) {
      // hidden 1: a virtual table's hidden column; 2 and 3 are generated columns, which can be read
      const rows = (columnsOf.all(object.name) as ColumnRow[]).filter((row) => Number(row.hidden) !== 1);
      const keyed = rows.filter((row) => Number(row.pk) > 0).sort((a, b) => Number(a.pk) - Number(b.pk));
      const rowidAlias = keyed.length === 1 && (keyed[0] as ColumnRow).type.toUpperCase() === 'INTEGER';
      tables.push({
        schema: undefined,
        name: object.name,
        isView: object.type === 'view',
        primaryKey: keyed.map((row) => row.name),
        columns: rows.map((row) => ({
          name: row.name,
          databaseType: row.type,
          nullable: Number(row.notnull) === 0 && !(rowidAlias && Number(row.pk) === 1),
        })),
      });
    }
    return tables;
  }

  jsonSchemaFor(column: SourceColumn): JsonObject {
    return schemaOf(sqliteKind(column.databaseType));
  }

  converterFor(column: SourceColumn): ValueConverter {
    return converterOf(sqliteKind(column.databaseType));
  }

  parameter(column: SourceColumn, value: JsonValue): unknown {
    const kind = sqliteKind(column.databaseType);
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (kind === 'integer' && typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
    if (kind === 'blob' && typeof value === 'string') return Buffer.from(value, 'base64');
    if (value !== null && typeof value === 'object') return JSON.stringify(value);
    return value;
  }

  async *read(query: KeysetQuery): AsyncGenerator<unknown[][]> {
    const sql = keysetSelect(this.identifiers, query, {
      placeholder: () => '?',
      rowValues: true,
      parameter: (column, value) => this.parameter(column, value),
    });
    const statement = this.db.prepare(sql.text).raw(true).safeIntegers(true);
    const rows = statement.iterate(...(sql.values as unknown[])) as IterableIterator<unknown[]>;
    try {
      for (;;) {
        query.signal.throwIfAborted();
        const batch: unknown[][] = [];
        for (let next = rows.next(); !next.done; next = rows.next()) {
          batch.push(next.value);
          if (batch.length >= query.batchRows) break;
        }
        if (batch.length === 0) return;
        yield batch;
        if (batch.length < query.batchRows) return;
      }
    } finally {
      rows.return?.();
    }
  }

  classify(error: unknown, context: FailureContext): ConveyorError {
    return sqliteFailure(
      this.path,
      context.table === undefined ? context.operation : `${context.operation} table ${context.table}`,
      error,
    );
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
