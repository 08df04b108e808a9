// One Conveyor sync, the way a user runs it: the `conveyor` CLI with a project file, in its own
// process. By default it selects the `users` stream (full_refresh + append) into a fresh DuckDB file;
// the SQL benchmark names another destination and stream.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type ChildMeasurement, measureNode } from './child-run.js';

export interface ConveyorSource {
  /** `faker`, or `exec:/abs/path` */
  connector: string;
  config: Record<string, unknown>;
}

/** Where a run writes and what it selects, when not the default (`users` into a fresh DuckDB file). */
export interface ConveyorTarget {
  /** short name or package (`postgres`, `sqlite`, `duckdb`) and its config; the DuckDB path is filled in when omitted */
  destination?: { connector: string; config: Record<string, unknown> };
  stream?: {
    name: string;
    namespace?: string;
    sync_mode: 'full_refresh' | 'incremental';
    destination_sync_mode: 'append' | 'overwrite' | 'append_dedup';
  };
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
function writeProject(dir: string, source: ConveyorSource, dbPath: string, target: ConveyorTarget): string {
  const project = {
    sources: { src: { connector: source.connector, config: source.config } },
    destinations: { db: target.destination ?? { connector: 'duckdb', config: { path: dbPath } } },
    connections: {
      c: {
        source: 'src',
        destination: 'db',
        streams: [
          target.stream ?? { name: 'users', sync_mode: 'full_refresh', destination_sync_mode: 'append' },
        ],
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
  target: ConveyorTarget = {},
): Promise<ConveyorRun> {
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const dbPath = join(runDir, 'out.duckdb');
  const projectFile = writeProject(runDir, source, dbPath, target);
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
