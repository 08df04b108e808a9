// `npm run bench [-- --quick] [-- --only a|b|c] [-- --profile a|b]`: runs the benchmarks, prints
// each result as a markdown table on stdout and writes the same to bench-out/results.md. Progress
// goes to stderr. Exits 1 when a run fails or any written table differs from its input.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchContext } from './checked-runs.js';
import { meltanoBenchmark, pyairbyteBenchmark } from './ecosystems.js';
import { describeEnvironment } from './environment.js';
import { fakerBenchmark } from './faker.js';
import { type EarlierRss, type MemorySizes, memoryBenchmark } from './memory.js';
import { passthroughBenchmark } from './passthrough.js';
import { profileRun } from './profile.js';
import { environmentSection } from './report.js';
import { type SqlCopySizes, sqlCopyBenchmark } from './sql-copy.js';

type Part = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';
const PARTS: readonly Part[] = ['a', 'b', 'c', 'd', 'e', 'f'];

interface Sizes {
  passthrough: number;
  faker: number;
  fakerRuns: number;
  memory: MemorySizes;
  /** (d) airbyte-source-faker users, (e) users through a Singer tap */
  pyairbyte: number;
  meltano: number;
  peerRounds: number;
  /** (f) the Postgres table copied to DuckDB, Postgres, SQLite and by dlt */
  sqlCopy: SqlCopySizes;
}

const FULL: Sizes = {
  passthrough: 1_000_000,
  faker: 1_000_000,
  fakerRuns: 3,
  memory: { fakerSmall: 1_000_000, fakerLarge: 5_000_000, passthroughCount: 1_000_000, passthroughRepeat: 2 },
  pyairbyte: 200_000,
  meltano: 200_000,
  peerRounds: 3,
  sqlCopy: { rows: 2_000_000, smallRows: 500_000, rounds: 3 },
};

const QUICK: Sizes = {
  passthrough: 100_000,
  faker: 200_000,
  fakerRuns: 3,
  memory: { fakerSmall: 200_000, fakerLarge: 1_000_000, passthroughCount: 100_000, passthroughRepeat: 2 },
  pyairbyte: 10_000,
  meltano: 20_000,
  peerRounds: 3,
  sqlCopy: { rows: 200_000, smallRows: 50_000, rounds: 3 },
};

/** A B A' rounds in (a). Five, not the minimum three, so one disturbed run on a shared machine moves no median. */
const PAIRS = 5;
const QUICK_PAIRS = 3;
const USAGE = `usage: node tools/bench/dist/main.js [--quick] [--only a|b|c|d|e|f[,...]] [--profile a|b]
  --quick      small sizes, for a smoke run (not figures to publish)
  --only       run only some benchmarks: a passthrough vs DuckDB read_json, b faker → DuckDB, c peak RSS,
               d airbyte-source-faker vs PyAirbyte, e Singer tap vs Meltano, f Postgres table to DuckDB,
               Postgres and SQLite vs dlt (d, e and f install their peers once; f needs PostgreSQL)
  --profile    instead of benchmarking, run one Conveyor sync of (a) or (b) under node --cpu-prof and list the top functions`;

interface Options {
  quick: boolean;
  only: Set<Part>;
  profile?: 'a' | 'b';
}

function usageError(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  const options: Options = { quick: false, only: new Set<Part>(PARTS) };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const value = () => inline ?? argv[++i] ?? usageError(`${flag} needs a value`);
    if (flag === '--quick') options.quick = true;
    else if (flag === '--only') {
      const parts = value().split(',');
      if (!parts.every((p): p is Part => (PARTS as readonly string[]).includes(p)))
        usageError(`--only takes ${PARTS.join(', ')} (or a list like a,c), not "${parts.join(',')}"`);
      options.only = new Set(parts);
    } else if (flag === '--profile') {
      const which = value();
      if (which !== 'a' && which !== 'b') usageError(`--profile takes a or b, not "${which}"`);
      options.profile = which;
    } else if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else usageError(`unknown option ${arg}`);
  }
  return options;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
  const outDir = join(repoRoot, 'bench-out');
  mkdirSync(outDir, { recursive: true });
  const sizes = options.quick ? QUICK : FULL;
  const ctx: BenchContext = {
    outDir,
    quick: options.quick,
    pairs: options.quick ? QUICK_PAIRS : PAIRS,
    log: (line) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`),
    problems: [],
  };
  const args = process.argv.slice(2);
  const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
  const env = await describeEnvironment(repoRoot);
  const started = Date.now();
  const sections: string[] = [
    `## Conveyor benchmarks${options.quick ? ' (--quick: smoke sizes, not figures to publish)' : ''}`,
    '',
    environmentSection(env, command),
  ];
  const emit = (markdown: string) => {
    sections.push('', markdown);
    process.stdout.write(`\n${markdown}\n`);
  };
  process.stdout.write(`${sections.join('\n')}\n`);

  if (options.profile) {
    const count = options.profile === 'a' ? sizes.passthrough : sizes.faker;
    emit(await profileRun(ctx, options.profile, count));
    writeFileSync(join(outDir, 'profile.md'), `${sections.join('\n')}\n`);
    return 0;
  }

  // A run that fails (a sync exiting non-zero) costs its benchmark, not the tables already measured.
  const attempt = async (part: Part, title: string, run: () => Promise<string>) => {
    try {
      emit(await run());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      ctx.problems.push(`(${part}) did not complete: ${message.split('\n')[0]}`);
      ctx.log(`(${part}) failed:\n${message}`);
      emit(`### ${title}\n\nDid not complete: a run failed (details on stderr and under Problems).`);
    }
  };
  const earlier: EarlierRss = {};
  if (options.only.has('a'))
    await attempt('a', '(a) Engine passthrough', async () => {
      const result = await passthroughBenchmark(ctx, sizes.passthrough);
      earlier.passthrough = result.conveyorRssMiB;
      earlier.baseline = result.baselineRssMiB;
      return result.markdown;
    });
  if (options.only.has('b'))
    await attempt('b', '(b) Faker → DuckDB', async () => {
      const result = await fakerBenchmark(ctx, sizes.faker, sizes.fakerRuns);
      earlier.faker = result.rssMiB;
      return result.markdown;
    });
  if (options.only.has('c'))
    await attempt('c', '(c) Peak RSS', () => memoryBenchmark(ctx, sizes.memory, earlier));
  if (options.only.has('d'))
    await attempt('d', '(d) airbyte-source-faker: Conveyor vs PyAirbyte', () =>
      pyairbyteBenchmark(ctx, sizes.pyairbyte, sizes.peerRounds),
    );
  if (options.only.has('e'))
    await attempt('e', '(e) Singer: Conveyor vs Meltano', () =>
      meltanoBenchmark(ctx, sizes.meltano, sizes.peerRounds),
    );

  if (options.only.has('f'))
    await attempt('f', '(f) Postgres table: Conveyor vs dlt', () => sqlCopyBenchmark(ctx, sizes.sqlCopy));

  if (ctx.problems.length > 0) {
    emit(
      [
        '### Problems: runs that failed or wrote something other than their input',
        '',
        ...ctx.problems.map((p) => `- ${p}`),
      ].join('\n'),
    );
  }
  const minutes = (Date.now() - started) / 60_000;
  emit(`_Whole bench: ${minutes.toFixed(1)} minutes._`);
  writeFileSync(join(outDir, 'results.md'), `${sections.join('\n')}\n`);
  ctx.log(`written ${join(outDir, 'results.md')}`);
  return ctx.problems.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
