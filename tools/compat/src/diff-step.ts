// Step "diff": each manifest without custom components run by the reference and by our engine, each
// against its own mock (same routes, same config), then the catalogs, requests and records compared.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareRuns, type RunResult, type Verdict } from './compare.js';
import { generateConfig } from './config-gen.js';
import { type CorpusEntry, readManifest } from './corpus.js';
import { type Engine, runEngine } from './engines.js';
import { type FrozenClock, usesApiBudget } from './frozen-clock.js';
import {
  applyParameters,
  customComponents,
  isObject,
  type JsonObject,
  resolveRefs,
  walkObjects,
} from './manifest-model.js';
import { planRoutes } from './mock-plan.js';
import { type LoggedRequest, startMock } from './mock-server.js';
import { type ClockWindow, canonicalJson, normalizeClock } from './normalize.js';
import { pointAtMock } from './url-rewrite.js';

export interface HarnessOptions {
  outDir: string;
  startDate: string;
  timeoutMs: number;
  reference: Engine;
  ours: Engine;
  /** one "now" for both engines; undefined runs them on the system clock */
  clock?: FrozenClock;
  log(line: string): void;
}

export type DiffResult = { name: string; seconds: number } & (
  | Verdict
  | { status: 'custom'; components: string[] }
);

/** Header names a request's authentication or the manifest's own headers go into (lower case). */
export function significantHeaders(manifest: JsonObject): string[] {
  const names = new Set(['authorization']);
  const resolved = applyParameters(resolveRefs(manifest));
  for (const { node } of walkObjects(resolved)) {
    if (node.inject_into === 'header' && typeof node.field_name === 'string')
      names.add(node.field_name.toLowerCase());
    if (node.type === 'ApiKeyAuthenticator' && typeof node.header === 'string')
      names.add(node.header.toLowerCase());
    if (isObject(node.request_headers))
      for (const key of Object.keys(node.request_headers)) names.add(key.toLowerCase());
  }
  return [...names].sort();
}

/** The User-Agent each engine's HTTP client sends when the manifest sets none on that request. */
const CLIENT_USER_AGENT = /^(python-requests\/[\d.]+|undici|node)$/;

function headerValue(name: string, value: string): string {
  return name === 'user-agent' && CLIENT_USER_AGENT.test(value) ? '<client default>' : value;
}

/** One request as compared text: method, path, sorted query, body (canonical if JSON), auth headers. */
export function requestText(
  request: LoggedRequest,
  headers: readonly string[],
  origin: string,
  window: ClockWindow,
): string {
  let body = request.body;
  try {
    if (body) body = canonicalJson(JSON.parse(body));
  } catch {
    // not JSON: compared as sent
  }
  const picked = headers
    .filter((h) => request.headers[h] !== undefined)
    .map((h) => `${h}: ${headerValue(h, String(request.headers[h]))}`);
  const text = `${request.method} ${request.path} ${canonicalJson(request.query)} body=${body} headers=${picked.join(' | ')}`;
  // the mock's URL shows up form-encoded in bodies too (an OAuth scope rewritten to the mock)
  const plain = text.replaceAll(origin, '<mock>').replaceAll(encodeURIComponent(origin), '<mock>');
  return normalizeClock(plain, window);
}

interface RawRun {
  result: RunResult;
  requests: LoggedRequest[];
  origin: string;
  records: Record<string, string[]>;
}

function configuredCatalog(streams: unknown[]): JsonObject {
  return {
    streams: streams.filter(isObject).map((stream) => {
      const modes = Array.isArray(stream.supported_sync_modes)
        ? stream.supported_sync_modes
        : ['full_refresh'];
      const incremental = !modes.includes('full_refresh');
      return {
        stream,
        sync_mode: incremental ? 'incremental' : 'full_refresh',
        destination_sync_mode: incremental ? 'append' : 'overwrite',
        ...(incremental && Array.isArray(stream.default_cursor_field)
          ? { cursor_field: stream.default_cursor_field }
          : {}),
        ...(Array.isArray(stream.source_defined_primary_key)
          ? { primary_key: stream.source_defined_primary_key }
          : {}),
      };
    }),
  };
}

async function runOne(
  engine: Engine,
  raw: JsonObject,
  config: JsonObject,
  dir: string,
  options: HarnessOptions,
  catalogFile: string | undefined,
): Promise<RawRun & { catalog?: unknown[] }> {
  const mock = await startMock();
  const env = options.clock && !usesApiBudget(raw) ? options.clock.env : undefined;
  try {
    const pointed = pointAtMock(raw, mock.origin);
    const manifestPath = join(dir, `${engine.name}.manifest.yaml`);
    writeFileSync(manifestPath, `${JSON.stringify(pointed, null, 1)}\n`);
    mock.setRoutes(planRoutes(pointed, config, recordDateOf(options.startDate)));
    const configPath = join(dir, 'config.json');
    const common = ['--config', configPath, '--manifest-path', manifestPath];
    let catalog: unknown[] | undefined;
    const discovered = await runEngine(engine, {
      args: ['discover', ...common],
      timeoutMs: options.timeoutMs,
      env,
      onMessage: (m) => {
        if (m.type === 'CATALOG') catalog = m.catalog?.streams ?? [];
      },
    });
    const failed = (error: string): RawRun => ({
      result: { ok: false, error, records: {}, requests: [] },
      requests: [],
      origin: mock.origin,
      records: {},
    });
    if (discovered.error || !catalog) return failed(`discover: ${discovered.error ?? 'no catalog'}`);
    const catalogPath = catalogFile ?? join(dir, 'catalog.json');
    if (!catalogFile) writeFileSync(catalogPath, `${JSON.stringify(configuredCatalog(catalog), null, 1)}\n`);
    mock.requests.length = 0;
    const records: Record<string, string[]> = {};
    // the messages other than records (logs, traces, states), kept when the read fails
    const transcript: string[] = [];
    // A stream that started and never finished is a failure even with exit 0: the reference ends
    // its whole read silently at the first empty record (the mock never sends one) or on a falsy item.
    const started = new Set<string>();
    const finished = new Set<string>();
    const read = await runEngine(engine, {
      args: ['read', ...common, '--catalog', catalogPath],
      timeoutMs: options.timeoutMs,
      env,
      onMessage: (m) => {
        if (m.type !== 'RECORD' && transcript.length < TRANSCRIPT_LINES) transcript.push(JSON.stringify(m));
        const status = m.trace?.stream_status;
        if (m.type === 'TRACE' && status) {
          const name = String(status.stream_descriptor?.name);
          if (status.status === 'STARTED') started.add(name);
          if (status.status === 'COMPLETE' || status.status === 'INCOMPLETE') finished.add(name);
        }
        if (m.type !== 'RECORD' || !m.record) return;
        const stream = String(m.record.stream);
        const list = records[stream] ?? [];
        records[stream] = list;
        list.push(canonicalJson(withoutTopLevelNulls(m.record.data)).replaceAll(mock.origin, '<mock>'));
      },
    });
    const unfinished = [...started].filter((name) => !finished.has(name));
    if (!read.error && unfinished.length > 0)
      read.error = `stream ${unfinished.sort().join(', ')} started but never finished (exit ${read.code})`;
    if (read.error) {
      // what the engine asked for before it failed, for whoever investigates
      const sample = mock.requests
        .slice(0, 200)
        .map((r) => `${r.method} ${r.path} ${JSON.stringify(r.query)} ${r.body}`);
      writeFileSync(join(dir, `${engine.name}.failed-requests.txt`), `${sample.join('\n')}\n`);
      writeFileSync(join(dir, `${engine.name}.failed-read.jsonl`), `${transcript.join('\n')}\n`);
      if (read.stderr) writeFileSync(join(dir, `${engine.name}.failed-read.stderr.txt`), read.stderr);
      return { ...failed(`read: ${read.error}`), catalog };
    }
    return {
      result: { ok: true, catalog, records, requests: [] },
      requests: [...mock.requests],
      origin: mock.origin,
      records,
      catalog,
    };
  } finally {
    await mock.close();
  }
}

/** How many messages of a failed read are kept for whoever investigates. */
const TRANSCRIPT_LINES = 2000;

/** The instant records carry in their cursor fields: two and a half days after the start date. */
export function recordDateOf(startDate: string): Date {
  return new Date(Date.parse(startDate) + 2.5 * 86_400_000);
}

export async function diffManifest(entry: CorpusEntry, options: HarnessOptions): Promise<DiffResult> {
  const started = performance.now();
  const seconds = (): number => Math.round((performance.now() - started) / 100) / 10;
  let raw: JsonObject;
  try {
    raw = readManifest(entry.manifestPath);
  } catch (error) {
    return {
      name: entry.name,
      seconds: seconds(),
      status: 'failed',
      engine: 'reference',
      reason: `unreadable: ${String(error)}`,
    };
  }
  const custom = customComponents(raw);
  if (custom.length > 0)
    return { name: entry.name, seconds: seconds(), status: 'custom', components: custom };
  const dir = join(options.outDir, 'work', entry.name);
  mkdirSync(dir, { recursive: true });
  // the minimal config first (required fields, defaults); when the reference cannot run on it
  // (templates that read optional fields), once more with every optional field filled
  let config = generateConfig(raw, { startDate: options.startDate });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 1)}\n`);
  const headers = significantHeaders(raw);
  let from = Date.now();
  let reference = await runOne(options.reference, raw, config, dir, options, undefined);
  if (!reference.result.ok) {
    config = generateConfig(raw, { startDate: options.startDate, allFields: true });
    writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 1)}\n`);
    from = Date.now();
    reference = await runOne(options.reference, raw, config, dir, options, undefined);
  }
  if (!reference.result.ok) {
    return { name: entry.name, seconds: seconds(), ...compareRuns(reference.result, reference.result) };
  }
  const ours = await runOne(options.ours, raw, config, dir, options, join(dir, 'catalog.json'));
  const frozen = options.clock && !usesApiBudget(raw) ? options.clock.now : undefined;
  const window: ClockWindow = frozen === undefined ? { from, to: Date.now() } : { from: frozen, to: frozen };
  const finish = (run: RawRun): RunResult => ({
    ...run.result,
    records: Object.fromEntries(
      Object.entries(run.records).map(([stream, records]) => [
        stream,
        records.map((r) => normalizeClock(r, window)),
      ]),
    ),
    requests: run.requests.map((r) => requestText(r, headers, run.origin, window)),
  });
  const verdict = compareRuns(finish(reference), finish(ours));
  const result: DiffResult = { name: entry.name, seconds: seconds(), ...verdict };
  writeFileSync(
    join(dir, 'requests.json'),
    `${JSON.stringify({ reference: finish(reference).requests, ours: finish(ours).requests }, null, 1)}\n`,
  );
  return result;
}

/**
 * The reference's message serializer omits a record's top-level fields whose value is null (it
 * keeps nested ones); we keep them. For a destination both mean NULL, so records are compared
 * without them; the README lists this difference.
 */
export function withoutTopLevelNulls(data: unknown): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null));
}
