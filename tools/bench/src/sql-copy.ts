// (f) A Postgres table copied by Conveyor to DuckDB, Postgres and SQLite, and to DuckDB by dlt.
//
// Source: the generated table of sql-fixture.ts (2M rows, ten mixed columns) in a throwaway
// database. A = `conveyor sync` with the `postgres` source into the DuckDB destination
// (full_refresh + overwrite); B = dlt's `sql_database` source (pyarrow backend) into its duckdb
// destination, in its own virtualenv; A' = A again, the control. P and S = Conveyor into Postgres
// (another throwaway database) and SQLite. M = A on a quarter of the rows, for memory growth.
// Rounds run A B A' P S M in turn after one small warm-up of each; every copy is read back and its
// checksum compared with the source's.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresDatabase, type TestDatabase } from '@conveyor/testing';
import type { BenchContext } from './checked-runs.js';
import { measureCommand } from './child-run.js';
import { type ConveyorTarget, runConveyor } from './conveyor-run.js';
import { type PythonPeer, pythonPeer, versionList } from './python-peers.js';
import { fixed, integer, markdownTable, shortCount, spread } from './report.js';
import {
  duckdbChecksum,
  postgresChecksum,
  type SqlTableChecksum,
  sqlChecksumDifferences,
  sqliteChecksum,
} from './sql-checksum.js';
import { createSqlSource, SQL_SOURCE_SCHEMA, type SqlSource, type SqlSourceTable } from './sql-fixture.js';
import { controlPasses, pairRatios, type Spread, spreadOf } from './stats.js';

/** dlt and what it runs on, pinned; duckdb is the version of Conveyor's destination, so both files read back alike. */
export const DLT_REQUIREMENTS = [
  'dlt[duckdb,sql-database]==1.31.0',
  'duckdb==1.5.6',
  'pyarrow==26.0.1',
  'psycopg2-binary==2.9.13',
  'sqlalchemy==2.1.9',
];
const DLT_TARGET = 1.0;
/** peak RSS may grow this much from the small to the large copy and still count as flat */
const FLAT_GROWTH = 0.2;
export const LARGE_TABLE = 'bench_rows';
export const SMALL_TABLE = 'bench_rows_small';

export interface SqlCopySizes {
  rows: number;
  smallRows: number;
  rounds: number;
}

export const DLT_SCRIPT = `# written by the Conveyor bench: dlt copies one Postgres table into a DuckDB file
import os
import sys

import dlt
from dlt.sources.sql_database import sql_database

table, db_path, pipelines_dir = sys.argv[1:4]
source = sql_database(
    credentials=os.environ["BENCH_SOURCE_URL"],
    schema="${SQL_SOURCE_SCHEMA}",
    table_names=[table],
    backend="pyarrow",
)
pipeline = dlt.pipeline(
    pipeline_name="conveyor_bench",
    destination=dlt.destinations.duckdb(db_path),
    dataset_name="bench",
    pipelines_dir=pipelines_dir,
)
print(pipeline.run(source, write_disposition="replace"))
`;

type Destination = 'duckdb' | 'postgres' | 'sqlite';

export interface CopyRun {
  seconds: number;
  peakRssMiB: number;
  ok: boolean;
}

export interface Copier {
  conveyor(label: string, table: SqlSourceTable, destination: Destination): Promise<CopyRun>;
  dlt(label: string, table: SqlSourceTable): Promise<CopyRun>;
}

function compare(
  ctx: BenchContext,
  label: string,
  got: SqlTableChecksum,
  expected: SqlTableChecksum,
  counts: boolean,
): boolean {
  const differences = sqlChecksumDifferences(got, expected);
  if (counts) for (const d of differences) ctx.problems.push(`${label}: ${d}`);
  else for (const d of differences) ctx.log(`${label} (peer) differs from the source: ${d}`);
  return differences.length === 0;
}

export function copier(ctx: BenchContext, source: SqlSource, peer: PythonPeer, script: string): Copier {
  const runDir = (label: string) => join(ctx.outDir, 'runs', label);
  const conveyor = async (label: string, table: SqlSourceTable, destination: Destination) => {
    const dir = runDir(label);
    let target: TestDatabase | undefined;
    try {
      const stream: ConveyorTarget['stream'] = {
        name: table.name,
        namespace: SQL_SOURCE_SCHEMA,
        sync_mode: 'full_refresh',
        destination_sync_mode: 'overwrite',
      };
      let where: ConveyorTarget = { stream };
      const sqlitePath = join(dir, 'out.sqlite');
      if (destination === 'postgres') {
        target = await postgresDatabase();
        where = { stream, destination: { connector: 'postgres', config: { ...target.config } } };
      } else if (destination === 'sqlite') {
        where = { stream, destination: { connector: 'sqlite', config: { path: sqlitePath } } };
      }
      const run = await runConveyor(
        dir,
        { connector: 'postgres', config: { ...source.database.config } },
        [],
        where,
      );
      const checksum =
        destination === 'duckdb'
          ? await duckdbChecksum(run.dbPath, table.name)
          : destination === 'postgres' && target
            ? await postgresChecksum(target, table.name)
            : sqliteChecksum(sqlitePath, table.name);
      const ok = compare(ctx, label, checksum, table.checksum, true);
      if (run.reportedRecords !== undefined && run.reportedRecords !== checksum.rows)
        ctx.problems.push(
          `${label}: the CLI reported ${run.reportedRecords} records, the table holds ${checksum.rows}`,
        );
      ctx.log(
        `${label}: ${run.seconds.toFixed(2)} s, ${checksum.rows} rows${ok ? ' (checksum equal)' : ' (DIFFERS)'}, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`,
      );
      return { seconds: run.seconds, peakRssMiB: run.peakRssMiB, ok };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await target?.drop();
    }
  };
  const dlt = async (label: string, table: SqlSourceTable) => {
    const dir = runDir(label);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      const dbPath = join(dir, 'dlt.duckdb');
      const run = await measureCommand({
        file: peer.python,
        args: [script, table.name, dbPath, join(dir, 'pipelines')],
        cwd: dir,
        env: {
          // SQLAlchemy 2.1 takes postgresql:// for psycopg 3; psycopg2 is what dlt documents
          BENCH_SOURCE_URL: source.database.url.replace(/^postgres:/, 'postgresql+psycopg2:'),
          DLT_DATA_DIR: join(dir, 'dlt-data'),
          RUNTIME__DLT_TELEMETRY: 'false',
        },
      });
      const checksum = await duckdbChecksum(dbPath, table.name, 'bench');
      const ok = compare(ctx, label, checksum, table.checksum, false);
      ctx.log(
        `${label}: ${run.seconds.toFixed(2)} s, ${checksum.rows} rows${ok ? ' (checksum equal)' : ' (DIFFERS)'}, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`,
      );
      return { seconds: run.seconds, peakRssMiB: run.peakRssMiB, ok };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return { conveyor, dlt };
}

const secondsOf = (runs: CopyRun[]) => runs.map((r) => r.seconds);
const rssOf = (runs: CopyRun[]) => runs.map((r) => r.peakRssMiB);

function row(name: string, rows: number, runs: CopyRun[]): string[] {
  const seconds = spreadOf(secondsOf(runs));
  const rate: Spread = { median: rows / seconds.median, min: rows / seconds.max, max: rows / seconds.min };
  return [
    name,
    spread(seconds, (n) => fixed(n, 1)),
    spread(rate, integer),
    fixed(spreadOf(rssOf(runs)).median, 0),
    runs.every((r) => r.ok)
      ? `${integer(rows)}, checksum equal in all ${runs.length}`
      : '**differs** (see problems)',
  ];
}

export async function sqlCopyBenchmark(ctx: BenchContext, sizes: SqlCopySizes): Promise<string> {
  const peer = await pythonPeer(ctx, 'dlt', DLT_REQUIREMENTS);
  const script = join(ctx.outDir, 'dlt-copy.py');
  writeFileSync(script, DLT_SCRIPT);
  ctx.log(
    `(f) generating the source tables (${integer(sizes.rows)} and ${integer(sizes.smallRows)} rows) in Postgres`,
  );
  const generated = Date.now();
  const source = await createSqlSource({ [LARGE_TABLE]: sizes.rows, [SMALL_TABLE]: sizes.smallRows });
  const generateSeconds = (Date.now() - generated) / 1000;
  try {
    const [large, small] = source.tables as [SqlSourceTable, SqlSourceTable];
    const copy = copier(ctx, source, peer, script);

    ctx.log('(f) warm-up: one small copy of each (not counted)');
    await copy.conveyor('f-warmup-duckdb', small, 'duckdb');
    await copy.dlt('f-warmup-dlt', small);
    // the small copies into Postgres and SQLite also give those destinations' memory at the small size
    const warmup = {
      postgres: await copy.conveyor('f-warmup-postgres', small, 'postgres'),
      sqlite: await copy.conveyor('f-warmup-sqlite', small, 'sqlite'),
    };

    const a: CopyRun[] = [];
    const b: CopyRun[] = [];
    const a2: CopyRun[] = [];
    const p: CopyRun[] = [];
    const s: CopyRun[] = [];
    const m: CopyRun[] = [];
    for (let i = 1; i <= sizes.rounds; i++) {
      a.push(await copy.conveyor(`f-conveyor-duckdb-${i}`, large, 'duckdb'));
      b.push(await copy.dlt(`f-dlt-duckdb-${i}`, large));
      a2.push(await copy.conveyor(`f-conveyor-duckdb-${i}b`, large, 'duckdb'));
      p.push(await copy.conveyor(`f-conveyor-postgres-${i}`, large, 'postgres'));
      s.push(await copy.conveyor(`f-conveyor-sqlite-${i}`, large, 'sqlite'));
      m.push(await copy.conveyor(`f-conveyor-duckdb-small-${i}`, small, 'duckdb'));
    }
    return sqlCopyReport({ sizes, peer, generateSeconds, a, b, a2, p, s, m, warmup, large, small });
  } finally {
    await source.database.drop();
  }
}

interface Measured {
  sizes: SqlCopySizes;
  peer: PythonPeer;
  generateSeconds: number;
  a: CopyRun[];
  b: CopyRun[];
  a2: CopyRun[];
  p: CopyRun[];
  s: CopyRun[];
  m: CopyRun[];
  warmup: { postgres: CopyRun; sqlite: CopyRun };
  large: SqlSourceTable;
  small: SqlSourceTable;
}

function sqlCopyReport(r: Measured): string {
  const rows = r.large.rows;
  const ratio = pairRatios(secondsOf(r.a), secondsOf(r.b));
  const control = pairRatios(secondsOf(r.a), secondsOf(r.a2));
  const steady = controlPasses(control);
  const equal = [...r.a, ...r.a2, ...r.b].every((run) => run.ok);
  const verdict = !equal
    ? 'not reported: a copy differs from the source (see problems)'
    : !steady
      ? 'not reported: the A/A control strayed more than 10%; the machine was too noisy'
      : ratio.median < DLT_TARGET
        ? 'met'
        : '**missed**';
  const growthRow = (what: string, small: number, large: number): string[] => {
    const growth = large / small - 1;
    return [
      `peak RSS, ${shortCount(r.small.rows)} → ${shortCount(rows)} rows: Conveyor → ${what}`,
      '—',
      `${fixed(small, 0)} → ${fixed(large, 0)} MiB (${growth >= 0 ? '+' : ''}${fixed(growth * 100, 0)}%)`,
      '—',
      '—',
      `flat (≤ +${fixed(FLAT_GROWTH * 100, 0)}%)`,
      growth <= FLAT_GROWTH ? 'met' : '**missed**',
    ];
  };
  const median = (runs: CopyRun[]) => spreadOf(rssOf(runs)).median;
  const copies = markdownTable(
    ['copy', 'wall seconds, median (min–max)', 'rows/s', 'peak RSS MiB', 'rows read back'],
    [
      row('Conveyor → DuckDB (A and A′)', rows, [...r.a, ...r.a2]),
      row('dlt → DuckDB (B)', rows, r.b),
      row('Conveyor → Postgres (P)', rows, r.p),
      row('Conveyor → SQLite (S)', rows, r.s),
      row(`Conveyor → DuckDB, ${shortCount(r.small.rows)} rows (M)`, r.small.rows, r.m),
    ],
  );
  const comparisons = markdownTable(
    ['comparison', 'pairs', 'median', 'min', 'max', 'target', 'verdict'],
    [
      [
        '**A/B: Conveyor / dlt time, Postgres → DuckDB**',
        String(r.a.length),
        `**${fixed(ratio.median, 2)}**`,
        fixed(ratio.min, 2),
        fixed(ratio.max, 2),
        `< ${fixed(DLT_TARGET, 1)}`,
        verdict,
      ],
      [
        'A/A′ control: Conveyor / Conveyor',
        String(r.a.length),
        fixed(control.median, 2),
        fixed(control.min, 2),
        fixed(control.max, 2),
        '0.90–1.10',
        steady ? 'quiet enough' : '**too noisy**',
      ],
      growthRow('DuckDB (M against A)', median(r.m), median([...r.a, ...r.a2])),
      growthRow('Postgres (its warm-up, 1 run, against P)', r.warmup.postgres.peakRssMiB, median(r.p)),
      growthRow('SQLite (its warm-up, 1 run, against S)', r.warmup.sqlite.peakRssMiB, median(r.s)),
    ],
  );
  return [
    `### (f) Postgres table, ${shortCount(rows)} rows × 10 columns: Conveyor to DuckDB, Postgres, SQLite; dlt to DuckDB`,
    '',
    `Source: a throwaway Postgres database on 127.0.0.1 holding \`${SQL_SOURCE_SCHEMA}.${LARGE_TABLE}\` (bigint key, integer, double, numeric(12,2), text, varchar, boolean, timestamptz, date, jsonb; ${integer(rows)} rows generated with generate_series in ${fixed(r.generateSeconds, 0)} s, with \`${SMALL_TABLE}\`, ${integer(r.small.rows)} rows). Conveyor = \`conveyor sync\` with the \`postgres\` source and the \`duckdb\`, \`postgres\` (a fresh throwaway database per run) or \`sqlite\` destination, full_refresh + overwrite. dlt = a Python process running \`sql_database(..., backend="pyarrow")\` into \`dlt.destinations.duckdb\`, \`write_disposition="replace"\` (${versionList(r.peer)}). One small warm-up of each, then ${r.sizes.rounds} rounds of A, B, A′, P, S, M; wall clock from spawn to exit; every copy read back and compared with the source (row count and one sum per column).`,
    '',
    copies,
    '',
    comparisons,
  ].join('\n');
}
