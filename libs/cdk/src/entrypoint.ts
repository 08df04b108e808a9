// The protocol CLI around a connector object: `spec`, `check`, `discover`, `read` and `write`, JSON
// lines on stdout, exit code 1 and one paragraph on stderr when something fails. The same object
// runs in the engine's process without this file; here it speaks to any protocol-aware runner.

import { rename, rm, writeFile } from 'node:fs/promises';
import {
  type AirbyteMessage,
  asConveyorError,
  type ConfiguredCatalog,
  type ConnectionStatus,
  type ConveyorError,
  type JsonObject,
  lineNumberOf,
  type MessageOf,
  MessageWriter,
  parseMessage,
  readLineBatches,
  SecretMasker,
  secretValues,
  streamKey,
  systemError,
} from '@conveyor/protocol';
import { type ConnectorKind, type ParsedArguments, parseArguments } from './arguments.js';
import { configForRun } from './config.js';
import { readCatalogFile, readConfigFile, readStateFile } from './input-files.js';
import { createLogger } from './logger.js';
import { errorTrace } from './trace.js';
import type {
  DestinationConnector,
  DestinationWriter,
  ReadContext,
  RecordBatch,
  SourceConnector,
  SourceOutput,
} from './types.js';

export interface ConnectorIO {
  stdin: AsyncIterable<Buffer | string>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Read for CONVEYOR_DEBUG, CONVEYOR_CONNECTION_ID and CONVEYOR_SYNC_ID; defaults to process.env. */
  env?: Record<string, string | undefined>;
}

/** Records a destination's `write` gathers per stream before handing them to the writer. */
const WRITE_BATCH_RECORDS = 10_000;

type Connector = SourceConnector | DestinationConnector;

function kindOf(connector: Connector): ConnectorKind {
  return 'read' in connector && typeof connector.read === 'function' ? 'source' : 'destination';
}

/** Everything a command needs; `masker` learns the config's secrets as soon as the config is read. */
interface Run {
  args: ParsedArguments;
  out: MessageWriter;
  masker: SecretMasker;
  ctx: ReadContext;
  env: Record<string, string | undefined>;
  stdin: AsyncIterable<Buffer | string>;
  /** Set once a TRACE ERROR has gone out, so a failure is not reported twice. */
  traced: boolean;
}

/**
 * Runs the command in `argv` against the connector and resolves to the exit code. With the
 * process's own stdio (no `io` given) it also sets `process.exitCode`.
 */
export async function runConnector(
  connector: Connector,
  argv: readonly string[] = process.argv.slice(2),
  io?: ConnectorIO,
): Promise<number> {
  const { stdin, stdout, stderr } = io ?? {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  };
  const env = io?.env ?? process.env;
  const out = new MessageWriter(stdout);
  const masker = new SecretMasker();
  // When the reader of stdout goes away there is no one to read for: stop the connector's work.
  const stopped = new AbortController();
  stdout.on('error', (error: Error) => stopped.abort(error));
  const ctx: ReadContext = { logger: createLogger(out, masker), signal: stopped.signal };
  const command = argv[0] ?? '';
  let exitCode = 0;
  let run: Run | undefined;
  try {
    run = { args: parseArguments(argv, kindOf(connector)), out, masker, ctx, env, stdin, traced: false };
    const failure = await runCommand(connector, run);
    if (failure) {
      stderr.write(`${command} failed: ${masker.mask(failure)}\n`);
      exitCode = 1;
    }
  } catch (thrown) {
    const error = stopped.signal.aborted ? outputClosed(stopped.signal.reason) : asConveyorError(thrown);
    if (!run?.traced) await writeSafely(out, errorTrace(error, masker));
    stderr.write(`${failureParagraph(command, error, masker, env.CONVEYOR_DEBUG === '1')}\n`);
    exitCode = 1;
  }
  try {
    await out.flush();
  } catch (thrown) {
    if (exitCode === 0) {
      stderr.write(
        `${failureParagraph(command, outputClosed(thrown), masker, env.CONVEYOR_DEBUG === '1')}\n`,
      );
    }
    exitCode = 1;
  }
  if (!io) process.exitCode = exitCode;
  return exitCode;
}

function failureParagraph(
  command: string,
  error: ConveyorError,
  masker: SecretMasker,
  debug: boolean,
): string {
  const where = error.stream ? ` in stream "${streamKey(error.stream)}"` : '';
  let text = `${command || 'The connector'} failed${where} (${error.failureType}): ${error.userMessage}`;
  if (debug) {
    const stack = (error.cause instanceof Error ? error.cause : error).stack;
    if (error.internalMessage && error.internalMessage !== stack) text += `\n\n${error.internalMessage}`;
    if (stack) text += `\n\n${stack}`;
  } else if (error.failureType === 'system_error') {
    text += ' Set CONVEYOR_DEBUG=1 to see the details.';
  }
  return masker.mask(text);
}

function outputClosed(cause: unknown): ConveyorError {
  return systemError(
    'The output (stdout) closed before the connector finished writing to it; the process reading it stopped early, see its own error.',
    { cause, internalMessage: cause instanceof Error ? cause.message : String(cause) },
  );
}

async function writeSafely(out: MessageWriter, message: AirbyteMessage): Promise<void> {
  try {
    await out.write(message);
  } catch {
    // stdout is gone; the stderr paragraph still tells the story
  }
}

/** Runs one command; resolves to a failure message when it failed without throwing (a failed check). */
async function runCommand(connector: Connector, run: Run): Promise<string | undefined> {
  const { args, out } = run;
  if (args.command === 'spec') {
    await out.write({ type: 'SPEC', spec: connector.spec() });
    return undefined;
  }
  if (args.command === 'check') return check(connector, run);
  const config = await loadConfig(connector, run);
  if (args.command === 'discover') {
    const catalog = await (connector as SourceConnector).discover(config, run.ctx);
    await out.write({ type: 'CATALOG', catalog });
    return undefined;
  }
  const catalog = await readCatalogFile(args.catalog as string);
  if (args.command === 'read') await read(connector as SourceConnector, config, catalog, run);
  else await write(connector as DestinationConnector, config, catalog, run);
  return undefined;
}

async function loadConfig(connector: Connector, run: Run): Promise<JsonObject> {
  const path = run.args.config as string;
  const raw = await readConfigFile(path);
  const spec = connector.spec();
  // Secrets are learnt from the raw config: validation errors must already be masked.
  run.masker.add(secretValues(spec.connectionSpecification, raw));
  const { config, updated } = configForRun(connector, raw);
  run.masker.add(secretValues(spec.connectionSpecification, config));
  if (updated) await persistMigratedConfig(path, updated, run);
  return config;
}

/**
 * A migrated config is written back to its file (through a temporary file and a rename, so a crash
 * leaves the old or the new config, never half of one) and announced as a CONTROL message, which
 * is how a runner that keeps configs elsewhere (the engine) learns of it.
 */
async function persistMigratedConfig(path: string, migrated: JsonObject, run: Run): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(migrated, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, path);
    run.ctx.logger.info(
      `The config was migrated to the connector's current format and saved back to ${path}.`,
    );
  } catch (error) {
    await rm(temporary, { force: true });
    run.ctx.logger.warn(
      `The config was migrated to the connector's current format, but ${path} could not be rewritten (${(error as Error).message}); the migration is applied again on every run.`,
    );
  }
  await run.out.write({
    type: 'CONTROL',
    control: { type: 'CONNECTOR_CONFIG', emitted_at: Date.now(), connectorConfig: { config: migrated } },
  });
}

async function check(connector: Connector, run: Run): Promise<string | undefined> {
  let status: ConnectionStatus;
  try {
    const config = await loadConfig(connector, run);
    status = await connector.check(config, run.ctx);
  } catch (thrown) {
    const error = asConveyorError(thrown);
    // A config the user must fix is an answer to "check", not a crash of it.
    if (error.failureType !== 'config_error') throw error;
    status = { status: 'FAILED', message: error.userMessage };
  }
  if (status.message !== undefined) status = { ...status, message: run.masker.mask(status.message) };
  await run.out.write({ type: 'CONNECTION_STATUS', connectionStatus: status });
  return status.status === 'FAILED' ? (status.message ?? 'the connection check failed') : undefined;
}

async function read(connector: SourceConnector, config: JsonObject, catalog: ConfiguredCatalog, run: Run) {
  const states = run.args.state ? await readStateFile(run.args.state) : [];
  for await (const output of connector.read(config, catalog, states, run.ctx)) {
    const wait =
      output.kind === 'records' ? writeRecordBatch(run.out, output.batch) : writeMessage(run, output);
    if (wait) await wait;
  }
}

function writeMessage(run: Run, output: Extract<SourceOutput, { kind: 'message' }>) {
  const message = output.message;
  if (message.type === 'TRACE' && message.trace.type === 'ERROR') run.traced = true;
  return run.out.write(maskMessage(message, run.masker));
}

/** LOG and TRACE ERROR text is masked field by field, so masking never breaks the JSON around it. */
function maskMessage(message: AirbyteMessage, masker: SecretMasker): AirbyteMessage {
  if (masker.size === 0) return message;
  if (message.type === 'LOG') {
    const log = { ...message.log, message: masker.mask(message.log.message) };
    if (log.stack_trace !== undefined) log.stack_trace = masker.mask(log.stack_trace);
    return { ...message, log };
  }
  if (message.type === 'TRACE' && message.trace.error) {
    const error = { ...message.trace.error, message: masker.mask(message.trace.error.message) };
    if (error.internal_message !== undefined) error.internal_message = masker.mask(error.internal_message);
    if (error.stack_trace !== undefined) error.stack_trace = masker.mask(error.stack_trace);
    return { ...message, trace: { ...message.trace, error } };
  }
  return message;
}

/** One RECORD line per record; the envelope up to `data` is built once per batch. */
export async function writeRecordBatch(out: MessageWriter, batch: RecordBatch): Promise<void> {
  if (batch.format === 'jsonl') {
    for (const line of batch.lines) {
      const wait = out.writeLine(line);
      if (wait) await wait;
    }
    return;
  }
  const namespace = batch.namespace ? `"namespace":${JSON.stringify(batch.namespace)},` : '';
  const head = `{"type":"RECORD","record":{"stream":${JSON.stringify(batch.stream)},${namespace}"emitted_at":${batch.emittedAt},"data":`;
  for (const data of batch.records) {
    const wait = out.writeLine(`${head}${JSON.stringify(data)}}}`);
    if (wait) await wait;
  }
}

/** Records of one stream waiting for a batch to fill or a STATE to arrive. */
interface PendingRecords {
  stream: string;
  namespace: string | undefined;
  records: JsonObject[];
  emittedAt: number;
}

async function write(
  connector: DestinationConnector,
  config: JsonObject,
  catalog: ConfiguredCatalog,
  run: Run,
) {
  const writer = await connector.open(config, catalog, {
    logger: run.ctx.logger,
    connectionId: run.env.CONVEYOR_CONNECTION_ID ?? 'default',
    syncId: Number(run.env.CONVEYOR_SYNC_ID ?? 0) || 0,
  });
  try {
    await writeFromStdin(writer, catalog, run);
    await writer.finish();
  } catch (error) {
    // The first error is the one to report; close only discards what was staged.
    await writer.close().catch(() => undefined);
    throw error;
  }
  await writer.close();
}

/**
 * Feeds the writer from stdin. A STATE is echoed only after every record before it was written
 * and committed: the runner treats the echo as proof that those records are durable.
 */
async function writeFromStdin(
  writer: DestinationWriter,
  catalog: ConfiguredCatalog,
  run: Run,
): Promise<void> {
  const knownStreams = new Set(catalog.streams.map((s) => streamKey(s.stream)));
  const pending = new Map<string, PendingRecords>();
  const parseCtx = { source: 'stdin', lineNumber: 0, masker: run.masker, knownStreams };
  let seq = 0;
  let sinceState = 0;
  // Consecutive records usually share a stream: remember the last one to skip the key lookup.
  let last: PendingRecords | undefined;

  const take = async (key: string, entry: PendingRecords) => {
    pending.delete(key);
    if (last === entry) last = undefined;
    await writer.write({
      format: 'objects',
      stream: entry.stream,
      namespace: entry.namespace,
      records: entry.records,
      emittedAt: entry.emittedAt,
    });
  };

  for await (const batch of readLineBatches(run.stdin, { source: 'stdin', masker: run.masker })) {
    for (let i = 0; i < batch.lines.length; i++) {
      parseCtx.lineNumber = lineNumberOf(batch, i);
      const message = parseMessage(batch.lines[i] as Buffer, parseCtx);
      if (message.type === 'RECORD') {
        const { stream, namespace, data, emitted_at } = message.record;
        let entry = last;
        if (!entry || entry.stream !== stream || entry.namespace !== namespace) {
          const key = streamKey({ name: stream, namespace });
          entry = pending.get(key);
          if (!entry) {
            entry = { stream, namespace, records: [], emittedAt: emitted_at };
            pending.set(key, entry);
          }
          last = entry;
        }
        entry.records.push(data);
        sinceState++;
        if (entry.records.length >= WRITE_BATCH_RECORDS)
          await take(streamKey({ name: stream, namespace }), entry);
      } else if (message.type === 'STATE') {
        for (const [key, entry] of [...pending]) await take(key, entry);
        seq++;
        await writer.commit([message.state], seq);
        const echo: MessageOf<'STATE'> = {
          ...message,
          state: { ...message.state, destinationStats: { recordCount: sinceState } },
        };
        sinceState = 0;
        await run.out.write(echo);
        await run.out.flush();
      }
      // Other messages (LOG, TRACE) belong to the source's run; a destination has nothing to do with them.
    }
  }
  for (const [key, entry] of [...pending]) await take(key, entry);
}
