// append_dedup in standard SQL (window functions and correlated EXISTS), for dialects whose
// DELETE and INSERT accept it as written (Postgres, SQLite). The final table keeps one row per
// primary key, the one with the greatest cursor. Ties go to the later-extracted row: among staged
// rows the one with the greater sequence number, between a staged and a stored row the staged one.
// A NULL cursor loses to any value; without a cursor the latest extracted row wins.
//
// Keys are matched with plain `=` first, which databases answer with a hash join or the key
// index, and only winners with a NULL in their key are matched NULL-safely in a second pass (rare,
// and slow only when it happens).

import { type IdentifierRules, qualify } from '../identifiers.js';
import type { MergeSpec } from './dialect.js';

export interface MergeSyntax {
  /** NULL-safe equality: Postgres `a IS NOT DISTINCT FROM b`, SQLite `a IS b`, MySQL `a <=> b` */
  nullSafeEquals(a: string, b: string): string;
}

/** The statements, in order: delete the stored rows that lose, insert the winners, empty staging. */
export function standardMergeStatements(
  rules: IdentifierRules,
  syntax: MergeSyntax,
  spec: MergeSpec,
): string[] {
  const q = (name: string) => rules.quote(name);
  const final = qualify(rules, spec.final.schema, spec.final.table);
  const staging = q(spec.staging);
  const keys = spec.keyColumns.map(q);
  const cursor = spec.cursorColumn === undefined ? undefined : q(spec.cursorColumn);
  const sequence = q(spec.sequenceColumn);
  const columns = spec.columns.map(q);
  const rank = q('_conveyor_rank');

  const order =
    cursor === undefined
      ? `${sequence} DESC`
      : `CASE WHEN ${cursor} IS NULL THEN 1 ELSE 0 END, ${cursor} DESC, ${sequence} DESC`;
  const winners = `(SELECT * FROM (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY ${keys.map((k) => `s.${k}`).join(', ')} ORDER BY ${order}) AS ${rank} FROM ${staging} AS s) AS ranked WHERE ${rank} = 1)`;

  const equalKeys = (stored: string) => keys.map((k) => `${stored}.${k} = w.${k}`).join(' AND ');
  const nullKeyed = keys.map((k) => `w.${k} IS NULL`).join(' OR ');
  const sameNullableKeys = (stored: string) =>
    keys.map((k) => syntax.nullSafeEquals(`${stored}.${k}`, `w.${k}`)).join(' AND ');
  // The stored row survives only when its cursor is strictly greater than the staged winner's.
  const storedLoses = (stored: string) =>
    cursor === undefined
      ? 'TRUE'
      : `NOT (${stored}.${cursor} IS NOT NULL AND (w.${cursor} IS NULL OR ${stored}.${cursor} > w.${cursor}))`;

  return [
    `DELETE FROM ${final} WHERE EXISTS (SELECT 1 FROM ${winners} AS w WHERE ${equalKeys(final)} AND ${storedLoses(final)})`,
    `DELETE FROM ${final} WHERE EXISTS (SELECT 1 FROM ${winners} AS w WHERE (${nullKeyed}) AND ${sameNullableKeys(final)} AND ${storedLoses(final)})`,
    `INSERT INTO ${final} (${columns.join(', ')}) SELECT ${columns.map((c) => `w.${c}`).join(', ')} FROM ${winners} AS w
      WHERE NOT EXISTS (SELECT 1 FROM ${final} AS f WHERE ${equalKeys('f')})
        AND NOT EXISTS (SELECT 1 FROM ${final} AS f WHERE (${nullKeyed}) AND ${sameNullableKeys('f')})`,
    `DELETE FROM ${staging}`,
  ];
}
