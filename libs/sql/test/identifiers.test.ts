import { describe, expect, it } from 'vitest';
import {
  assignColumnNames,
  DUCKDB_IDENTIFIERS,
  fitIdentifier,
  MYSQL_IDENTIFIERS,
  POSTGRES_IDENTIFIERS,
  qualify,
  SQLITE_IDENTIFIERS,
} from '../src/identifiers.js';

describe('quoting', () => {
  it('doubles the quote character and keeps everything else', () => {
    expect(POSTGRES_IDENTIFIERS.quote('a "b".c')).toBe('"a ""b"".c"');
    expect(MYSQL_IDENTIFIERS.quote('a `b`.c')).toBe('`a ``b``.c`');
    expect(qualify(SQLITE_IDENTIFIERS, undefined, 'select')).toBe('"select"');
    expect(qualify(DUCKDB_IDENTIFIERS, 's"', 't')).toBe('"s"""."t"');
  });
});

describe('fitIdentifier', () => {
  it('keeps a name that fits, replacing only what the database refuses', () => {
    expect(fitIdentifier(POSTGRES_IDENTIFIERS, 'Größe ünd "so"')).toBe('Größe ünd "so"');
    expect(fitIdentifier(POSTGRES_IDENTIFIERS, 'a\u0000b')).toBe('a_b');
    expect(fitIdentifier(POSTGRES_IDENTIFIERS, '')).toBe('_');
    expect(fitIdentifier(MYSQL_IDENTIFIERS, 'rocket 🚀 ')).toBe('rocket __');
  });

  it('cuts long names within the byte limit and keeps two names with a shared prefix apart', () => {
    const prefix = 'é'.repeat(40); // 80 bytes
    const a = fitIdentifier(POSTGRES_IDENTIFIERS, `${prefix}_first`);
    const b = fitIdentifier(POSTGRES_IDENTIFIERS, `${prefix}_second`);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(63);
    expect(Buffer.byteLength(b)).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    // never splits a two-byte character
    expect(a.startsWith('é'.repeat(26))).toBe(true);
    // the same name always fits the same way
    expect(fitIdentifier(POSTGRES_IDENTIFIERS, `${prefix}_first`)).toBe(a);
  });

  it('counts characters for MySQL', () => {
    const name = 'ü'.repeat(70);
    const fitted = fitIdentifier(MYSQL_IDENTIFIERS, name);
    expect([...fitted].length).toBe(64);
  });
});

describe('assignColumnNames', () => {
  it('separates names the database would consider equal, in a stable order', () => {
    const first = assignColumnNames(
      DUCKDB_IDENTIFIERS,
      ['Name', 'name', 'id'],
      ['_conveyor_meta'],
      new Map(),
      [],
    );
    expect(first.columns.get('Name')).toBe('Name');
    expect(first.columns.get('name')).toBe('name_2');
    expect(first.columns.get('id')).toBe('id');
    // Postgres compares quoted names exactly: both keep their own
    const pg = assignColumnNames(POSTGRES_IDENTIFIERS, ['Name', 'name'], [], new Map(), []);
    expect([...pg.columns.values()]).toEqual(['Name', 'name']);
    // MySQL also ignores accents in column names
    const my = assignColumnNames(MYSQL_IDENTIFIERS, ['resume', 'résumé'], [], new Map(), []);
    expect(my.columns.get('resume')).toBe('resume');
    expect(my.columns.get('résumé')).toBe('résumé_2');
  });

  it('keeps remembered names and adopts existing columns', () => {
    const remembered = new Map([['name', 'name_2']]);
    const again = assignColumnNames(DUCKDB_IDENTIFIERS, ['name', 'Name'], [], remembered, ['Name', 'name_2']);
    expect(again.columns.get('name')).toBe('name_2');
    expect(again.columns.get('Name')).toBe('Name');
    expect([...again.added.keys()]).toEqual(['Name']);
  });

  it('does not let a property take a reserved metadata column', () => {
    const naming = assignColumnNames(
      POSTGRES_IDENTIFIERS,
      ['_conveyor_meta'],
      ['_conveyor_meta'],
      new Map(),
      [],
    );
    expect(naming.columns.get('_conveyor_meta')).toBe('_conveyor_meta_2');
  });

  it('gives long colliding names distinct columns within the limit', () => {
    const long = 'x'.repeat(80);
    const naming = assignColumnNames(POSTGRES_IDENTIFIERS, [`${long}a`, `${long}b`], [], new Map(), []);
    const [a, b] = [...naming.columns.values()];
    expect(a).not.toBe(b);
    for (const column of [a, b]) expect(Buffer.byteLength(column ?? '')).toBeLessThanOrEqual(63);
  });
});
