// A measured run is only a figure once what it wrote has been read back: every run here is
// followed by a checksum of its DuckDB table, compared with what the input holds. Mismatches are
// collected (not thrown) so the tables still print, marked, and the bench exits non-zero.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { measureNode } from './child-run.js';
import { type ConveyorSource, runConveyor } from './conveyor-run.js';
import { checksumDifferences, checksumOf, type TableChecksum } from './table-check.js';

export interface BenchContext {
  /** bench-out/: cached inputs, the source script, results.md */
  outDir: string;
  quick: boolean;
  pairs: number;
  /** progress for the person waiting, on stderr; stdout carries only the tables */
  log(line: string): void;
  /** every check that failed, across benchmarks */
  problems: string[];
}

export interface CheckedRun {
  seconds: number;
  peakRssMiB: number;
  checksum: TableChecksum;
  /** false when the table differs from the input; the details are in ctx.problems */
  ok: boolean;
  /** the engine's own duration (Conveyor runs only) */
  engineSeconds?: number;
}

const BASELINE_ENTRY = join(import.meta.dirname, 'baseline.js');

function runDir(ctx: BenchContext, label: string): string {
  return join(ctx.outDir, 'runs', label);
}

async function verify(
  ctx: BenchContext,
  label: string,
  dbPath: string,
  expected: Partial<TableChecksum>,
): Promise<{ checksum: TableChecksum; ok: boolean }> {
  const checksum = await checksumOf(dbPath);
  const differences = checksumDifferences(checksum, expected);
  for (const difference of differences) ctx.problems.push(`${label}: ${difference}`);
  return { checksum, ok: differences.length === 0 };
}

export async function checkedConveyorRun(
  ctx: BenchContext,
  label: string,
  source: ConveyorSource,
  expected: Partial<TableChecksum>,
): Promise<CheckedRun> {
  const run = await runConveyor(runDir(ctx, label), source);
  try {
    const { checksum, ok } = await verify(ctx, label, run.dbPath, expected);
    if (run.reportedRecords !== undefined && run.reportedRecords !== checksum.rows) {
      ctx.problems.push(
        `${label}: the CLI reported ${run.reportedRecords} records, the table holds ${checksum.rows}`,
      );
    }
    ctx.log(
      `${label}: ${run.seconds.toFixed(2)} s, ${checksum.rows} rows, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`,
    );
    return {
      seconds: run.seconds,
      peakRssMiB: run.peakRssMiB,
      checksum,
      ok,
      ...(run.engineSeconds !== undefined ? { engineSeconds: run.engineSeconds } : {}),
    };
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
}

export async function checkedBaselineRun(
  ctx: BenchContext,
  label: string,
  dataFile: string,
  expected: Partial<TableChecksum>,
): Promise<CheckedRun> {
  const dir = runDir(ctx, label);
  rmSync(dir, { recursive: true, force: true });
  const dbPath = join(dir, 'out.duckdb');
  try {
    mkdirSync(dir, { recursive: true });
    const run = await measureNode({ args: [BASELINE_ENTRY, dataFile, dbPath] });
    const { checksum, ok } = await verify(ctx, label, dbPath, expected);
    ctx.log(
      `${label}: ${run.seconds.toFixed(2)} s, ${checksum.rows} rows, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`,
    );
    return { seconds: run.seconds, peakRssMiB: run.peakRssMiB, checksum, ok };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
