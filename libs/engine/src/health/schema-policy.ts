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
  /** New columns not applied: the sync leaves them out of every record, per stream. */
  droppedColumns: Map<string, string[]>;
}

function applies(change: SchemaChange, policy: SchemaPolicy): boolean {
  if (change.breaking) return false;
  if (policy === 'hold') return false;
  if (change.kind === 'stream_added') return policy === 'propagate_all';
  return true; // column added, type widened; unused-stream changes are informational
}

function withoutColumns(stream: AirbyteStream, columns: string[]): AirbyteStream {
  const schema = structuredClone(stream.json_schema) as JsonObject;
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  for (const c of columns) delete props[c];
  return { ...stream, json_schema: schema };
}

function withColumnsFrom(stream: AirbyteStream, from: AirbyteStream, columns: string[]): AirbyteStream {
  const schema = structuredClone(stream.json_schema) as JsonObject;
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  const old = (from.json_schema.properties ?? {}) as Record<string, unknown>;
  for (const c of columns) props[c] = old[c];
  return { ...stream, json_schema: schema };
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
  const pendingOf = (key: string) => pending.filter((c) => c.stream === key);

  const effective: AirbyteStream[] = [];
  const baseline: AirbyteStream[] = [];
  const droppedColumns = new Map<string, string[]>();
  for (const stream of discovered.streams) {
    const key = streamKey(stream);
    const waiting = pendingOf(key);
    if (waiting.some((c) => c.kind === 'stream_added')) continue; // not read, not accepted yet
    const newColumns = waiting.filter((c) => c.kind === 'column_added').map((c) => c.column!);
    if (newColumns.length) droppedColumns.set(stream.name, newColumns);
    effective.push(newColumns.length ? withoutColumns(stream, newColumns) : stream);
    const old = acceptedByKey.get(key);
    if (old && waiting.some((c) => c.breaking)) {
      baseline.push(old); // the whole stream stays as accepted until the breaking change is approved
    } else {
      const widened = waiting.filter((c) => c.kind === 'type_widened').map((c) => c.column!);
      let kept = newColumns.length ? withoutColumns(stream, newColumns) : stream;
      if (old && widened.length) kept = withColumnsFrom(kept, old, widened);
      baseline.push(kept);
    }
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
