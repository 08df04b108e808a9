// Fixtures for the SQL destination tests: catalogs, record batches in both formats, states, a
// write context with a recording logger, and running a whole sync through a connector.

import type { DestinationConnector, Logger, RecordBatch, WriteContext } from '@conveyor/cdk';
import type {
  ConfiguredCatalog,
  ConfiguredStream,
  DestinationSyncMode,
  JsonObject,
  StateMessage,
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

export function objects(
  stream: string,
  records: JsonObject[],
  namespace?: string,
  emittedAt = 1_700_000_000_000,
): RecordBatch {
  return { format: 'objects', stream, ...(namespace ? { namespace } : {}), records, emittedAt };
}

/** RECORD envelope lines, as a subprocess source writes them. */
export function lines(
  stream: string,
  records: JsonObject[],
  namespace?: string,
  meta?: JsonObject,
  emittedAt = 1_700_000_000_000,
): RecordBatch {
  return {
    format: 'jsonl',
    stream,
    ...(namespace ? { namespace } : {}),
    lines: records.map((data) =>
      Buffer.from(
        JSON.stringify({
          type: 'RECORD',
          record: {
            stream,
            ...(namespace ? { namespace } : {}),
            data,
            emitted_at: emittedAt,
            ...(meta ? { meta } : {}),
          },
        }),
      ),
    ),
  };
}

export function streamState(stream: string, cursor: number): StateMessage {
  return {
    type: 'STREAM',
    stream: { stream_descriptor: { name: stream }, stream_state: { cursor } },
  };
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

export function writeContext(
  connectionId = 'test-connection',
  logger: Logger = recordingLogger(),
): WriteContext {
  return { logger, connectionId, syncId: 1 };
}

export interface SyncOptions {
  connectionId?: string;
  seq?: number;
  states?: StateMessage[];
  logger?: Logger;
}

/** Opens a writer, writes the batches, commits once, finishes and closes. */
export async function runSync(
  connector: DestinationConnector<JsonObject>,
  config: JsonObject,
  catalog: ConfiguredCatalog,
  batches: RecordBatch[],
  options: SyncOptions = {},
): Promise<void> {
  const writer = await connector.open(config, catalog, writeContext(options.connectionId, options.logger));
  try {
    for (const batch of batches) await writer.write(batch);
    await writer.commit(options.states ?? [], options.seq ?? 1);
    await writer.finish();
  } finally {
    await writer.close();
  }
}
