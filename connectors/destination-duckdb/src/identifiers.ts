// Names in DuckDB. Every identifier is double-quoted, so any UTF-8 name works (quotes, spaces,
// dots, reserved words). Two things quoting cannot fix: DuckDB rejects an empty identifier and a
// NUL character, and it compares identifiers ignoring ASCII case even when quoted, so `Name` and
// `name` are the same column. Names are therefore assigned here, once, and remembered.

/** `"a""b"`: the identifier as SQL text, safe for any name `usableName` returns. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"` */
export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

/** A name DuckDB accepts as a quoted identifier: NUL becomes `_`, the empty name becomes `_`. */
export function usableName(name: string): string {
  const cleaned = name.replaceAll('\u0000', '_');
  return cleaned === '' ? '_' : cleaned;
}

/** How DuckDB compares identifiers: ASCII letters ignore case, everything else is exact. */
export function foldCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

export interface ColumnNaming {
  /** property name → column name, for every property asked for */
  columns: Map<string, string>;
  /** assignments made now, to be remembered for the next sync */
  added: Map<string, string>;
}

/**
 * Gives every property a column name that differs from every other column of the table in
 * DuckDB's eyes. Stable across syncs: a remembered assignment is kept, a property equal to an
 * existing column adopts it, and only new properties are named fresh — in code-point order, the
 * first one keeping its own name and later colliding ones getting `_2`, `_3`, ...
 *
 * @param reserved column names the connector owns (metadata columns)
 * @param remembered assignments from earlier syncs of this table
 * @param existing columns the table has now
 */
export function assignColumnNames(
  properties: readonly string[],
  reserved: readonly string[],
  remembered: ReadonlyMap<string, string>,
  existing: readonly string[],
): ColumnNaming {
  const columns = new Map<string, string>();
  const added = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of reserved) taken.add(foldCase(name));
  for (const column of remembered.values()) taken.add(foldCase(column));

  const unclaimedExisting = new Set(existing.filter((column) => !taken.has(foldCase(column))));
  const fresh: string[] = [];
  for (const property of properties) {
    const known = remembered.get(property);
    if (known !== undefined) {
      columns.set(property, known);
    } else if (unclaimedExisting.has(property)) {
      columns.set(property, property);
      added.set(property, property);
      unclaimedExisting.delete(property);
      taken.add(foldCase(property));
    } else {
      fresh.push(property);
    }
  }
  for (const column of unclaimedExisting) taken.add(foldCase(column));

  fresh.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const property of fresh) {
    const base = usableName(property);
    let candidate = base;
    for (let suffix = 2; taken.has(foldCase(candidate)); suffix++) candidate = `${base}_${suffix}`;
    taken.add(foldCase(candidate));
    columns.set(property, candidate);
    added.set(property, candidate);
  }
  return { columns, added };
}
