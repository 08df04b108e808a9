// append_dedup, applied at each commit: the final table keeps one row per primary key, the one
// with the greatest cursor. Ties go to the record extracted later: among staged rows the one
// staged last (staging is append-only, so rowid follows extraction order), and between a staged
// and a stored row the staged one. A NULL cursor loses to any value; without a cursor field the
// latest record wins.

import { quoteIdentifier } from './identifiers.js';

const WINNERS = '"temp"."main"."conveyor_winners"';

export interface DedupTables {
  final: string;
  staging: string;
  keyColumns: readonly string[];
  cursorColumn: string | undefined;
}

/** Statements to run, in order, inside the commit's transaction. */
export function dedupStatements({ final, staging, keyColumns, cursorColumn }: DedupTables): string[] {
  const keys = keyColumns.map(quoteIdentifier);
  const sameKey = keys.map((k) => `f.${k} IS NOT DISTINCT FROM w.${k}`).join(' AND ');
  const cursor = cursorColumn === undefined ? undefined : quoteIdentifier(cursorColumn);
  const order = cursor === undefined ? 'rowid DESC' : `${cursor} DESC NULLS LAST, rowid DESC`;
  // The stored row survives only when its cursor is strictly greater than the staged winner's.
  const storedWins =
    cursor === undefined
      ? 'false'
      : `f.${cursor} IS NOT NULL AND (w.${cursor} IS NULL OR f.${cursor} > w.${cursor})`;
  return [
    `CREATE OR REPLACE TEMP TABLE conveyor_winners AS
      SELECT * EXCLUDE (_conveyor_rank) FROM (
        SELECT *, row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${order}) AS _conveyor_rank FROM ${staging})
      WHERE _conveyor_rank = 1`,
    `DELETE FROM ${final} AS f USING ${WINNERS} AS w WHERE ${sameKey} AND NOT (${storedWins})`,
    `INSERT INTO ${final} BY NAME SELECT * FROM ${WINNERS} AS w WHERE NOT EXISTS (SELECT 1 FROM ${final} AS f WHERE ${sameKey})`,
    `DELETE FROM ${staging}`,
    `DROP TABLE ${WINNERS}`,
  ];
}
