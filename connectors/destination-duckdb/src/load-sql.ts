// The SQL path of the bulk load: one INSERT ... SELECT over a file of staged RECORD lines (`jsonl`)
// or of an `objects` batch that typed rows (typed-rows.ts) leave to SQL. DuckDB parses the file,
// checks every record's `data` is an object, pulls each property out (one JSON-pointer extraction
// per record, or as the field of a struct: `jsonl-fields`), converts it to its column's type and
// notes the values that did not fit in `_conveyor_meta`. Names and paths reach the SQL as quoted
// identifiers or as parameters, never as spliced values.

import {
  METADATA_COLUMNS as FAMILY_METADATA_COLUMNS,
  RAW_DATA_COLUMN as FAMILY_RAW_DATA_COLUMN,
  RESERVED_COLUMNS as FAMILY_RESERVED_COLUMNS,
} from '@conveyor/sql';
import {
  type ColumnType,
  columnTypeOf,
  conversionSql,
  convertsFromText,
  textConversionSql,
} from './column-types.js';
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

/**
 * How a load reads its batch file: as the batch's format says, or `jsonl-fields`, the same RECORD
 * lines with each property of `data` read as a field of a struct (its text, or its JSON text when
 * its conversion needs that: see `convertsFromText`) instead of pulled out by JSON pointer. That
 * is about 40% less work for DuckDB than the pointer (30% less than fields all read as JSON text),
 * but the read fails on an object with a duplicate key (where the pointer takes the first value)
 * and on a `data` that is not an object (which the pointer path names): the writer uses it only
 * where a failure can be rolled back and the lines loaded again as `jsonl`.
 */
export type LoadShape = BatchFormat | 'jsonl-fields';

// A record may be as large as the engine allows a protocol line (64 MiB), beyond DuckDB's 16 MB default.
// read_json allocates buffers of twice this size per thread, so staged loads pass the size their
// longest line (or batch of typed rows) needs ($max_object_size, see maxObjectSize) instead of
// always the largest.
export const MAX_OBJECT_SIZE = 64 * 1024 * 1024;

/** The `maximum_object_size` a file whose longest line is `longest` bytes needs: a power of two, 1 MiB at least. */
export function maxObjectSize(longest: number): number {
  let size = 1024 * 1024;
  while (size <= longest && size < MAX_OBJECT_SIZE) size *= 2;
  return size;
}

const CHANGE = `STRUCT(field VARCHAR, change VARCHAR, reason VARCHAR)`;

/** `objects` batches are written as one JSON array of the records' data. */
const OBJECTS_SOURCE = `SELECT make_timestamptz($emitted_at::BIGINT * 1000) AS extracted_at,
    NULL::${CHANGE}[] AS source_changes,
    json AS data
  FROM read_json($file, format = 'array', records = 'false', columns = {json: 'JSON'}, maximum_object_size = ${MAX_OBJECT_SIZE})`;

/**
 * `jsonl` batches are the RECORD envelope lines as the source wrote them; `data` is read as JSON
 * text, or as a struct of the properties (each its text or its JSON text, as `dataType` says). The
 * source's own changes (`meta.changes`), NULL when it sent none.
 */
function envelopesSource(dataType: string): string {
  const record = `STRUCT(stream VARCHAR, namespace VARCHAR, data ${dataType}, emitted_at BIGINT, meta JSON)`;
  return `SELECT make_timestamptz(record.emitted_at * 1000) AS extracted_at,
    CASE WHEN record.meta IS NOT NULL THEN from_json(record.meta -> '$.changes', '[{"field":"VARCHAR","change":"VARCHAR","reason":"VARCHAR"}]') END AS source_changes,
    record.data AS data
  FROM read_json($file, format = 'newline_delimited', maximum_object_size = $max_object_size,
    columns = {type: 'VARCHAR', record: '${record.replaceAll("'", "''")}'})`;
}

/** Whether `jsonl-fields` can name every property: a DuckDB struct's field names are non-empty and unique but for case. */
export function fieldsReadable(layout: LoadLayout): boolean {
  if (layout.rawData || layout.columns.length === 0) return false;
  const folded = new Set(layout.columns.map((c) => c.property.toLowerCase()));
  return folded.size === layout.columns.length && !folded.has('');
}

/** `/a~1b` for the property `a/b` (RFC 6901), so any property name is a valid path. */
export function jsonPointer(property: string): string {
  return `/${property.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/**
 * The INSERT for one batch. Parameters: `$file` (the batch file), `$generation` (BIGINT or
 * NULL), `$fields` (VARCHAR[], the names of the properties, in column order), `$paths` (their JSON
 * pointers, but for `jsonl-fields`) and, for `objects`, `$emitted_at` (epoch ms), for the others,
 * `$max_object_size`.
 */
export function loadSql(layout: LoadLayout, shape: LoadShape): string {
  const fields = shape === 'jsonl-fields';
  // read by field, a property is its text when that is all its conversion needs, else its JSON
  const asText = layout.columns.map((c) => fields && convertsFromText(c.type));
  const source =
    shape === 'objects'
      ? OBJECTS_SOURCE
      : envelopesSource(
          fields
            ? `STRUCT(${layout.columns.map((c, i) => `${quoteIdentifier(c.property)} ${asText[i] ? 'VARCHAR' : 'JSON'}`).join(', ')})`
            : 'JSON',
        );
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
  ];
  if (layout.rawData) outputs.push(`data AS ${quoteIdentifier(RAW_DATA_COLUMN.name)}`);
  if (columns.length === 0) {
    outputs.push(
      `CASE WHEN len(changes) > 0 THEN to_json({'changes': changes}) END AS ${quoteIdentifier(META_COLUMN)}`,
    );
    return `INSERT INTO ${layout.target} BY NAME
SELECT ${outputs.join(',\n  ')}
FROM (SELECT *, source_changes AS changes FROM (${checked}))`;
  }

  // the properties: struct fields (text or JSON text), or JSON texts by one JSON-pointer extraction
  // per record (a `data` that is null or missing reads as a NULL struct, and fails here too)
  const raws = fields
    ? `SELECT *, ${columns.map((c, i) => `data.${quoteIdentifier(c.property)} AS r${i}`).join(', ')}
      FROM (SELECT extracted_at, source_changes,
        CASE WHEN data IS NULL THEN error('${NOT_AN_OBJECT}') ELSE data END AS data FROM (${source}))`
    : `SELECT *, ${columns.map((_, i) => `d[${i + 1}] AS r${i}`).join(', ')}
      FROM (SELECT *, json_extract(data, $paths) AS d FROM (${checked}))`;
  const values = columns.map(
    (c, i) => `${asText[i] ? textConversionSql(`r${i}`, c.type) : conversionSql(`r${i}`, c.type)} AS v${i}`,
  );
  // a value that did not fit: converted to NULL from something else than absent or JSON null
  // (NULL as text, the text `null` as JSON)
  const unfit = columns.map(
    (_, i) => `v${i} IS NULL AND ${asText[i] ? `r${i} IS NOT NULL` : `r${i} <> 'null'`}`,
  );
  const nulled = unfit.map((test, i) => `CASE WHEN ${test} THEN $fields[${i + 1}] END`);
  // The list of changes is built only for the rare rows that have one: building it for every row
  // cost more than a tenth of the load.
  const anyNulled = unfit.map((test) => `(${test})`).join(' OR ');
  const changes = `list_concat(coalesce(source_changes, []::${CHANGE}[]), list_transform(
      list_filter([${nulled.join(', ')}], f -> f IS NOT NULL),
      f -> {'field': f, 'change': 'NULLED', 'reason': 'DESTINATION_TYPECAST_ERROR'}))`;
  outputs.push(`CASE WHEN source_changes IS NULL AND (${anyNulled}) IS NOT TRUE THEN NULL
    WHEN len(${changes}) > 0 THEN to_json({'changes': ${changes}}) END AS ${quoteIdentifier(META_COLUMN)}`);
  columns.forEach((c, i) => {
    outputs.push(`v${i} AS ${quoteIdentifier(c.column)}`);
  });
  return `INSERT INTO ${layout.target} BY NAME
SELECT ${outputs.join(',\n  ')}
FROM (
  SELECT *, ${values.join(',\n    ')}
  FROM (${raws})
)`;
}
