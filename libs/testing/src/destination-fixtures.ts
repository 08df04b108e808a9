// Building blocks for in-process connector tests: configured catalogs from a few options (a
// destination's write modes, or a source's streams by name and sync mode), and a logger that records
// what a connector said. Shared by the destination tests and the source reads of source-reads.ts.

import type { Logger } from '@conveyor/cdk';
import type {
  ConfiguredCatalog,
  ConfiguredStream,
  DestinationSyncMode,
  JsonObject,
  SyncMode,
} from '@conveyor/protocol';

export interface StreamOptions {
  name: string;
  namespace?: string;
  mode?: DestinationSyncMode;
  /** How the source reads the stream; by default incremental for append_dedup, else full_refresh. */
  syncMode?: SyncMode;
  properties?: Record<string, JsonObject>;
  primaryKey?: string[][];
  cursor?: string[];
  generationId?: number;
  minimumGenerationId?: number;
  destinationObjectName?: string;
}

export function configuredStream(options: StreamOptions): ConfiguredStream {
  return {
    stream: {
      name: options.name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      json_schema: { type: 'object', ...(options.properties ? { properties: options.properties } : {}) },
      supported_sync_modes: ['full_refresh', 'incremental'],
    },
    sync_mode: options.syncMode ?? (options.mode === 'append_dedup' ? 'incremental' : 'full_refresh'),
    destination_sync_mode: options.mode ?? 'append',
    ...(options.primaryKey ? { primary_key: options.primaryKey } : {}),
    ...(options.cursor ? { cursor_field: options.cursor } : {}),
    ...(options.generationId !== undefined ? { generation_id: options.generationId } : {}),
    ...(options.minimumGenerationId !== undefined
      ? { minimum_generation_id: options.minimumGenerationId }
      : {}),
    ...(options.destinationObjectName ? { destination_object_name: options.destinationObjectName } : {}),
  };
}

export function catalogOf(...streams: StreamOptions[]): ConfiguredCatalog {
  return { streams: streams.map(configuredStream) };
}

/** A catalog for a source read: the named streams, each read in `mode`, appended at the destination. */
export function sourceCatalog(names: string[], mode: SyncMode = 'full_refresh'): ConfiguredCatalog {
  return catalogOf(...names.map((name) => ({ name, syncMode: mode })));
}

export interface RecordingLogger extends Logger {
  lines: string[];
}

/** A logger adding `<level> <message>` to `logged` (a new list unless one is given). */
export function recordingLogger(logged: string[] = []): RecordingLogger {
  const log = (level: string) => (message: string) => {
    logged.push(`${level} ${message}`);
  };
  return { lines: logged, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
