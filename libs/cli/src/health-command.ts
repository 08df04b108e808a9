// `conveyor health` (now, or on a cadence), `conveyor health history`, `conveyor schema diff` and
// `conveyor schema approve`.

import { join } from 'node:path';
import {
  checkHealth,
  DEFAULT_SCHEMA_POLICY,
  diffCatalogs,
  type HealthReport,
  HealthStore,
  launchDestination,
  launchSource,
  nextRun,
  parseCadence,
  unlaunchedHealth,
} from '@conveyor/engine';
import { asConveyorError, configError } from '@conveyor/protocol';
import { conveyorHome, launchOptions } from './home.js';
import { printTable, stderrLogger, type Verbosity } from './output.js';
import { type ConnectionEntry, loadProject, type Project } from './project.js';

export interface HealthOptions {
  file: string;
  sample?: string;
  webhook?: string;
  every?: string;
  cron?: string;
  watch?: boolean;
  json?: boolean;
  verbosity: Verbosity;
}

function connectionsOf(project: Project, names: string[]): ConnectionEntry[] {
  if (names.length === 0) {
    if (project.connections.size === 0) throw configError(`${project.file} defines no connections.`);
    return [...project.connections.values()];
  }
  return names.map((name) => {
    const found = project.connections.get(name);
    if (!found) {
      throw configError(
        `Connection "${name}" is not defined in ${project.file} (defined: ${[...project.connections.keys()].join(', ') || 'none'}).`,
      );
    }
    return found;
  });
}

function store(file: string): HealthStore {
  return new HealthStore(join(conveyorHome(file), 'state.db'));
}

function describe(report: HealthReport): string {
  const lines = [
    `${report.connection}: ${report.status.toUpperCase()} in ${(report.latencyMs / 1000).toFixed(1)} s` +
      (report.failure ? ` - ${report.failure}` : ''),
    `  source check ${report.source.ok ? 'ok' : 'FAILED'} (${report.source.ms} ms), destination check ${report.destination.ok ? 'ok' : 'FAILED'} (${report.destination.ms} ms), sample ${report.sample.records} record(s)`,
  ];
  for (const c of report.changes) {
    const pending = report.pending.some((p) => p.message === c.message) ? ', waiting for approval' : '';
    lines.push(
      `  schema: ${c.message} (${c.breaking ? 'BREAKING' : 'non-breaking'}${c.unused ? ', stream not read' : ''}${pending})`,
    );
  }
  for (const d of report.drift) {
    lines.push(
      `  drift: ${d.stream}.${d.field} breaks its schema in ${d.violations} of ${d.records} sampled record(s) (${Math.round(d.share * 100)}%), e.g. ${d.example}`,
    );
  }
  for (const a of report.alerts) lines.push(`  alert ${a.kind} sent (${a.delivered})`);
  return lines.join('\n');
}

async function checkAll(project: Project, names: string[], options: HealthOptions): Promise<HealthReport[]> {
  const home = conveyorHome(options.file);
  const health = store(options.file);
  const logger = stderrLogger(options.verbosity);
  const sample = options.sample === undefined ? project.health.sampleRecords : Number(options.sample);
  if (!Number.isInteger(sample) || sample < 1)
    throw configError(`--sample must be a whole number of records (got "${options.sample}").`);
  const reports: HealthReport[] = [];
  try {
    for (const connection of connectionsOf(project, names)) {
      // a connector that cannot even be loaded makes its connection down, not the whole round
      const launched = await Promise.allSettled([
        launchSource(connection.source.connector, launchOptions(home)),
        launchDestination(connection.destination.connector, launchOptions(home)),
      ]);
      if (launched[0].status === 'rejected' || launched[1].status === 'rejected') {
        const why = (r: PromiseSettledResult<unknown>, ref: string) =>
          r.status === 'rejected' ? `${ref}: ${asConveyorError(r.reason).userMessage}` : undefined;
        const source = why(launched[0], connection.source.connector);
        const destination = why(launched[1], connection.destination.connector);
        reports.push(
          await unlaunchedHealth(
            health,
            connection.name,
            { ...(source ? { source } : {}), ...(destination ? { destination } : {}) },
            { ...project.health, logger },
            options.webhook ?? connection.webhook ?? project.health.webhook,
          ),
        );
        continue;
      }
      const [source, destination] = [launched[0].value, launched[1].value];
      const webhook = options.webhook ?? connection.webhook ?? project.health.webhook;
      reports.push(
        await checkHealth(
          {
            connection: connection.name,
            source,
            sourceConfig: connection.source.config,
            destination,
            destinationConfig: connection.destination.config,
            ...(connection.streams ? { streams: connection.streams } : {}),
            policy: connection.schemaChanges ?? DEFAULT_SCHEMA_POLICY,
            ...(webhook ? { webhook } : {}),
          },
          health,
          {
            recordsPerStream: sample,
            driftThreshold: project.health.driftThreshold,
            alertCooldownMinutes: project.health.alertCooldownMinutes,
            logger,
          },
        ),
      );
    }
  } finally {
    health.close();
  }
  return reports;
}

export async function healthCommand(names: string[], options: HealthOptions): Promise<number> {
  const project = loadProject(options.file);
  const cadenceText = options.cron ?? options.every ?? (options.watch ? '15m' : undefined);
  const print = (reports: HealthReport[]) => {
    if (options.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    else for (const r of reports) process.stdout.write(`${describe(r)}\n`);
  };
  if (!cadenceText) {
    const reports = await checkAll(project, names, options);
    print(reports);
    return reports.every((r) => r.status === 'up') ? 0 : 1;
  }
  const cadence = parseCadence(cadenceText);
  connectionsOf(project, names); // a wrong name is an error now, not a failure every round
  if (
    options.sample !== undefined &&
    !(Number.isInteger(Number(options.sample)) && Number(options.sample) >= 1)
  ) {
    throw configError(`--sample must be a whole number of records (got "${options.sample}").`);
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const logger = stderrLogger(options.verbosity);
  logger.warn(
    `checking ${names.join(', ') || 'every connection'} ${options.cron ? `on "${cadenceText}" (UTC)` : `every ${cadenceText}`}; Ctrl-C stops`,
  );
  while (!stop.signal.aborted) {
    if (!options.cron) {
      try {
        print(await checkAll(project, names, options));
      } catch (error) {
        logger.warn(`health round failed, trying again at the next one: ${(error as Error).message}`);
      }
    }
    const wait = nextRun(cadence, new Date()).getTime() - Date.now();
    await new Promise<void>((done) => {
      const timer = setTimeout(done, Math.max(0, wait));
      stop.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          done();
        },
        { once: true },
      );
    });
    if (options.cron && !stop.signal.aborted) {
      try {
        print(await checkAll(project, names, options));
      } catch (error) {
        logger.warn(`health round failed, trying again at the next one: ${(error as Error).message}`);
      }
    }
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return 0;
}

export function healthHistoryCommand(
  name: string | undefined,
  options: { file: string; limit?: string; json?: boolean },
): number {
  const limit = options.limit ? Number(options.limit) : 30;
  if (!Number.isInteger(limit) || limit < 1)
    throw configError(`--limit must be a whole number above 0 (got "${options.limit}").`);
  const health = store(options.file);
  try {
    const checks = health.checks(name, limit);
    const alerts = health.alerts(name, limit);
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ checks, alerts }, null, 2)}\n`);
      return 0;
    }
    const when = (at: string) => at.replace('T', ' ').slice(0, 19);
    process.stdout.write(
      `${printTable(
        ['checked (UTC)', 'connection', 'status', 'took', 'sample', 'failure'],
        checks.map((c) => [
          when(c.at),
          c.connection,
          c.status,
          `${c.latencyMs} ms`,
          c.sampleRecords,
          c.failure ?? '',
        ]),
      )}\n\n${printTable(
        ['alerted (UTC)', 'connection', 'alert', 'message', 'delivered'],
        alerts.map((a) => [when(a.at), a.connection, a.kind, a.message, a.delivered]),
      )}\n`,
    );
    return 0;
  } finally {
    health.close();
  }
}

export async function schemaCommand(
  action: 'diff' | 'approve',
  name: string,
  options: { file: string; json?: boolean; verbosity: Verbosity },
): Promise<number> {
  const project = loadProject(options.file);
  const connection = connectionsOf(project, [name])[0]!;
  const home = conveyorHome(options.file);
  const source = await launchSource(connection.source.connector, launchOptions(home));
  const discovered = await source.discover(connection.source.config, {
    logger: stderrLogger(options.verbosity),
    signal: new AbortController().signal,
  });
  const health = store(options.file);
  try {
    const accepted = health.accepted(connection.name);
    const changes = accepted ? diffCatalogs(accepted, discovered, connection.streams) : [];
    if (action === 'approve') {
      health.saveSnapshot(connection.name, discovered, source.version, true);
      process.stdout.write(
        accepted
          ? `${connection.name}: accepted the source's current schema (${changes.length} change(s)); the next sync applies it.\n`
          : `${connection.name}: recorded the source's schema as its baseline.\n`,
      );
      return 0;
    }
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ connection: connection.name, baseline: Boolean(accepted), changes }, null, 2)}\n`,
      );
      return 0;
    }
    if (!accepted) {
      process.stdout.write(
        `${connection.name}: no accepted schema yet; the first sync or health check records one.\n`,
      );
      return 0;
    }
    if (changes.length === 0) {
      process.stdout.write(`${connection.name}: the source's schema is the accepted one.\n`);
      return 0;
    }
    process.stdout.write(
      `${printTable(
        ['change', 'stream', 'column', 'from', 'to', 'breaking'],
        changes.map((c) => [
          c.kind,
          c.stream,
          c.column ?? '',
          c.from ?? '',
          c.to ?? '',
          c.breaking ? 'yes' : c.unused ? 'no (not read)' : 'no',
        ]),
      )}\nApprove them all with: conveyor schema approve ${connection.name}\n`,
    );
    return 0;
  } finally {
    health.close();
  }
}
