// The destination's own tables, named as in every SQL destination of the family (`_conveyor_state`
// and `_conveyor_columns` in schema `_conveyor`): the states committed with the data of each
// connection (what makes exactly-once possible: one transaction holds both), and the column name
// given to each property, so a name chosen to avoid a case collision stays chosen. DuckDB reads
// and writes them with its own SQL (named parameters, one INSERT for all new column names).

import type { CommittedStates } from '@conveyor/cdk';
import { type StateMessage, systemError } from '@conveyor/protocol';
import { COLUMNS_TABLE, INTERNAL_SCHEMA, internalTable, STATE_TABLE, type TableName } from '@conveyor/sql';
import { type DuckDBConnection, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import { queryRows, runAll } from './database.js';
import { qualifiedName, quoteIdentifier } from './identifiers.js';

const STATE_NAME = internalTable({ hasSchemas: true }, STATE_TABLE);
const STATE = qualifiedName(STATE_NAME);
const COLUMNS = qualifiedName(internalTable({ hasSchemas: true }, COLUMNS_TABLE));

export async function createInternalTables(connection: DuckDBConnection): Promise<void> {
  await runAll(connection, [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(INTERNAL_SCHEMA)}`,
    `CREATE TABLE IF NOT EXISTS ${STATE} (
      connection_id VARCHAR NOT NULL, seq BIGINT NOT NULL, states JSON NOT NULL, committed_at TIMESTAMPTZ NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${COLUMNS} (
      table_schema VARCHAR NOT NULL, table_name VARCHAR NOT NULL, property VARCHAR NOT NULL, column_name VARCHAR NOT NULL)`,
  ]);
}

/** Replaces the connection's committed states; runs inside the caller's transaction. */
export async function saveStates(
  connection: DuckDBConnection,
  connectionId: string,
  seq: number,
  states: readonly StateMessage[],
): Promise<void> {
  await connection.run(`DELETE FROM ${STATE} WHERE connection_id = $connection`, {
    connection: connectionId,
  });
  await connection.run(`INSERT INTO ${STATE} VALUES ($connection, $seq::BIGINT, $states::JSON, now())`, {
    connection: connectionId,
    seq,
    states: JSON.stringify(states),
  });
}

/** The connection's committed states, or undefined when none were committed (or the table is absent). */
export async function readStates(
  connection: DuckDBConnection,
  connectionId: string,
): Promise<CommittedStates | undefined> {
  const tables = await queryRows(
    connection,
    `SELECT 1 FROM duckdb_tables() WHERE schema_name = $schema AND table_name = $table`,
    { schema: STATE_NAME.schema ?? null, table: STATE_NAME.table },
  );
  if (tables.length === 0) return undefined;
  const rows = await queryRows(
    connection,
    `SELECT seq, states::VARCHAR AS states FROM ${STATE} WHERE connection_id = $connection`,
    { connection: connectionId },
  );
  const row = rows[0];
  if (!row) return undefined;
  const states: unknown = JSON.parse(String(row.states));
  if (!Array.isArray(states)) {
    throw systemError(
      `The states stored in ${STATE_NAME.schema}.${STATE_NAME.table} for connection "${connectionId}" are not a list. Delete that row to start the connection over.`,
    );
  }
  return { seq: Number(row.seq), states: states as StateMessage[] };
}

/** Property → column assignments remembered for a stream's final table. */
export async function rememberedColumns(
  connection: DuckDBConnection,
  table: TableName,
): Promise<Map<string, string>> {
  const rows = await queryRows(
    connection,
    `SELECT property, column_name FROM ${COLUMNS} WHERE table_schema = $schema AND table_name = $table`,
    { schema: table.schema ?? '', table: table.table },
  );
  return new Map(rows.map((row) => [String(row.property), String(row.column_name)]));
}

export async function rememberColumns(
  connection: DuckDBConnection,
  table: TableName,
  added: ReadonlyMap<string, string>,
): Promise<void> {
  if (added.size === 0) return;
  await connection.run(
    `INSERT INTO ${COLUMNS} SELECT $schema, $table, unnest($properties), unnest($columns)`,
    {
      schema: table.schema ?? '',
      table: table.table,
      properties: listValue([...added.keys()]),
      columns: listValue([...added.values()]),
    },
    { properties: LIST(VARCHAR), columns: LIST(VARCHAR) },
  );
}
