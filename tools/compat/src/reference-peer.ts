// The reference engine, airbyte-cdk from PyPI, installed once into its own virtualenv under
// bench-out/peers/airbyte-cdk (pinned, the way the bench installs its Python peers; the bench does
// not export its installer, so this is the small part of it the harness needs).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TIME_MACHINE_REQUIREMENT } from './frozen-clock.js';

export const REFERENCE_REQUIREMENT = 'airbyte-cdk==7.39.1';
/** what the virtualenv holds: the reference, and time-machine to freeze its clock (frozen-clock.ts) */
const REQUIREMENTS = [REFERENCE_REQUIREMENT, TIME_MACHINE_REQUIREMENT];

function run(file: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** The path of `source-declarative-manifest` in the pinned virtualenv, installing it on first use. */
export async function installReference(peersDir: string, log: (line: string) => void): Promise<string> {
  const dir = join(peersDir, 'airbyte-cdk');
  const marker = join(dir, 'bench-installed.json');
  const bin = join(dir, 'bin', 'source-declarative-manifest');
  if (existsSync(marker) && existsSync(bin)) {
    const recorded = JSON.parse(readFileSync(marker, 'utf8')) as { requirements?: string[] };
    if (JSON.stringify(recorded.requirements) === JSON.stringify(REQUIREMENTS)) return bin;
  }
  log(`installing ${REQUIREMENTS.join(', ')} into ${dir}; once, a few minutes`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  const created = await run('python3', ['-m', 'venv', dir]);
  if (created.code !== 0) throw new Error(`python3 -m venv ${dir} failed:\n${created.output}`);
  const python = join(dir, 'bin', 'python');
  const installed = await run(python, ['-m', 'pip', 'install', '--progress-bar', 'off', ...REQUIREMENTS]);
  if (installed.code !== 0)
    throw new Error(`installing ${REQUIREMENTS.join(', ')} failed:\n${installed.output.slice(-3000)}`);
  writeFileSync(marker, `${JSON.stringify({ requirements: REQUIREMENTS }, null, 2)}\n`);
  return bin;
}
