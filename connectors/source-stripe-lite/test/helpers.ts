// Test helpers: replaying a fixture of recorded request → response exchanges through a scripted
// transport (the n-th request must be the n-th exchange's method and URL, query included, so a test
// fails on the first request the connector sends differently, and names both), and one read of
// the source collected into what a test asserts on.

import { readFileSync } from 'node:fs';
import type { ReadContext, SourceConnector } from '@conveyor/cdk';
import { type ScriptedTransport, scriptedTransport } from '@conveyor/http';
import {
  type AirbyteMessage,
  asConveyorError,
  type ConfiguredCatalog,
  type ConveyorError,
  type JsonObject,
  type StateMessage,
} from '@conveyor/protocol';

export interface FixtureExchange {
  request: { method: string; url: string };
  response: { status?: number; headers?: Record<string, string>; json?: unknown; body?: string };
}

export function fixture(name: string): FixtureExchange[] {
  const file = new URL(`./fixtures/${name}.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { exchanges: FixtureExchange[] }).exchanges;
}

/** Method, path and the query sorted by name: the order of query parameters carries no meaning. */
function requestKey(method: string, url: string): string {
  const u = new URL(url);
  const query = [...u.searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${method} ${u.origin}${u.pathname}${query.length ? `?${new URLSearchParams(query)}` : ''}`;
}

/**
 * A transport answering the n-th request with the n-th exchange. A request that differs gets a 400
 * whose body names both (a 400 is not retried, so the read ends at once with that text).
 */
export function replay(...exchanges: FixtureExchange[]): ScriptedTransport {
  return scriptedTransport((request, index) => {
    const expected = exchanges[index];
    const got = requestKey(request.method, request.url);
    const want = expected && requestKey(expected.request.method, expected.request.url);
    if (!expected || got !== want) {
      return {
        status: 400,
        body: `fixture mismatch at request ${index + 1}: got ${got}, the fixture has ${want ?? 'no more requests'}`,
      };
    }
    return expected.response;
  });
}

/** What one read produced: records per stream, STATE and CONTROL messages, traces, log lines, the error it ended with. */
export interface ReadResult {
  records: Record<string, JsonObject[]>;
  states: StateMessage[];
  controls: AirbyteMessage[];
  traces: AirbyteMessage[];
  logs: string[];
  error?: ConveyorError;
}

export function readContext(logs: string[] = []): ReadContext {
  const log = (level: string) => (message: string) => {
    logs.push(`${level} ${message}`);
  };
  return {
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    signal: new AbortController().signal,
  };
}

export function catalogOf(
  streams: string[],
  mode: 'full_refresh' | 'incremental' = 'full_refresh',
): ConfiguredCatalog {
  return {
    streams: streams.map((name) => ({
      stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
      sync_mode: mode,
      destination_sync_mode: 'append',
    })),
  };
}

export async function readAll(
  source: SourceConnector<JsonObject>,
  config: JsonObject,
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
