// One health check of a connection: both sides' `check`, the source's `discover` (stored, diffed
// against the accepted catalog), a bounded sample read checked for drift; then alerts, on
// transitions only.

import type { Logger, ReadContext } from '@conveyor/cdk';
import {
  asConveyorError,
  type Catalog,
  type JsonObject,
  SecretMasker,
  secretValues,
  transientError,
} from '@conveyor/protocol';
import type { StreamSelection } from '../catalog.js';
import type { DestinationHandle, SourceHandle } from '../launcher.js';
import { diffCatalogs, type SchemaChange } from '../schema-changes.js';
import { type Alert, alertsFor, deliverAlerts } from './alerts.js';
import type { HealthStatus, HealthStore } from './health-store.js';
import { type FieldDrift, sampleStreams } from './sample.js';
import { applySchemaPolicy, type SchemaPolicy } from './schema-policy.js';

export interface HealthTarget {
  connection: string;
  source: SourceHandle;
  sourceConfig: JsonObject;
  destination: DestinationHandle;
  destinationConfig: JsonObject;
  streams?: StreamSelection[];
  policy: SchemaPolicy;
  /** Alerts go here as an HTTP POST (and always to the log). */
  webhook?: string;
}

export interface HealthOptions {
  recordsPerStream: number;
  /** Each step (a check, discover, one stream's sample) must finish within this many seconds. */
  stepTimeoutSeconds?: number;
  /** A field drifts when at least this share of the sample breaks its declared schema. */
  driftThreshold: number;
  /** Up/down alerts for one connection at most this often (default 30); flapping in between is counted. */
  alertCooldownMinutes?: number;
  logger: Logger;
}

export interface SideResult {
  ok: boolean;
  ms: number;
  message?: string;
  failureType?: string;
}

export interface HealthReport {
  connection: string;
  status: HealthStatus;
  failure?: string;
  failureType?: string;
  latencyMs: number;
  source: SideResult;
  destination: SideResult;
  /** Every change since the accepted catalog, classified. */
  changes: SchemaChange[];
  /** The changes the connection's policy does not apply on its own. */
  pending: SchemaChange[];
  drift: FieldDrift[];
  sample: { records: number; perStream: Record<string, number> };
  alerts: Alert[];
  /** Whether discover and the sample ran, so "no change seen" is told apart from "not looked at". */
  observed: { schema: boolean; sample: boolean };
}

/** A step that does not answer in time counts as a transient failure, naming what hung. */
function withDeadline<T>(step: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(transientError(`${what} did not answer within ${seconds} s`)),
      seconds * 1000,
    );
  });
  return Promise.race([step, deadline]).finally(() => clearTimeout(timer));
}

async function timedSide(
  run: () => Promise<{ status: string; message?: string }>,
  seconds: number,
  what: string,
): Promise<SideResult> {
  const started = Date.now();
  try {
    const status = await withDeadline(run(), seconds, what);
    return status.status === 'SUCCEEDED'
      ? { ok: true, ms: Date.now() - started }
      : {
          ok: false,
          ms: Date.now() - started,
          message: status.message ?? 'check failed',
          failureType: 'config_error',
        };
  } catch (error) {
    const e = asConveyorError(error);
    return { ok: false, ms: Date.now() - started, message: e.userMessage, failureType: e.failureType };
  }
}

/**
 * Compares a report with what the connection's alerts last said, sends what is new (log, webhook),
 * and remembers it. Also used for a connection whose connectors could not even be loaded.
 */
export async function raiseAlerts(
  store: HealthStore,
  report: HealthReport,
  options: Pick<HealthOptions, 'driftThreshold' | 'alertCooldownMinutes' | 'logger'>,
  webhook: string | undefined,
): Promise<Alert[]> {
  const { alerts, next } = alertsFor(
    report.connection,
    store.state(report.connection),
    report,
    options.driftThreshold,
    (options.alertCooldownMinutes ?? 30) * 60_000,
  );
  store.saveState(report.connection, next);
  const sent = await deliverAlerts(alerts, webhook, options.logger);
  for (const alert of sent) store.recordAlert(report.connection, alert.kind, alert.message, alert.delivered);
  return sent;
}

export async function checkHealth(
  target: HealthTarget,
  store: HealthStore,
  options: HealthOptions,
): Promise<HealthReport> {
  const started = Date.now();
  const ctx: ReadContext = { logger: options.logger, signal: new AbortController().signal };
  const seconds = options.stepTimeoutSeconds ?? 120;
  const [source, destination] = await Promise.all([
    timedSide(() => target.source.check(target.sourceConfig, ctx), seconds, 'its check'),
    timedSide(() => target.destination.check(target.destinationConfig, ctx), seconds, 'its check'),
  ]);
  const report = newReport(target.connection, source, destination);
  // both sides are named when both fail; the first failure's class is the report's
  const down = (failure: string, failureType?: string) => {
    report.status = 'down';
    report.failure = report.failure ? `${report.failure}; ${masker.mask(failure)}` : masker.mask(failure);
    if (failureType && !report.failureType) report.failureType = failureType;
  };
  // whatever a connector says may quote its config: no configured secret leaves a health check
  const masker = new SecretMasker();
  for (const [handle, config] of [
    [target.source, target.sourceConfig],
    [target.destination, target.destinationConfig],
  ] as const) {
    try {
      masker.add(secretValues((await handle.spec(ctx)).connectionSpecification, config));
    } catch {
      // a connector whose spec fails is down already; its config has nothing known to mask
    }
  }
  for (const side of [source, destination]) if (side.message) side.message = masker.mask(side.message);
  if (!source.ok) down(`source ${target.source.name}: ${source.message}`, source.failureType);
  if (!destination.ok)
    down(`destination ${target.destination.name}: ${destination.message}`, destination.failureType);

  if (source.ok) {
    let discovered: Catalog | undefined;
    try {
      discovered = await withDeadline(target.source.discover(target.sourceConfig, ctx), seconds, 'discover');
    } catch (error) {
      const e = asConveyorError(error);
      down(`source ${target.source.name}: discover failed: ${e.userMessage}`, e.failureType);
    }
    if (discovered) {
      report.observed.schema = true;
      const accepted = store.accepted(target.connection);
      // a catalog is stored when it differs from the last one seen, so a cadence does not pile up copies
      const latest = store.latestSnapshot(target.connection);
      if (!accepted || !latest || JSON.stringify(latest.catalog) !== JSON.stringify(discovered)) {
        store.saveSnapshot(target.connection, discovered, target.source.version, !accepted);
      }
      if (accepted) {
        report.changes = diffCatalogs(accepted, discovered, target.streams);
        report.pending = applySchemaPolicy(accepted, discovered, target.policy, target.streams).pending;
      }
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), seconds * 1000);
      try {
        const sample = await sampleStreams({
          source: target.source,
          config: target.sourceConfig,
          catalog: discovered,
          ...(target.streams ? { streams: target.streams.map((s) => s.name) } : {}),
          recordsPerStream: options.recordsPerStream,
          logger: options.logger,
          signal: deadline.signal,
        });
        report.sample = { records: sample.records, perStream: sample.perStream };
        report.drift = sample.drift;
        report.observed.sample = true;
      } catch (error) {
        const e = asConveyorError(error);
        down(`source ${target.source.name}: the sample read failed: ${e.userMessage}`, e.failureType);
      } finally {
        clearTimeout(timer);
      }
    }
  }
  report.latencyMs = Date.now() - started;

  return conclude(store, report, options, target.webhook);
}

function newReport(connection: string, source: SideResult, destination: SideResult): HealthReport {
  return {
    connection,
    status: 'up',
    latencyMs: 0,
    source,
    destination,
    changes: [],
    pending: [],
    drift: [],
    sample: { records: 0, perStream: {} },
    alerts: [],
    observed: { schema: false, sample: false },
  };
}

/** Every check ends here: alerts for what changed, then the check into the history. */
async function conclude(
  store: HealthStore,
  report: HealthReport,
  options: Pick<HealthOptions, 'driftThreshold' | 'alertCooldownMinutes' | 'logger'>,
  webhook: string | undefined,
): Promise<HealthReport> {
  report.alerts = await raiseAlerts(store, report, options, webhook);
  store.recordCheck({
    connection: report.connection,
    status: report.status,
    failure: report.failure ?? null,
    failureType: report.failureType ?? null,
    latencyMs: report.latencyMs,
    sampleRecords: report.sample.records,
    details: JSON.stringify({
      source: report.source,
      destination: report.destination,
      changes: report.changes,
      pending: report.pending,
      drift: report.drift,
      sample: report.sample,
    }),
  });
  return report;
}

/**
 * A connection whose source or destination could not even be loaded (a package not installed, a
 * bad reference): down, naming the side, recorded and alerted like any other check.
 */
export function unlaunchedHealth(
  store: HealthStore,
  connection: string,
  failures: { source?: string; destination?: string },
  options: Pick<HealthOptions, 'driftThreshold' | 'alertCooldownMinutes' | 'logger'>,
  webhook: string | undefined,
): Promise<HealthReport> {
  const side = (message: string | undefined): SideResult =>
    message ? { ok: false, ms: 0, message, failureType: 'config_error' } : { ok: true, ms: 0 };
  const report = newReport(connection, side(failures.source), side(failures.destination));
  report.status = 'down';
  report.failure = [
    failures.source && `source ${failures.source}`,
    failures.destination && `destination ${failures.destination}`,
  ]
    .filter(Boolean)
    .join('; ');
  report.failureType = 'config_error';
  return conclude(store, report, options, webhook);
}
