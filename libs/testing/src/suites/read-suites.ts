// basic_read, full_refresh, incremental and interruption: what a read yields, and that checkpoints
// let a read be resumed without losing a record.

import type { AirbyteStream, Catalog, JsonObject } from '@conveyor/protocol';
import { streamKey } from '@conveyor/protocol';
import type { ProcessRun } from '../connector-process.js';
import {
  type CaseResult,
  ending,
  errorTraces,
  expect,
  ofType,
  Skip,
  type SuiteContext,
  timed,
} from '../context.js';
import { stable } from '../stable-json.js';
import { compileSchema } from './interface-suites.js';

interface Rec {
  stream: string;
  data: JsonObject;
}

interface ConfiguredStream {
  stream: AirbyteStream;
  sync_mode: 'full_refresh' | 'incremental';
  destination_sync_mode: 'append' | 'overwrite';
  cursor_field?: string[];
  primary_key?: string[][];
}

const canIncrement = (s: AirbyteStream) =>
  (s.supported_sync_modes ?? []).includes('incremental') && Boolean(s.default_cursor_field?.length);

export function configuredCatalog(
  catalog: Catalog,
  mode: 'best' | 'full_refresh' | 'incremental',
): { streams: ConfiguredStream[] } {
  return {
    streams: catalog.streams
      .filter((s) => mode !== 'incremental' || canIncrement(s))
      .map((stream) => {
        const incremental = mode !== 'full_refresh' && canIncrement(stream);
        return {
          stream,
          sync_mode: incremental ? 'incremental' : 'full_refresh',
          destination_sync_mode: incremental ? 'append' : 'overwrite',
          ...(incremental ? { cursor_field: stream.default_cursor_field } : {}),
          ...(stream.source_defined_primary_key ? { primary_key: stream.source_defined_primary_key } : {}),
        };
      }),
  };
}

function records(run: ProcessRun): Rec[] {
  return ofType(run, 'RECORD').map((m) => ({ stream: m.record.stream, data: m.record.data as JsonObject }));
}

function without(data: JsonObject, fields: string[] | undefined): JsonObject {
  if (!fields?.length) return data;
  const copy = { ...data };
  for (const f of fields) delete copy[f];
  return copy;
}

/** A record's identity: its primary key when the stream has one, else its whole data. */
function identity(rec: Rec, keys: Map<string, string[][]>, ignored: Record<string, string[]>): string {
  const pk = keys.get(rec.stream);
  const values = pk?.map((path) =>
    path.reduce<unknown>((v, p) => (v as JsonObject | undefined)?.[p], rec.data),
  );
  // a record without (part of) its key is identified by its whole data, so it can never hide others
  if (values?.length && values.every((v) => v !== undefined && v !== null))
    return `${rec.stream}|${stable(values)}`;
  return `${rec.stream}|${stable(without(rec.data, ignored[rec.stream]))}`;
}

function keysOf(catalog: { streams: ConfiguredStream[] }): Map<string, string[][]> {
  return new Map(catalog.streams.map((s) => [s.stream.name, s.primary_key ?? []]));
}

/**
 * The records a destination would have committed by message `index`: a record of stream S counts
 * only when a STATE for S (or a global/legacy state) follows it at or before `index`.
 */
function committedUpTo(run: ProcessRun, index: number): Rec[] {
  const out: Rec[] = [];
  const open = new Map<string, Rec[]>();
  run.messages.slice(0, index + 1).forEach((m) => {
    if (m.type === 'RECORD') {
      const rec = { stream: m.record.stream, data: m.record.data as JsonObject };
      open.set(rec.stream, [...(open.get(rec.stream) ?? []), rec]);
    } else if (m.type === 'STATE') {
      const state = m.state as JsonObject;
      const stream = (state.stream as { stream_descriptor?: { name: string } } | undefined)?.stream_descriptor
        ?.name;
      if (state.type === 'STREAM' && stream) {
        out.push(...(open.get(stream) ?? []));
        open.delete(stream);
      } else {
        for (const recs of open.values()) out.push(...recs);
        open.clear();
      }
    }
  });
  return out;
}

/** The state to resume from after the messages up to `index`: the latest per stream (or the latest global). */
function statesUpTo(run: ProcessRun, index: number): JsonObject[] {
  const latest = new Map<string, JsonObject>();
  run.messages.slice(0, index + 1).forEach((m) => {
    if (m.type !== 'STATE') return;
    const state = m.state as JsonObject;
    const stream = (state.stream as { stream_descriptor?: { name: string; namespace?: string } } | undefined)
      ?.stream_descriptor;
    latest.set(state.type === 'STREAM' && stream ? `s:${streamKey(stream)}` : 'global', state);
  });
  return [...latest.values()];
}

function firstConfig(ctx: SuiteContext): { name: string; config: JsonObject; catalog: Catalog } {
  const { name, config } = ctx.acceptance.configs[0]!;
  const catalog = ctx.catalogs.get(name);
  if (!catalog) throw new Skip(`discover did not give a catalog for config "${name}"`);
  return { name, config, catalog };
}

async function read(
  ctx: SuiteContext,
  config: JsonObject,
  catalog: JsonObject,
  state?: JsonObject[],
  killAfterRecords?: number,
) {
  const run = await ctx.run(['read'], {
    config,
    catalog,
    ...(state ? { state } : {}),
    ...(killAfterRecords !== undefined ? { killAfterRecords } : {}),
  });
  if (!run.killed) {
    expect(
      run.exitCode === 0 && errorTraces(run).length === 0,
      `the read failed: ${errorTraces(run)[0] ?? ending(run)}`,
    );
  }
  return run;
}

export interface FirstRead {
  run: ProcessRun;
  catalog: { streams: ConfiguredStream[] };
}

export async function basicReadSuite(ctx: SuiteContext, share: { first?: FirstRead }): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  let run: ProcessRun | undefined;
  let configured: { streams: ConfiguredStream[] } | undefined;
  results.push(
    await timed('basic_read', 'a read completes', async () => {
      const { config, catalog } = firstConfig(ctx);
      configured =
        (ctx.acceptance.catalog as { streams: ConfiguredStream[] } | undefined) ??
        configuredCatalog(catalog, 'best');
      run = await read(ctx, config, configured as unknown as JsonObject);
      share.first = { run, catalog: configured };
      return `${records(run).length} records in ${run.ms} ms`;
    }),
  );
  const needRun = () => {
    if (!run || !configured) throw new Skip('no completed read');
    return { run, configured };
  };
  results.push(
    await timed('basic_read', 'every record matches its stream schema', () => {
      const { run, configured } = needRun();
      const validators = new Map(
        configured.streams.map((s) => [s.stream.name, compileSchema(s.stream.json_schema)]),
      );
      const problems: string[] = [];
      let checked = 0;
      for (const rec of records(run)) {
        const validate = validators.get(rec.stream);
        if (!validate) {
          problems.push(`a record for stream "${rec.stream}", which the catalog did not select`);
        } else {
          const error = validate(rec.data);
          if (error)
            problems.push(`stream "${rec.stream}" record ${stable(rec.data).slice(0, 120)}: ${error}`);
        }
        checked += 1;
        if (problems.length >= 3) break;
      }
      expect(problems.length === 0, `records break their schema: ${problems.join(' | ')}`);
      return `${checked} records valid`;
    }),
  );
  results.push(
    await timed('basic_read', 'every stream yields records', () => {
      const { run, configured } = needRun();
      const seen = new Set(records(run).map((r) => r.stream));
      const allowed = new Map(ctx.acceptance.emptyStreams.map((e) => [e.name, e.reason]));
      const empty = configured.streams
        .map((s) => s.stream.name)
        .filter((n) => !seen.has(n) && !allowed.has(n));
      expect(
        empty.length === 0,
        `no records for stream(s) ${empty.join(', ')}; if that is expected, list them under empty_streams with a reason`,
      );
      return allowed.size
        ? `declared empty: ${[...allowed].map(([n, r]) => `${n} (${r})`).join(', ')}`
        : 'all streams';
    }),
  );
  results.push(
    await timed('basic_read', 'the expected records are there', () => {
      const expected = ctx.acceptance.expectedRecords;
      if (ctx.recording) {
        // what the service really returns is being learned now: show some of it to put in the file
        const { run } = needRun();
        const firstOf = new Map<string, Rec>();
        for (const r of records(run)) if (!firstOf.has(r.stream)) firstOf.set(r.stream, r);
        throw new Skip(
          `not checked while recording; lines to choose from for expected_records:\n${[...firstOf.values()]
            .map((r) => `            ${JSON.stringify(r)}`)
            .join('\n')}`,
        );
      }
      if (!expected) throw new Skip('acceptance.yml gives no expected_records');
      const { run } = needRun();
      const ignored = ctx.acceptance.ignoredFields;
      const key = (r: Rec) => `${r.stream}|${stable(without(r.data, ignored[r.stream]))}`;
      const got = new Map<string, number>();
      for (const r of records(run)) got.set(key(r), (got.get(key(r)) ?? 0) + 1);
      const missing = expected.records.filter((r) => !got.has(key(r)));
      if (missing.length > 0) {
        throw new Error(
          `${missing.length} expected record(s) missing, first: ${key(missing[0]!).slice(0, 200)}`,
        );
      }
      if (expected.mode === 'exact') {
        // as many times as expected, not just present: a duplicated record fails
        const wanted = new Map<string, number>();
        for (const r of expected.records) wanted.set(key(r), (wanted.get(key(r)) ?? 0) + 1);
        const off = [...new Set([...got.keys(), ...wanted.keys()])].filter(
          (k) => got.get(k) !== wanted.get(k),
        );
        if (off.length > 0) {
          const first = off[0]!;
          throw new Error(
            `${off.length} record(s) differ from the expected file (mode exact): ${first.slice(0, 200)} came ${got.get(first) ?? 0} time(s), expected ${wanted.get(first) ?? 0}`,
          );
        }
      }
      return `${expected.records.length} expected records found (${expected.mode})`;
    }),
  );
  return results;
}

export async function fullRefreshSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  return [
    await timed('full_refresh', 'two reads give the same records', async () => {
      const { config, catalog } = firstConfig(ctx);
      const configured = configuredCatalog(catalog, 'full_refresh') as unknown as JsonObject;
      const [a, b] = [await read(ctx, config, configured), await read(ctx, config, configured)];
      const volatile = ctx.acceptance.volatileFields;
      const ignored = ctx.acceptance.ignoredFields;
      const bag = (run: ProcessRun) =>
        records(run)
          .map(
            (r) => `${r.stream}|${stable(without(without(r.data, volatile[r.stream]), ignored[r.stream]))}`,
          )
          .sort();
      const [first, second] = [bag(a), bag(b)];
      expect(
        first.length === second.length,
        `the first read gave ${first.length} records, the second ${second.length}`,
      );
      const index = first.findIndex((r, i) => r !== second[i]);
      expect(
        index < 0,
        `the reads differ; first difference: ${first[index]?.slice(0, 160)} vs ${second[index]?.slice(0, 160)} (declare fields that change per read under volatile_fields)`,
      );
      return `${first.length} records, identical`;
    }),
  ];
}

function cursorValue(rec: Rec, cursor: string[]): unknown {
  return cursor.reduce<unknown>((v, p) => (v as JsonObject | undefined)?.[p], rec.data);
}

const ISO = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/** Numbers as numbers, ISO-8601 timestamps as instants (so `...00Z` is before `...00.5Z`), else text. */
function older(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a < b;
  if (typeof a === 'string' && typeof b === 'string' && ISO.test(a) && ISO.test(b))
    return Date.parse(a) < Date.parse(b);
  return String(a) < String(b);
}

export async function incrementalSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  let setup:
    | { config: JsonObject; configured: { streams: ConfiguredStream[] }; full: ProcessRun }
    | undefined;
  const prepare = async () => {
    if (setup) return setup;
    const { config, catalog } = firstConfig(ctx);
    const configured = configuredCatalog(catalog, 'incremental');
    if (configured.streams.length === 0) throw new Skip('no stream supports incremental reads with a cursor');
    const full = await read(ctx, config, configured as unknown as JsonObject);
    expect(
      ofType(full, 'STATE').length > 0,
      'an incremental read emitted no STATE message, so it can never resume',
    );
    setup = { config, configured, full };
    return setup;
  };
  results.push(
    await timed('incremental', 'a read from the final state yields nothing older than it', async () => {
      const { config, configured, full } = await prepare();
      const finalState = statesUpTo(full, full.messages.length - 1);
      const next = await read(ctx, config, configured as unknown as JsonObject, finalState);
      const problems: string[] = [];
      for (const s of configured.streams) {
        const cursor = s.cursor_field ?? [];
        const seen = records(full).filter((r) => r.stream === s.stream.name);
        if (seen.length === 0) continue;
        const uncursored = [...seen, ...records(next).filter((r) => r.stream === s.stream.name)].filter(
          (r) => cursorValue(r, cursor) === undefined || cursorValue(r, cursor) === null,
        );
        if (uncursored.length) {
          problems.push(
            `stream "${s.stream.name}": ${uncursored.length} record(s) have no value at the cursor ${cursor.join('.')}, so no state can say what was read`,
          );
          continue;
        }
        const max = seen.map((r) => cursorValue(r, cursor)).reduce((a, b) => (older(a, b) ? b : a));
        const stale = records(next).filter(
          (r) => r.stream === s.stream.name && older(cursorValue(r, cursor), max),
        );
        if (stale.length) {
          problems.push(
            `stream "${s.stream.name}": ${stale.length} record(s) older than the state's cursor ${JSON.stringify(max)}, first at ${JSON.stringify(cursorValue(stale[0]!, cursor))}`,
          );
        }
      }
      expect(problems.length === 0, problems.join('; '));
      return `${records(next).length} record(s) at or after the final cursor`;
    }),
  );
  results.push(
    await timed('incremental', 'resuming from each checkpoint loses nothing', async () => {
      const { config, configured, full } = await prepare();
      const keys = keysOf(configured);
      const ignored = ctx.acceptance.ignoredFields;
      const all = new Set(records(full).map((r) => identity(r, keys, ignored)));
      const stateIndexes = full.messages.flatMap((m, i) => (m.type === 'STATE' ? [i] : [])).slice(0, -1);
      const picks = [
        ...new Set([0, 0.25, 0.5, 0.75].map((f) => stateIndexes[Math.floor(f * stateIndexes.length)])),
      ].filter((i): i is number => i !== undefined);
      if (picks.length === 0)
        throw new Skip('the read has a single checkpoint, so there is nothing in between to resume from');
      for (const index of picks) {
        const before = committedUpTo(full, index).map((r) => identity(r, keys, ignored));
        const resumed = await read(ctx, config, configured as unknown as JsonObject, statesUpTo(full, index));
        const union = new Set([...before, ...records(resumed).map((r) => identity(r, keys, ignored))]);
        const lost = [...all].filter((id) => !union.has(id));
        expect(
          lost.length === 0,
          `resuming from the checkpoint after ${before.length} records lost ${lost.length} record(s), first: ${lost[0]?.slice(0, 160)}`,
        );
      }
      return `${picks.length} checkpoint(s) resumed, nothing lost`;
    }),
  );
  return results;
}

/** A small seeded generator, so a failing kill point can be replayed with the same seed. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export async function interruptionSuite(
  ctx: SuiteContext,
  share: { first?: FirstRead },
): Promise<CaseResult[]> {
  const kills = ctx.acceptance.interruptions;
  if (kills === 0) {
    return [
      await timed('interruption', 'killed reads resume', () => Promise.reject(new Skip('interruptions: 0'))),
    ];
  }
  const results: CaseResult[] = [];
  const next = random(ctx.seed);
  for (let k = 1; k <= kills; k++) {
    results.push(
      await timed('interruption', `killed read ${k} of ${kills} resumes without loss`, async () => {
        const first = share.first;
        if (!first) throw new Skip('no completed basic read to compare with');
        const { config } = ctx.acceptance.configs[0]!;
        const keys = keysOf(first.catalog);
        const ignored = ctx.acceptance.ignoredFields;
        const total = records(first.run).length;
        if (total < 2)
          throw new Skip('the read yields fewer than 2 records, so there is no point to kill it at');
        const at = 1 + Math.floor(next() * (total - 1));
        const catalog = first.catalog as unknown as JsonObject;
        const killed = await read(ctx, config, catalog, undefined, at);
        const lastState = killed.messages.map((m) => m.type).lastIndexOf('STATE');
        const committed =
          lastState < 0 ? [] : committedUpTo(killed, lastState).map((r) => identity(r, keys, ignored));
        const resumed = await read(
          ctx,
          config,
          catalog,
          lastState < 0 ? undefined : statesUpTo(killed, lastState),
        );
        const union = new Set([...committed, ...records(resumed).map((r) => identity(r, keys, ignored))]);
        const lost = records(first.run)
          .map((r) => identity(r, keys, ignored))
          .filter((id) => !union.has(id));
        expect(
          lost.length === 0,
          `killed after ${at} records (seed ${ctx.seed}); resuming from its last state lost ${lost.length} record(s), first: ${lost[0]?.slice(0, 160)}`,
        );
        return `killed after ${at} record(s), resumed from ${lastState < 0 ? 'the start' : 'its last state'}, nothing lost`;
      }),
    );
  }
  return results;
}
