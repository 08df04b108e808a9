// `singer:tap-jsonl`, `singer:tap-jsonl==0.3.1`, `singer:meltanolabs-tap-postgres:tap-postgres`:
// Singer taps as sources and Singer targets as destinations, installed from PyPI like Airbyte
// packages (or, given a path like `singer:./venv/bin/tap-x`, run as installed) and mapped to the
// protocol both ways.
//
// Tap → engine: `--discover` gives the catalog; a read runs discover again (taps need their own
// metadata back), selects the configured streams and passes the last bookmarks as `--state`.
// RECORD becomes a record, STATE a LEGACY state (the engine commits it under the usual checkpoint
// rule, so bookmarks are kept across runs), SCHEMA updates the stream's schema and ACTIVATE_VERSION
// is noted (the engine's own generations do what it asks: an overwrite replaces the old rows).
// Engine → target: SCHEMA for each stream, RECORD lines, and at each checkpoint a STATE whose value
// names the commit (at the top and per stream); a commit is durable once the target echoes it, or
// a later one, for every stream written in the sync.

import { isAbsolute, resolve } from 'node:path';
import type { DestinationWriter, ReadContext } from '@conveyor/cdk';
import {
  type Catalog,
  type ConfiguredCatalog,
  type ConnectionStatus,
  type ConnectorSpecification,
  configError,
  type JsonObject,
  MessageWriter,
  readLineBatches,
  SecretMasker,
  type StateMessage,
  secretValues,
  systemError,
} from '@conveyor/protocol';
import { type Command, ConnectorProcess, TempFiles } from '../connector-process.js';
import type {
  DestinationHandle,
  Launcher,
  LaunchOptions,
  SourceHandle,
  SourceHandleOutput,
} from '../launcher.js';
import { installLogger } from './airbyte.js';
import { ensurePythonPackage, parseRequirement } from './python-env.js';
import {
  type SingerCatalog,
  secretLookingValues,
  selectStreams,
  specFromAbout,
  toCatalog,
} from './singer-catalog.js';

const BATCH_RECORDS = 10_000;

interface SingerConnector {
  name: string;
  version?: string;
  command: Command;
  about: () => Promise<JsonObject | undefined>;
  /** Singer catalogs discovered in this process, per config */
  discovered: Map<string, Promise<SingerCatalog>>;
}

/** `pkg`, `pkg==1.2`, `pkg:executable`, `pkg==1.2:executable`. */
export function parseSingerReference(reference: string): {
  name: string;
  version?: string;
  executable: string;
} {
  const [requirement = '', executable, extra] = reference.split(':');
  if (
    extra !== undefined ||
    executable === '' ||
    (executable !== undefined && !/^[A-Za-z0-9._-]+$/.test(executable)) ||
    executable === '..'
  ) {
    throw configError(
      `"singer:${reference}" is not a Singer reference: use singer:<package>[==version][:<executable>], like singer:tap-jsonl or singer:meltanolabs-tap-postgres:tap-postgres.`,
    );
  }
  const { name, version } = parseRequirement(requirement, 'singer:');
  return { name, executable: executable ?? name, ...(version ? { version } : {}) };
}

/** Runs the connector to its end and returns stdout; a failure names the connector and its stderr. */
async function runForOutput(
  connector: SingerConnector,
  args: string[],
  ctx: ReadContext,
  masker: SecretMasker,
): Promise<string> {
  const proc = new ConnectorProcess(connector.name, connector.command, args, ctx.logger, masker, ctx.signal);
  proc.child.stdin?.end();
  const chunks: Buffer[] = [];
  proc.child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  await proc.assertSucceeded();
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonOutput(text: string, what: string, name: string, masker: SecretMasker): JsonObject {
  const start = text.indexOf('{');
  try {
    const value: unknown = JSON.parse(start > 0 ? text.slice(start) : text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as JsonObject;
  } catch {
    // reported below
  }
  throw systemError(
    `${name} printed something other than a JSON ${what}: ${masker.mask(text.slice(0, 200))}`,
  );
}

async function capabilitiesOf(connector: SingerConnector): Promise<string[]> {
  const about = await connector.about();
  return Array.isArray(about?.capabilities) ? (about.capabilities as string[]) : [];
}

async function singerSpec(connector: SingerConnector): Promise<ConnectorSpecification> {
  return specFromAbout(await connector.about(), connector.name.replace(/^singer:/, '').split(/[=:]/)[0]!);
}

function singerMasker(spec: ConnectorSpecification, config: JsonObject): SecretMasker {
  return new SecretMasker([
    ...secretValues(spec.connectionSpecification, config),
    ...secretLookingValues(config),
  ]);
}

/**
 * A sync discovers, then reads, and the read needs the Singer catalog again: one discovery per
 * config serves both (SQL taps take seconds to discover).
 */
async function discoverSinger(
  connector: SingerConnector,
  config: JsonObject,
  ctx: ReadContext,
  masker: SecretMasker,
): Promise<SingerCatalog> {
  const key = JSON.stringify(config);
  const cached = connector.discovered.get(key);
  if (cached) return cached;
  const found = runDiscover(connector, config, ctx, masker);
  connector.discovered.set(key, found);
  found.catch(() => connector.discovered.delete(key));
  return found;
}

async function runDiscover(
  connector: SingerConnector,
  config: JsonObject,
  ctx: ReadContext,
  masker: SecretMasker,
): Promise<SingerCatalog> {
  const files = new TempFiles();
  try {
    const out = await runForOutput(
      connector,
      ['--config', files.write('config.json', config), '--discover'],
      ctx,
      masker,
    );
    const catalog = parseJsonOutput(out, 'catalog', connector.name, masker);
    if (!Array.isArray(catalog.streams))
      throw systemError(`${connector.name} --discover gave a catalog without "streams".`);
    return catalog as unknown as SingerCatalog;
  } finally {
    files.remove();
  }
}

interface SingerLine {
  type?: string;
  stream?: string;
  record?: unknown;
  schema?: JsonObject;
  value?: unknown;
  version?: number;
  time_extracted?: string;
}

function tapHandle(connector: SingerConnector): SourceHandle {
  return {
    name: connector.name,
    ...(connector.version ? { version: connector.version } : {}),
    spec: () => singerSpec(connector),
    async check(config, ctx): Promise<ConnectionStatus> {
      // Singer has no check command: a tap that discovers its streams with this config can connect
      try {
        const masker = singerMasker(await singerSpec(connector), config);
        const catalog = await discoverSinger(connector, config, ctx, masker);
        return { status: 'SUCCEEDED', message: `discovered ${catalog.streams.length} stream(s)` };
      } catch (error) {
        return { status: 'FAILED', message: error instanceof Error ? error.message : String(error) };
      }
    },
    async discover(config, ctx): Promise<Catalog> {
      const masker = singerMasker(await singerSpec(connector), config);
      return toCatalog(await discoverSinger(connector, config, ctx, masker), await capabilitiesOf(connector));
    },
    read: (config, catalog, state, ctx) => readTap(connector, config, catalog, state, ctx),
  };
}

async function* readTap(
  connector: SingerConnector,
  config: JsonObject,
  catalog: ConfiguredCatalog,
  state: StateMessage[],
  ctx: ReadContext,
): AsyncGenerator<SourceHandleOutput> {
  const masker = singerMasker(await singerSpec(connector), config);
  const singerCatalog = selectStreams(await discoverSinger(connector, config, ctx, masker), catalog);
  const capabilities = await capabilitiesOf(connector);
  const catalogFlag =
    capabilities.includes('properties') && !capabilities.includes('catalog') ? '--properties' : '--catalog';
  // a message names its stream by tap_stream_id or by stream name; both lead to the configured
  // name, except a stream name two selected streams share (then only tap_stream_id does)
  const names = new Map<string, string>();
  const selected = singerCatalog.streams.filter((s) =>
    catalog.streams.some((c) => c.stream.name === s.tap_stream_id),
  );
  for (const s of selected) names.set(s.tap_stream_id, s.tap_stream_id);
  for (const s of selected) {
    if (!s.stream || names.has(s.stream)) continue;
    const shared = selected.filter((other) => other.stream === s.stream).length > 1;
    if (!shared) names.set(s.stream, s.tap_stream_id);
  }
  const schemas = new Map(catalog.streams.map((c) => [c.stream.name, JSON.stringify(c.stream.json_schema)]));
  const bookmarks = state.find((s) => s.type === 'LEGACY' || (s.type === undefined && s.data))?.data;

  const files = new TempFiles();
  const args = [
    '--config',
    files.write('config.json', config),
    catalogFlag,
    files.write('catalog.json', singerCatalog),
  ];
  if (bookmarks !== undefined) args.push('--state', files.write('state.json', bookmarks));
  const proc = new ConnectorProcess(connector.name, connector.command, args, ctx.logger, masker, ctx.signal);
  proc.child.stdin?.end();
  const pending = new Map<string, JsonObject[]>();
  const skipped = new Set<string>();
  const flush = function* (stream?: string): Generator<SourceHandleOutput> {
    for (const [name, records] of pending) {
      if (stream !== undefined && name !== stream) continue;
      pending.delete(name);
      yield { kind: 'records', batch: { format: 'objects', stream: name, records, emittedAt: Date.now() } };
    }
  };
  try {
    if (!proc.child.stdout) throw systemError(`${connector.name} has no stdout`);
    for await (const { lines, firstLine } of readLineBatches(proc.child.stdout, { source: connector.name })) {
      for (let i = 0; i < lines.length; i++) {
        const text = lines[i]!.toString('utf8');
        let message: SingerLine;
        try {
          message = JSON.parse(text) as SingerLine;
        } catch {
          ctx.logger.info(`[${connector.name} stdout] ${masker.mask(text.slice(0, 2000))}`);
          continue;
        }
        const stream = message.stream === undefined ? undefined : names.get(message.stream);
        switch (message.type) {
          case 'RECORD': {
            if (stream === undefined) {
              // older taps ignore selection metadata and send every stream: not an error, not kept
              const unknown = String(message.stream);
              if (!skipped.has(unknown)) {
                skipped.add(unknown);
                ctx.logger.warn(
                  `${connector.name} sent records for stream "${unknown}", which is not in the configured catalog; they are skipped.`,
                );
              }
              break;
            }
            if (!message.record || typeof message.record !== 'object' || Array.isArray(message.record)) {
              throw systemError(
                `${connector.name} line ${firstLine + i}: the record of stream "${stream}" is not an object. ${masker.mask(text.slice(0, 200))}`,
              );
            }
            const records = pending.get(stream) ?? [];
            if (records.length === 0) pending.set(stream, records);
            records.push(message.record as JsonObject);
            if (records.length >= (ctx.batchRecords ?? BATCH_RECORDS)) yield* flush(stream);
            break;
          }
          case 'STATE': {
            // the bookmarks cover every record before them
            yield* flush();
            const data = (message.value ?? {}) as JsonObject;
            yield { kind: 'message', message: { type: 'STATE', state: { type: 'LEGACY', data } } };
            break;
          }
          case 'SCHEMA': {
            if (stream === undefined || !message.schema) break;
            const next = JSON.stringify(message.schema);
            if (schemas.get(stream) !== next) {
              schemas.set(stream, next);
              yield* flush(stream);
              yield { kind: 'schema', stream, schema: message.schema };
            }
            break;
          }
          case 'ACTIVATE_VERSION':
            ctx.logger.debug(`[${connector.name}] ACTIVATE_VERSION ${message.version} for ${message.stream}`);
            break;
          default:
            ctx.logger.debug(`[${connector.name}] ignored a ${message.type ?? 'typeless'} message`);
        }
      }
    }
    yield* flush();
    await proc.assertSucceeded();
  } finally {
    proc.kill();
    files.remove();
  }
}

/**
 * The value sent as a target's STATE at commit `seq`: the commit number at the top and as every
 * stream's bookmark. Targets that flush one stream at a time (the pipelinewise ones) echo a state
 * whose bookmarks advance only for the streams they flushed, so a commit counts as durable only once
 * every stream written in this sync shows it (see `durableCommit`).
 */
export function commitMarker(seq: number, streams: readonly string[]): JsonObject {
  return {
    conveyor_commit: seq,
    bookmarks: Object.fromEntries(streams.map((s) => [s, { conveyor_commit: seq }])),
  };
}

/** The newest commit an echoed state proves durable for all of `written`, or undefined. */
export function durableCommit(echoed: unknown, written: ReadonlySet<string>): number | undefined {
  if (!echoed || typeof echoed !== 'object') return undefined;
  const top = (echoed as JsonObject).conveyor_commit;
  const bookmarks = (echoed as JsonObject).bookmarks as Record<string, JsonObject | undefined> | undefined;
  if (typeof top !== 'number') return undefined;
  if (!bookmarks || typeof bookmarks !== 'object' || written.size === 0) return top;
  let lowest = top;
  for (const stream of written) {
    const seq = bookmarks[stream]?.conveyor_commit;
    if (typeof seq !== 'number') return undefined;
    lowest = Math.min(lowest, seq);
  }
  return lowest;
}

function targetHandle(connector: SingerConnector): DestinationHandle {
  return {
    name: connector.name,
    ...(connector.version ? { version: connector.version } : {}),
    spec: () => singerSpec(connector),
    async check(config, ctx): Promise<ConnectionStatus> {
      // Singer has no check command: a target that starts with this config and ends cleanly on
      // empty input accepts it
      const files = new TempFiles();
      try {
        const masker = singerMasker(await singerSpec(connector), config);
        await runForOutput(connector, ['--config', files.write('config.json', config)], ctx, masker);
        return { status: 'SUCCEEDED', message: 'the target started and stopped cleanly with this config' };
      } catch (error) {
        return { status: 'FAILED', message: error instanceof Error ? error.message : String(error) };
      } finally {
        files.remove();
      }
    },
    committedStates: async () => undefined,
    async open(config, catalog, ctx) {
      const masker = singerMasker(await singerSpec(connector), config);
      const files = new TempFiles();
      const proc = new ConnectorProcess(
        connector.name,
        connector.command,
        ['--config', files.write('config.json', config)],
        ctx.logger,
        masker,
      );
      const stdin = proc.child.stdin;
      if (!stdin || !proc.child.stdout) throw systemError(`${connector.name} has no stdin/stdout`);
      const out = new MessageWriter(stdin);
      const overwrite = new Map<string, number>();
      for (const c of catalog.streams) {
        const keys = (c.primary_key ?? c.stream.source_defined_primary_key ?? []).map((path) =>
          path.join('.'),
        );
        const schema = {
          type: 'SCHEMA',
          stream: c.stream.name,
          schema: c.stream.json_schema,
          key_properties: keys,
        };
        out.writeLine(JSON.stringify(schema));
        if (c.destination_sync_mode === 'overwrite') {
          const version = c.generation_id ?? Date.now();
          overwrite.set(c.stream.name, version);
          // As Singer taps do: a leading ACTIVATE_VERSION only for a stream's first version. Later
          // ones come at the end, so targets that drop older versions on it keep the old rows
          // readable until the new version is complete.
          if (c.generation_id === undefined || c.generation_id <= 1)
            out.writeLine(JSON.stringify({ type: 'ACTIVATE_VERSION', stream: c.stream.name, version }));
        }
      }
      const streams = catalog.streams.map((c) => c.stream.name);
      const written = new Set<string>();
      const waiting: number[] = [];
      let failure: Error | undefined;
      const reader = (async () => {
        for await (const { lines } of readLineBatches(proc.child.stdout!, { source: connector.name })) {
          for (const line of lines) {
            const text = line.toString('utf8');
            let echoed: unknown;
            try {
              echoed = JSON.parse(text);
            } catch {
              ctx.logger.info(`[${connector.name} stdout] ${masker.mask(text.slice(0, 2000))}`);
              continue;
            }
            const seq = durableCommit(echoed, written);
            if (seq === undefined) continue;
            // a target emits the latest state it has flushed: every commit up to it is durable
            while (waiting.length > 0 && waiting[0]! <= seq) ctx.onDurable(waiting.shift()!);
          }
        }
      })().catch((error: unknown) => {
        failure = error instanceof Error ? error : new Error(String(error));
      });
      const check = () => {
        if (failure) throw failure;
      };
      // a target that died shows as a broken pipe; its own exit and last words explain more
      const writeLine = async (line: string) => {
        try {
          const wait = out.writeLine(line);
          if (wait) await wait;
        } catch (error) {
          await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 2000))]);
          await proc.assertSucceeded();
          throw error;
        }
      };
      const writer: DestinationWriter = {
        async write(batch) {
          check();
          const version = overwrite.get(batch.stream);
          const records =
            batch.format === 'objects'
              ? batch.records
              : batch.lines.map(
                  (line) =>
                    (JSON.parse(line.toString('utf8')) as { record: { data: JsonObject } }).record.data,
                );
          if (records.length > 0) written.add(batch.stream);
          for (const record of records) {
            const message: JsonObject = { type: 'RECORD', stream: batch.stream, record };
            if (version !== undefined) message.version = version;
            await writeLine(JSON.stringify(message));
          }
        },
        async commit(_states, seq) {
          check();
          waiting.push(seq);
          await writeLine(JSON.stringify({ type: 'STATE', value: commitMarker(seq, streams) }));
          await out.flush();
        },
        async finish() {
          check();
          for (const [stream, version] of overwrite) {
            await writeLine(JSON.stringify({ type: 'ACTIVATE_VERSION', stream, version }));
          }
          await out.flush();
          stdin.end();
          await reader;
          check();
          await proc.assertSucceeded();
          if (waiting.length > 0) {
            ctx.logger.warn(
              `${connector.name} exited without echoing ${waiting.length} checkpoint(s); their states are not committed and the next sync will resend those records.`,
            );
          }
        },
        async close() {
          proc.kill();
          files.remove();
        },
      };
      return writer;
    },
  };
}

async function singerConnector(reference: string, options: LaunchOptions): Promise<SingerConnector> {
  const logger = installLogger(options);
  let command: Command;
  let version: string | undefined;
  if (reference.includes('/')) {
    // a tap or target installed by other means: `singer:./venv/bin/tap-x` runs as it is
    command = { file: isAbsolute(reference) ? reference : resolve(options.cwd, reference), args: [] };
  } else {
    const { name, version: pinned, executable } = parseSingerReference(reference);
    const env = await ensurePythonPackage(
      { package: name, executable, ...(pinned ? { version: pinned } : {}) },
      { logger, ...(options.pythonEnvs ? { cacheDir: options.pythonEnvs } : {}) },
    );
    command = { file: env.executable, args: [] };
    version = env.version;
  }
  let about: Promise<JsonObject | undefined> | undefined;
  const connector: SingerConnector = {
    name: `singer:${reference}`,
    ...(version ? { version } : {}),
    command,
    discovered: new Map(),
    about: () => {
      // Meltano SDK connectors describe their settings and capabilities; others do not, and that is fine
      about ??= runForOutput(
        connector,
        ['--about', '--format', 'json'],
        {
          logger: { ...logger, info: logger.debug, warn: logger.debug },
          signal: new AbortController().signal,
        },
        new SecretMasker(),
      )
        .then((out) => parseJsonOutput(out, 'description', connector.name, new SecretMasker()))
        .catch(() => undefined);
      return about;
    },
  };
  return connector;
}

export const singerLauncher: Launcher = {
  scheme: 'singer',
  async source(reference, options) {
    return tapHandle(await singerConnector(reference, options));
  },
  async destination(reference, options) {
    return targetHandle(await singerConnector(reference, options));
  },
};
