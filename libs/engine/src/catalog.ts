// From a discovered catalog and the user's stream selections to a configured catalog, with every
// mistake reported against the stream it concerns.

import type {
  AirbyteStream,
  Catalog,
  ConfiguredCatalog,
  ConfiguredStream,
  DestinationSyncMode,
  JsonObject,
  SyncMode,
} from '@conveyor/protocol';
import { configError, streamKey } from '@conveyor/protocol';

export interface StreamSelection {
  name: string;
  namespace?: string;
  sync_mode?: SyncMode;
  destination_sync_mode?: DestinationSyncMode;
  cursor_field?: string | string[];
  primary_key?: string | string[] | string[][];
}

function asPath(value: string | string[]): string[] {
  return Array.isArray(value) ? value : value.split('.');
}

function asKey(value: string | string[] | string[][]): string[][] {
  if (typeof value === 'string') return [asPath(value)];
  if (value.every((v) => typeof v === 'string')) return (value as string[]).map((v) => [v]);
  return value as string[][];
}

/** Whether a JSON Schema declares the property at `path` (nested through `properties`). */
export function hasField(schema: JsonObject, path: string[]): boolean {
  let node: unknown = schema;
  for (const part of path) {
    const props = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
    if (!props || !(part in props)) return false;
    node = props[part];
  }
  return true;
}

function cursorOf(stream: AirbyteStream, selection?: StreamSelection): string[] | undefined {
  if (selection?.cursor_field && !stream.source_defined_cursor) return asPath(selection.cursor_field);
  return stream.default_cursor_field && stream.default_cursor_field.length > 0
    ? stream.default_cursor_field
    : undefined;
}

function bestModes(
  stream: AirbyteStream,
  primaryKey: string[][] | undefined,
  cursor: string[] | undefined,
  supported: readonly DestinationSyncMode[],
): { sync_mode: SyncMode; destination_sync_mode: DestinationSyncMode } {
  if (stream.supported_sync_modes.includes('incremental') && cursor) {
    if (primaryKey && primaryKey.length > 0 && supported.includes('append_dedup')) {
      return { sync_mode: 'incremental', destination_sync_mode: 'append_dedup' };
    }
    return { sync_mode: 'incremental', destination_sync_mode: 'append' };
  }
  return {
    sync_mode: 'full_refresh',
    destination_sync_mode: supported.includes('overwrite') ? 'overwrite' : 'append',
  };
}

export function configureCatalog(
  discovered: Catalog,
  selections: StreamSelection[] | undefined,
  destinationModes: readonly DestinationSyncMode[] = ['append', 'overwrite', 'append_dedup'],
): ConfiguredCatalog {
  const byKey = new Map(discovered.streams.map((s) => [streamKey(s), s]));
  const available = () => [...byKey.keys()].join(', ') || '(none)';
  const chosen =
    selections ??
    discovered.streams.map((s) => ({ name: s.name, namespace: s.namespace }) as StreamSelection);
  const streams: ConfiguredStream[] = chosen.map((selection) => {
    const key = streamKey(selection);
    const stream =
      byKey.get(key) ??
      (selection.namespace ? undefined : discovered.streams.find((s) => s.name === selection.name));
    if (!stream)
      throw configError(`Stream "${key}" is not offered by the source. Available streams: ${available()}.`);
    const where = `stream "${streamKey(stream)}"`;
    const primaryKey = selection.primary_key
      ? asKey(selection.primary_key)
      : stream.source_defined_primary_key;
    const cursor = cursorOf(stream, selection);
    const best = bestModes(stream, primaryKey, cursor, destinationModes);
    const syncMode =
      selection.sync_mode ??
      (selection.destination_sync_mode === 'overwrite' ? 'full_refresh' : best.sync_mode);
    const destinationMode =
      selection.destination_sync_mode ??
      (syncMode === best.sync_mode
        ? best.destination_sync_mode
        : syncMode === 'full_refresh'
          ? 'overwrite'
          : 'append');
    if (!stream.supported_sync_modes.includes(syncMode)) {
      throw configError(
        `${where} does not support sync_mode ${syncMode}; it supports ${stream.supported_sync_modes.join(', ')}.`,
      );
    }
    if (!destinationModes.includes(destinationMode)) {
      throw configError(
        `The destination does not support destination_sync_mode ${destinationMode} (${where}); it supports ${destinationModes.join(', ')}.`,
      );
    }
    if (syncMode === 'incremental' && destinationMode === 'overwrite') {
      throw configError(
        `${where}: incremental with overwrite would replace the table with only the new records. Use full_refresh with overwrite, or incremental with append or append_dedup.`,
      );
    }
    if (syncMode === 'incremental' && !cursor) {
      throw configError(
        `${where} is incremental but has no cursor: set cursor_field for it in the connection's streams.`,
      );
    }
    if (cursor && syncMode === 'incremental' && !hasField(stream.json_schema, cursor)) {
      throw configError(
        `${where}: cursor_field "${cursor.join('.')}" is not a field of the stream's schema.`,
      );
    }
    if (destinationMode === 'append_dedup') {
      if (!primaryKey || primaryKey.length === 0) {
        throw configError(`${where} uses append_dedup, which needs a primary key: set primary_key for it.`);
      }
      for (const part of primaryKey) {
        if (!hasField(stream.json_schema, part)) {
          throw configError(
            `${where}: primary_key field "${part.join('.')}" is not a field of the stream's schema.`,
          );
        }
      }
    }
    const configured: ConfiguredStream = {
      stream,
      sync_mode: syncMode,
      destination_sync_mode: destinationMode,
    };
    if (cursor) configured.cursor_field = cursor;
    if (primaryKey && primaryKey.length > 0) configured.primary_key = primaryKey;
    return configured;
  });
  return { streams };
}
