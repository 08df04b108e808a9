// A bounded sample of each stream, never written anywhere: one read per stream, stopped after N
// records, so a connection with many streams costs at most N records each. Each record is checked
// field by field against the declared schema; the share of records breaking each field is drift.

import type { Logger } from '@conveyor/cdk';
import type { JsonObject } from '@conveyor/protocol';
import { asConveyorError, type Catalog, type ConfiguredCatalog, streamKey } from '@conveyor/protocol';
import { Ajv, type ValidateFunction } from 'ajv';
import type { SourceHandle } from '../launcher.js';

const ajv = new Ajv({ strict: false, allErrors: false, logger: false, validateFormats: false });

export interface FieldDrift {
  stream: string;
  field: string;
  /** Records in the sample that break the declared schema for this field. */
  violations: number;
  records: number;
  share: number;
  /** One example of what arrived, for the report. */
  example: string;
}

export interface SampleResult {
  records: number;
  perStream: Record<string, number>;
  drift: FieldDrift[];
}

function fieldValidators(schema: JsonObject): Map<string, ValidateFunction> {
  const out = new Map<string, ValidateFunction>();
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  for (const [field, sub] of Object.entries(props)) {
    try {
      out.set(field, ajv.compile(sub as object));
    } catch {
      // a field schema ajv cannot compile is not checked for drift
    }
  }
  return out;
}

/** What arrived, by kind only: record values may be personal data and go to alerts and webhooks. */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

export async function sampleStreams(options: {
  source: SourceHandle;
  config: JsonObject;
  catalog: Catalog;
  /** Streams to sample (names); all when absent. */
  streams?: string[];
  recordsPerStream: number;
  logger: Logger;
  /** Stops every read (the health check's deadline). */
  signal?: AbortSignal;
  /** Streams sampled at once (default 4). */
  concurrency?: number;
}): Promise<SampleResult> {
  const result: SampleResult = { records: 0, perStream: {}, drift: [] };
  const wanted = options.streams ? new Set(options.streams) : undefined;
  const streams = options.catalog.streams.filter(
    (s) => !wanted || wanted.has(s.name) || wanted.has(streamKey(s)),
  );
  // a few streams at a time: each sample of a subprocess source is a process start
  const queue = [...streams];
  const worker = async () => {
    for (let stream = queue.shift(); stream; stream = queue.shift()) await sampleOne(stream);
  };
  const sampleOne = async (stream: (typeof streams)[number]) => {
    const key = streamKey(stream);
    const validators = fieldValidators(stream.json_schema);
    const violations = new Map<string, { count: number; example: string }>();
    const configured: ConfiguredCatalog = {
      streams: [{ stream, sync_mode: 'full_refresh', destination_sync_mode: 'append' }],
    };
    const stop = new AbortController();
    const onDeadline = () => stop.abort();
    options.signal?.addEventListener('abort', onDeadline, { once: true });
    let seen = 0;
    const look = (data: JsonObject) => {
      seen += 1;
      for (const [field, validate] of validators) {
        if (!(field in data)) continue;
        if (!validate(data[field])) {
          const v = violations.get(field) ?? { count: 0, example: describeValue(data[field]) };
          v.count += 1;
          violations.set(field, v);
        }
      }
    };
    try {
      // small batches, so a subprocess source's records arrive (and the read stops) after N, not 20,000
      for await (const output of options.source.read(options.config, configured, [], {
        logger: options.logger,
        signal: stop.signal,
        batchRecords: Math.max(1, Math.min(options.recordsPerStream, 1000)),
      })) {
        if (stop.signal.aborted) throw new Error('the health check ran out of time while sampling');
        if (output.kind === 'schema') continue;
        if (output.kind === 'message') {
          if (output.message.type === 'TRACE' && output.message.trace.type === 'ERROR') {
            const error = output.message.trace.error as JsonObject | undefined;
            throw new Error(String(error?.message ?? 'the source reported an error'));
          }
          continue;
        }
        const batch = output.batch;
        const records =
          batch.format === 'objects'
            ? batch.records
            : batch.lines.map(
                (l) => (JSON.parse(l.toString('utf8')) as { record: { data: JsonObject } }).record.data,
              );
        for (const data of records) {
          if (seen >= options.recordsPerStream) break;
          look(data);
        }
        if (seen >= options.recordsPerStream) break;
      }
    } catch (error) {
      throw asConveyorError(error);
    } finally {
      options.signal?.removeEventListener('abort', onDeadline);
      stop.abort();
    }
    result.records += seen;
    result.perStream[key] = seen;
    for (const [field, v] of violations) {
      result.drift.push({
        stream: key,
        field,
        violations: v.count,
        records: seen,
        share: seen ? v.count / seen : 0,
        example: v.example,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, streams.length) }, worker));
  // the same order whatever finished first
  result.drift.sort((a, b) =>
    a.stream === b.stream ? a.field.localeCompare(b.field) : a.stream.localeCompare(b.stream),
  );
  return result;
}
