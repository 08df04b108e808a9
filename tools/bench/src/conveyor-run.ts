// One Conveyor sync, the way a user runs it: the `conveyor` CLI with a project file that selects
// the `users` stream (full_refresh + append), in its own process, into a fresh DuckDB file.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type ChildMeasurement, measureNode } from './child-run.js';

export interface ConveyorSource {
  /** `faker`, or `exec:/abs/path` */
  connector: string;
  config: Record<string, unknown>;
}

export interface ConveyorRun extends ChildMeasurement {
  dbPath: string;
  /** the directory holding the project file, state and DuckDB file; remove it when done */
  dir: string;
  /** what the CLI said it synced, for comparison with what the table holds */
  reportedRecords: number | undefined;
  /** the engine's own duration, without process start-up */
  engineSeconds: number | undefined;
}

export function cliEntry(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('@conveyor/cli/package.json');
  return join(dirname(packageJson), 'dist', 'main.js');
}

/** Writes the project file (JSON is valid YAML, and needs no quoting rules). */
function writeProject(dir: string, source: ConveyorSource, dbPath: string): string {
  const project = {
    sources: { src: { connector: source.connector, config: source.config } },
    destinations: { db: { connector: 'duckdb', config: { path: dbPath } } },
    connections: {
      c: {
        source: 'src',
        destination: 'db',
        streams: [{ name: 'users', sync_mode: 'full_refresh', destination_sync_mode: 'append' }],
      },
    },
  };
  const file = join(dir, 'conveyor.yml');
  writeFileSync(file, `${JSON.stringify(project, null, 2)}\n`);
  return file;
}

function parseSummary(stdout: string): { records?: number; seconds?: number } {
  const match = /succeeded: ([\d,]+) records in ([\d.]+) s/.exec(stdout);
  if (!match) return {};
  return { records: Number(match[1]!.replaceAll(',', '')), seconds: Number(match[2]) };
}

export async function runConveyor(
  runDir: string,
  source: ConveyorSource,
  nodeFlags: string[] = [],
): Promise<ConveyorRun> {
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const dbPath = join(runDir, 'out.duckdb');
  const projectFile = writeProject(runDir, source, dbPath);
  const measured = await measureNode({
    args: [cliEntry(), 'sync', '-f', projectFile],
    cwd: runDir,
    env: { CONVEYOR_HOME: join(runDir, 'home') },
    nodeFlags,
  });
  const summary = parseSummary(measured.stdout);
  return {
    ...measured,
    dbPath,
    dir: runDir,
    reportedRecords: summary.records,
    engineSeconds: summary.seconds,
  };
}
