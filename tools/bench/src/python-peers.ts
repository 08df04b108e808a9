// Peers written in Python, each installed by the bench into its own virtualenv under
// bench-out/peers/ (from PyPI, pinned), once; the versions actually installed go into the report.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './checked-runs.js';

export interface PythonPeer {
  dir: string;
  python: string;
  bin(executable: string): string;
  /** what `pip freeze` reported for the pinned packages */
  versions: Record<string, string>;
}

function run(file: string, args: string[], cwd?: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** A virtualenv holding `requirements` (exact pins), installed on first use. */
export async function pythonPeer(
  ctx: BenchContext,
  name: string,
  requirements: string[],
): Promise<PythonPeer> {
  const dir = join(ctx.outDir, 'peers', name);
  const marker = join(dir, 'bench-installed.json');
  const python = join(dir, 'bin', 'python');
  const peer = (versions: Record<string, string>): PythonPeer => ({
    dir,
    python,
    bin: (executable) => join(dir, 'bin', executable),
    versions,
  });
  if (existsSync(marker)) {
    const recorded = JSON.parse(readFileSync(marker, 'utf8')) as {
      requirements: string[];
      versions: Record<string, string>;
    };
    if (JSON.stringify(recorded.requirements) === JSON.stringify(requirements))
      return peer(recorded.versions);
  }
  ctx.log(`installing ${name} (${requirements.join(' ')}) into ${dir}; once, a few minutes`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(ctx.outDir, 'peers'), { recursive: true });
  const created = await run('python3', ['-m', 'venv', dir]);
  if (created.code !== 0) throw new Error(`python3 -m venv ${dir} failed:\n${created.output}`);
  const installed = await run(python, ['-m', 'pip', 'install', '--progress-bar', 'off', ...requirements]);
  if (installed.code !== 0) throw new Error(`installing ${name} failed:\n${installed.output.slice(-3000)}`);
  const frozen = await run(python, ['-m', 'pip', 'freeze']);
  const all = new Map(
    frozen.output
      .split('\n')
      .map((l) => /^([A-Za-z0-9._-]+)==(.+)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!.toLowerCase().replaceAll('_', '-'), m[2]!]),
  );
  const versions = Object.fromEntries(
    requirements.map((r) => {
      const pkg = r.split(/[=<>[]/)[0]!.toLowerCase();
      return [pkg, all.get(pkg) ?? '?'];
    }),
  );
  writeFileSync(marker, `${JSON.stringify({ requirements, versions }, null, 2)}\n`);
  return peer(versions);
}

export function versionList(peer: PythonPeer): string {
  return Object.entries(peer.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
}
