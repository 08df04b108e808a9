// The typing rules of the destination, as data: which DuckDB type each logical type of the SQL
// family gets (@conveyor/sql gives a JSON Schema property its logical type), which type changes
// can be applied to an existing column, and how a JSON value is converted to a column's type in
// SQL. A value that does not convert becomes NULL (never an error, never a dropped record), and
// the load notes it in `_conveyor_meta`.

import type { LogicalType } from '@conveyor/sql';

/** Column types this destination creates. Existing columns may have any other DuckDB type. */
export type ColumnType =
  | 'UUID'
  | 'BIGINT'
  | 'DOUBLE'
  | 'BOOLEAN'
  | 'VARCHAR'
  | 'TIMESTAMPTZ'
  | 'TIMESTAMP'
  | 'DATE'
  | 'JSON';

const FOR_LOGICAL: Record<LogicalType, ColumnType> = {
  integer: 'BIGINT',
  number: 'DOUBLE',
  boolean: 'BOOLEAN',
  string: 'VARCHAR',
  timestamp_with_timezone: 'TIMESTAMPTZ',
  timestamp_without_timezone: 'TIMESTAMP',
  date: 'DATE',
  json: 'JSON',
};

/** The DuckDB type of a logical type of the SQL family (see `logicalTypeFor` in @conveyor/sql). */
export function columnTypeOf(logical: LogicalType): ColumnType {
  return FOR_LOGICAL[logical];
}

/** DuckDB's catalog spells some types differently from how we write them. */
export function normalizeCatalogType(dataType: string): string {
  if (dataType === 'TIMESTAMP WITH TIME ZONE') return 'TIMESTAMPTZ';
  return dataType;
}

const INTEGER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
]);

/**
 * What to do with an existing column whose type differs from the one the schema asks for now:
 * the type to change it to when DuckDB can widen it without losing values (integers → DOUBLE,
 * anything → VARCHAR, a non-text type → JSON), or undefined to keep it as it is, in which case
 * values that do not fit it become NULL.
 */
export function wideningOf(existing: string, wanted: string): ColumnType | undefined {
  if (existing === wanted) return undefined;
  if (wanted === 'DOUBLE' && INTEGER_TYPES.has(existing)) return 'DOUBLE';
  if (wanted === 'VARCHAR') return 'VARCHAR';
  // VARCHAR already holds any JSON text; turning it into JSON would fail on text that is not JSON.
  if (wanted === 'JSON' && existing !== 'VARCHAR') return 'JSON';
  return undefined;
}

/**
 * SQL converting `raw` (a JSON value, or NULL when the key is absent) to `type`. Scalars are
 * converted from their text, so `"42"` fits an integer column, while `4.2` and `true` do not.
 * The expression is NULL when the value is absent, JSON null, or does not fit.
 *
 * `type` is one of ours or a type read from DuckDB's catalog for an existing column.
 */
export function conversionSql(raw: string, type: string): string {
  // JSON values arrive minified, so JSON null is exactly the text `null`.
  if (type === 'JSON') return `CASE WHEN ${raw} <> 'null' THEN ${raw} END`;
  // A string unescaped, any other value as JSON text, but a number with a fraction or an exponent
  // written the way DuckDB writes a DOUBLE (`1e-07`, where the JSON writer says `1e-7`): exactly
  // what DuckDB's JSON reader gives for a VARCHAR field, so both ways of loading agree.
  if (type === 'VARCHAR') return `from_json(${raw}, '"VARCHAR"')`;
  const text = `(${raw} ->> '$')`;
  if (INTEGER_TYPES.has(type)) {
    // JSON integers (the common case) cast directly and exactly
    return `CASE WHEN json_type(${raw}) IN ('BIGINT', 'UBIGINT') THEN TRY_CAST(${raw} AS ${type})
      ELSE ${integerFromText(text, type)} END`;
  }
  // (from the JSON writer's text, as before text reads: DuckDB's VARCHAR reading of a number may
  // differ in spelling, and a DECIMAL's cast of `-8.9e-06` gives -0.001 where `-0.0000089` gives 0)
  return `TRY_CAST(${text} AS ${type})`;
}

/**
 * Integers from text: through DOUBLE first, because DuckDB rounds `4.2` to 4 when casting to an
 * integer and a fraction must not fit; digits then cast exactly (`9007199254740993` stays odd).
 */
function integerFromText(text: string, type: string): string {
  const asDouble = `TRY_CAST(${text} AS DOUBLE)`;
  return `CASE WHEN ${asDouble} = trunc(${asDouble}) THEN TRY_CAST(${text} AS ${type}) END`;
}

/**
 * Types a value can be converted to from the text DuckDB's JSON reader gives for a VARCHAR field
 * (less work for DuckDB than the value's JSON text) with the same result as `conversionSql`: the
 * reader writes a fraction or an exponent as a DOUBLE, which only the text of a VARCHAR (handled
 * alike above) or a DECIMAL (see above) would show. The others are converted from JSON.
 */
const TEXT_CONVERTIBLE = new Set([
  ...INTEGER_TYPES,
  'DOUBLE',
  'BOOLEAN',
  'VARCHAR',
  'TIMESTAMPTZ',
  'TIMESTAMP',
  'DATE',
]);

export function convertsFromText(type: string): boolean {
  return TEXT_CONVERTIBLE.has(type);
}

/**
 * SQL converting `text` (a value as DuckDB's JSON reader gives a VARCHAR field: NULL when the
 * value is absent or JSON null) to `type`, one `convertsFromText` accepts.
 */
export function textConversionSql(text: string, type: string): string {
  if (type === 'VARCHAR') return text;
  if (INTEGER_TYPES.has(type)) return integerFromText(text, type);
  return `TRY_CAST(${text} AS ${type})`;
}
