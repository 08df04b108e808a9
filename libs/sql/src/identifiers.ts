// Names in SQL databases. Stream and field names are arbitrary UTF-8; each database accepts a
// subset as quoted identifiers and compares them by its own rules. A dialect's `IdentifierRules`
// say how to quote, what must be replaced, how long a name may be and which names the database
// considers equal. `assignColumnNames` turns property names into column names that are distinct
// in the database's eyes, stable across syncs.

import { createHash } from 'node:crypto';

export interface IdentifierRules {
  /** `postgres`, `mysql`, `sqlite`, `duckdb` */
  dialect: string;
  /** the identifier as SQL text: quoted, with the quote character escaped */
  quote(name: string): string;
  /** longest name the database keeps, and whether it counts bytes (UTF-8) or characters */
  maxLength: number;
  lengthUnit: 'bytes' | 'characters';
  /** replaces what the database refuses even when quoted (NUL, and more for some) */
  clean(name: string): string;
  /** the key under which the database considers two identifiers the same */
  fold(name: string): string;
}

const HASH_CHARS = 8;

function lengthOf(name: string, unit: IdentifierRules['lengthUnit']): number {
  return unit === 'bytes' ? Buffer.byteLength(name, 'utf8') : [...name].length;
}

/** Cuts `name` to at most `limit` units without splitting a character. */
function cut(name: string, limit: number, unit: IdentifierRules['lengthUnit']): string {
  let out = '';
  let used = 0;
  for (const char of name) {
    const size = unit === 'bytes' ? Buffer.byteLength(char, 'utf8') : 1;
    if (used + size > limit) break;
    out += char;
    used += size;
  }
  return out;
}

/**
 * A name the database keeps exactly as given: cleaned, and when too long, cut and suffixed with a
 * hash of the whole name, so two long names that share a prefix stay distinct instead of being
 * truncated into one (Postgres would silently cut both at 63 bytes).
 */
export function fitIdentifier(rules: IdentifierRules, name: string): string {
  const cleaned = rules.clean(name);
  const usable = cleaned === '' ? '_' : cleaned;
  if (lengthOf(usable, rules.lengthUnit) <= rules.maxLength) return usable;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, HASH_CHARS);
  return `${cut(usable, rules.maxLength - HASH_CHARS - 1, rules.lengthUnit)}_${hash}`;
}

/** `quote(schema).quote(table)`, or just the table where the dialect has no schemas. */
export function qualify(rules: IdentifierRules, schema: string | undefined, table: string): string {
  return schema === undefined ? rules.quote(table) : `${rules.quote(schema)}.${rules.quote(table)}`;
}

function doubleQuote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const withoutNul = (name: string) => name.replaceAll('\u0000', '_');
const asciiLower = (name: string) => name.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

/** Quoted identifiers are exact; names longer than 63 bytes are cut by the server, so we cut first. */
export const POSTGRES_IDENTIFIERS: IdentifierRules = {
  dialect: 'postgres',
  quote: doubleQuote,
  maxLength: 63,
  lengthUnit: 'bytes',
  clean: withoutNul,
  fold: (name) => name,
};

/**
 * Backtick quoting; 64 characters; only the Basic Multilingual Plane (no emoji), no trailing
 * space. Column names compare case- and accent-insensitively; table names may too
 * (lower_case_table_names), so names are folded the broad way for both.
 */
export const MYSQL_IDENTIFIERS: IdentifierRules = {
  dialect: 'mysql',
  quote: (name) => `\`${name.replaceAll('`', '``')}\``,
  maxLength: 64,
  lengthUnit: 'characters',
  clean: (name) =>
    withoutNul(name)
      .replace(/[\u{10000}-\u{10FFFF}]/gu, '_')
      .replace(/ +$/, '_'),
  fold: (name) => name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase(),
};

/** No length limit worth the name; ASCII letters compare case-insensitively. */
export const SQLITE_IDENTIFIERS: IdentifierRules = {
  dialect: 'sqlite',
  quote: doubleQuote,
  maxLength: 1024,
  lengthUnit: 'bytes',
  clean: withoutNul,
  fold: asciiLower,
};

/** Like SQLite: ASCII letters compare case-insensitively even when quoted. */
export const DUCKDB_IDENTIFIERS: IdentifierRules = {
  dialect: 'duckdb',
  quote: doubleQuote,
  maxLength: 1024,
  lengthUnit: 'bytes',
  clean: withoutNul,
  fold: asciiLower,
};

export interface ColumnNaming {
  /** property name → column name, for every property asked for */
  columns: Map<string, string>;
  /** assignments made now, to be remembered for the next sync */
  added: Map<string, string>;
}

/**
 * Gives every property a column name that differs from every other column of the table in the
 * database's eyes. Stable across syncs: a remembered assignment is kept, a property equal to an
 * existing column adopts it, and only new properties are named fresh, in code-point order, the
 * first keeping its own (fitted) name and later colliding ones getting `_2`, `_3`, ...
 *
 * @param reserved column names the connector owns (metadata columns)
 * @param remembered assignments from earlier syncs of this table
 * @param existing columns the table has now
 */
export function assignColumnNames(
  rules: IdentifierRules,
  properties: readonly string[],
  reserved: readonly string[],
  remembered: ReadonlyMap<string, string>,
  existing: readonly string[],
): ColumnNaming {
  const columns = new Map<string, string>();
  const added = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of reserved) taken.add(rules.fold(name));
  for (const column of remembered.values()) taken.add(rules.fold(column));

  const unclaimedExisting = new Set(existing.filter((column) => !taken.has(rules.fold(column))));
  const fresh: string[] = [];
  for (const property of properties) {
    const known = remembered.get(property);
    if (known !== undefined) {
      columns.set(property, known);
    } else if (unclaimedExisting.has(property)) {
      columns.set(property, property);
      added.set(property, property);
      unclaimedExisting.delete(property);
      taken.add(rules.fold(property));
    } else {
      fresh.push(property);
    }
  }
  for (const column of unclaimedExisting) taken.add(rules.fold(column));

  fresh.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const property of fresh) {
    const base = fitIdentifier(rules, property);
    let candidate = base;
    for (let suffix = 2; taken.has(rules.fold(candidate)); suffix++) {
      candidate = fitIdentifier(rules, `${base}_${suffix}`);
    }
    taken.add(rules.fold(candidate));
    columns.set(property, candidate);
    added.set(property, candidate);
  }
  return { columns, added };
}
