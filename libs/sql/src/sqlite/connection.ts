// Opening a SQLite database file with better-sqlite3, and what its failures mean. The source opens
// files read-only and insists they exist: a missing file is a mistake in the config (SQLite would
// otherwise create an empty database and the source would offer no tables).

import { statSync } from 'node:fs';
import { ConveyorError, configError, systemError, transientError } from '@conveyor/protocol';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

/** Opens an existing database file read-only; the config error names the path when it cannot. */
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
    throw sqliteFailure(`opening the SQLite database ${path}`, error);
  }
  try {
    // the header is only read on first use: a file that is not a database fails here, not mid-read
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (error) {
    db.close();
    throw sqliteFailure(`opening the SQLite database ${path}`, error);
  }
  return db;
}

function codeOf(error: unknown): string | undefined {
  const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Classifies a SQLite failure met while `doing` something: a missing table or column, a file that
 * is not a database or may not be opened are config errors; a locked database is transient; the
 * rest are system errors.
 */
export function sqliteFailure(doing: string, error: unknown): ConveyorError {
  if (error instanceof ConveyorError) return error;
  const code = codeOf(error) ?? '';
  const detail = error instanceof Error ? error.message : String(error);
  const options = { internalMessage: code ? `${code}: ${detail}` : detail, cause: error };
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) {
    return transientError(
      `The SQLite database was locked by another process while ${doing}. Try again.`,
      options,
    );
  }
  if (/^SQLITE_(NOTADB|CORRUPT)/.test(code)) {
    return configError(
      `Failed ${doing}: the file is not a SQLite database or is damaged (${detail}). Check the "path" field.`,
      options,
    );
  }
  if (/^SQLITE_(CANTOPEN|PERM|AUTH|READONLY)/.test(code)) {
    return configError(`Failed ${doing}: ${detail}. Check that the file can be read by this user.`, options);
  }
  if (/no such (table|column)|no such view/i.test(detail)) {
    return configError(
      `Failed ${doing}: ${detail}. The table or column is gone or was renamed; run discover again and update the catalog.`,
      options,
    );
  }
  return systemError(`SQLite failed while ${doing}: ${detail}`, options);
}
