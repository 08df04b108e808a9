// What changed between two catalogs of a source, and whether it breaks a connection. The one place
// these rules live: health checks, the pre-sync check and connector update trials all use them.
//
// Non-breaking: a stream added; a column added; a type widened (integer -> number, a type that
// gains null or gains another type). Breaking: a stream removed that the connection uses; a column
// removed or its type changed or narrowed; a primary key or cursor changed or removed. A change to a
// stream the connection does not select is reported, never breaking.

import type { AirbyteStream, Catalog, JsonObject } from '@conveyor/protocol';
import { streamKey } from '@conveyor/protocol';
import type { StreamSelection } from './catalog.js';

export type ChangeKind =
  | 'stream_added'
  | 'stream_removed'
  | 'column_added'
  | 'column_removed'
  | 'type_widened'
  | 'type_changed'
  | 'primary_key_changed'
  | 'cursor_changed';

export interface SchemaChange {
  kind: ChangeKind;
  stream: string;
  column?: string;
  from?: string;
  to?: string;
  breaking: boolean;
  /** True when the connection does not read this stream: reported, never breaking. */
  unused?: boolean;
  /** One sentence for people. */
  message: string;
}

/**
 * The set of JSON types a column schema admits. A string's `format` (or `airbyte_type`) is part of
 * its type (`string:date-time`): destinations map it to another column type. An alternative with no
 * type at all admits anything.
 */
function typesOf(schema: unknown): Set<string> {
  const s = (schema ?? {}) as JsonObject;
  const raw = s.type;
  const refined =
    typeof s.format === 'string' ? s.format : typeof s.airbyte_type === 'string' ? s.airbyte_type : '';
  const list = (Array.isArray(raw) ? raw.map(String) : raw === undefined ? [] : [String(raw)]).map((t) =>
    t === 'string' && refined ? `string:${refined}` : t,
  );
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (!Array.isArray(s[key])) continue;
    for (const alt of s[key] as unknown[]) {
      const types = typesOf(alt);
      if (types.size === 0) return new Set(); // an alternative without a type: anything goes
      for (const t of types) list.push(t);
    }
  }
  return new Set(list);
}

function describeTypes(types: Set<string>): string {
  if (types.size === 0) return 'any';
  return [...types].sort().join('|');
}

/** Every value the old type admitted is still admitted (integer fits in number; gaining null or a type widens). */
function widens(before: Set<string>, after: Set<string>): boolean {
  if (after.size === 0) return true; // no type constraint admits everything
  if (before.size === 0) return false;
  for (const t of before) {
    if (after.has(t)) continue;
    if (t === 'integer' && after.has('number')) continue;
    if (t.startsWith('string:') && after.has('string')) continue; // a format dropped admits more
    return false;
  }
  return true;
}

/** Keys and cursors compared with "none" spelled one way: absent and [] are the same. */
const same = (a: unknown, b: unknown) => {
  const norm = (v: unknown) => (Array.isArray(v) && v.length === 0 ? null : (v ?? null));
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
};

function columns(stream: AirbyteStream): Record<string, unknown> {
  return ((stream.json_schema as JsonObject).properties ?? {}) as Record<string, unknown>;
}

/**
 * The changes from `before` (the catalog the connection last accepted) to `after` (discovered now),
 * for a connection reading `selected` streams (all when absent).
 */
export function diffCatalogs(before: Catalog, after: Catalog, selected?: StreamSelection[]): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const selectionOf = (s: AirbyteStream) =>
    selected?.find((sel) => sel.name === s.name || sel.name === streamKey(s));
  const uses = (s: AirbyteStream) => !selected || selectionOf(s) !== undefined;
  // a source's key or cursor matters only when the connection relies on it: not when it names its
  // own, and a cursor not when the stream is read in full
  const usesKey = (s: AirbyteStream) => !selectionOf(s)?.primary_key;
  const usesCursor = (s: AirbyteStream) => {
    const sel = selectionOf(s);
    return !sel?.cursor_field && sel?.sync_mode !== 'full_refresh';
  };
  const afterByKey = new Map(after.streams.map((s) => [streamKey(s), s]));
  const beforeKeys = new Set(before.streams.map((s) => streamKey(s)));
  const add = (change: Omit<SchemaChange, 'breaking'> & { breaking: boolean }, used: boolean) =>
    changes.push(used ? change : { ...change, breaking: false, unused: true });

  for (const old of before.streams) {
    const key = streamKey(old);
    const used = uses(old);
    const now = afterByKey.get(key);
    if (!now) {
      add({ kind: 'stream_removed', stream: key, breaking: true, message: `stream "${key}" is gone` }, used);
      continue;
    }
    const [oldCols, newCols] = [columns(old), columns(now)];
    for (const [column, schema] of Object.entries(oldCols)) {
      if (!(column in newCols)) {
        add(
          {
            kind: 'column_removed',
            stream: key,
            column,
            breaking: true,
            message: `column "${key}.${column}" is gone`,
          },
          used,
        );
        continue;
      }
      const [from, to] = [typesOf(schema), typesOf(newCols[column])];
      if (describeTypes(from) === describeTypes(to)) continue;
      const widened = widens(from, to);
      add(
        {
          kind: widened ? 'type_widened' : 'type_changed',
          stream: key,
          column,
          from: describeTypes(from),
          to: describeTypes(to),
          breaking: !widened,
          message: `column "${key}.${column}" ${widened ? 'widened' : 'changed type'} ${describeTypes(from)} -> ${describeTypes(to)}`,
        },
        used,
      );
    }
    for (const column of Object.keys(newCols)) {
      if (!(column in oldCols)) {
        add(
          {
            kind: 'column_added',
            stream: key,
            column,
            breaking: false,
            message: `column "${key}.${column}" is new`,
          },
          used,
        );
      }
    }
    if (!same(old.source_defined_primary_key, now.source_defined_primary_key)) {
      const [from, to] = [
        JSON.stringify(old.source_defined_primary_key ?? null),
        JSON.stringify(now.source_defined_primary_key ?? null),
      ];
      add(
        {
          kind: 'primary_key_changed',
          stream: key,
          from,
          to,
          breaking: usesKey(old),
          message: `stream "${key}" primary key ${from} -> ${to}`,
        },
        used,
      );
    }
    if (!same(old.default_cursor_field, now.default_cursor_field)) {
      const [from, to] = [
        JSON.stringify(old.default_cursor_field ?? null),
        JSON.stringify(now.default_cursor_field ?? null),
      ];
      add(
        {
          kind: 'cursor_changed',
          stream: key,
          from,
          to,
          breaking: usesCursor(old),
          message: `stream "${key}" cursor ${from} -> ${to}`,
        },
        used,
      );
    }
  }
  for (const stream of after.streams) {
    const key = streamKey(stream);
    if (!beforeKeys.has(key)) {
      changes.push({ kind: 'stream_added', stream: key, breaking: false, message: `stream "${key}" is new` });
    }
  }
  return changes;
}

/** The breaking changes as sentences (what connector update trials report). */
export function breakingSchemaChanges(
  before: Catalog,
  after: Catalog,
  selected?: StreamSelection[],
): string[] {
  return diffCatalogs(before, after, selected)
    .filter((c) => c.breaking)
    .map((c) => c.message);
}
