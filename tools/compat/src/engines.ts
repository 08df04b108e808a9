// Running an engine the way both are invoked: `<command> {spec|check|discover|read} --config C
// [--catalog K] --manifest-path M`, Airbyte-protocol messages on stdout, one per line. Each run has
// a timeout; its process group is killed when the timeout passes.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface Engine {
  /** 'reference' or 'ours', as the results name it */
  name: 'reference' | 'ours';
  /** the executable and its leading arguments, e.g. ['node', 'libs/declarative/dist/cli.js'] */
  command: string[];
}

export interface EngineRun {
  code: number | null;
  timedOut: boolean;
  ms: number;
  /** the first error the engine reported: an error trace, a FATAL log, or stderr's tail */
  error?: string;
  /** the last 2,000 characters of stderr */
  stderr: string;
}

export interface ProtocolMessage {
  type?: string;
  record?: { stream?: string; data?: unknown };
  catalog?: { streams?: unknown[] };
  trace?: {
    type?: string;
    error?: { message?: string; internal_message?: string };
    stream_status?: { stream_descriptor?: { name?: string }; status?: string };
  };
  log?: { level?: string; message?: string };
  connectionStatus?: { status?: string; message?: string };
}

export interface RunOptions {
  args: string[];
  timeoutMs: number;
  cwd?: string;
  /** every parsed message, in order (skip when stdout goes to a file) */
  onMessage?: (message: ProtocolMessage) => void;
  /** write raw stdout here instead of parsing it (for the speed run) */
  stdoutFile?: string;
  /** added to the harness's environment */
  env?: Record<string, string>;
}

function errorOf(message: ProtocolMessage): string | undefined {
  if (message.type === 'TRACE' && message.trace?.type === 'ERROR') {
    const error = message.trace.error;
    return error?.message ?? error?.internal_message ?? 'error trace';
  }
  if (message.type === 'LOG' && message.log?.level === 'FATAL') return message.log.message?.split('\n')[0];
  return undefined;
}

export function runEngine(engine: Engine, options: RunOptions): Promise<EngineRun> {
  const started = performance.now();
  const [file, ...lead] = engine.command;
  return new Promise((done, fail) => {
    const child = spawn(file!, [...lead, ...options.args], {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, PYTHONUNBUFFERED: '1', ...options.env },
    });
    let firstError: string | undefined;
    let stderrTail = '';
    let pending = '';
    const consume = (text: string): void => {
      pending += text;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        if (!line.startsWith('{')) continue;
        let message: ProtocolMessage;
        try {
          message = JSON.parse(line) as ProtocolMessage;
        } catch {
          continue;
        }
        firstError ??= errorOf(message);
        options.onMessage?.(message);
      }
    };
    if (options.stdoutFile) child.stdout.pipe(createWriteStream(options.stdoutFile));
    else child.stdout.on('data', (chunk: Buffer) => consume(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      consume('\n');
      const ms = performance.now() - started;
      const lastStderr = stderrTail.trim().split('\n').slice(-1)[0];
      const error = timedOut
        ? `timed out after ${Math.round(options.timeoutMs / 1000)} s`
        : (firstError ?? (code !== 0 ? `exit code ${code}: ${lastStderr ?? ''}` : undefined));
      done({ code, timedOut, ms, stderr: stderrTail, ...(error === undefined ? {} : { error }) });
    });
  });
}
