// Incremental state of a files stream. Files are read in (mtime, path) order and the state moves
// forward one whole file at a time:
//
//   { "_source_file_mtime": "<ISO mtime of the newest file read>",
//     "files_at_cursor": ["<paths read whose mtime equals it>"] }
//
// A file is new when its mtime is after the cursor, or equal to it and its path is not listed.
// Listing the boundary paths is what makes files sharing the newest mtime safe: one that was
// read is not read again, and one that arrived later with that same mtime is not lost.

import { configError, type JsonObject } from '@conveyor/protocol';
import type { MatchedFile } from './file-listing.js';
import { SOURCE_FILE_MTIME } from './formats/index.js';

export const FILES_AT_CURSOR = 'files_at_cursor';

export class FileCursor {
  private cursorMs: number | undefined;
  private cursor: string | undefined;
  private atCursor: Set<string>;

  constructor(state: JsonObject | undefined, stream: string) {
    const mtime = state?.[SOURCE_FILE_MTIME];
    const paths = state?.[FILES_AT_CURSOR];
    this.atCursor = new Set();
    if (mtime === undefined || mtime === null) return;
    const ms = typeof mtime === 'string' ? Date.parse(mtime) : Number.NaN;
    if (typeof mtime !== 'string' || Number.isNaN(ms)) {
      throw configError(
        `The saved state of stream "${stream}" has ${SOURCE_FILE_MTIME} = ${JSON.stringify(mtime)}, which is not an ISO 8601 date-time. Reset the stream's state to read all its files again.`,
        { stream: { name: stream } },
      );
    }
    this.cursorMs = ms;
    this.cursor = mtime;
    if (Array.isArray(paths)) for (const p of paths) if (typeof p === 'string') this.atCursor.add(p);
  }

  isNew(file: MatchedFile): boolean {
    if (this.cursorMs === undefined) return true;
    return file.mtimeMs > this.cursorMs || (file.mtimeMs === this.cursorMs && !this.atCursor.has(file.path));
  }

  /** Records `file` as completely read. Files must be passed in (mtime, path) order. */
  advance(file: MatchedFile): void {
    if (this.cursorMs === undefined || file.mtimeMs > this.cursorMs) {
      this.cursorMs = file.mtimeMs;
      this.cursor = file.mtime;
      this.atCursor = new Set([file.path]);
    } else if (file.mtimeMs === this.cursorMs) {
      this.atCursor.add(file.path);
    }
  }

  state(): JsonObject {
    if (this.cursor === undefined) return {};
    return { [SOURCE_FILE_MTIME]: this.cursor, [FILES_AT_CURSOR]: [...this.atCursor] };
  }
}
