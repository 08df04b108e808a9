// `npm run compat`: our declarative engine measured against the reference (airbyte-cdk) on the
// manifest corpus. Steps: load (does every manifest build), diff (same catalog, requests and
// records as the reference over a mock API), speed (records per second, ours / reference).
// Tables go to stdout, progress to stderr, per-manifest results to OUT/{load,diff,speed}.json.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { reasonGroup } from './compare.js';
import { defaultStartDate } from './config-gen.js';
import { inPool, listCorpus } from './corpus.js';
import { type DiffResult, diffManifest, type HarnessOptions } from './diff-step.js';
import type { Engine } from './engines.js';
import { frozenClock } from './frozen-clock.js';
import { type LoadResult, loadManifest } from './load-step.js';
import { installReference } from './reference-peer.js';
import { speedRun } from './speed-step.js';

const USAGE = `usage: npm run compat -- [--only load|diff|speed] [--limit N] [--manifest NAME] [--out DIR]
  [--engine "CMD ARGS"]   our engine (default: node libs/declarative/dist/cli.js); "reference" runs the
                          reference against itself, the harness's own determinism check
  [--reference PATH]      a source-declarative-manifest to use instead of installing airbyte-cdk
  [--timeout SECONDS]     per engine command (default 60)   [--jobs N] manifests at a time (default 2)
  [--start-date ISO]      what date-time config fields get (default: midnight UTC ten days ago)
  [--system-clock]        engines read the system clock (default: both frozen at the run's start)
  [--records N]           speed step size (default 500000)`;

function table(rows: [string, string | number][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `| ${k.padEnd(width)} | ${String(v).padStart(7)} |`).join('\n');
}

function grouped(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reasonGroup(reason), (counts.get(reasonGroup(reason)) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `  ${String(n).padStart(4)}  ${reason}`)
    .join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      limit: { type: 'string' },
      manifest: { type: 'string', multiple: true },
      out: { type: 'string', default: 'bench-out/compat' },
      engine: { type: 'string', default: 'node libs/declarative/dist/cli.js' },
      reference: { type: 'string' },
      timeout: { type: 'string', default: '60' },
      jobs: { type: 'string', default: '2' },
      'start-date': { type: 'string' },
      'system-clock': { type: 'boolean' },
      records: { type: 'string', default: '500000' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const steps = values.only ? values.only.split(',') : ['load', 'diff', 'speed'];
  const outDir = resolve(values.out);
  mkdirSync(outDir, { recursive: true });
  const referenceBin = values.reference ?? (await installReference(join(resolve('bench-out'), 'peers'), log));
  const reference: Engine = { name: 'reference', command: [referenceBin] };
  const ours: Engine = {
    name: 'ours',
    command: values.engine === 'reference' ? [referenceBin] : values.engine.split(/\s+/).filter(Boolean),
  };
  // the clock both engines read: frozen at the start of the run, unless asked not to; with a
  // fraction of a second, as a real clock has (Python prints a datetime with zero microseconds
  // without them, and a manifest parsing `str(now)` with `%f` fails on it)
  const clock = values['system-clock']
    ? 'the system clock (--system-clock)'
    : frozenClock(outDir, referenceBin, Math.floor(Date.now() / 1000) * 1000 + 123);
  const options: HarnessOptions = {
    outDir,
    startDate: values['start-date'] ?? defaultStartDate(new Date()),
    ...(typeof clock === 'string' ? {} : { clock }),
    timeoutMs: Number(values.timeout) * 1000,
    reference,
    ours,
    log,
  };
  const jobs = Math.max(1, Number(values.jobs));
  const corpusDir = resolve('../shared/corpus/airbyte-manifests');
  let corpus = listCorpus(corpusDir);
  if (corpus.length === 0 && steps.some((s) => s !== 'speed')) {
    log(`no manifest corpus at ${corpusDir}: skipping load and diff (the speed step needs no corpus)`);
  }
  if (values.manifest) corpus = corpus.filter((e) => values.manifest?.includes(e.name));
  if (values.limit) corpus = corpus.slice(0, Number(values.limit));
  log(`ours: ${ours.command.join(' ')}; reference: ${referenceBin}; start date ${options.startDate}`);
  log(
    typeof clock === 'string'
      ? `engines read ${clock}`
      : `engines read a frozen clock: ${new Date(clock.now).toISOString()} (manifests with an API budget: the system clock)`,
  );

  if (steps.includes('load') && corpus.length > 0) {
    const started = performance.now();
    let done = 0;
    const results: LoadResult[] = await inPool(corpus, jobs, async (entry) => {
      const result = await loadManifest(entry, ours, options);
      log(`load ${++done}/${corpus.length} ${entry.name}: ${result.status}`);
      return result;
    });
    writeFileSync(join(outDir, 'load.json'), `${JSON.stringify(results, null, 1)}\n`);
    const count = (status: string): number => results.filter((r) => r.status === status).length;
    console.log(`\n## Load and build (${ours.name}: ${ours.command.join(' ')})\n`);
    console.log(
      table([
        ['manifests', results.length],
        ['build every stream', count('builds')],
        ['need custom components', count('custom')],
        ['fail', count('fails')],
      ]),
    );
    const reasons = results.flatMap((r) => (r.status === 'fails' ? [r.reason] : []));
    if (reasons.length > 0) console.log(`\nfailures, grouped:\n${grouped(reasons)}`);
    console.log(
      `\n${Math.round((performance.now() - started) / 1000)} s; per manifest: ${join(outDir, 'load.json')}`,
    );
  }

  if (steps.includes('diff') && corpus.length > 0) {
    const started = performance.now();
    let done = 0;
    const results: DiffResult[] = await inPool(corpus, jobs, async (entry) => {
      const result = await diffManifest(entry, options);
      log(`diff ${++done}/${corpus.length} ${entry.name}: ${result.status} (${result.seconds} s)`);
      return result;
    });
    writeFileSync(join(outDir, 'diff.json'), `${JSON.stringify(results, null, 1)}\n`);
    const count = (status: string): number => results.filter((r) => r.status === status).length;
    const compared = results.length - count('custom');
    const seconds = (performance.now() - started) / 1000;
    console.log(`\n## Differential (ours: ${ours.command.join(' ')})\n`);
    console.log(
      table([
        ['manifests', results.length],
        ['need custom components (skipped)', count('custom')],
        ['identical', count('identical')],
        [
          '  of which read no record',
          results.filter((r) => r.status === 'identical' && r.records === 0).length,
        ],
        ['different', count('different')],
        ['failed', count('failed')],
        [
          'identical, % of those compared',
          compared ? `${((100 * count('identical')) / compared).toFixed(1)}%` : '-',
        ],
      ]),
    );
    const differences = results.flatMap((r) => (r.status === 'different' ? [`${r.what}: ${r.detail}`] : []));
    if (differences.length > 0) console.log(`\ndifferences, grouped:\n${grouped(differences)}`);
    const failures = results.flatMap((r) => (r.status === 'failed' ? [`${r.engine}: ${r.reason}`] : []));
    if (failures.length > 0) console.log(`\nfailures, grouped:\n${grouped(failures)}`);
    console.log(
      `\n${Math.round(seconds)} s in all, ${(seconds / Math.max(1, compared)).toFixed(1)} s per compared manifest ` +
        `(${jobs} at a time); requests are compared as sets of distinct requests (the reference reorders and caches them); ` +
        `per manifest: ${join(outDir, 'diff.json')}`,
    );
  }

  if (steps.includes('speed')) {
    const result = await speedRun({ ...options, records: Number(values.records) });
    writeFileSync(join(outDir, 'speed.json'), `${JSON.stringify(result, null, 1)}\n`);
    console.log('\n## Speed (cursor pagination, pages of 1,000)\n');
    console.log(
      table([
        ['records', result.records],
        ['reference, records/s (median pair)', Math.round(result.reference.recordsPerSecond)],
        ['ours, records/s (median pair)', Math.round(result.ours.recordsPerSecond)],
        [
          `ours / reference, median of ${result.pairs.length} pairs (target >= 5)`,
          `${result.ratio.median.toFixed(2)} (min ${result.ratio.min.toFixed(2)}, max ${result.ratio.max.toFixed(2)})`,
        ],
        ['A/A control, ours / ours (1.00 is a quiet machine)', result.control.toFixed(2)],
        [
          'peak RSS, reference / ours (MiB)',
          `${result.reference.peakRssMiB ?? '?'} / ${result.ours.peakRssMiB ?? '?'}`,
        ],
        ['records identical (count and checksum, every run)', result.identical ? 'yes' : 'NO'],
      ]),
    );
    if (!result.identical) return 1;
  }
  if (!existsSync(outDir)) return 1;
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
