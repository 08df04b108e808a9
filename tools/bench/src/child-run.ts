// Runs one Node program in its own process and measures it from the outside: wall clock from spawn
// to exit, and the peak resident memory of that process (GNU time's %M, or the process's own
// high-water mark through peak-rss-hook.js when /usr/bin/time is not installed).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const GNU_TIME = '/usr/bin/time';
const OUTPUT_TAIL_BYTES = 16 * 1024;
const HOOK = join(import.meta.dirname, 'peak-rss-hook.js');

export interface ChildMeasurement {
  seconds: number;
  peakRssMiB: number;
  stdout: string;
  stderr: string;
}

export interface NodeRun {
  /** script and its arguments, run with the current Node binary */
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** extra Node flags (for example --cpu-prof) */
  nodeFlags?: string[];
}

export function peakRssMethod(): string {
  return existsSync(GNU_TIME) ? `${GNU_TIME} -f %M` : 'process.resourceUsage().maxRSS at exit';
}

function keepTail(chunks: Buffer[]): string {
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length > OUTPUT_TAIL_BYTES ? text.slice(-OUTPUT_TAIL_BYTES) : text;
}

export async function measureNode(run: NodeRun): Promise<ChildMeasurement> {
  const useTime = existsSync(GNU_TIME);
  return measureCommand({
    file: process.execPath,
    args: [...(run.nodeFlags ?? []), ...(useTime ? [] : ['--import', HOOK]), ...run.args],
    ...(run.env ? { env: run.env } : {}),
    ...(run.cwd ? { cwd: run.cwd } : {}),
  });
}

export interface CommandRun {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Any program (a peer in Python, say), measured the same way. Without GNU time only Node programs
 * report their peak memory (through the hook); others get NaN.
 */
export async function measureCommand(run: CommandRun): Promise<ChildMeasurement> {
  const scratch = mkdtempSync(join(tmpdir(), 'conveyor-bench-'));
  const rssFile = join(scratch, 'peak-rss');
  const useTime = existsSync(GNU_TIME);
  const [file, args] = useTime
    ? [GNU_TIME, ['-f', '%M', '-o', rssFile, run.file, ...run.args]]
    : [run.file, run.args];
  const env = { ...process.env, ...run.env, ...(useTime ? {} : { BENCH_PEAK_RSS_FILE: rssFile }) };

  try {
    const started = performance.now();
    const child = spawn(file, args, { env, cwd: run.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (exitCode) => resolve(exitCode));
    });
    const seconds = (performance.now() - started) / 1000;
    const out = keepTail(stdout);
    const err = keepTail(stderr);
    if (code !== 0) {
      throw new Error(
        `${run.file} ${run.args.join(' ')} exited with code ${code}.\nstdout (tail):\n${out}\nstderr (tail):\n${err}`,
      );
    }
    // GNU time appends its line after any "Command exited" note; the number is on the last line.
    if (!existsSync(rssFile)) return { seconds, peakRssMiB: Number.NaN, stdout: out, stderr: err };
    const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
    const kib = Number(lines[lines.length - 1]);
    if (!Number.isFinite(kib))
      throw new Error(`could not read the peak RSS of ${run.file} ${run.args.join(' ')}`);
    return { seconds, peakRssMiB: kib / 1024, stdout: out, stderr: err };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
