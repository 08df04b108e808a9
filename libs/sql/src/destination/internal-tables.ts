// The destination's own tables: `_conveyor_state` holds the states committed with the data of each
// connection (one transaction holds both: that is exactly-once), and `_conveyor_columns` the
// column name given to each property, so a name chosen to avoid a collision stays chosen. They
// live in schema `_conveyor`, or beside the data where the dialect has no schemas.

import type { CommittedStates } from '@conveyor/cdk';
import { type StateMessage, systemError } from '@conveyor/protocol';
import { qualify } from '../identifiers.js';
import { type DestinationDialect, runStatements, type TableName } from './dialect.js';
import { COLUMNS_TABLE, internalTable, STATE_TABLE } from './stream-plan.js';

function names(dialect: DestinationDialect) {
  const state = internalTable(dialect, STATE_TABLE);
  const columns = internalTable(dialect, COLUMNS_TABLE);
  const sql = (table: TableName) => qualify(dialect.identifiers, table.schema, table.table);
  return { state, columns, stateSql: sql(state), columnsSql: sql(columns) };
}

/** Creates the internal tables when missing. */
export async function createInternalTables(dialect: DestinationDialect): Promise<void> {
  const { state, columns } = names(dialect);
  const text = dialect.columnType('string');
  const schema = state.schema;
  if (schema !== undefined && !(await dialect.schemaExists?.(schema))) {
    await runStatements(dialect, dialect.createSchema(schema));
  }
  if ((await dialect.readColumns(state)) === 'absent') {
    await runStatements(
      dialect,
      dialect.createTable(state, [
        { name: 'connection_id', type: text },
        { name: 'seq', type: dialect.columnType('integer') },
        { name: 'states', type: dialect.columnType('json') },
        { name: 'committed_at', type: dialect.columnType('timestamp_with_timezone') },
      ]),
    );
  }
  if ((await dialect.readColumns(columns)) === 'absent') {
    await runStatements(
      dialect,
      dialect.createTable(columns, [
        { name: 'table_schema', type: text },
        { name: 'table_name', type: text },
        { name: 'property', type: text },
        { name: 'column_name', type: text },
      ]),
    );
  }
}

/** Replaces the connection's committed states; runs inside the caller's transaction. */
export async function saveStates(
  dialect: DestinationDialect,
  connectionId: string,
  seq: number,
  states: readonly StateMessage[],
): Promise<void> {
  const { stateSql } = names(dialect);
  const p = (n: number) => dialect.placeholder(n);
  await dialect.execute(`DELETE FROM ${stateSql} WHERE connection_id = ${p(1)}`, [connectionId]);
  await dialect.execute(
    `INSERT INTO ${stateSql} (connection_id, seq, states, committed_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, CURRENT_TIMESTAMP)`,
    [connectionId, seq, JSON.stringify(states)],
  );
}

/** The connection's committed states, or undefined when none were committed (or the table is absent). */
export async function readStates(
  dialect: DestinationDialect,
  connectionId: string,
): Promise<CommittedStates | undefined> {
  const { state, stateSql } = names(dialect);
  if ((await dialect.readColumns(state)) === 'absent') return undefined;
  const rows = await dialect.query(
    `SELECT seq, states FROM ${stateSql} WHERE connection_id = ${dialect.placeholder(1)}`,
    [connectionId],
  );
  const row = rows[0];
  if (!row) return undefined;
  // Drivers hand JSON columns back parsed (pg jsonb, mysql2 JSON) or as text (SQLite).
  const states: unknown = typeof row.states === 'string' ? JSON.parse(row.states) : row.states;
  if (!Array.isArray(states)) {
    throw systemError(
      `The states stored in ${stateSql} for connection "${connectionId}" are not a list. Delete that row to start the connection over.`,
    );
  }
  return { seq: Number(row.seq), states: states as StateMessage[] };
}

/** Property → column assignments remembered for a table. */
export async function rememberedColumns(
  dialect: DestinationDialect,
  table: TableName,
): Promise<Map<string, string>> {
  const { columnsSql } = names(dialect);
  const p = (n: number) => dialect.placeholder(n);
  const rows = await dialect.query(
    `SELECT property, column_name FROM ${columnsSql} WHERE table_schema = ${p(1)} AND table_name = ${p(2)}`,
    [table.schema ?? '', table.table],
  );
  return new Map(rows.map((row) => [String(row.property), String(row.column_name)]));
}

export async function rememberColumns(
  dialect: DestinationDialect,
  table: TableName,
  added: ReadonlyMap<string, string>,
): Promise<void> {
  const { columnsSql } = names(dialect);
  const p = (n: number) => dialect.placeholder(n);
  for (const [property, column] of added) {
    await dialect.execute(
      `INSERT INTO ${columnsSql} (table_schema, table_name, property, column_name) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`,
      [table.schema ?? '', table.table, property, column],
    );
  }
}
