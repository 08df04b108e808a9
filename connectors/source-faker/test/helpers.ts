import type { SourceOutput } from '@conveyor/cdk';
import type {
  AirbyteMessage,
  ConfiguredCatalog,
  JsonObject,
  StateMessage,
  SyncMode,
} from '@conveyor/protocol';
import type { FakerConfig } from '../src/config.js';
import { source } from '../src/index.js';

export function catalogOf(names: string[], syncMode: SyncMode = 'full_refresh'): ConfiguredCatalog {
  return {
    streams: names.map((name) => ({
      stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
      sync_mode: syncMode,
      destination_sync_mode: 'append',
    })),
  };
}

export interface ReadResult {
  outputs: SourceOutput[];
  records: Map<string, JsonObject[]>;
  states: StateMessage[];
  messages: AirbyteMessage[];
}

export async function readAll(
  config: FakerConfig,
  catalog: ConfiguredCatalog,
  state: StateMessage[] = [],
): Promise<ReadResult> {
  const outputs: SourceOutput[] = [];
  const records = new Map<string, JsonObject[]>();
  const states: StateMessage[] = [];
  const messages: AirbyteMessage[] = [];
  const ctx = { signal: new AbortController().signal, logger: silentLogger };
  for await (const output of source.read(config, catalog, state, ctx)) {
    outputs.push(output);
    if (output.kind === 'records') {
      if (output.batch.format !== 'objects') throw new Error('faker emits object batches');
      const list = records.get(output.batch.stream) ?? [];
      list.push(...output.batch.records);
      records.set(output.batch.stream, list);
    } else {
      messages.push(output.message);
      if (output.message.type === 'STATE') states.push(output.message.state);
    }
  }
  return { outputs, records, states, messages };
}

export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
