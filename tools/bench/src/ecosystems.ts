// (d) and (e): running other ecosystems' connectors, against the tools those ecosystems use.
//
// (d) The Airbyte connector `airbyte-source-faker` (one installed copy, the same executable for
//     both) into DuckDB: Conveyor (`airbyte:source-faker==7.2.1`) against PyAirbyte's DuckDB cache.
// (e) The Singer tap `tap-jsonl` over the same user records: Conveyor (`singer:tap-jsonl`) into
//     its DuckDB destination against Meltano running the tap into `target-duckdb`; and Conveyor's
//     own faker into DuckDB over the same number of records.
// Rounds alternate A B A' (plus C in (e)); ratios are per round; every table is read back.

import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePythonPackage } from '@conveyor/engine';
import type { BenchContext } from './checked-runs.js';
import { type ChildMeasurement, measureCommand } from './child-run.js';
import { runConveyor } from './conveyor-run.js';
import { fakerRun } from './faker.js';
import { prepareRecords } from './fixtures.js';
import { pythonPeer, versionList } from './python-peers.js';
import { fixed, integer, markdownTable, shortCount, spread } from './report.js';
import { controlPasses, pairRatios, spreadOf } from './stats.js';
import { checksumDifferences, checksumOf, type TableChecksum } from './table-check.js';

const FAKER_VERSION = '7.2.1';
const PYAIRBYTE = 'airbyte==0.71.3';
const MELTANO = 'meltano==4.4.1';
const TAP_JSONL = 'tap-jsonl==0.3.1';
const TARGET_DUCKDB = 'target-duckdb==0.8.0';
/** the DuckDB of Conveyor's destination (@duckdb/node-api 1.5.6): same engine, and a file we can read back */
const TARGET_DUCKDB_ENGINE = 'duckdb==1.5.6';
const PYAIRBYTE_TARGET = 0.5;

interface Measured {
  seconds: number;
  peakRssMiB: number;
  checksum: TableChecksum;
}

/** Faker's users are the same on both sides only with one worker and a seed. */
function fakerConfig(count: number) {
  return { count, seed: 1, always_updated: false, parallelism: 1 };
}

const PYAIRBYTE_SCRIPT = `# written by the Conveyor bench: PyAirbyte reads source-faker's users into its DuckDB cache
import sys
import airbyte as ab

executable, count, db_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
source = ab.get_source(
    "source-faker",
    config={"count": count, "seed": 1, "always_updated": False, "parallelism": 1},
    local_executable=executable,
    streams=["users"],
)
source.read(cache=ab.DuckDBCache(db_path=db_path, schema_name="main"))
`;

async function measuredTable(
  ctx: BenchContext,
  label: string,
  dir: string,
  dbPath: string,
  run: () => Promise<ChildMeasurement>,
): Promise<Measured> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const measured = await run();
    const checksum = await checksumOf(dbPath);
    ctx.log(
      `${label}: ${measured.seconds.toFixed(2)} s, ${checksum.rows} rows, peak RSS ${measured.peakRssMiB.toFixed(0)} MiB`,
    );
    return { seconds: measured.seconds, peakRssMiB: measured.peakRssMiB, checksum };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function conveyorRun(ctx: BenchContext, label: string, connector: string, config: Record<string, unknown>) {
  const dir = join(ctx.outDir, 'runs', label);
  return measuredTable(ctx, label, dir, join(dir, 'out.duckdb'), async () => {
    const run = await runConveyor(dir, { connector, config });
    return run;
  });
}

/**
 * The floor: the connector alone, its output thrown away (`> /dev/null`), with the same config and
 * a catalog of the one stream. Neither engine can be faster than this.
 */
async function connectorAlone(
  ctx: BenchContext,
  label: string,
  argv: string[],
): Promise<{ seconds: number; peakRssMiB: number }> {
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const run = await measureCommand({ file: 'sh', args: ['-c', `${quoted} > /dev/null`] });
  ctx.log(`${label}: ${run.seconds.toFixed(2)} s (connector alone, output discarded)`);
  return run;
}

/** The configured catalog of one stream, from the Airbyte connector's own discover. */
async function oneStreamCatalog(executable: string, configFile: string, stream: string): Promise<unknown> {
  const out = await new Promise<string>((done, fail) =>
    execFile(
      executable,
      ['discover', '--config', configFile],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => (error ? fail(error) : done(stdout)),
    ),
  );
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    const message = JSON.parse(line) as { type: string; catalog?: { streams: { name: string }[] } };
    const found = message.catalog?.streams.find((s) => s.name === stream);
    if (found)
      return { streams: [{ stream: found, sync_mode: 'full_refresh', destination_sync_mode: 'append' }] };
  }
  throw new Error(`${executable} discover did not list the stream ${stream}`);
}

function same(ctx: BenchContext, label: string, got: TableChecksum, expected: TableChecksum): boolean {
  const differences = checksumDifferences(got, expected);
  for (const d of differences) ctx.problems.push(`${label}: ${d}`);
  return differences.length === 0;
}

export async function pyairbyteBenchmark(ctx: BenchContext, count: number, rounds: number): Promise<string> {
  const peer = await pythonPeer(ctx, 'pyairbyte', [PYAIRBYTE]);
  const logger = { debug: () => {}, info: ctx.log, warn: ctx.log, error: ctx.log };
  const faker = await ensurePythonPackage(
    { package: 'airbyte-source-faker', version: FAKER_VERSION, executable: 'source-faker' },
    { logger },
  );
  const script = join(ctx.outDir, 'pyairbyte-read.py');
  writeFileSync(script, PYAIRBYTE_SCRIPT);
  const connector = `airbyte:source-faker==${FAKER_VERSION}`;
  const conveyor = (label: string, n: number) => conveyorRun(ctx, label, connector, fakerConfig(n));
  const pyairbyte = (label: string, n: number) => {
    const dir = join(ctx.outDir, 'runs', label);
    const dbPath = join(dir, 'cache.duckdb');
    return measuredTable(ctx, label, dir, dbPath, () =>
      measureCommand({
        file: peer.python,
        args: [script, faker.executable, String(n), dbPath],
        cwd: dir,
        // offline: PyAirbyte asks a web registry about connectors unless told not to
        env: { AIRBYTE_OFFLINE_MODE: '1', DO_NOT_TRACK: '1', AIRBYTE_NO_UI: '1' },
      }),
    );
  };

  const floorDir = join(ctx.outDir, 'floor-d');
  mkdirSync(floorDir, { recursive: true });
  const configFile = join(floorDir, 'config.json');
  writeFileSync(configFile, JSON.stringify(fakerConfig(count)));
  const catalogFile = join(floorDir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify(await oneStreamCatalog(faker.executable, configFile, 'users')));
  const floorArgv = [faker.executable, 'read', '--config', configFile, '--catalog', catalogFile];

  ctx.log('(d) warm-up: one small run of each (not counted)');
  await conveyor('d-warmup-conveyor', 2_000);
  await pyairbyte('d-warmup-pyairbyte', 2_000);
  const a: Measured[] = [];
  const b: Measured[] = [];
  const a2: Measured[] = [];
  const floor: number[] = [];
  for (let i = 1; i <= rounds; i++) {
    a.push(await conveyor(`d-conveyor-${i}`, count));
    b.push(await pyairbyte(`d-pyairbyte-${i}`, count));
    a2.push(await conveyor(`d-conveyor-${i}b`, count));
    floor.push((await connectorAlone(ctx, `d-connector-alone-${i}`, floorArgv)).seconds);
  }
  const reference = b[0]!.checksum;
  let equal = reference.rows === count;
  if (!equal) ctx.problems.push(`(d) PyAirbyte wrote ${reference.rows} rows, expected ${count}`);
  for (const [i, run] of [...a, ...b, ...a2].entries())
    equal = same(ctx, `(d) run ${i + 1}`, run.checksum, reference) && equal;

  const seconds = (runs: Measured[]) => runs.map((r) => r.seconds);
  const ratio = pairRatios(seconds(a), seconds(b));
  const control = pairRatios(seconds(a), seconds(a2));
  const steady = controlPasses(control);
  const verdict = !equal
    ? 'not reported: the tables differ (see problems)'
    : !steady
      ? 'not reported: the A/A control strayed more than 10%; the machine was too noisy'
      : ratio.median <= PYAIRBYTE_TARGET
        ? 'met'
        : '**missed**';
  const rows = [
    ['Conveyor seconds (A and A′)', spread(spreadOf([...seconds(a), ...seconds(a2)]), (n) => fixed(n, 1))],
    ['PyAirbyte seconds (B)', spread(spreadOf(seconds(b)), (n) => fixed(n, 1))],
    ['the connector alone, output to /dev/null (F, the floor)', spread(spreadOf(floor), (n) => fixed(n, 1))],
    [
      'Conveyor / connector alone (A/F): what the engine adds',
      spread(pairRatios(seconds(a), floor), (n) => fixed(n, 2)),
    ],
    ['PyAirbyte / connector alone (B/F)', spread(pairRatios(seconds(b), floor), (n) => fixed(n, 2))],
    ['Conveyor records/s', integer(count / spreadOf([...seconds(a), ...seconds(a2)]).median)],
    ['PyAirbyte records/s', integer(count / spreadOf(seconds(b)).median)],
    ['**time ratio Conveyor / PyAirbyte (A/B)**', `**${spread(ratio, (n) => fixed(n, 2))}**`],
    ['A/A′ control', spread(control, (n) => fixed(n, 2))],
    [
      'peak RSS MiB, Conveyor / PyAirbyte',
      `${fixed(spreadOf([...a, ...a2].map((r) => r.peakRssMiB)).median, 0)} / ${fixed(spreadOf(b.map((r) => r.peakRssMiB)).median, 0)}`,
    ],
    [
      'rows written (read back from both DuckDB files)',
      equal
        ? `${integer(count)} users on both sides, identical checksum (ids, emails, ages, names) in all ${rounds * 3} runs`
        : '**differs** (see problems)',
    ],
    [`target ≤ ${PYAIRBYTE_TARGET}`, verdict],
  ];
  return [
    `### (d) airbyte-source-faker → DuckDB, ${shortCount(count)} users: Conveyor vs PyAirbyte`,
    '',
    `The same installed connector (airbyte-source-faker ${faker.version}, its \`source-faker\` executable) on both sides, config \`count ${integer(count)}, seed 1, parallelism 1\`, \`users\` only. A = \`conveyor sync\` with \`airbyte:source-faker==${FAKER_VERSION}\` into the DuckDB destination; B = a Python process running PyAirbyte (${versionList(peer)}): \`get_source(..., local_executable=...)\`, \`read(cache=DuckDBCache(...))\`, \`AIRBYTE_OFFLINE_MODE=1\`. F = the connector alone (\`source-faker read\` of the same config and stream, output to /dev/null). One small warm-up each, then ${rounds} rounds of A, B, A′, F; wall clock from spawn to exit. Median (min–max).`,
    '',
    markdownTable(['measure', 'value'], rows),
  ].join('\n');
}

function meltanoProject(dataFile: string, dbPath: string): string {
  return `# written by the Conveyor bench
send_anonymous_usage_stats: false
project_id: conveyor-bench
default_environment: bench
environments:
- name: bench
plugins:
  extractors:
  - name: tap-jsonl
    namespace: tap_jsonl
    pip_url: ${TAP_JSONL}
    executable: tap-jsonl
    capabilities: [catalog, discover, state]
    config:
      path: ${JSON.stringify(dataFile)}
      stream_name: users
      primary_keys: [id]
  loaders:
  - name: target-duckdb
    namespace: target_duckdb
    pip_url: ${TARGET_DUCKDB} ${TARGET_DUCKDB_ENGINE}
    config:
      filepath: ${JSON.stringify(dbPath)}
      default_target_schema: main
`;
}

export async function meltanoBenchmark(ctx: BenchContext, count: number, rounds: number): Promise<string> {
  const peer = await pythonPeer(ctx, 'meltano', [MELTANO]);
  const project = join(ctx.outDir, 'peers', 'meltano-project');
  const input = prepareRecords(ctx.outDir, count);
  const meltanoEnv = { MELTANO_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1' };
  const writeProject = (dbPath: string) => {
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'meltano.yml'), meltanoProject(input.dataFile, dbPath));
  };
  writeProject(join(project, 'unused.duckdb'));
  ctx.log('(e) meltano install (the tap and the target, once; later runs reuse them)');
  await measureCommand({ file: peer.bin('meltano'), args: ['install'], cwd: project, env: meltanoEnv });

  const tapConfig = { path: input.dataFile, stream_name: 'users', primary_keys: ['id'] };
  const [tapName, tapVersion] = TAP_JSONL.split('==') as [string, string];
  const logger = { debug: () => {}, info: ctx.log, warn: ctx.log, error: ctx.log };
  const tap = await ensurePythonPackage(
    { package: tapName, version: tapVersion, executable: tapName },
    { logger },
  );
  const tapConfigFile = join(ctx.outDir, 'floor-e-config.json');
  writeFileSync(tapConfigFile, JSON.stringify(tapConfig));
  const conveyorTap = (label: string) => conveyorRun(ctx, label, `singer:${TAP_JSONL}`, tapConfig);
  const meltano = (label: string) => {
    const dir = join(ctx.outDir, 'runs', label);
    const dbPath = join(dir, 'out.duckdb');
    return measuredTable(ctx, label, dir, dbPath, () => {
      writeProject(dbPath);
      return measureCommand({
        file: peer.bin('meltano'),
        args: ['run', '--full-refresh', 'tap-jsonl', 'target-duckdb'],
        cwd: project,
        env: meltanoEnv,
      });
    });
  };
  const faker = async (label: string) => {
    const run = await fakerRun(ctx, label, count);
    return run;
  };

  ctx.log('(e) warm-up: one run of each (not counted)');
  await conveyorTap('e-warmup-conveyor');
  await meltano('e-warmup-meltano');
  const a: Measured[] = [];
  const b: Measured[] = [];
  const a2: Measured[] = [];
  const c: number[] = [];
  const fakerRss: number[] = [];
  const floor: number[] = [];
  for (let i = 1; i <= rounds; i++) {
    a.push(await conveyorTap(`e-conveyor-tap-${i}`));
    b.push(await meltano(`e-meltano-${i}`));
    const f = await faker(`e-conveyor-faker-${i}`);
    c.push(f.seconds);
    fakerRss.push(f.peakRssMiB);
    a2.push(await conveyorTap(`e-conveyor-tap-${i}b`));
    floor.push(
      (await connectorAlone(ctx, `e-tap-alone-${i}`, [tap.executable, '--config', tapConfigFile])).seconds,
    );
  }
  const conveyorEqual = [...a, ...a2]
    .map((r, i) => same(ctx, `(e) Conveyor + tap-jsonl run ${i + 1}`, r.checksum, input.expected))
    .every(Boolean);
  // the peer's result is reported, not counted as a Conveyor problem
  const meltanoDiffers = b.map((r) => checksumDifferences(r.checksum, input.expected));
  const meltanoEqual = meltanoDiffers.every((d) => d.length === 0);

  const seconds = (runs: Measured[]) => runs.map((r) => r.seconds);
  const ratio = pairRatios(seconds(a), seconds(b));
  const fakerRatio = pairRatios(c, seconds(b));
  const control = pairRatios(seconds(a), seconds(a2));
  const steady = controlPasses(control);
  const rows = [
    [
      'Conveyor + tap-jsonl seconds (A and A′)',
      spread(spreadOf([...seconds(a), ...seconds(a2)]), (n) => fixed(n, 1)),
    ],
    ['Meltano + tap-jsonl + target-duckdb seconds (B)', spread(spreadOf(seconds(b)), (n) => fixed(n, 1))],
    ["Conveyor's faker → DuckDB seconds (C)", spread(spreadOf(c), (n) => fixed(n, 1))],
    ['tap-jsonl alone, output to /dev/null (F, the floor)', spread(spreadOf(floor), (n) => fixed(n, 1))],
    [
      'Conveyor / tap alone (A/F): what the engine adds',
      spread(pairRatios(seconds(a), floor), (n) => fixed(n, 2)),
    ],
    ['Meltano / tap alone (B/F)', spread(pairRatios(seconds(b), floor), (n) => fixed(n, 2))],
    [
      '**time ratio, same tap: Conveyor / Meltano (A/B)**',
      steady
        ? `**${spread(ratio, (n) => fixed(n, 2))}**`
        : 'not reported: A/A′ control strayed more than 10%',
    ],
    ["**time ratio, Conveyor's faker / Meltano (C/B)**", `**${spread(fakerRatio, (n) => fixed(n, 3))}**`],
    ['A/A′ control', spread(control, (n) => fixed(n, 2))],
    [
      'peak RSS MiB, A / B / C',
      `${fixed(spreadOf([...a, ...a2].map((r) => r.peakRssMiB)).median, 0)} / ${fixed(spreadOf(b.map((r) => r.peakRssMiB)).median, 0)} / ${fixed(spreadOf(fakerRss).median, 0)}`,
    ],
    [
      'rows written by Conveyor (read back)',
      conveyorEqual
        ? `${integer(count)} in every run, checksum equal to the input's`
        : '**differs** (see problems)',
    ],
    [
      'rows written by Meltano (read back)',
      meltanoEqual
        ? `${integer(count)} in every run, checksum equal to the input's`
        : `**differs from the input**: ${integer(b[0]!.checksum.rows)} rows (${meltanoDiffers[0]!.join('; ')})`,
    ],
  ];
  return [
    `### (e) Singer: ${shortCount(count)} users through tap-jsonl, Conveyor vs Meltano; and Conveyor's faker`,
    '',
    `Input: the bench's ${integer(count)} user records (as in (a)) as a JSON-lines file. A = \`conveyor sync\` with \`singer:${TAP_JSONL}\` into the DuckDB destination (users, full_refresh + append). B = \`meltano run --full-refresh tap-jsonl target-duckdb\` (${versionList(peer)}, plugins ${TAP_JSONL} and ${TARGET_DUCKDB} with ${TARGET_DUCKDB_ENGINE}, installed by \`meltano install\`). C = Conveyor's own faker into DuckDB, the same number of users (other values, so no checksum against B). F = the tap alone, its output to /dev/null. One warm-up of A and B, then ${rounds} rounds of A, B, C, A′, F; wall clock from spawn to exit. Median (min–max).`,
    '',
    markdownTable(['measure', 'value'], rows),
  ].join('\n');
}
