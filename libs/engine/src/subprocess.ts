// Runs any executable that speaks the protocol (`exec:PATH`): config and catalog go in temp files,
// messages come back on stdout, logs on stderr. Both pipes are always drained, so a chatty
// connector cannot deadlock the engine. Record lines are not parsed here: they are grouped per
// stream by a byte-level peek and handed on as raw JSON lines for the destination to bulk-load.

import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  type DestinationWriter,
  type Logger,
  type ReadContext,
  type RecordBatch,
  type SourceOutput,
  writeRecordBatch,
} from '@conveyor/cdk';
import {
  type AirbyteMessage,
  type ConfiguredCatalog,
  type ConnectorSpecification,
  configError,
  isProtocolLine,
  type JsonObject,
  MessageWriter,
  parseMessage,
  peekRecordStream,
  readLineBatches,
  SecretMasker,
  type StateMessage,
  secretValues,
  serializeMessage,
  streamKey,
  systemError,
} from '@conveyor/protocol';
import { writeFileAtomically } from './atomic-file.js';
import { type Command, ConnectorProcess, maskerFor, TempFiles } from './connector-process.js';
import type { DestinationHandle, Launcher, LaunchOptions, SourceHandle } from './launcher.js';

/**
 * Records per batch handed to the destination, and a byte cap so huge records don't pile up. Up to
 * five batches are in flight (the channel and the one being written): 5,000-line batches kept the
 * 1M-line passthrough into DuckDB at 305–326 MiB where 20,000 took 367–369, at the same speed.
 */
const BATCH_RECORDS = 5_000;
const BATCH_BYTES = 32 * 1024 * 1024;

function parseCommand(reference: string, cwd: string): Command {
  const parts = reference.trim().split(/\s+/).filter(Boolean);
  const first = parts[0];
  if (!first) throw configError('An exec: connector reference needs a path, for example exec:./my-source.sh');
  const file = first.includes('/') && !isAbsolute(first) ? resolve(cwd, first) : first;
  return { file, args: parts.slice(1) };
}

/**
 * Reads a connector's stdout to the end as protocol messages (no record fast path): non-protocol
 * lines and LOG messages go to the log, masked; returns the last TRACE ERROR, if any.
 */
async function readMessages(
  proc: ConnectorProcess,
  logger: Logger,
  masker: SecretMasker,
  onMessage: (message: AirbyteMessage) => void,
  maskerReady: Promise<unknown> = Promise.resolve(),
): Promise<AirbyteMessage | undefined> {
  let lastError: AirbyteMessage | undefined;
  if (!proc.child.stdout) return undefined;
  const name = proc.name;
  // Reading starts at once (a process that exits with unread output would have it discarded);
  // messages are handled only once the masker knows the secrets.
  let ready = false;
  for await (const { lines, firstLine } of readLineBatches(proc.child.stdout, { source: name })) {
    if (!ready) {
      await maskerReady;
      ready = true;
    }
    lines.forEach((line, i) => {
      if (!isProtocolLine(line)) {
        logger.info(`[${name} stdout] ${masker.mask(line.toString('utf8'))}`);
        return;
      }
      const message = parseMessage(line, { source: name, lineNumber: firstLine + i, masker });
      if (message.type === 'LOG') logger.info(`[${name}] ${masker.mask(message.log.message)}`);
      else if (message.type === 'TRACE' && message.trace.type === 'ERROR') lastError = message;
      onMessage(message);
    });
  }
  if (!ready) await maskerReady;
  return lastError;
}

/** Runs a command to completion, collecting its protocol messages (non-record). */
async function runToEnd(
  name: string,
  command: Command,
  args: string[],
  ctx: ReadContext,
  masker: SecretMasker,
  answer?: AirbyteMessage['type'],
  maskerReady: Promise<unknown> = Promise.resolve(),
): Promise<AirbyteMessage[]> {
  const proc = new ConnectorProcess(
    name,
    command,
    args,
    ctx.logger,
    masker,
    ctx.signal,
    undefined,
    maskerReady,
  );
  proc.child.stdin?.end();
  const messages: AirbyteMessage[] = [];
  let lastError: AirbyteMessage | undefined;
  try {
    lastError = await readMessages(proc, ctx.logger, masker, (m) => messages.push(m), maskerReady);
  } catch (error) {
    proc.kill();
    throw error;
  }
  try {
    await proc.assertSucceeded(lastError);
  } catch (error) {
    // a check that fails may exit non-zero; its CONNECTION_STATUS is still the answer
    if (!answer || !messages.some((m) => m.type === answer)) throw error;
  }
  return messages;
}

function pick<T extends AirbyteMessage['type']>(
  messages: AirbyteMessage[],
  type: T,
  name: string,
  command: string,
): Extract<AirbyteMessage, { type: T }> {
  const found = messages.find((m): m is Extract<AirbyteMessage, { type: T }> => m.type === type);
  if (!found) throw systemError(`Connector ${name} answered \`${command}\` without a ${type} message.`);
  return found;
}

/** What a launcher knows about a process connector beyond its command line. */
export interface ProcessConnectorInfo {
  /** the installed package's version, recorded with each run */
  version?: string;
  /**
   * Where the spec is kept for an installed package version, whose spec cannot change: later runs
   * skip a process start (seconds, for a Python connector).
   */
  specFile?: string;
}

class SubprocessConnector {
  private specCache: ConnectorSpecification | undefined;
  constructor(
    readonly name: string,
    readonly command: Command,
    private readonly specFile?: string,
  ) {}

  async spec(ctx: ReadContext): Promise<ConnectorSpecification> {
    if (!this.specCache && this.specFile && existsSync(this.specFile)) {
      this.specCache = JSON.parse(readFileSync(this.specFile, 'utf8')) as ConnectorSpecification;
    }
    if (!this.specCache) {
      const messages = await runToEnd(this.name, this.command, ['spec'], ctx, new SecretMasker());
      this.specCache = pick(messages, 'SPEC', this.name, 'spec').spec;
      // another process may read it without waiting for this one
      if (this.specFile) writeFileAtomically(this.specFile, JSON.stringify(this.specCache));
    }
    return this.specCache;
  }

  async masker(config: JsonObject, ctx: ReadContext): Promise<SecretMasker> {
    return maskerFor(await this.spec(ctx), config);
  }

  async check(config: JsonObject, ctx: ReadContext) {
    const masker = await this.masker(config, ctx);
    const files = new TempFiles();
    try {
      const messages = await runToEnd(
        this.name,
        this.command,
        ['check', '--config', files.write('config.json', config)],
        ctx,
        masker,
      );
      return pick(messages, 'CONNECTION_STATUS', this.name, 'check').connectionStatus;
    } finally {
      files.remove();
    }
  }
}

/** A source that speaks the protocol as a process. */
export function subprocessSource(
  name: string,
  command: Command,
  info: ProcessConnectorInfo = {},
): SourceHandle {
  const { version } = info;
  const base = new SubprocessConnector(name, command, info.specFile);
  return {
    name,
    ...(version ? { version } : {}),
    spec: (ctx) => base.spec(ctx),
    check: (config, ctx) => base.check(config, ctx),
    async discover(config, ctx) {
      // discover starts while spec runs (two short processes at once); its output waits for the
      // masker to know the config's secrets
      const masker = new SecretMasker();
      const ready = base
        .spec(ctx)
        .then((spec) => masker.add(secretValues(spec.connectionSpecification, config)));
      const files = new TempFiles();
      try {
        const messages = await runToEnd(
          name,
          command,
          ['discover', '--config', files.write('config.json', config)],
          ctx,
          masker,
          undefined,
          ready,
        );
        return pick(messages, 'CATALOG', name, 'discover').catalog;
      } finally {
        files.remove();
      }
    },
    read: (config, catalog, state, ctx) => readSubprocess(base, config, catalog, state, ctx),
  };
}

async function* readSubprocess(
  base: SubprocessConnector,
  config: JsonObject,
  catalog: ConfiguredCatalog,
  state: StateMessage[],
  ctx: ReadContext,
): AsyncGenerator<SourceOutput> {
  const masker = await base.masker(config, ctx);
  const files = new TempFiles();
  const args = [
    'read',
    '--config',
    files.write('config.json', config),
    '--catalog',
    files.write('catalog.json', catalog),
  ];
  if (state.length > 0) args.push('--state', files.write('state.json', state));
  const proc = new ConnectorProcess(base.name, base.command, args, ctx.logger, masker, ctx.signal);
  proc.child.stdin?.end();
  const known = new Set(catalog.streams.map((s) => streamKey(s.stream)));
  const pending = new Map<string, { batch: Extract<RecordBatch, { format: 'jsonl' }>; bytes: number }>();
  let lastError: AirbyteMessage | undefined;

  const take = (key: string): SourceOutput | undefined => {
    const entry = pending.get(key);
    if (!entry) return undefined;
    pending.delete(key);
    return { kind: 'records', batch: entry.batch };
  };
  const add = (
    line: Buffer,
    lineNumber: number,
    stream: string,
    namespace: string | undefined,
  ): SourceOutput | undefined => {
    const key = namespace ? `${namespace}.${stream}` : stream;
    let entry = pending.get(key);
    if (!entry) {
      entry = { batch: { format: 'jsonl', stream, lines: [], lineNumbers: [] }, bytes: 0 };
      if (namespace) entry.batch.namespace = namespace;
      pending.set(key, entry);
    }
    entry.batch.lines.push(line);
    entry.batch.lineNumbers!.push(lineNumber);
    entry.bytes += line.length;
    return entry.batch.lines.length >= (ctx.batchRecords ?? BATCH_RECORDS) || entry.bytes >= BATCH_BYTES
      ? take(key)
      : undefined;
  };

  try {
    if (!proc.child.stdout) throw systemError(`Connector ${base.name} has no stdout`);
    for await (const { lines, firstLine } of readLineBatches(proc.child.stdout, { source: base.name })) {
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        const lineNumber = firstLine + i;
        const peek = peekRecordStream(line);
        if (peek && known.has(peek.namespace ? `${peek.namespace}.${peek.stream}` : peek.stream)) {
          const full = add(line, lineNumber, peek.stream, peek.namespace);
          if (full) yield full;
          continue;
        }
        if (!isProtocolLine(line)) {
          ctx.logger.info(`[${base.name} stdout] ${masker.mask(line.toString('utf8').slice(0, 2000))}`);
          continue;
        }
        const message = parseMessage(line, { source: base.name, lineNumber, masker, knownStreams: known });
        if (message.type === 'RECORD') {
          const full = add(line, lineNumber, message.record.stream, message.record.namespace);
          if (full) yield full;
          continue;
        }
        if (message.type === 'STATE') {
          // everything before a state goes first, so the checkpoint covers exactly those records
          for (const key of [...pending.keys()]) yield take(key)!;
        }
        if (message.type === 'TRACE' && message.trace.type === 'ERROR') lastError = message;
        yield { kind: 'message', message };
      }
    }
    for (const key of [...pending.keys()]) yield take(key)!;
    await proc.assertSucceeded(lastError);
  } finally {
    proc.kill();
    files.remove();
  }
}

/** What a subprocess destination's writer needs to match echoed states to commits. */
function stateIdentity(state: StateMessage): string {
  const { sourceStats: _s, destinationStats: _d, ...rest } = state;
  return JSON.stringify(rest);
}

export function subprocessDestination(
  name: string,
  command: Command,
  info: ProcessConnectorInfo = {},
): DestinationHandle {
  const { version } = info;
  const base = new SubprocessConnector(name, command, info.specFile);
  return {
    name,
    ...(version ? { version } : {}),
    spec: (ctx) => base.spec(ctx),
    check: (config, ctx) => base.check(config, ctx),
    // A subprocess destination keeps no state the engine can read: the state store is the truth.
    committedStates: async () => undefined,
    async open(config, catalog, ctx) {
      const readCtx: ReadContext = { logger: ctx.logger, signal: new AbortController().signal };
      const masker = await base.masker(config, readCtx);
      const inCatalog = new Set(catalog.streams.map((s) => streamKey(s.stream)));
      const files = new TempFiles();
      const args = [
        'write',
        '--config',
        files.write('config.json', config),
        '--catalog',
        files.write('catalog.json', catalog),
      ];
      const proc = new ConnectorProcess(name, command, args, ctx.logger, masker, undefined, {
        CONVEYOR_CONNECTION_ID: ctx.connectionId,
        CONVEYOR_SYNC_ID: String(ctx.syncId),
      });
      const stdin = proc.child.stdin;
      if (!stdin) throw systemError(`Connector ${name} has no stdin`);
      const out = new MessageWriter(stdin);
      // commits awaiting their echo, oldest first: each has the identities of the states it sent
      const waiting: { seq: number; remaining: Set<string> }[] = [];
      let lastError: AirbyteMessage | undefined;
      let failure: Error | undefined;

      const reader = (async () => {
        lastError = await readMessages(proc, ctx.logger, masker, (message) => {
          if (message.type !== 'STATE') return;
          const id = stateIdentity(message.state);
          const index = waiting.findIndex((w) => w.remaining.has(id));
          if (index < 0) return;
          waiting[index]!.remaining.delete(id);
          // destinations flush in order: an echo proves every earlier commit durable too
          const upto = waiting[index]!.remaining.size === 0 ? index : index - 1;
          for (let k = 0; k <= upto; k++) ctx.onDurable(waiting.shift()!.seq);
        });
      })().catch((error: unknown) => {
        failure = error instanceof Error ? error : new Error(String(error));
      });

      let sentStates = new Map<string, string>();
      const check = () => {
        if (failure) throw failure;
      };
      const writer: DestinationWriter = {
        async write(batch) {
          check();
          await writeRecordBatch(out, batch);
        },
        async commit(states, seq) {
          check();
          // states kept for streams outside this catalog are not the destination's business, and it
          // would not echo them back
          const relevant = states.filter(
            (s) => s.type !== 'STREAM' || !s.stream || inCatalog.has(streamKey(s.stream.stream_descriptor)),
          );
          const now = new Map(
            relevant.map((s) => [stateIdentity(s), serializeMessage({ type: 'STATE', state: s })]),
          );
          const changed = [...now.entries()].filter(([id]) => !sentStates.has(id));
          sentStates = now;
          if (changed.length === 0) return;
          waiting.push({ seq, remaining: new Set(changed.map(([id]) => id)) });
          for (const [, line] of changed) {
            const wait = out.writeLine(line);
            if (wait) await wait;
          }
          await out.flush();
        },
        async finish() {
          check();
          await out.flush();
          stdin.end();
          await reader;
          check();
          await proc.assertSucceeded(lastError);
          if (waiting.length > 0) {
            ctx.logger.warn(
              `${name} exited without confirming ${waiting.length} checkpoint(s); their states are not committed and the next sync will resend those records.`,
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

export const subprocessLauncher: Launcher = {
  scheme: 'exec',
  async source(reference: string, options: LaunchOptions) {
    return subprocessSource(`exec:${reference}`, parseCommand(reference, options.cwd));
  },
  async destination(reference: string, options: LaunchOptions) {
    return subprocessDestination(`exec:${reference}`, parseCommand(reference, options.cwd));
  },
};
