// Alerts say each thing once: a connection going down or coming back, a breaking schema change not
// alerted before, a field starting to drift. A check that finds what the last one found is silent.
// Up/down alerts have a cooldown: within it, changes are counted, not sent, and the first check after
// it whose status differs from the last one alerted says how often the connection flapped meanwhile.
//
// Webhook body (HTTP POST, application/json):
//   { "connection": "crm-to-duckdb", "kind": "down" | "recovered" | "schema_breaking" | "drift",
//     "status": "up" | "down", "message": "...", "at": "2026-11-26T10:00:00.000Z",
//     "details": { "failure"?: "...", "changes"?: [...], "drift"?: [...] } }

import type { Logger } from '@conveyor/cdk';
import type { HealthReport } from './health-check.js';
import type { ConnectionHealthState } from './health-store.js';

export type AlertKind = 'down' | 'recovered' | 'schema_breaking' | 'drift';

export interface Alert {
  connection: string;
  kind: AlertKind;
  status: 'up' | 'down';
  message: string;
  at: string;
  details: Record<string, unknown>;
  /** How it went out: `log`, or `log, webhook` / `log, webhook failed: ...`. */
  delivered: string;
}

export function alertsFor(
  connection: string,
  previous: ConnectionHealthState,
  report: Pick<HealthReport, 'status' | 'failure' | 'changes' | 'drift'> & {
    observed?: { schema: boolean; sample: boolean };
  },
  driftThreshold: number,
  /** Up/down alerts at most this often (ms); 0 alerts every transition. */
  cooldownMs = 0,
  now = Date.now(),
): { alerts: Alert[]; next: ConnectionHealthState } {
  const at = new Date(now).toISOString();
  const alerts: Alert[] = [];
  const alert = (kind: AlertKind, message: string, details: Record<string, unknown>) =>
    alerts.push({ connection, kind, status: report.status, message, at, details, delivered: '' });

  let status = previous.status;
  let lastStatusAlertAt = previous.lastStatusAlertAt;
  let flips = previous.flips ?? 0;
  const changed = report.status !== previous.status && !(previous.status === null && report.status === 'up');
  if (previous.status === null && report.status === 'up') status = 'up'; // first sight, nothing to say
  if (changed) {
    const cooling = lastStatusAlertAt !== undefined && now - lastStatusAlertAt < cooldownMs;
    if (cooling) {
      flips += 1;
    } else {
      const flapped =
        flips > 0 ? ` (it flapped: ${flips} check(s) during the cooldown disagreed with the last alert)` : '';
      if (report.status === 'down') {
        alert('down', `${connection} is down: ${report.failure}${flapped}`, {
          failure: report.failure,
          flips: flips + 1,
        });
      } else {
        alert('recovered', `${connection} is up again${flapped}`, { flips: flips + 1 });
      }
      status = report.status;
      lastStatusAlertAt = now;
      flips = 0;
    }
  }
  const breaking = report.changes.filter((c) => c.breaking);
  const fresh = breaking.filter((c) => !previous.alertedChanges.includes(c.message));
  if (fresh.length) {
    alert(
      'schema_breaking',
      `${connection}: breaking schema change: ${fresh.map((c) => c.message).join('; ')}`,
      {
        changes: fresh,
      },
    );
  }
  const drifting = report.drift.filter((d) => d.share >= driftThreshold);
  const key = (d: { stream: string; field: string }) => `${d.stream}.${d.field}`;
  const newDrift = drifting.filter((d) => !previous.alertedDrift.includes(key(d)));
  if (newDrift.length) {
    alert(
      'drift',
      `${connection}: data no longer matches its schema: ${newDrift
        .map((d) => `${key(d)} in ${Math.round(d.share * 100)}% of the sample (arriving as ${d.example})`)
        .join('; ')}`,
      { drift: newDrift },
    );
  }
  return {
    alerts,
    next: {
      // what a check could not look at (discover or the sample did not run) keeps its earlier memory
      status,
      ...(lastStatusAlertAt !== undefined ? { lastStatusAlertAt } : {}),
      flips,
      alertedChanges:
        (report.observed?.schema ?? true) ? breaking.map((c) => c.message) : previous.alertedChanges,
      alertedDrift: (report.observed?.sample ?? true) ? drifting.map(key) : previous.alertedDrift,
    },
  };
}

export async function deliverAlerts(
  alerts: Alert[],
  webhook: string | undefined,
  logger: Logger,
): Promise<Alert[]> {
  for (const alert of alerts) {
    logger.warn(`ALERT ${alert.kind}: ${alert.message}`);
    alert.delivered = 'log';
    if (!webhook) continue;
    const { delivered: _d, ...body } = alert;
    try {
      const res = await fetch(webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      alert.delivered = res.ok ? 'log, webhook' : `log, webhook failed: HTTP ${res.status}`;
      await res.body?.cancel();
    } catch (error) {
      // the cause's code only: a message can quote the URL, and a webhook URL often holds a token
      const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      alert.delivered = `log, webhook failed: ${code}`;
    }
    if (alert.delivered !== 'log, webhook')
      logger.warn(`the alert webhook did not take it (${alert.delivered})`);
  }
  return alerts;
}
