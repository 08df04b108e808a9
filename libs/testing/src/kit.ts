// Runs the suites against one connector, in an order that lets later suites reuse earlier results.

import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { airbyteEnv } from '@conveyor/engine';
import { configError, type JsonObject, SecretMasker, secretValues } from '@conveyor/protocol';
import { type AcceptanceFile, readAcceptanceFile } from './acceptance-file.js';
import { type CassetteProxy, startCassetteProxy } from './cassette-proxy.js';
import { type ConnectorCommand, resolveConnector } from './connector-process.js';
import { type CaseResult, SUITES, SuiteContext, type SuiteName } from './context.js';
import { formatReport } from './report.js';
import { compatibilitySuite, writeReleasedSnapshot } from './suites/compatibility-suite.js';
import { checkSuite, discoverSuite, specSuite } from './suites/interface-suites.js';
import { hygieneSuite, secretsSuite, writeSuite } from './suites/leak-suites.js';
import {
  basicReadSuite,
  type FirstRead,
  fullRefreshSuite,
  incrementalSuite,
  interruptionSuite,
} from './suites/read-suites.js';

export interface KitOptions {
  cwd?: string;
  /** The acceptance file; default: acceptance.yml beside the connector. */
  acceptanceFile?: string;
  /** Only these suites (others are reported as skipped). */
  only?: SuiteName[];
  seed?: number;
  /** After the suites, record the spec and catalog as the released ones (acceptance/released.json). */
  writeReleased?: boolean;
  /** Run against the real service and write the cassette (acceptance.yml `cassette:`), secrets scrubbed. */
  record?: boolean;
}

export interface KitReport {
  connector: string;
  acceptanceFile: string;
  seed: number;
  results: CaseResult[];
  passed: boolean;
  ms: number;
}

/**
 * `airbyte:source-faker[==7.2.1]` is installed from PyPI (once, cached) and tested through its
 * executable; its acceptance file is the one given, since the package has none of ours.
 */
async function resolveAnyConnector(reference: string, cwd: string): Promise<ConnectorCommand> {
  if (!reference.startsWith('airbyte:')) return resolveConnector(reference, cwd);
  const name = reference.slice('airbyte:'.length);
  const kind = name.startsWith('destination-') ? 'destination' : 'source';
  const env = await airbyteEnv(name, kind, { cwd });
  return { name: reference, argv: [env.executable], dir: env.dir };
}

async function locate(
  reference: string,
  cwd: string,
  acceptanceFile?: string,
): Promise<{ connector: ConnectorCommand; file: string }> {
  // `conveyor test path/to/acceptance.yml` names the connector inside the file
  const asPath = resolve(cwd, reference);
  if (/\.ya?ml$/.test(reference) && existsSync(asPath) && statSync(asPath).isFile()) {
    const file = readAcceptanceFile(asPath);
    if (!file.connector) {
      throw configError(
        `${asPath} does not say which connector it tests: add \`connector: exec:./main.py\` or a package folder.`,
      );
    }
    return { connector: await resolveAnyConnector(file.connector, dirname(asPath)), file: asPath };
  }
  const connector = await resolveAnyConnector(reference, cwd);
  if (!acceptanceFile && reference.startsWith('airbyte:')) {
    throw configError(
      `${reference} comes from PyPI with no acceptance file: write one (configs, expected records) and pass it with --acceptance FILE, or name the connector inside it and run "conveyor test FILE" (connector: ${reference}).`,
    );
  }
  const file = acceptanceFile ? resolve(cwd, acceptanceFile) : join(connector.dir, 'acceptance.yml');
  return { connector, file };
}

/** The newest modification time under a folder (0 when it does not exist). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** A TypeScript connector whose src/ changed after its last build would be tested as it was. */
export function staleBuild(connector: ConnectorCommand): string | undefined {
  const src = join(connector.dir, 'src');
  const dist = join(connector.dir, 'dist');
  if (!existsSync(src) || !existsSync(dist)) return undefined;
  return newest(src) > newest(dist)
    ? `${connector.name}: src/ changed after the last build, so the kit would test the old code. Run npm run build in ${connector.dir} first.`
    : undefined;
}

/** `{{tmp}}` in a config stands for a folder made for this run (a destination's output, say). */
function withScratch(file: AcceptanceFile, scratch: string): AcceptanceFile {
  const swap = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replaceAll('{{tmp}}', scratch);
    if (Array.isArray(value)) return value.map(swap);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swap(v)]));
    }
    return value;
  };
  return {
    ...file,
    configs: file.configs.map((c) => ({ ...c, config: swap(c.config) as JsonObject })),
    invalidConfigs: file.invalidConfigs.map((c) => ({ ...c, config: swap(c.config) as JsonObject })),
  };
}

export async function runAcceptance(reference: string, options: KitOptions = {}): Promise<KitReport> {
  const started = Date.now();
  const cwd = options.cwd ?? process.cwd();
  const { connector, file } = await locate(reference, cwd, options.acceptanceFile);
  const stale = staleBuild(connector);
  if (stale) process.stderr.write(`warning: ${stale}\n`);
  const scratch = mkdtempSync(join(tmpdir(), 'conveyor-acceptance-run-'));
  const acceptance = withScratch(readAcceptanceFile(file), scratch);
  const seed = options.seed ?? (Date.now() % 1_000_000) + 1;
  const ctx = new SuiteContext(connector, acceptance, seed);
  const share: { first?: FirstRead } = {};
  const plan: Array<[SuiteName, () => Promise<CaseResult[]>]> =
    acceptance.kind === 'source'
      ? [
          ['spec', () => specSuite(ctx)],
          ['check', () => checkSuite(ctx)],
          ['discover', () => discoverSuite(ctx)],
          ['basic_read', () => basicReadSuite(ctx, share)],
          ['full_refresh', () => fullRefreshSuite(ctx)],
          ['incremental', () => incrementalSuite(ctx)],
          ['interruption', () => interruptionSuite(ctx, share)],
          ['secrets', () => secretsSuite(ctx)],
          ['protocol_hygiene', () => hygieneSuite(ctx)],
          ['backward_compatibility', () => compatibilitySuite(ctx)],
        ]
      : [
          ['spec', () => specSuite(ctx)],
          ['check', () => checkSuite(ctx)],
          ['write', () => writeSuite(ctx)],
          ['secrets', () => secretsSuite(ctx)],
          ['protocol_hygiene', () => hygieneSuite(ctx)],
          ['backward_compatibility', () => compatibilitySuite(ctx)],
        ];
  const results: CaseResult[] = [];
  const masker = new SecretMasker();
  let proxy: CassetteProxy | undefined;
  if (acceptance.cassette) {
    proxy = await startCassetteProxy({
      mode: options.record ? 'record' : 'replay',
      file: acceptance.cassette,
      masker,
    });
    ctx.env = { ...ctx.env, ...proxy.env };
    ctx.recording = Boolean(options.record);
  } else if (options.record) {
    throw configError(
      `${file} has no \`cassette:\` path, so there is nowhere to record to. Add \`cassette: acceptance/cassette.json\`.`,
    );
  }
  const runPlan = async (): Promise<void> => {
    for (const [suite, run] of plan) {
      const skipReason =
        acceptance.skip[suite] ??
        (options.only && !options.only.includes(suite) ? 'not selected (--suite)' : undefined);
      // spec, discover and the first read feed the others, so they always run; a skip hides their result
      if (skipReason && !['spec', 'discover', 'basic_read'].includes(suite)) {
        results.push({ suite, name: suite, status: 'skipped', message: skipReason, ms: 0 });
        continue;
      }
      const got = await run();
      results.push(
        ...(skipReason ? got.map((r) => ({ ...r, status: 'skipped' as const, message: skipReason })) : got),
      );
      if (suite === 'spec' && ctx.spec) {
        const schema = ctx.spec.connectionSpecification;
        masker.add(
          [...acceptance.configs, ...acceptance.invalidConfigs].flatMap((c) =>
            secretValues(schema, c.config),
          ),
        );
      }
    }
  };
  try {
    await runPlan();
  } finally {
    const recordedWell = results.every((r) => r.status !== 'failed');
    await proxy?.stop(recordedWell);
    if (proxy && options.record) {
      results.push({
        suite: 'basic_read',
        name: 'HTTP traffic recorded',
        status: recordedWell ? 'passed' : 'failed',
        message: recordedWell
          ? `written to ${acceptance.cassette}`
          : `the run failed, so ${acceptance.cassette} was left as it was; fix the failures above and record again`,
        ms: 0,
      });
    }
    rmSync(scratch, { recursive: true, force: true });
  }
  if (proxy && !options.record) {
    results.push({
      suite: 'basic_read',
      name: 'every HTTP request had a recorded answer',
      status: proxy.misses.length ? 'failed' : 'passed',
      message: proxy.misses.length
        ? `${proxy.misses.length} request(s) not in ${acceptance.cassette}, first: ${proxy.misses[0]}. The connector asks for something new: record again with --record.`
        : `replayed from ${acceptance.cassette}`,
      ms: 0,
    });
  }
  if (options.writeReleased) {
    const path = writeReleasedSnapshot(ctx);
    results.push({
      suite: 'backward_compatibility',
      name: 'released snapshot written',
      status: 'passed',
      message: path,
      ms: 0,
    });
  }
  // a failure message may quote what a connector printed: no configured secret leaves the kit
  for (const r of results) r.message = masker.mask(r.message);
  return {
    connector: connector.name,
    acceptanceFile: file,
    seed,
    results,
    passed: results.every((r) => r.status !== 'failed'),
    ms: Date.now() - started,
  };
}

export function isSuiteName(name: string): name is SuiteName {
  return (SUITES as readonly string[]).includes(name);
}

/**
 * For a connector's own test file: runs the kit on the package folder and throws the whole report
 * when a case failed, so `npm test` in the package runs its acceptance tests.
 */
export async function expectAcceptance(
  packageFolder: URL | string,
  options: KitOptions = {},
): Promise<KitReport> {
  const folder = typeof packageFolder === 'string' ? packageFolder : fileURLToPath(packageFolder);
  const report = await runAcceptance(folder, options);
  if (!report.passed) throw new Error(`acceptance kit failed:\n${formatReport(report)}`);
  return report;
}
