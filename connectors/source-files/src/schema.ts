// A stream's JSON Schema, inferred from a sample: the first `schema_sample_rows` records of its
// oldest files. Every record also carries where it came from (`_source_file`, `_source_file_mtime`).

import type { JsonObject } from '@conveyor/protocol';
import type { FileStreamConfig, ResolvedFilesConfig } from './config.js';
import type { MatchedFile } from './file-listing.js';
import { formatOf, readerFor, SOURCE_FILE, SOURCE_FILE_MTIME } from './formats/index.js';
import { type ColumnType, columnSchema, declaredType, kindOfText, kindOfValue } from './value-types.js';

/** Enough files to find rows when many are empty, few enough that discover stays quick. */
const MAX_SAMPLE_FILES = 100;

export async function inferStreamSchema(
  stream: FileStreamConfig,
  files: MatchedFile[],
  config: ResolvedFilesConfig,
): Promise<JsonObject> {
  // Map order is first-seen order, which keeps the file's column order in the schema.
  const kinds = new Map<string, number>();
  let fromText = false;
  let sampled = 0;
  for (const file of files.slice(0, MAX_SAMPLE_FILES)) {
    if (sampled >= config.sampleRows) break;
    const format = formatOf(file, stream.format, stream.name);
    const text = format === 'csv';
    fromText ||= text;
    const batches = readerFor(format)(file, {
      batchSize: 1000,
      limit: config.sampleRows - sampled,
      csv: config.csv,
    });
    for await (const batch of batches) {
      for (const record of batch) {
        for (const key in record) {
          const value = record[key];
          const kind = text ? (typeof value === 'string' ? kindOfText(value) : 0) : kindOfValue(value);
          kinds.set(key, (kinds.get(key) ?? 0) | kind);
        }
      }
      sampled += batch.length;
    }
  }
  kinds.delete(SOURCE_FILE);
  kinds.delete(SOURCE_FILE_MTIME);

  const properties: JsonObject = {};
  for (const [column, mask] of kinds) properties[column] = columnSchema(mask, fromText);
  properties[SOURCE_FILE] = { type: 'string' };
  properties[SOURCE_FILE_MTIME] = { type: 'string', format: 'date-time' };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: true,
    properties,
  };
}

/** The declared column types of a schema, or undefined when it declares no properties at all. */
export function columnTypes(schema: JsonObject | undefined): Map<string, ColumnType> | undefined {
  const properties = schema?.properties;
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) return undefined;
  const types = new Map<string, ColumnType>();
  for (const [column, property] of Object.entries(properties)) {
    const type = declaredType(property);
    if (type) types.set(column, type);
  }
  return types;
}
