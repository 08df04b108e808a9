// A connector running as a child process: its command line, the temp files that carry its config
// and catalog, stderr drained into the masked log, and an exit that explains itself. Shared by every
// launcher that runs a process (exec:, airbyte:, singer:, docker:).

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@conveyor/cdk';
import {
  type AirbyteMessage,
  type ConnectorSpecification,
  ConveyorError,
  configError,
  type JsonObject,
  readLineBatches,
  SecretMasker,
  secretValues,
  systemError,
} from '@conveyor/protocol';

const STDERR_TAIL_LINES = 20;

export interface Command {
  file: string;
  args: string[];
  /**
   * Turns the connector's own command line into what is spawned, when something wraps it (a
   * container runtime mounts the files the arguments name).
   */
  launch?: (argv: string[]) => { file: string; args: string[]; stop?: () => void };
}

export class TempFiles {
  readonly dir = mkdtempSync(join(tmpdir(), 'conveyor-'));
  write(name: string, value: unknown): string {
    const path = join(this.dir, name);
    writeFileSync(path, JSON.stringify(value), { mode: 0o600 });
    return path;
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A running connector process: stderr drained into the logger (masked), exit awaited. */
export class ConnectorProcess {
  readonly child: ChildProcess;
  private readonly stderrTail: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private spawnError: Error | undefined;
  private readonly maskerReady: Promise<unknown>;
  /** what else stopping takes, beyond signalling the process (removing a container) */
  private readonly stop: (() => void) | undefined;

  constructor(
    readonly name: string,
    command: Command,
    args: string[],
    private readonly logger: Logger,
    private readonly masker: SecretMasker,
    signal?: AbortSignal,
    env?: Record<string, string>,
    /** resolves once the masker knows the config's secrets; nothing is logged before */
    maskerReady?: Promise<unknown>,
  ) {
    this.maskerReady = maskerReady ?? Promise.resolve();
    const argv = [...command.args, ...args];
    const spawned: { file: string; args: string[]; stop?: () => void } = command.launch
      ? command.launch(argv)
      : { file: command.file, args: argv };
    this.stop = spawned.stop;
    this.child = spawn(spawned.file, spawned.args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: env ? { ...process.env, ...env } : process.env,
    });
    this.exited = new Promise((resolveExit) => {
      this.child.on('error', (error) => {
        this.spawnError = error;
        resolveExit({ code: null, signal: null });
      });
      this.child.on('close', (code, sig) => resolveExit({ code, signal: sig }));
    });
    this.child.stdin?.on('error', () => {
      // a connector that exits early closes its stdin; the exit status tells the story
    });
    void this.drainStderr();
    if (signal) {
      const stop = () => this.kill();
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
      void this.exited.then(() => signal.removeEventListener('abort', stop));
    }
  }

  private async drainStderr(): Promise<void> {
    const stderr = this.child.stderr;
    if (!stderr) return;
    // Reading starts at once (a process that exits with unread output would have it discarded);
    // lines are shown only once the masker knows the secrets, and never if that failed.
    let masked: boolean | undefined;
    for await (const batch of readLineBatches(stderr, { source: this.name })) {
      masked ??= await this.maskerReady.then(
        () => true,
        () => false,
      );
      if (!masked) continue;
      for (const raw of batch.lines) {
        const line = this.masker.mask(raw.toString('utf8'));
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
        this.logger.debug(`[${this.name}] ${line}`);
      }
    }
  }

  kill(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.stop?.();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    timer.unref();
  }

  /** Throws a clear error when the process could not start or exited badly. */
  async assertSucceeded(lastError?: AirbyteMessage): Promise<void> {
    const { code, signal } = await this.exited;
    if (this.spawnError) {
      const err = this.spawnError as NodeJS.ErrnoException;
      const why =
        err.code === 'ENOENT'
          ? 'the file does not exist'
          : err.code === 'EACCES'
            ? 'it is not executable (chmod +x?)'
            : err.message;
      throw configError(`Could not start connector ${this.name}: ${why}.`);
    }
    if (code === 0) return;
    const tail =
      this.stderrTail.length > 0 ? ` Last lines on stderr:\n  ${this.stderrTail.join('\n  ')}` : '';
    if (lastError?.type === 'TRACE' && lastError.trace.error) {
      const e = lastError.trace.error;
      throw new ConveyorError(this.masker.mask(e.message), {
        failureType: e.failure_type ?? 'system_error',
        internalMessage: e.internal_message === undefined ? undefined : this.masker.mask(e.internal_message),
      });
    }
    const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
    // a Python traceback ends with the exception that matters: say it first
    const exception = this.stderrTail.findLast((l) => /^\s*[A-Za-z_.]*(Error|Exception|Exit)\b.*:/.test(l));
    const why = exception ? `: ${exception.trim()}` : '';
    throw systemError(`Connector ${this.name} ${how}${why}.${tail}`);
  }
}

export function maskerFor(
  spec: ConnectorSpecification | undefined,
  config: JsonObject | undefined,
): SecretMasker {
  return new SecretMasker(spec && config ? secretValues(spec.connectionSpecification, config) : []);
}
