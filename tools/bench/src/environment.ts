// What a reader needs to judge a figure: when, on what machine, with which versions.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, release, totalmem } from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';
import { peakRssMethod } from './child-run.js';

export interface Environment {
  date: string;
  cores: number;
  memoryGiB: number;
  cpuModel: string;
  kernel: string;
  node: string;
  duckdb: string;
  packages: Record<string, string>;
  commit: string;
  peakRss: string;
}

const MEASURED_PACKAGES = [
  '@conveyor/cli',
  '@conveyor/engine',
  '@conveyor/source-faker',
  '@conveyor/destination-duckdb',
  '@conveyor/source-postgres',
  '@conveyor/destination-postgres',
  '@conveyor/destination-sqlite',
  '@duckdb/node-api',
];

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    const file = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return 'not installed';
  }
}

function gitCommit(repoRoot: string): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

async function duckdbVersion(): Promise<string> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll('SELECT version()');
  const version = String(reader.getRows()[0]?.[0] ?? '?');
  connection.closeSync();
  instance.closeSync();
  return version;
}

export async function describeEnvironment(repoRoot: string): Promise<Environment> {
  const cpuList = cpus();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cores: cpuList.length,
    memoryGiB: totalmem() / 1024 ** 3,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    node: process.version,
    duckdb: await duckdbVersion(),
    packages: Object.fromEntries(MEASURED_PACKAGES.map((name) => [name, packageVersion(name)])),
    commit: gitCommit(repoRoot),
    peakRss: peakRssMethod(),
  };
}
