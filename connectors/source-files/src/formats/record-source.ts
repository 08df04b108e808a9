// What every format reader shares: the file it reads, the batch size, and the two columns that
// tell a user where each record came from.

import type { CsvOptions } from '../config.js';
import type { MatchedFile } from '../file-listing.js';
import type { ColumnType } from '../value-types.js';

export const SOURCE_FILE = '_source_file';
export const SOURCE_FILE_MTIME = '_source_file_mtime';

export interface FileReadOptions {
  batchSize: number;
  /** Stop after this many records (schema sampling). */
  limit?: number;
  csv: CsvOptions;
  /**
   * Types to convert CSV cells to, by column name. Columns not listed, or all columns when this is
   * undefined (sampling), stay text; empty cells are null.
   */
  csvTypes?: ReadonlyMap<string, ColumnType>;
}

export type FileReader = (
  file: MatchedFile,
  options: FileReadOptions,
) => AsyncGenerator<Record<string, unknown>[]>;
