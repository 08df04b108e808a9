// Opening a SQLite database file with better-sqlite3, and what its failures mean (for the source
// and the destination). The source, and the destination when it only reads states, open files
// read-only and insist they exist: a missing file is a mistake in the config (SQLite would
// otherwise create an empty database and the source would offer no tables).

import { statSync } from 'node:fs';
import { ConveyorError, configError, systemError, transientError } from '@conveyor/protocol';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

/**
 * Opens an existing database file read-only and reads its header; the config error names the path
 * when it cannot. Nothing stays open when it fails.
 */
export function openSqliteReadOnly(path: string): SqliteDatabase {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw configError(`The SQLite database file ${path} does not exist. Check the "path" field.`);
  }
  if (!isFile)
    throw configError(`${path} is not a file, so it cannot be a SQLite database. Check the "path" field.`);
  let db: SqliteDatabase;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw sqliteFailure(path, 'opening the database', error);
  }
  try {
    // a writer holding its lock briefly (a commit, a checkpoint) is waited for, not a failure
    db.pragma('busy_timeout = 5000');
    // the header is only read on first use: a file that is not a database fails here, not mid-read
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (error) {
    db.close();
    throw sqliteFailure(path, 'opening the database', error);
  }
  return db;
}

function codeOf(error: unknown): string | undefined {
  const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Classifies a SQLite failure met on the file `path` while `doing` something, for the source and
 * the destination alike: a locked database or a full disk is transient; a file that is not a
 * database, may not be opened or written, or lacks a table or column is a config error; the rest
 * are system errors.
 */
export function sqliteFailure(path: string, doing: string, error: unknown): ConveyorError {
  if (error instanceof ConveyorError) return error;
  const code = codeOf(error) ?? '';
  const detail = error instanceof Error ? error.message : String(error);
  const options = { internalMessage: code ? `${code}: ${detail}` : detail, cause: error };
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) {
    return transientError(
      `The SQLite file ${path} was locked by another process while ${doing}. Wait for it to finish and try again.`,
      options,
    );
  }
  if (/^SQLITE_FULL/.test(code)) {
    return transientError(
      `The disk holding ${path} is full (while ${doing}). Free some space and try again.`,
      options,
    );
  }
  if (/^SQLITE_(NOTADB|CORRUPT)/.test(code)) {
    return configError(
      `${path} is not a usable SQLite database: the file is not a SQLite database or is damaged (${detail}; while ${doing}). Check the "path" field.`,
      options,
    );
  }
  if (/^SQLITE_(CANTOPEN|PERM|AUTH|READONLY)/.test(code)) {
    return configError(
      `Cannot use the SQLite file ${path} while ${doing}: ${detail}. Check the "path" field, and that this user may read the file (a destination also needs the file and its directory writable).`,
      options,
    );
  }
  if (/no such (table|column|view)/i.test(detail)) {
    return configError(
      `Failed ${doing} in ${path}: ${detail}. The table or column is gone or was renamed; check the name, or (for a source) run discover again and update the catalog.`,
      options,
    );
  }
  return systemError(`SQLite failed while ${doing} in ${path}: ${detail}`, options);
}
