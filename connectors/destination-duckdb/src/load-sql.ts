// The bulk load: one INSERT ... SELECT per batch over a temporary JSON file, the same SQL for
// both batch formats. DuckDB parses the file, checks every record's `data` is an object, pulls
// each property out with one JSON-pointer extraction per record, converts it to its column's type
// and notes the values that did not fit in `_conveyor_meta`. Names and paths reach the SQL as
// quoted identifiers or as parameters, never as spliced values.

import {
  METADATA_COLUMNS as FAMILY_METADATA_COLUMNS,
  RAW_DATA_COLUMN as FAMILY_RAW_DATA_COLUMN,
  RESERVED_COLUMNS as FAMILY_RESERVED_COLUMNS,
} from '@conveyor/sql';
import { type ColumnType, columnTypeOf, conversionSql } from './column-types.js';
import { quoteIdentifier } from './identifiers.js';

export interface MetadataColumn {
  name: string;
  type: ColumnType;
}

/** Names of the SQL family's metadata columns, for the SQL that fills and reads them. */
export const RAW_ID_COLUMN = FAMILY_METADATA_COLUMNS[0].name;
export const EXTRACTED_AT_COLUMN = FAMILY_METADATA_COLUMNS[1].name;
export const GENERATION_COLUMN = FAMILY_METADATA_COLUMNS[2].name;
export const META_COLUMN = FAMILY_METADATA_COLUMNS[3].name;

/** The metadata columns every table gets, in table order, with their DuckDB types. */
export const METADATA_COLUMNS: readonly MetadataColumn[] = FAMILY_METADATA_COLUMNS.map((c) => ({
  name: c.name,
  // DuckDB has a native UUID type for the raw id
  type: c.name === RAW_ID_COLUMN ? 'UUID' : columnTypeOf(c.logical),
}));

/** The whole record, for streams whose schema declares no properties (nothing else would keep the data). */
export const RAW_DATA_COLUMN: MetadataColumn = {
  name: FAMILY_RAW_DATA_COLUMN.name,
  type: columnTypeOf(FAMILY_RAW_DATA_COLUMN.logical),
};

/**
 * Names a property can never take: the family's (metadata columns, helper columns of
 * deduplication) and `rowid`, which would hide the pseudo-column DuckDB's deduplication orders by.
 */
export const RESERVED_COLUMNS: readonly string[] = [...FAMILY_RESERVED_COLUMNS, 'rowid'];

/** The text of the error the load raises for a record whose `data` is not an object. */
export const NOT_AN_OBJECT = 'conveyor: record data is not a JSON object';

export interface LoadColumn {
  property: string;
  column: string;
  /** the column's type in the table being loaded */
  type: string;
}

export interface LoadLayout {
  /** qualified, quoted name of the table the rows go to */
  target: string;
  columns: readonly LoadColumn[];
  /** the stream declares no properties: keep the record in `_conveyor_data` */
  rawData: boolean;
}

export type BatchFormat = 'objects' | 'jsonl';

// A record may be as large as the engine allows a protocol line (64 MiB), beyond DuckDB's 16 MB default.
// read_json allocates buffers of twice this size per thread, so `jsonl` loads pass the size their
// longest line needs ($max_object_size, see maxObjectSize) instead of always the largest.
export const MAX_OBJECT_SIZE = 64 * 1024 * 1024;

/** The `maximum_object_size` a file whose longest line is `longest` bytes needs: a power of two, 1 MiB at least. */
export function maxObjectSize(longest: number): number {
  let size = 1024 * 1024;
  while (size <= longest && size < MAX_OBJECT_SIZE) size *= 2;
  return size;
}

/** `objects` batches are written as one JSON array of the records' data. */
const OBJECTS_SOURCE = `SELECT make_timestamptz($emitted_at::BIGINT * 1000) AS extracted_at,
    []::STRUCT(field VARCHAR, change VARCHAR, reason VARCHAR)[] AS source_changes,
    json AS data
  FROM read_json($file, format = 'array', records = 'false', columns = {json: 'JSON'}, maximum_object_size = ${MAX_OBJECT_SIZE})`;

/** `jsonl` batches are the RECORD envelope lines as the source wrote them. */
const ENVELOPES_SOURCE = `SELECT make_timestamptz(record.emitted_at * 1000) AS extracted_at,
    coalesce(from_json(record.meta -> '$.changes', '[{"field":"VARCHAR","change":"VARCHAR","reason":"VARCHAR"}]'), []) AS source_changes,
    record.data AS data
  FROM read_json($file, format = 'newline_delimited', maximum_object_size = $max_object_size,
    columns = {type: 'VARCHAR', record: 'STRUCT(stream VARCHAR, namespace VARCHAR, data JSON, emitted_at BIGINT, meta JSON)'})`;

/** `/a~1b` for the property `a/b` (RFC 6901), so any property name is a valid path. */
export function jsonPointer(property: string): string {
  return `/${property.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/**
 * The INSERT for one batch. Parameters: `$file` (the batch file), `$generation` (BIGINT or
 * NULL), `$paths` and `$fields` (VARCHAR[], the JSON pointers and names of the properties, in
 * column order) and, for `objects`, `$emitted_at` (epoch ms), for `jsonl`, `$max_object_size`.
 */
export function loadSql(layout: LoadLayout, format: BatchFormat): string {
  const source = format === 'objects' ? OBJECTS_SOURCE : ENVELOPES_SOURCE;
  // read_json hands JSON values over re-serialized without whitespace, so an object starts with
  // '{': a check that costs a byte compare instead of parsing the record once more.
  const checked = `SELECT extracted_at, source_changes,
    CASE WHEN starts_with(data, '{') THEN data ELSE error('${NOT_AN_OBJECT}') END AS data
  FROM (${source})`;

  const columns = layout.columns;
  const outputs = [
    `gen_random_uuid() AS ${quoteIdentifier(RAW_ID_COLUMN)}`,
    `extracted_at AS ${quoteIdentifier(EXTRACTED_AT_COLUMN)}`,
    `$generation::BIGINT AS ${quoteIdentifier(GENERATION_COLUMN)}`,
    `CASE WHEN len(changes) > 0 THEN to_json({'changes': changes}) END AS ${quoteIdentifier(META_COLUMN)}`,
  ];
  if (layout.rawData) outputs.push(`data AS ${quoteIdentifier(RAW_DATA_COLUMN.name)}`);
  if (columns.length === 0) {
    return `INSERT INTO ${layout.target} BY NAME
SELECT ${outputs.join(',\n  ')}
FROM (SELECT *, source_changes AS changes FROM (${checked}))`;
  }

  const raws = columns.map((_, i) => `d[${i + 1}] AS r${i}`);
  const values = columns.map((c, i) => `${conversionSql(`r${i}`, c.type)} AS v${i}`);
  const nulled = columns.map(
    (_, i) => `CASE WHEN v${i} IS NULL AND r${i} <> 'null' THEN $fields[${i + 1}] END`,
  );
  columns.forEach((c, i) => {
    outputs.push(`v${i} AS ${quoteIdentifier(c.column)}`);
  });
  return `INSERT INTO ${layout.target} BY NAME
SELECT ${outputs.join(',\n  ')}
FROM (
  SELECT *, list_concat(source_changes, list_transform(
      list_filter([${nulled.join(', ')}], f -> f IS NOT NULL),
      f -> {'field': f, 'change': 'NULLED', 'reason': 'DESTINATION_TYPECAST_ERROR'})) AS changes
  FROM (
    SELECT *, ${values.join(',\n      ')}
    FROM (
      SELECT *, ${raws.join(', ')}
      FROM (SELECT *, json_extract(data, $paths) AS d FROM (${checked}))
    )
  )
)`;
}
