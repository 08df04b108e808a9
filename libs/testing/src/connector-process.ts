// Runs a connector as a process, the only way the kit talks to one: the protocol's commands
// (spec, check, discover, read, write) with their files, stdout read line by line, stderr kept.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { type AirbyteMessage, configError, type JsonObject, parseMessage } from '@conveyor/protocol';

export interface ConnectorCommand {
  /** What the report calls it. */
  name: string;
  argv: string[];
  /** Where its acceptance.yml and package.json are. */
  dir: string;
  packageJson?: JsonObject;
}

export interface ProcessRun {
  command: string;
  messages: AirbyteMessage[];
  /** stdout lines that are not protocol messages */
  stray: string[];
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** true when the kit killed it on purpose */
  killed: boolean;
  ms: number;
}

export interface RunInputs {
  config?: JsonObject;
  catalog?: JsonObject;
  state?: JsonObject[];
  /** Lines written to stdin (destinations' `write`). */
  stdin?: string;
  /** Kill the process (SIGKILL) once this many RECORD messages were read. */
  killAfterRecords?: number;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

function readPackage(dir: string): JsonObject | undefined {
  const file = join(dir, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as JsonObject) : undefined;
}

function binOf(pkg: JsonObject, dir: string): string | undefined {
  const bin = pkg.bin;
  const path =
    typeof bin === 'string' ? bin : bin && typeof bin === 'object' ? Object.values(bin)[0] : undefined;
  return typeof path === 'string' ? join(dir, path) : undefined;
}

/**
 * `exec:PATH` (any executable), a folder holding a connector package or an acceptance.yml, or a
 * package name (`faker`, `@conveyor/source-faker`) resolved from `cwd`.
 */
export function resolveConnector(reference: string, cwd: string): ConnectorCommand {
  if (reference.startsWith('exec:')) {
    const [path, ...args] = reference.slice(5).split(' ').filter(Boolean);
    if (!path) throw configError('exec: needs a path, like exec:./main.py');
    const absolute = isAbsolute(path) ? path : resolve(cwd, path);
    if (!existsSync(absolute)) throw configError(`${reference}: ${absolute} does not exist.`);
    return { name: reference, argv: [absolute, ...args], dir: dirname(absolute) };
  }
  const asDir = resolve(cwd, reference);
  if (existsSync(join(asDir, 'package.json'))) {
    const pkg = readPackage(asDir)!;
    const bin = binOf(pkg, asDir);
    if (!bin)
      throw configError(
        `${asDir}/package.json has no "bin": the kit runs a connector through its executable.`,
      );
    if (!existsSync(bin))
      throw configError(`${bin} does not exist. Build the connector first (npm run build).`);
    // a JavaScript bin runs on this Node; any other (Python, a binary) runs as itself, by its shebang
    const argv = /\.(c|m)?js$/.test(bin) ? [process.execPath, bin] : [bin];
    return { name: String(pkg.name ?? reference), argv, dir: asDir, packageJson: pkg };
  }
  for (const kind of ['source', 'destination']) {
    const name = reference.includes('/')
      ? reference
      : `@conveyor/${reference.startsWith(`${kind}-`) ? reference : `${kind}-${reference}`}`;
    try {
      const manifest = createRequire(join(cwd, 'package.json')).resolve(`${name}/package.json`);
      return resolveConnector(dirname(manifest), cwd);
    } catch {
      // try the other kind
    }
  }
  throw configError(
    `Cannot find connector "${reference}". Give a folder with a package.json, a package name installed here, or exec:PATH.`,
  );
}

export function runCommand(
  connector: ConnectorCommand,
  args: string[],
  inputs: RunInputs = {},
): Promise<ProcessRun> {
  const work = mkdtempSync(join(tmpdir(), 'conveyor-acceptance-'));
  const argv = [...args];
  const file = (name: string, value: unknown) => {
    const path = join(work, `${name}.json`);
    writeFileSync(path, JSON.stringify(value));
    argv.push(`--${name}`, path);
  };
  if (inputs.config) file('config', inputs.config);
  if (inputs.catalog) file('catalog', inputs.catalog);
  if (inputs.state) file('state', inputs.state);
  const started = Date.now();
  const [command, ...prefix] = connector.argv;
  return new Promise((done, reject) => {
    // its own process group, so a kill reaches a wrapper script's children too
    const child = spawn(command!, [...prefix, ...argv], {
      cwd: connector.dir,
      env: { ...process.env, ...inputs.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const killAll = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already
      }
    };
    const run: ProcessRun = {
      command: `${connector.name} ${args.join(' ')}`,
      messages: [],
      stray: [],
      stdout: '',
      stderr: '',
      exitCode: null,
      killed: false,
      ms: 0,
    };
    let records = 0;
    let lineNumber = 1;
    let pending = '';
    const timer = setTimeout(() => {
      run.stderr += `\n[acceptance kit: killed after ${inputs.timeoutMs ?? 120_000} ms without finishing]`;
      killAll();
    }, inputs.timeoutMs ?? 120_000);
    const line = (text: string) => {
      if (!text.trim()) return;
      if (run.killed) return;
      // the engine's own parser decides what a protocol message is; anything it refuses is stray output
      let parsed: AirbyteMessage | undefined;
      try {
        parsed = parseMessage(text, { source: connector.name, lineNumber: lineNumber });
      } catch {
        parsed = undefined;
      }
      lineNumber += 1;
      if (parsed) {
        run.messages.push(parsed);
        if (parsed.type === 'RECORD') {
          records += 1;
          if (inputs.killAfterRecords !== undefined && records >= inputs.killAfterRecords) {
            run.killed = true;
            killAll();
          }
        }
      } else {
        run.stray.push(text.length > 300 ? `${text.slice(0, 300)}...` : text);
      }
    };
    // decoded as a stream, so a character split across two chunks stays whole
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      run.stdout += text;
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) line(l);
    });
    child.stderr.on('data', (text: string) => {
      run.stderr += text;
    });
    child.stdin.on('error', () => {
      // a connector that exits without reading its input; its exit code tells what happened
    });
    child.stdin.end(inputs.stdin ?? '');
    child.once('error', (error) => {
      clearTimeout(timer);
      rmSync(work, { recursive: true, force: true });
      reject(configError(`Cannot start ${connector.name} (${connector.argv.join(' ')}): ${error.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (pending) line(pending);
      run.exitCode = code;
      run.ms = Date.now() - started;
      rmSync(work, { recursive: true, force: true });
      done(run);
    });
  });
}
