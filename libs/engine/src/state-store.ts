// The embedded state store: committed source states, stream generations and run history, in one
// SQLite file. WAL mode and synchronous=FULL make each committed state survive a crash.

import type { FailureType, StateMessage } from '@conveyor/protocol';
import type Database from 'better-sqlite3';
import { openDatabase, processAlive } from './sqlite.js';

export interface StoredStates {
  seq: number;
  states: StateMessage[];
}

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface StreamRunStats {
  stream: string;
  records: number;
  bytes: number;
  seconds: number;
  status: string;
}

export interface RunRecord {
  id: number;
  connection: string;
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  failureType: FailureType | null;
  failureReason: string | null;
  records: number;
  streams: StreamRunStats[];
  /** `name@version` of the connectors that ran, when they are packages. */
  sourceVersion: string | null;
  destinationVersion: string | null;
}

export interface RunConnectors {
  source?: string;
  destination?: string;
}

interface RunRow {
  id: number;
  connection: string;
  started_at: string;
  ended_at: string | null;
  status: RunStatus;
  failure_type: FailureType | null;
  failure_reason: string | null;
  records: number;
  streams: string | null;
  pid: number | null;
  source_version: string | null;
  destination_version: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS connection_state (
  connection TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  states TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS connection_placement (
  connection TEXT PRIMARY KEY,
  placement TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stream_generation (
  connection TEXT NOT NULL,
  stream TEXT NOT NULL,
  generation INTEGER NOT NULL,
  PRIMARY KEY (connection, stream)
);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  connection TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  status TEXT NOT NULL,
  failure_type TEXT,
  failure_reason TEXT,
  records INTEGER NOT NULL DEFAULT 0,
  streams TEXT,
  pid INTEGER
);
CREATE INDEX IF NOT EXISTS runs_by_connection ON runs (connection, id);
`;

export class StateStore {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    this.db = openDatabase(file, SCHEMA);
    // homes made before run records named their connector versions
    const columns = this.db.prepare("SELECT name FROM pragma_table_info('runs')").all() as { name: string }[];
    if (!columns.some((c) => c.name === 'source_version')) {
      try {
        this.db.exec(
          'BEGIN IMMEDIATE; ALTER TABLE runs ADD COLUMN source_version TEXT; ALTER TABLE runs ADD COLUMN destination_version TEXT; COMMIT;',
        );
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        // another process opening the same old home added them first
        if (!/duplicate column/.test((error as Error).message)) throw error;
      }
    }
  }

  close(): void {
    this.db.close();
  }

  getStates(connection: string): StoredStates | undefined {
    const row = this.db
      .prepare('SELECT seq, states FROM connection_state WHERE connection = ?')
      .get(connection) as { seq: number; states: string } | undefined;
    return row ? { seq: row.seq, states: JSON.parse(row.states) as StateMessage[] } : undefined;
  }

  /** Saves a snapshot of states; an older seq never overwrites a newer one. */
  saveStates(connection: string, seq: number, states: StateMessage[]): void {
    this.db
      .prepare(
        `INSERT INTO connection_state (connection, seq, states, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (connection) DO UPDATE SET seq = excluded.seq, states = excluded.states, updated_at = excluded.updated_at
         WHERE excluded.seq > connection_state.seq`,
      )
      .run(connection, seq, JSON.stringify(states), new Date().toISOString());
  }

  /** Forces a snapshot regardless of seq ordering (used by reset, which chooses a seq above every known one). */
  replaceStates(connection: string, seq: number, states: StateMessage[]): void {
    this.db
      .prepare(
        `INSERT INTO connection_state (connection, seq, states, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (connection) DO UPDATE SET seq = excluded.seq, states = excluded.states, updated_at = excluded.updated_at`,
      )
      .run(connection, seq, JSON.stringify(states), new Date().toISOString());
  }

  /** Where the connection's last sync put its streams (its namespace policy, as text). */
  placement(connection: string): string | undefined {
    const row = this.db
      .prepare('SELECT placement FROM connection_placement WHERE connection = ?')
      .get(connection) as { placement: string } | undefined;
    return row?.placement;
  }

  setPlacement(connection: string, placement: string): void {
    this.db
      .prepare(
        `INSERT INTO connection_placement (connection, placement) VALUES (?, ?)
         ON CONFLICT (connection) DO UPDATE SET placement = excluded.placement`,
      )
      .run(connection, placement);
  }

  generation(connection: string, stream: string): number {
    const row = this.db
      .prepare('SELECT generation FROM stream_generation WHERE connection = ? AND stream = ?')
      .get(connection, stream) as { generation: number } | undefined;
    return row?.generation ?? 0;
  }

  setGeneration(connection: string, stream: string, generation: number): void {
    this.db
      .prepare(
        `INSERT INTO stream_generation (connection, stream, generation) VALUES (?, ?, ?)
         ON CONFLICT (connection, stream) DO UPDATE SET generation = excluded.generation`,
      )
      .run(connection, stream, generation);
  }

  startRun(connection: string, connectors: RunConnectors = {}): number {
    this.markInterrupted(connection);
    const result = this.db
      .prepare(
        'INSERT INTO runs (connection, started_at, status, pid, source_version, destination_version) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        connection,
        new Date().toISOString(),
        'running',
        process.pid,
        connectors.source ?? null,
        connectors.destination ?? null,
      );
    return Number(result.lastInsertRowid);
  }

  updateRun(id: number, records: number, streams: StreamRunStats[]): void {
    this.db
      .prepare('UPDATE runs SET records = ?, streams = ? WHERE id = ?')
      .run(records, JSON.stringify(streams), id);
  }

  finishRun(
    id: number,
    outcome: {
      status: Exclude<RunStatus, 'running'>;
      records: number;
      streams: StreamRunStats[];
      failureType?: FailureType;
      failureReason?: string;
    },
  ): void {
    this.db
      .prepare(
        `UPDATE runs SET ended_at = ?, status = ?, records = ?, streams = ?, failure_type = ?, failure_reason = ?
         WHERE id = ?`,
      )
      .run(
        new Date().toISOString(),
        outcome.status,
        outcome.records,
        JSON.stringify(outcome.streams),
        outcome.failureType ?? null,
        outcome.failureReason ?? null,
        id,
      );
  }

  listRuns(options: { connection?: string; limit?: number } = {}): RunRecord[] {
    this.markInterrupted(options.connection);
    const limit = options.limit ?? 20;
    const rows = (
      options.connection
        ? this.db
            .prepare('SELECT * FROM runs WHERE connection = ? ORDER BY id DESC LIMIT ?')
            .all(options.connection, limit)
        : this.db.prepare('SELECT * FROM runs ORDER BY id DESC LIMIT ?').all(limit)
    ) as RunRow[];
    return rows.map((r) => ({
      id: r.id,
      connection: r.connection,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      status: r.status,
      failureType: r.failure_type,
      failureReason: r.failure_reason,
      records: r.records,
      streams: r.streams ? (JSON.parse(r.streams) as StreamRunStats[]) : [],
      sourceVersion: r.source_version,
      destinationVersion: r.destination_version,
    }));
  }

  /** A run still marked running whose process is gone was killed: record it as failed, with that reason. */
  private markInterrupted(connection?: string): void {
    const rows = (
      connection
        ? this.db
            .prepare("SELECT id, pid FROM runs WHERE status = 'running' AND connection = ?")
            .all(connection)
        : this.db.prepare("SELECT id, pid FROM runs WHERE status = 'running'").all()
    ) as { id: number; pid: number | null }[];
    for (const row of rows) {
      if (row.pid !== null && row.pid !== process.pid && processAlive(row.pid)) continue;
      if (row.pid === process.pid) continue;
      this.db
        .prepare(
          `UPDATE runs SET status = 'failed', ended_at = COALESCE(ended_at, ?), failure_type = 'system_error',
           failure_reason = 'interrupted: the process ended before the sync finished (killed or crashed); committed data and state were kept and the next sync resumes from them'
           WHERE id = ?`,
        )
        .run(new Date().toISOString(), row.id);
    }
  }
}
