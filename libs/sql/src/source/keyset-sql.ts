// The SQL text of one keyset query (see `KeysetQuery`), built once for every dialect: identifiers
// quoted by the dialect's rules, values always parameters. Drivers pass how their placeholders
// look and whether the database compares row values well; for those that do not (or not with an
// index), a bound on several columns is spelled out as `a > ? OR (a = ? AND b > ?)`.

import { type IdentifierRules, qualify } from '../identifiers.js';
import type { JsonValue, KeysetBound, KeysetQuery, SourceColumn } from './driver.js';

export interface KeysetSqlOptions {
  /** The placeholder of the n-th parameter (0-based): `$1` for Postgres, `?` for MySQL and SQLite. */
  placeholder: (index: number) => string;
  /** `(a, b) > (?, ?)` when true (Postgres, SQLite); the expanded OR form otherwise. */
  rowValues: boolean;
  /** The query parameter for a JSON value of a column (the driver's `parameter`). */
  parameter: (column: SourceColumn, value: JsonValue) => unknown;
}

export interface SqlText {
  text: string;
  values: unknown[];
}

export function keysetSelect(rules: IdentifierRules, query: KeysetQuery, options: KeysetSqlOptions): SqlText {
  const { table } = query;
  const byName = new Map(table.columns.map((column) => [column.name, column]));
  const values: unknown[] = [];
  const param = (columnName: string, value: JsonValue): string => {
    const column = byName.get(columnName) ?? { name: columnName, databaseType: '', nullable: true };
    values.push(options.parameter(column, value));
    return options.placeholder(values.length - 1);
  };
  const q = (name: string) => rules.quote(name);

  const conditions: string[] = [];
  for (const bound of query.bounds) conditions.push(boundCondition(bound, q, param, options.rowValues));
  for (const column of query.notNull) conditions.push(`${q(column)} IS NOT NULL`);

  const select = query.columns.length > 0 ? query.columns.map(q).join(', ') : '*';
  let text = `SELECT ${select} FROM ${qualify(rules, table.schema, table.name)}`;
  if (conditions.length > 0) text += ` WHERE ${conditions.join(' AND ')}`;
  if (query.orderBy.length > 0) text += ` ORDER BY ${query.orderBy.map((c) => `${q(c)} ASC`).join(', ')}`;
  if (query.limit !== undefined) text += ` LIMIT ${Math.max(0, Math.floor(query.limit))}`;
  return { text, values };
}

function boundCondition(
  bound: KeysetBound,
  q: (name: string) => string,
  param: (column: string, value: JsonValue) => string,
  rowValues: boolean,
): string {
  const { columns, values, inclusive } = bound;
  if (columns.length === 0 || columns.length !== values.length) {
    throw new RangeError(
      `a keyset bound needs one value per column, got ${columns.length} and ${values.length}`,
    );
  }
  const op = inclusive ? '>=' : '>';
  if (columns.length === 1)
    return `${q(columns[0] as string)} ${op} ${param(columns[0] as string, values[0] as JsonValue)}`;
  if (rowValues) {
    const left = columns.map(q).join(', ');
    const right = columns.map((c, i) => param(c, values[i] as JsonValue)).join(', ');
    return `(${left}) ${op} (${right})`;
  }
  // (a, b, c) > (x, y, z)  ⇔  a > x OR (a = x AND (b > y OR (b = y AND c > z))); the leading
  // `a >= x` lets an index on a narrow the range even where the OR form is not understood.
  const expand = (i: number): string => {
    const column = columns[i] as string;
    const value = values[i] as JsonValue;
    if (i === columns.length - 1) return `${q(column)} ${op} ${param(column, value)}`;
    return `(${q(column)} > ${param(column, value)} OR (${q(column)} = ${param(column, value)} AND ${expand(i + 1)}))`;
  };
  return `${q(columns[0] as string)} >= ${param(columns[0] as string, values[0] as JsonValue)} AND ${expand(0)}`;
}
