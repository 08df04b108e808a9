// Building blocks for destination tests: configured catalogs from a few options, and a logger that
// records what a destination said. Shared by the SQL family's and DuckDB's destination tests.

import type { Logger } from '@conveyor/cdk';
import type {
  ConfiguredCatalog,
  ConfiguredStream,
  DestinationSyncMode,
  JsonObject,
} from '@conveyor/protocol';

export interface StreamOptions {
  name: string;
  namespace?: string;
  mode?: DestinationSyncMode;
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
    sync_mode: options.mode === 'append_dedup' ? 'incremental' : 'full_refresh',
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

export interface RecordingLogger extends Logger {
  lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const logged: string[] = [];
  const log = (level: string) => (message: string) => {
    logged.push(`${level} ${message}`);
  };
  return { lines: logged, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
