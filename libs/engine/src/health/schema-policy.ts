// What a connection's schema-change policy lets the next sync apply. Policies (project file,
// `schema_changes:` per connection):
//   propagate_columns  new columns and widened types are applied; new streams wait for approval
//   propagate_all      every non-breaking change is applied, new streams included
//   hold               nothing is applied until `conveyor schema approve`
//   pause              like propagate_columns, but a breaking change stops the connection's syncs
// A breaking change always waits for approval; under every policy but pause the sync goes on with
// what the source now offers (a removed column cannot be read either way) and the change is listed
// and alerted until approved.

import type { AirbyteStream, Catalog, JsonObject } from '@conveyor/protocol';
import { streamKey } from '@conveyor/protocol';
import type { StreamSelection } from '../catalog.js';
import { diffCatalogs, type SchemaChange } from '../schema-changes.js';

export const SCHEMA_POLICIES = ['propagate_columns', 'propagate_all', 'hold', 'pause'] as const;
export type SchemaPolicy = (typeof SCHEMA_POLICIES)[number];
export const DEFAULT_SCHEMA_POLICY: SchemaPolicy = 'propagate_columns';

export interface PolicyOutcome {
  /** The catalog the sync reads: what was discovered, less what the policy does not apply yet. */
  effective: Catalog;
  /** What the connection has accepted after this sync (saved as the new baseline). */
  accepted: Catalog;
  applied: SchemaChange[];
  /** Changes waiting for `conveyor schema approve`. */
  pending: SchemaChange[];
  /** Why the connection must not sync (pause and a breaking change). */
  blocked?: string;
  /** New columns not applied: the sync leaves them out of every record, per stream (namespace.name). */
  droppedColumns: Map<string, string[]>;
}

function applies(change: SchemaChange, policy: SchemaPolicy): boolean {
  if (change.breaking) return false;
  if (policy === 'hold') return false;
  if (change.kind === 'stream_added') return policy === 'propagate_all';
  return true; // column added, type widened; unused-stream changes are informational
}

/**
 * A stream as the connection accepted it: the pending changes undone. New columns go, changed
 * types, keys and cursors get their accepted values back, and (for the baseline only) removed
 * columns stay, so their removal keeps being reported until approved.
 */
function revert(
  stream: AirbyteStream,
  pending: SchemaChange[],
  old: AirbyteStream | undefined,
  keepRemovedColumns: boolean,
): AirbyteStream {
  if (pending.length === 0) return stream;
  const schema = structuredClone(stream.json_schema) as JsonObject;
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  schema.properties = props;
  const oldProps = ((old?.json_schema as JsonObject | undefined)?.properties ?? {}) as Record<
    string,
    unknown
  >;
  const out: AirbyteStream = { ...stream, json_schema: schema };
  for (const change of pending) {
    const column = change.column ?? '';
    if (change.kind === 'column_added') delete props[column];
    else if (change.kind === 'type_widened' || change.kind === 'type_changed')
      props[column] = oldProps[column];
    else if (change.kind === 'column_removed' && keepRemovedColumns) props[column] = oldProps[column];
    else if (change.kind === 'primary_key_changed') {
      if (old?.source_defined_primary_key) out.source_defined_primary_key = old.source_defined_primary_key;
      else delete out.source_defined_primary_key;
    } else if (change.kind === 'cursor_changed') {
      if (old?.default_cursor_field) out.default_cursor_field = old.default_cursor_field;
      else delete out.default_cursor_field;
    }
  }
  return out;
}

export function applySchemaPolicy(
  accepted: Catalog | undefined,
  discovered: Catalog,
  policy: SchemaPolicy,
  selected?: StreamSelection[],
): PolicyOutcome {
  if (!accepted) {
    // the first catalog a connection sees is its baseline
    return {
      effective: discovered,
      accepted: discovered,
      applied: [],
      pending: [],
      droppedColumns: new Map(),
    };
  }
  const changes = diffCatalogs(accepted, discovered, selected);
  const applied = changes.filter((c) => applies(c, policy));
  const pending = changes.filter((c) => !applies(c, policy));
  const acceptedByKey = new Map(accepted.streams.map((s) => [streamKey(s), s]));

  const effective: AirbyteStream[] = [];
  const baseline: AirbyteStream[] = [];
  const droppedColumns = new Map<string, string[]>();
  for (const stream of discovered.streams) {
    const key = streamKey(stream);
    const waiting = pending.filter((c) => c.stream === key);
    if (waiting.some((c) => c.kind === 'stream_added')) continue; // not read, not accepted yet
    const old = acceptedByKey.get(key);
    // the sync reads the stream as accepted (a removed column cannot be read, so it is not asked for)
    effective.push(revert(stream, waiting, old, false));
    baseline.push(revert(stream, waiting, old, true));
    const newColumns = waiting.filter((c) => c.kind === 'column_added').map((c) => c.column!);
    if (newColumns.length) droppedColumns.set(key, newColumns);
  }
  // a removed stream stays in the baseline until its removal is approved
  for (const change of pending.filter((c) => c.kind === 'stream_removed')) {
    const old = acceptedByKey.get(change.stream);
    if (old) baseline.push(old);
  }
  const breaking = pending.filter((c) => c.breaking);
  return {
    effective: { ...discovered, streams: effective },
    accepted: { ...discovered, streams: baseline },
    applied,
    pending,
    droppedColumns,
    ...(policy === 'pause' && breaking.length
      ? {
          blocked: `paused by a breaking schema change: ${breaking.map((c) => c.message).join('; ')}. See \`conveyor schema diff\`, then approve it with \`conveyor schema approve\`.`,
        }
      : {}),
  };
}
