// CSV files, streamed through csv-parse. Rows come out of the parser as arrays of text and become
// records here, each cell converted to its column's type. A cell that does not fit its type is an
// error naming the file, line and column: the destination was told the type, so the value must
// not slip through as text.

import { ConveyorError, configError } from '@conveyor/protocol';
import { CsvError, parse } from 'csv-parse';
import type { MatchedFile } from '../file-listing.js';
import { type ColumnType, convertText, MISMATCH } from '../value-types.js';
import { fileError, openDataFile } from './open-file.js';
import { readableBatches } from './readable-batches.js';
import { type FileReadOptions, SOURCE_FILE, SOURCE_FILE_MTIME } from './record-source.js';

/** Header cells as unique column names; blanks get positional names. */
function columnNames(header: string[], positional: boolean): string[] {
  const used = new Set<string>();
  return header.map((cell, i) => {
    let name = positional || cell.trim() === '' ? `column_${i + 1}` : cell.trim();
    // Assigning `__proto__` would set the record's prototype instead of a field.
    if (name === '__proto__') name = '_proto_';
    let unique = name;
    for (let n = 2; used.has(unique); n++) unique = `${name}_${n}`;
    used.add(unique);
    return unique;
  });
}

function parserFor(options: FileReadOptions['csv']) {
  return parse({
    delimiter: options.delimiter,
    bom: true,
    skip_empty_lines: true,
    // Keeps every record the header's length; csv-parse reports the offending line.
    relax_column_count: false,
  });
}

function malformed(path: string, error: unknown) {
  if (error instanceof ConveyorError) return error;
  if (error instanceof CsvError) {
    return configError(
      `"${path}" is not valid CSV: ${error.message}. Fix the file or leave it out of the glob.`,
      {
        cause: error,
      },
    );
  }
  return fileError(path, error);
}

/** The line a record ends on, found by parsing again: only done on the error path. */
async function lineOfRecord(file: MatchedFile, options: FileReadOptions['csv'], recordIndex: number) {
  const handle = await openDataFile(file.path);
  const input = handle.createReadStream();
  const parser = input.pipe(
    parse({ delimiter: options.delimiter, bom: true, skip_empty_lines: true, info: true }),
  );
  let index = 0;
  try {
    for await (const item of parser as AsyncIterable<{ info: { lines: number } }>) {
      if (index++ === recordIndex) return item.info.lines;
    }
    return undefined;
  } finally {
    input.destroy();
  }
}

async function mismatch(
  file: MatchedFile,
  options: FileReadOptions,
  recordIndex: number,
  column: string,
  text: string,
  type: ColumnType | undefined,
) {
  const line = await lineOfRecord(file, options.csv, recordIndex).catch(() => undefined);
  const where = line === undefined ? `record ${recordIndex + 1}` : `line ${line}`;
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return configError(
    `"${file.path}" ${where}, column "${column}": ${JSON.stringify(shown)} is not ${type === 'integer' ? 'an' : 'a'} ${type} value, but the stream's schema declares the column as ${type}. Fix the value, or run discover again (raise schema_sample_rows so the sample includes such rows) and update the catalog.`,
  );
}

export async function* readCsv(
  file: MatchedFile,
  options: FileReadOptions,
): AsyncGenerator<Record<string, unknown>[]> {
  const handle = await openDataFile(file.path);
  const input = handle.createReadStream({ highWaterMark: 1 << 20 });
  const parser = parserFor(options.csv);
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);

  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let columns: string[] | undefined;
  let types: (ColumnType | undefined)[] = [];
  // Index of the next record in the file as csv-parse counts them (header included).
  let recordIndex = 0;
  let emitted = 0;
  try {
    for await (const rows of readableBatches<string[]>(
      parser,
      options.batchSize,
      options.batchSize + (options.csv.header ? 1 : 0),
    )) {
      let first = 0;
      if (columns === undefined) {
        columns = columnNames(rows[0]!, !options.csv.header);
        types = columns.map((c) => options.csvTypes?.get(c));
        if (options.csv.header) {
          first = 1;
          recordIndex = 1;
        }
      }
      const count = Math.min(rows.length - first, limit - emitted);
      const records: Record<string, unknown>[] = new Array(Math.max(count, 0));
      for (let r = 0; r < count; r++) {
        const row = rows[first + r]!;
        const record: Record<string, unknown> = {};
        for (let c = 0; c < columns.length; c++) {
          const value = convertText(row[c]!, types[c]);
          if (value === MISMATCH)
            throw await mismatch(file, options, recordIndex + r, columns[c]!, row[c]!, types[c]);
          record[columns[c]!] = value;
        }
        record[SOURCE_FILE] = file.path;
        record[SOURCE_FILE_MTIME] = file.mtime;
        records[r] = record;
      }
      recordIndex += rows.length - first;
      emitted += records.length;
      if (records.length > 0) yield records;
      if (emitted >= limit) return;
    }
  } catch (error) {
    throw malformed(file.path, error);
  } finally {
    input.destroy();
    parser.destroy();
    await handle.close().catch(() => undefined);
  }
}
