// Fixtures for the SQL destination tests: catalogs, record batches in both formats, states, a
// write context with a recording logger, and running a whole sync through a connector.

import type { DestinationConnector, Logger, RecordBatch, WriteContext } from '@conveyor/cdk';
import type { ConfiguredCatalog, JsonObject, StateMessage } from '@conveyor/protocol';
import { recordingLogger } from '@conveyor/testing';

export {
  catalogOf,
  configuredStream,
  type RecordingLogger,
  recordingLogger,
  type StreamOptions,
} from '@conveyor/testing';

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
