// What each CLI command does, apart from argument parsing (main.ts).

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ReadContext, writeRecordBatch } from '@conveyor/cdk';
import {
  applySchemaPolicy,
  configureCatalog,
  DEFAULT_SCHEMA_POLICY,
  type DestinationHandle,
  HealthStore,
  LogProgress,
  launchDestination,
  launchSource,
  mapNamespace,
  type PolicyOutcome,
  runSync,
  type SourceHandle,
  summaryTable,
  TerminalProgress,
} from '@conveyor/engine';
import {
  type AirbyteMessage,
  asConveyorError,
  type Catalog,
  type ConfiguredCatalog,
  type ConnectorSpecification,
  ConveyorError,
  configError,
  type JsonObject,
  MessageWriter,
  SecretMasker,
  type StateMessage,
  type StreamDescriptor,
  secretValues,
  streamKey,
} from '@conveyor/protocol';
import { adHocDestinationConfig, conveyorHome, launchOptions, openStore } from './home.js';
import { describeError, printTable, stderrLogger, type Verbosity } from './output.js';
import { type ConnectionEntry, loadProject, substituteEnv } from './project.js';
import { resolveStreams, withoutStreams } from './state-reset.js';

export interface GlobalOptions {
  verbosity: Verbosity;
}

function context(verbosity: Verbosity): ReadContext {
  return { logger: stderrLogger(verbosity), signal: new AbortController().signal };
}

/** A JSON file, or inline JSON (`{...}`), or `@file`. */
export function readJsonArg(value: string | undefined, what: string): unknown {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const inline = trimmed.startsWith('{') || trimmed.startsWith('[');
  const path = trimmed.startsWith('@') ? trimmed.slice(1) : trimmed;
  let text = trimmed;
  if (!inline) {
    if (!existsSync(path)) throw configError(`The ${what} file ${path} does not exist.`);
    text = readFileSync(path, 'utf8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw configError(
      `The ${what} ${inline ? 'given inline' : `in ${path}`} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

function readConfig(value: string | undefined, what: string): JsonObject {
  const parsed = readJsonArg(value, what) ?? {};
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw configError(`The ${what} must be a JSON object.`);
  return substituteEnv(parsed, what) as JsonObject;
}

function emit(out: MessageWriter, message: AirbyteMessage): void | Promise<void> {
  return out.write(message);
}

async function launchEither(reference: string): Promise<SourceHandle | DestinationHandle> {
  try {
    return await launchSource(reference, launchOptions(conveyorHome(undefined)));
  } catch (error) {
    if (error instanceof ConveyorError && /not installed|not a Conveyor source/.test(error.userMessage)) {
      return launchDestination(reference, launchOptions(conveyorHome(undefined)));
    }
    throw error;
  }
}

export async function specCommand(reference: string, opts: GlobalOptions): Promise<number> {
  const handle = await launchEither(reference);
  const out = new MessageWriter(process.stdout);
  await emit(out, { type: 'SPEC', spec: await handle.spec(context(opts.verbosity)) });
  await out.flush();
  return 0;
}

export async function checkCommand(
  reference: string,
  configFile: string | undefined,
  opts: GlobalOptions,
): Promise<number> {
  const handle = await launchEither(reference);
  const status = await handle.check(readConfig(configFile, 'config'), context(opts.verbosity));
  const out = new MessageWriter(process.stdout);
  await emit(out, { type: 'CONNECTION_STATUS', connectionStatus: status });
  await out.flush();
  return status.status === 'SUCCEEDED' ? 0 : 1;
}

export async function discoverCommand(
  reference: string,
  configFile: string | undefined,
  opts: GlobalOptions,
): Promise<number> {
  const source = await launchSource(reference, launchOptions(conveyorHome(undefined)));
  const catalog = await source.discover(readConfig(configFile, 'config'), context(opts.verbosity));
  const out = new MessageWriter(process.stdout);
  await emit(out, { type: 'CATALOG', catalog });
  await out.flush();
  return 0;
}

function readStateArg(file: string | undefined): StateMessage[] {
  const parsed = readJsonArg(file, 'state');
  if (parsed === undefined) return [];
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((s) =>
    (s as { type?: string }).type === 'STATE' ? (s as { state: StateMessage }).state : (s as StateMessage),
  );
}

export async function readCommand(
  reference: string,
  options: { config?: string; catalog?: string; state?: string },
  opts: GlobalOptions,
): Promise<number> {
  const source = await launchSource(reference, launchOptions(conveyorHome(undefined)));
  const config = readConfig(options.config, 'config');
  const ctx = context(opts.verbosity);
  const catalog =
    (readJsonArg(options.catalog, 'catalog') as ConfiguredCatalog | undefined) ??
    configureCatalog(await source.discover(config, ctx), undefined);
  const out = new MessageWriter(process.stdout);
  for await (const output of source.read(config, catalog, readStateArg(options.state), ctx)) {
    if (output.kind === 'schema') continue; // the protocol has no message for it: records carry on
    if (output.kind === 'message') {
      const wait = out.write(output.message);
      if (wait) await wait;
      continue;
    }
    await writeRecordBatch(out, output.batch);
  }
  await out.flush();
  return 0;
}

export interface SyncOptions {
  file: string;
  source?: string;
  destination?: string;
  sourceConfig?: string;
  destinationConfig?: string;
  refresh?: boolean;
  retries?: number;
}

function adHocConnection(options: SyncOptions, home: string): ConnectionEntry {
  const source = options.source ?? 'faker';
  const destination = options.destination ?? 'duckdb';
  return {
    name: `${source}-to-${destination}`.replace(/[^A-Za-z0-9_.-]+/g, '_'),
    source: { name: source, connector: source, config: readConfig(options.sourceConfig, 'source config') },
    destination: {
      name: destination,
      connector: destination,
      config: options.destinationConfig
        ? readConfig(options.destinationConfig, 'destination config')
        : (adHocDestinationConfig(destination, home) as JsonObject),
    },
  };
}

/** Resolves connection names from the project file, or the ad-hoc `<source>-to-<destination>` name. */
function connectionsFor(
  names: string[],
  options: SyncOptions,
): { home: string; connections: ConnectionEntry[] } {
  const home = conveyorHome(options.file);
  if (options.source || options.destination) return { home, connections: [adHocConnection(options, home)] };
  if (!existsSync(options.file) && names.length === 0) {
    throw configError(
      `No project file ${options.file} here. Run a quick sync with \`conveyor sync --source faker --destination duckdb\`, or create ${options.file} (see the README) and run \`conveyor sync\`.`,
    );
  }
  const adHocOnly = !existsSync(options.file) && names.every((n) => /^.+-to-.+$/.test(n));
  if (adHocOnly) {
    return {
      home,
      connections: names.map((name) => {
        const [, source, destination] = /^(.+)-to-(.+)$/.exec(name)!;
        return adHocConnection({ ...options, source: source!, destination: destination! }, home);
      }),
    };
  }
  const project = loadProject(options.file);
  if (names.length === 0) {
    if (project.connections.size === 0) throw configError(`${options.file} defines no connections.`);
    return { home, connections: [...project.connections.values()] };
  }
  return {
    home,
    connections: names.map((name) => {
      const found = project.connections.get(name);
      if (found) return found;
      const adHoc = /^(.+)-to-(.+)$/.exec(name);
      if (adHoc) return adHocConnection({ ...options, source: adHoc[1]!, destination: adHoc[2]! }, home);
      throw configError(
        `Connection "${name}" is not defined in ${options.file} (defined: ${[...project.connections.keys()].join(', ') || 'none'}).`,
      );
    }),
  };
}

function describeWhereDataIs(connection: ConnectionEntry, first: StreamDescriptor | undefined): string {
  const path =
    typeof connection.destination.config.path === 'string'
      ? resolve(connection.destination.config.path)
      : undefined;
  const lines: string[] = [];
  if (path) lines.push(`Data is in ${path}`);
  if (
    first &&
    (connection.destination.connector === 'duckdb' ||
      connection.destination.connector.endsWith('destination-duckdb'))
  ) {
    // where the destination put it: the stream's namespace as the connection maps it, else the default schema
    const namespace = mapNamespace(connection.namespace ?? { kind: 'source' }, first.namespace);
    const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const table = namespace ? `${quote(namespace)}.${quote(first.name)}` : quote(first.name);
    // the shell command is single-quoted: a quote inside a name is closed, escaped and reopened
    const sql = `SELECT * FROM ${table} LIMIT 5`.replace(/'/g, "'\\''");
    lines.push(`Look at it:  npx conveyor query ${connection.name} '${sql}'`);
  }
  return lines.join('\n');
}

/**
 * The schema check before each sync: the discovered catalog against the accepted one, under the
 * connection's policy. Cheap (discovery happens anyway); a `pause` connection with a breaking change
 * does not sync. What the policy applied becomes the baseline once the sync succeeded.
 */
function acceptAfterSync(
  home: string,
  connection: string,
  outcome: PolicyOutcome,
  sourceVersion?: string,
): void {
  const health = new HealthStore(join(home, 'state.db'));
  try {
    const accepted = health.accepted(connection);
    if (!accepted || JSON.stringify(accepted) !== JSON.stringify(outcome.accepted)) {
      health.saveSnapshot(connection, outcome.accepted, sourceVersion, true);
    }
  } finally {
    health.close();
  }
}

function schemaForSync(home: string, connection: ConnectionEntry, discovered: Catalog): PolicyOutcome {
  const health = new HealthStore(join(home, 'state.db'));
  try {
    const accepted = health.accepted(connection.name);
    const outcome = applySchemaPolicy(
      accepted,
      discovered,
      connection.schemaChanges ?? DEFAULT_SCHEMA_POLICY,
      connection.streams,
    );
    if (outcome.blocked) return outcome;
    for (const change of outcome.applied) {
      process.stderr.write(`sync ${connection.name}: schema change applied: ${change.message}\n`);
    }
    if (outcome.pending.length) {
      process.stderr.write(
        `sync ${connection.name}: ${outcome.pending.length} schema change(s) wait for approval (${outcome.pending.map((c) => c.message).join('; ')}); see conveyor schema diff ${connection.name}\n`,
      );
    }
    return outcome;
  } finally {
    health.close();
  }
}

/** An error's user message with the secrets of the connection's configs masked (as far as the source's spec says). */
async function maskedReason(
  error: ConveyorError,
  connection: ConnectionEntry,
  sourceLaunch: Promise<SourceHandle>,
): Promise<string> {
  const masker = new SecretMasker();
  try {
    const source = await sourceLaunch;
    const spec = await source.spec(context('quiet'));
    masker.add(secretValues(spec.connectionSpecification, connection.source.config));
  } catch {
    // the source did not start: its message cannot hold a config value it never read
  }
  return masker.mask(error.userMessage);
}

export async function syncCommand(
  names: string[],
  options: SyncOptions,
  opts: GlobalOptions,
): Promise<number> {
  const { home, connections } = connectionsFor(names, options);
  const store = openStore(home);
  const logger = stderrLogger(opts.verbosity);
  let failed = 0;
  // failures the user must fix in the configuration: a paused connection, a config_error
  let misconfigured = 0;
  try {
    for (const connection of connections) {
      const ctx = context(opts.verbosity);
      // discovery (often a subprocess) runs while the destination's package is still loading
      const sourceLaunch = launchSource(connection.source.connector, launchOptions(home));
      let prepared: [SourceHandle, DestinationHandle, Catalog, ConnectorSpecification];
      try {
        const [source, destination, discovered] = await Promise.all([
          sourceLaunch,
          launchDestination(connection.destination.connector, launchOptions(home)),
          sourceLaunch.then((launched) => launched.discover(connection.source.config, ctx)),
        ]);
        prepared = [source, destination, discovered, await destination.spec(ctx)];
      } catch (thrown) {
        // a source or destination that cannot even start is a failed run too: scheduled syncs
        // must find it in the history, and the other connections still sync
        const error = asConveyorError(thrown);
        const reason = await maskedReason(error, connection, sourceLaunch);
        const runId = store.startRun(connection.name);
        store.finishRun(runId, {
          status: 'failed',
          records: 0,
          streams: [],
          failureType: error.failureType,
          failureReason: reason,
        });
        failed += 1;
        if (error.failureType === 'config_error') misconfigured += 1;
        process.stderr.write(
          `${describeError(new ConveyorError(reason, { failureType: error.failureType, ...(error.internalMessage ? { internalMessage: error.internalMessage } : {}) }), opts.verbosity === 'debug')}\nSync ${connection.name} did not start (run ${runId}).\n`,
        );
        continue;
      }
      const [source, destination, discovered, destinationSpec] = prepared;
      const schema = schemaForSync(home, connection, discovered);
      if (schema.blocked) {
        // the other connections still sync; this one says why it did not
        failed += 1;
        misconfigured += 1;
        process.stderr.write(`Configuration error: Connection ${connection.name} is ${schema.blocked}\n`);
        continue;
      }
      const catalog = configureCatalog(
        schema.effective,
        connection.streams,
        destinationSpec.supported_destination_sync_modes,
      );
      process.stderr.write(
        `sync ${connection.name}: ${source.name} -> ${destination.name}, ${catalog.streams.length} stream(s)\n`,
      );
      const interrupt = new AbortController();
      const onSignal = () => interrupt.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const attempt = (refresh: boolean) =>
        runSync({
          connectionId: connection.name,
          source,
          sourceConfig: connection.source.config,
          destination,
          destinationConfig: connection.destination.config,
          catalog,
          store,
          logger,
          progress: process.stderr.isTTY
            ? new TerminalProgress(process.stderr)
            : new LogProgress((l) => logger.warn(l)),
          ...(connection.checkpoint ? { checkpoint: connection.checkpoint } : {}),
          ...(connection.heartbeatSeconds ? { heartbeatSeconds: connection.heartbeatSeconds } : {}),
          ...(refresh ? { refresh: true } : {}),
          ...(schema.droppedColumns.size ? { dropColumns: schema.droppedColumns } : {}),
          ...(connection.namespace ? { namespace: connection.namespace } : {}),
          signal: interrupt.signal,
        });
      // Transient failures (network, rate limits, a restarting server) are retried with backoff;
      // each attempt resumes from the last committed checkpoint.
      let result = await attempt(options.refresh === true);
      for (let retry = 1; retry <= (options.retries ?? 2); retry++) {
        if (
          result.status === 'succeeded' ||
          result.error?.failureType !== 'transient_error' ||
          interrupt.signal.aborted
        )
          break;
        const wait = 2000 * 4 ** (retry - 1);
        process.stderr.write(
          `sync ${connection.name}: ${result.error.userMessage} Retrying in ${wait / 1000} s (retry ${retry}).\n`,
        );
        await new Promise((resolveWait) => setTimeout(resolveWait, wait));
        // a refresh that failed part-way is redone from the start: resuming it would keep the old
        // generation's rows in append streams
        result = await attempt(options.refresh === true);
      }

      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stdout.write(`\n${summaryTable(result.streams)}\n`);
      if (result.status === 'succeeded') {
        acceptAfterSync(home, connection.name, schema, source.version);
        process.stdout.write(
          `\nSync ${connection.name} succeeded: ${result.records.toLocaleString('en-US')} records in ${result.seconds.toFixed(1)} s (run ${result.runId}).\n${describeWhereDataIs(connection, catalog.streams[0]?.stream)}\n`,
        );
      } else {
        failed += 1;
        if (result.error?.failureType === 'config_error') misconfigured += 1;
        const reason = result.error?.userMessage ?? 'unknown reason';
        process.stderr.write(
          `\nSync ${connection.name} failed (run ${result.runId}, ${result.error?.failureType ?? 'system_error'}): ${reason}\nCommitted data and state were kept; the next sync resumes from the last checkpoint.\n`,
        );
        if (opts.verbosity === 'debug' && result.error?.internalMessage)
          process.stderr.write(`${result.error.internalMessage}\n`);
      }
    }
  } finally {
    store.close();
  }
  // every failure was a configuration matter (a config_error, or paused by a schema change): exit 2
  return failed > 0 ? (failed === misconfigured ? 2 : 1) : 0;
}

export async function stateCommand(
  action: 'show' | 'reset',
  name: string,
  options: SyncOptions & { stream?: string[] },
): Promise<number> {
  const { home, connections } = connectionsFor([name], options);
  const connection = connections[0]!;
  const store = openStore(home);
  try {
    const stored = store.getStates(connection.name);
    const named = options.stream && options.stream.length > 0 ? options.stream : undefined;
    if (action === 'show') {
      const wanted = named ? resolveStreams(connection.name, named, stored?.states ?? []) : undefined;
      const matches = (s: StateMessage) =>
        !wanted ||
        (s.type === 'STREAM' && s.stream !== undefined && wanted.has(streamKey(s.stream.stream_descriptor)));
      const states = (stored?.states ?? []).filter(matches);
      process.stdout.write(
        `${JSON.stringify({ connection: connection.name, seq: stored?.seq ?? 0, states }, null, 2)}\n`,
      );
      return 0;
    }
    // A reset must win over states the destination holds itself, so it takes a seq above both.
    const destination = await launchDestination(connection.destination.connector, launchOptions(home));
    const held = await destination.committedStates(connection.destination.config, connection.name);
    const seq = Math.max(stored?.seq ?? 0, held?.seq ?? 0) + 1;
    const current = (held && held.seq > (stored?.seq ?? 0) ? held.states : stored?.states) ?? [];
    const wanted = named ? resolveStreams(connection.name, named, current) : undefined;
    const kept = wanted ? withoutStreams(current, wanted) : [];
    store.replaceStates(connection.name, seq, kept);
    process.stdout.write(
      `State of ${connection.name} reset${wanted ? ` for ${[...wanted].join(', ')}` : ''}: the next sync reads ${wanted ? 'those streams' : 'every stream'} from the beginning.\n`,
    );
    return 0;
  } finally {
    store.close();
  }
}

export function runsCommand(options: {
  file: string;
  connection?: string;
  limit?: string;
  json?: boolean;
}): number {
  const store = openStore(conveyorHome(options.file));
  try {
    const runs = store.listRuns({
      ...(options.connection ? { connection: options.connection } : {}),
      limit: options.limit ? Number(options.limit) : 20,
    });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return 0;
    }
    if (runs.length === 0) {
      process.stdout.write('No runs yet.\n');
      return 0;
    }
    const rows = runs.map((r) => [
      r.id,
      r.connection,
      r.startedAt.replace('T', ' ').slice(0, 19),
      r.endedAt && r.startedAt
        ? `${((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s`
        : '',
      r.status,
      r.records.toLocaleString('en-US'),
      [r.sourceVersion, r.destinationVersion].filter(Boolean).join(' -> '),
      r.failureReason ?? '',
    ]);
    process.stdout.write(
      `${printTable(['run', 'connection', 'started (UTC)', 'took', 'status', 'records', 'versions', 'reason'], rows)}\n`,
    );
    return 0;
  } finally {
    store.close();
  }
}

export async function queryCommand(
  connectionName: string,
  sql: string,
  options: SyncOptions,
): Promise<number> {
  const { home, connections } = connectionsFor([connectionName], options);
  const connection = connections[0]!;
  const destination = await launchDestination(connection.destination.connector, launchOptions(home));
  if (!destination.query) {
    throw configError(
      `Destination ${destination.name} cannot answer queries; look at its data with its own tools.`,
    );
  }
  const result = await destination.query(connection.destination.config, sql);
  process.stdout.write(
    `${printTable(result.columns, result.rows)}\n(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})\n`,
  );
  return 0;
}
