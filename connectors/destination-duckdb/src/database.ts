// One DuckDB file, one instance, one connection. DuckDB lets a single process write to a file, so
// every open is paired with a close. Instances come from DuckDB's instance cache: code in the same
// process that opens the same file (a reader, the engine) shares the instance instead of opening
// the file twice, and the file is released when the last of them closes. The session is pinned to
// UTC so that date-time strings without an offset mean the same thing on every machine.

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConveyorError, configError, systemError, transientError } from '@conveyor/protocol';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';

export interface Database {
  connection: DuckDBConnection;
  close(): void;
}

/** Opens (creating when missing) the database file and its directory. */
export async function openDatabase(path: string): Promise<Database> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    throw configError(
      `Cannot create the directory of the DuckDB file ${path}. Make it writable or choose another path.`,
      { internalMessage: String(error), cause: error },
    );
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.fromCache(path);
  } catch (error) {
    throw openFailure(path, error);
  }
  let connection: DuckDBConnection;
  try {
    connection = await instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
  } catch (error) {
    instance.closeSync();
    throw openFailure(path, error);
  }
  let closed = false;
  return {
    connection,
    close() {
      if (closed) return;
      closed = true;
      connection.closeSync();
      instance.closeSync();
    },
  };
}

function openFailure(path: string, error: unknown): ConveyorError {
  const detail = error instanceof Error ? error.message : String(error);
  if (/lock/i.test(detail)) {
    return transientError(
      `The DuckDB file ${path} is in use by another process (DuckDB allows one writer). Close that process, or wait for it to finish, and retry.`,
      { internalMessage: detail, cause: error },
    );
  }
  if (/permission denied|read-only file system|not writable/i.test(detail)) {
    return configError(
      `Cannot open the DuckDB file ${path} for writing: permission denied. Choose a writable path.`,
      {
        internalMessage: detail,
        cause: error,
      },
    );
  }
  return configError(
    `Cannot open the DuckDB file ${path}. Check that the path names a DuckDB database file.`,
    {
      internalMessage: detail,
      cause: error,
    },
  );
}

type Parameters = Record<string, DuckDBValue>;

/** Rows as plain JS values (BIGINT as bigint, JSON as string). */
export async function queryRows(
  connection: DuckDBConnection,
  sql: string,
  parameters?: Parameters,
): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql, parameters);
  return reader.getRowObjectsJS();
}

/** Runs statements one after another; stops at the first failure. */
export async function runAll(connection: DuckDBConnection, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await connection.run(statement);
}

/** A DuckDB failure outside the cases a caller recognises: a system error naming what was being done. */
export function duckdbFailure(doing: string, error: unknown): ConveyorError {
  if (error instanceof ConveyorError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (/no space left|disk is full|out of memory/i.test(detail)) {
    return transientError(`DuckDB ran out of disk space or memory while ${doing}. Free some and retry.`, {
      internalMessage: detail,
      cause: error,
    });
  }
  return systemError(`DuckDB failed while ${doing}.`, { internalMessage: detail, cause: error });
}
