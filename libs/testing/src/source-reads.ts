// One in-process read of a source, collected into what a test asserts on: the records of each
// stream, the STATE, CONTROL and TRACE messages, the log lines, and the error the read ended with
// (caught, so a test can assert on a failed read as on a successful one). For unit tests of a
// connector's logic; the acceptance kit tests the built connector as a process instead.

import type { ReadContext, SourceConnector } from '@conveyor/cdk';
import {
  type AirbyteMessage,
  asConveyorError,
  type ConfiguredCatalog,
  type ConveyorError,
  type JsonObject,
  type StateMessage,
} from '@conveyor/protocol';
import { recordingLogger } from './destination-fixtures.js';

/** What one read produced: records per stream, STATE and CONTROL messages, traces, log lines, the error it ended with. */
export interface ReadResult {
  records: Record<string, JsonObject[]>;
  states: StateMessage[];
  controls: AirbyteMessage[];
  traces: AirbyteMessage[];
  /** `<level> <message>` per line the source logged. */
  logs: string[];
  error?: ConveyorError;
}

/** A context for `check`, `discover` or `read` whose logger adds `<level> <message>` to `logs`; never aborted. */
export function readContext(logs: string[] = []): ReadContext {
  return { logger: recordingLogger(logs), signal: new AbortController().signal };
}

/**
 * Reads `catalog` from `source` to the end (or its first error), starting from `state`. Records are
 * collected from `objects` batches, the kind an in-process source yields.
 */
export async function readAll<Config extends JsonObject>(
  source: SourceConnector<Config>,
  config: Config,
  catalog: ConfiguredCatalog,
  state: StateMessage[] = [],
): Promise<ReadResult> {
  const result: ReadResult = { records: {}, states: [], controls: [], traces: [], logs: [] };
  try {
    for await (const out of source.read(config, catalog, state, readContext(result.logs))) {
      if (out.kind === 'records' && out.batch.format === 'objects') {
        const records = result.records[out.batch.stream] ?? [];
        records.push(...out.batch.records);
        result.records[out.batch.stream] = records;
      } else if (out.kind === 'message') {
        const message = out.message;
        if (message.type === 'STATE') result.states.push(message.state);
        else if (message.type === 'CONTROL') result.controls.push(message);
        else if (message.type === 'TRACE') result.traces.push(message);
      }
    }
  } catch (error) {
    result.error = asConveyorError(error);
  }
  return result;
}
