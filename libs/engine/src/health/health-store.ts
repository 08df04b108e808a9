// What health checks remember, in the home's SQLite file: every discovered catalog (with the one the
// connection accepted), every check, every alert, and the last known state per connection that
// alerts compare against.

import type { Catalog } from '@conveyor/protocol';
import type Database from 'better-sqlite3';
import { openDatabase } from '../sqlite.js';

export type HealthStatus = 'up' | 'down';

export interface HealthRecord {
  id: number;
  connection: string;
  at: string;
  status: HealthStatus;
  /** Which side failed and why, when down. */
  failure: string | null;
  /** The error class the engine would act on: config_error, transient_error or system_error. */
  failureType: string | null;
  latencyMs: number;
  sampleRecords: number;
  /** The summary of the check: schema changes and drift, as JSON. */
  details: string;
}

export interface AlertRecord {
  id: number;
  connection: string;
  at: string;
  kind: string;
  message: string;
  delivered: string;
}

export interface ConnectionHealthState {
  /** The status last alerted (or first seen): what the next status alert compares with. */
  status: HealthStatus | null;
  /** When an up/down alert last went out (ms), for the cooldown. */
  lastStatusAlertAt?: number;
  /** Status changes seen during the cooldown, said in the next status alert. */
  flips?: number;
  /** Breaking changes already alerted, so each is said once. */
  alertedChanges: string[];
  /** Drifting fields already alerted. */
  alertedDrift: string[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS schema_snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  connection TEXT NOT NULL,
  at TEXT NOT NULL,
  source_version TEXT,
  catalog TEXT NOT NULL,
  accepted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS schema_snapshots_by_connection ON schema_snapshots (connection, id);
CREATE TABLE IF NOT EXISTS health_checks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  connection TEXT NOT NULL,
  at TEXT NOT NULL,
  status TEXT NOT NULL,
  failure TEXT,
  failure_type TEXT,
  latency_ms INTEGER NOT NULL,
  sample_records INTEGER NOT NULL,
  details TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS health_alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  connection TEXT NOT NULL,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  delivered TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS health_state (
  connection TEXT PRIMARY KEY,
  status TEXT,
  alerted_changes TEXT NOT NULL,
  alerted_drift TEXT NOT NULL,
  last_status_alert_at INTEGER,
  flips INTEGER NOT NULL DEFAULT 0
);
`;

export class HealthStore {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    this.db = openDatabase(file, SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  saveSnapshot(
    connection: string,
    catalog: Catalog,
    sourceVersion: string | undefined,
    accepted: boolean,
  ): number {
    const result = this.db
      .prepare(
        'INSERT INTO schema_snapshots (connection, at, source_version, catalog, accepted) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        connection,
        new Date().toISOString(),
        sourceVersion ?? null,
        JSON.stringify(catalog),
        accepted ? 1 : 0,
      );
    return Number(result.lastInsertRowid);
  }

  /** The catalog the connection last accepted (first seen, approved, or applied by its policy). */
  accepted(connection: string): Catalog | undefined {
    const row = this.db
      .prepare(
        'SELECT catalog FROM schema_snapshots WHERE connection = ? AND accepted = 1 ORDER BY id DESC LIMIT 1',
      )
      .get(connection) as { catalog: string } | undefined;
    return row ? (JSON.parse(row.catalog) as Catalog) : undefined;
  }

  latestSnapshot(connection: string): { catalog: Catalog; at: string } | undefined {
    const row = this.db
      .prepare('SELECT catalog, at FROM schema_snapshots WHERE connection = ? ORDER BY id DESC LIMIT 1')
      .get(connection) as { catalog: string; at: string } | undefined;
    return row ? { catalog: JSON.parse(row.catalog) as Catalog, at: row.at } : undefined;
  }

  recordCheck(check: Omit<HealthRecord, 'id' | 'at'>): void {
    this.db
      .prepare(
        `INSERT INTO health_checks (connection, at, status, failure, failure_type, latency_ms, sample_records, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        check.connection,
        new Date().toISOString(),
        check.status,
        check.failure,
        check.failureType,
        check.latencyMs,
        check.sampleRecords,
        check.details,
      );
  }

  checks(connection?: string, limit = 50): HealthRecord[] {
    const rows = (
      connection
        ? this.db
            .prepare('SELECT * FROM health_checks WHERE connection = ? ORDER BY id DESC LIMIT ?')
            .all(connection, limit)
        : this.db.prepare('SELECT * FROM health_checks ORDER BY id DESC LIMIT ?').all(limit)
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: Number(r.id),
      connection: String(r.connection),
      at: String(r.at),
      status: r.status as HealthStatus,
      failure: (r.failure as string | null) ?? null,
      failureType: (r.failure_type as string | null) ?? null,
      latencyMs: Number(r.latency_ms),
      sampleRecords: Number(r.sample_records),
      details: String(r.details),
    }));
  }

  recordAlert(connection: string, kind: string, message: string, delivered: string): void {
    this.db
      .prepare('INSERT INTO health_alerts (connection, at, kind, message, delivered) VALUES (?, ?, ?, ?, ?)')
      .run(connection, new Date().toISOString(), kind, message, delivered);
  }

  alerts(connection?: string, limit = 50): AlertRecord[] {
    return (
      connection
        ? this.db
            .prepare('SELECT * FROM health_alerts WHERE connection = ? ORDER BY id DESC LIMIT ?')
            .all(connection, limit)
        : this.db.prepare('SELECT * FROM health_alerts ORDER BY id DESC LIMIT ?').all(limit)
    ) as AlertRecord[];
  }

  state(connection: string): ConnectionHealthState {
    const row = this.db.prepare('SELECT * FROM health_state WHERE connection = ?').get(connection) as
      | {
          status: HealthStatus | null;
          alerted_changes: string;
          alerted_drift: string;
          last_status_alert_at: number | null;
          flips: number;
        }
      | undefined;
    return {
      status: row?.status ?? null,
      ...(row?.last_status_alert_at ? { lastStatusAlertAt: row.last_status_alert_at } : {}),
      flips: row?.flips ?? 0,
      alertedChanges: row ? (JSON.parse(row.alerted_changes) as string[]) : [],
      alertedDrift: row ? (JSON.parse(row.alerted_drift) as string[]) : [],
    };
  }

  saveState(connection: string, state: ConnectionHealthState): void {
    this.db
      .prepare(
        `INSERT INTO health_state (connection, status, alerted_changes, alerted_drift) VALUES (?, ?, ?, ?)
         ON CONFLICT (connection) DO UPDATE SET status = excluded.status, alerted_changes = excluded.alerted_changes,
         alerted_drift = excluded.alerted_drift`,
      )
      .run(
        connection,
        state.status,
        JSON.stringify(state.alertedChanges),
        JSON.stringify(state.alertedDrift),
      );
  }
}
