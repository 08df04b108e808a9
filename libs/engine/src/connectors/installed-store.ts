// What an instance has installed from registries, which version each connector runs, its update
// policy, approvals, refusals and the history of every change. Lives in the home's SQLite file.

import type Database from 'better-sqlite3';
import { openDatabase, processAlive } from '../sqlite.js';
import { DEFAULT_POLICY, type UpdatePolicy } from './update-policy.js';

export interface InstalledConnector {
  package: string;
  version: string;
  /** The version it ran before the last switch (what `rollback` returns to). */
  previous: string | null;
  pinned: boolean;
  registry: string;
  policy: UpdatePolicy;
  versions: string[];
}

export type ConnectorAction =
  | 'install'
  | 'update'
  | 'hold'
  | 'refuse'
  | 'approve'
  | 'rollback'
  | 'pin'
  | 'unpin'
  | 'policy';

export interface ConnectorEvent {
  id: number;
  at: string;
  package: string;
  action: ConnectorAction;
  from: string | null;
  to: string | null;
  actor: string;
  detail: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS connector_versions (
  package TEXT NOT NULL,
  version TEXT NOT NULL,
  folder TEXT NOT NULL,
  installed_at TEXT NOT NULL,
  PRIMARY KEY (package, version)
);
CREATE TABLE IF NOT EXISTS connector_current (
  package TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  previous TEXT,
  pinned INTEGER NOT NULL DEFAULT 0,
  registry TEXT NOT NULL,
  policy TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS connector_marks (
  package TEXT NOT NULL,
  version TEXT NOT NULL,
  mark TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (package, version, mark)
);
CREATE TABLE IF NOT EXISTS connector_lock (
  name TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS connector_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  package TEXT NOT NULL,
  action TEXT NOT NULL,
  from_version TEXT,
  to_version TEXT,
  actor TEXT NOT NULL,
  detail TEXT NOT NULL
);
`;

interface CurrentRow {
  package: string;
  version: string;
  previous: string | null;
  pinned: number;
  registry: string;
  policy: string;
}

export class InstalledStore {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    this.db = openDatabase(file, SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  list(): InstalledConnector[] {
    const rows = this.db.prepare('SELECT * FROM connector_current ORDER BY package').all() as CurrentRow[];
    return rows.map((row) => this.toInstalled(row));
  }

  get(pkg: string): InstalledConnector | undefined {
    const row = this.db.prepare('SELECT * FROM connector_current WHERE package = ?').get(pkg) as
      | CurrentRow
      | undefined;
    return row ? this.toInstalled(row) : undefined;
  }

  folder(pkg: string, version: string): string | undefined {
    const row = this.db
      .prepare('SELECT folder FROM connector_versions WHERE package = ? AND version = ?')
      .get(pkg, version) as { folder: string } | undefined;
    return row?.folder;
  }

  addVersion(pkg: string, version: string, folder: string): void {
    this.db
      .prepare(
        `INSERT INTO connector_versions (package, version, folder, installed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (package, version) DO UPDATE SET folder = excluded.folder, installed_at = excluded.installed_at`,
      )
      .run(pkg, version, folder, new Date().toISOString());
  }

  /**
   * Makes `version` the one that runs; the one it replaces becomes `previous` (or `previous` as
   * given). With `expected`, the switch happens only if nothing changed since the decision: the same
   * current version, still unpinned, the candidate not refused meanwhile. Returns whether it switched.
   */
  switchTo(
    pkg: string,
    version: string,
    event: {
      action: ConnectorAction;
      actor: string;
      detail: string;
      registry?: string;
      previous?: string | null;
      expected?: { current: string | undefined };
    },
  ): boolean {
    const tx = this.db.transaction((): boolean => {
      const current = this.get(pkg);
      if (event.expected) {
        if (current?.version !== event.expected.current) return false;
        if (current?.pinned) return false;
        if (this.marked(pkg, 'refused').has(version)) return false;
      }
      if (current) {
        const previous =
          event.previous !== undefined
            ? event.previous
            : current.version === version
              ? current.previous
              : current.version;
        this.db
          .prepare(
            'UPDATE connector_current SET version = ?, previous = ?, registry = COALESCE(?, registry) WHERE package = ?',
          )
          .run(version, previous, event.registry ?? null, pkg);
      } else {
        if (!event.registry) throw new Error(`a first install of ${pkg} needs its registry`);
        this.db
          .prepare(
            'INSERT INTO connector_current (package, version, previous, pinned, registry, policy) VALUES (?, ?, NULL, 0, ?, ?)',
          )
          .run(pkg, version, event.registry, JSON.stringify(DEFAULT_POLICY));
      }
      this.record(pkg, event.action, current?.version ?? null, version, event.actor, event.detail);
      return true;
    });
    return tx.immediate();
  }

  /**
   * One connector change at a time per home: installs and trials take seconds, and two watchers
   * (or a watcher and a person) must not interleave them. A lock left by a dead process is taken over.
   */
  lock(pid = process.pid): { ok: true } | { ok: false; holder: number } {
    const take = this.db.transaction(() => {
      const row = this.db.prepare("SELECT pid FROM connector_lock WHERE name = 'connectors'").get() as
        | { pid: number }
        | undefined;
      if (row && row.pid !== pid && processAlive(row.pid)) return { ok: false as const, holder: row.pid };
      this.db
        .prepare(
          "INSERT INTO connector_lock (name, pid, at) VALUES ('connectors', ?, ?) ON CONFLICT (name) DO UPDATE SET pid = excluded.pid, at = excluded.at",
        )
        .run(pid, new Date().toISOString());
      return { ok: true as const };
    });
    return take.immediate();
  }

  unlock(pid = process.pid): void {
    this.db.prepare("DELETE FROM connector_lock WHERE name = 'connectors' AND pid = ?").run(pid);
  }

  setPinned(pkg: string, pinned: boolean, actor: string): void {
    this.db.prepare('UPDATE connector_current SET pinned = ? WHERE package = ?').run(pinned ? 1 : 0, pkg);
    const version = this.get(pkg)?.version ?? null;
    this.record(
      pkg,
      pinned ? 'pin' : 'unpin',
      version,
      version,
      actor,
      pinned ? 'updates stopped' : 'updates resumed',
    );
  }

  setPolicy(pkg: string, policy: UpdatePolicy, actor: string): void {
    this.db
      .prepare('UPDATE connector_current SET policy = ? WHERE package = ?')
      .run(JSON.stringify(policy), pkg);
    this.record(pkg, 'policy', null, null, actor, `auto: ${policy.auto}, major: ${policy.major}`);
  }

  /** Marks are `approved` (a person said yes to a major) and `refused` (never applied by policy again). */
  mark(pkg: string, version: string, mark: 'approved' | 'refused', actor: string, reason: string): void {
    this.db
      .prepare(
        `INSERT INTO connector_marks (package, version, mark, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (package, version, mark) DO UPDATE SET actor = excluded.actor, reason = excluded.reason, at = excluded.at`,
      )
      .run(pkg, version, mark, actor, reason, new Date().toISOString());
    if (mark === 'approved') {
      this.db
        .prepare("DELETE FROM connector_marks WHERE package = ? AND version = ? AND mark = 'refused'")
        .run(pkg, version);
    }
  }

  marked(pkg: string, mark: 'approved' | 'refused'): Map<string, { actor: string; reason: string }> {
    const rows = this.db
      .prepare('SELECT version, actor, reason FROM connector_marks WHERE package = ? AND mark = ?')
      .all(pkg, mark) as { version: string; actor: string; reason: string }[];
    return new Map(rows.map((r) => [r.version, { actor: r.actor, reason: r.reason }]));
  }

  record(
    pkg: string,
    action: ConnectorAction,
    from: string | null,
    to: string | null,
    actor: string,
    detail: string,
  ): void {
    this.db
      .prepare(
        'INSERT INTO connector_events (at, package, action, from_version, to_version, actor, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(new Date().toISOString(), pkg, action, from, to, actor, detail);
  }

  history(pkg?: string, limit = 50): ConnectorEvent[] {
    const rows = (
      pkg
        ? this.db
            .prepare('SELECT * FROM connector_events WHERE package = ? ORDER BY id DESC LIMIT ?')
            .all(pkg, limit)
        : this.db.prepare('SELECT * FROM connector_events ORDER BY id DESC LIMIT ?').all(limit)
    ) as Array<{
      id: number;
      at: string;
      package: string;
      action: ConnectorAction;
      from_version: string | null;
      to_version: string | null;
      actor: string;
      detail: string;
    }>;
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      package: r.package,
      action: r.action,
      from: r.from_version,
      to: r.to_version,
      actor: r.actor,
      detail: r.detail,
    }));
  }

  private toInstalled(row: CurrentRow): InstalledConnector {
    const versions = (
      this.db.prepare('SELECT version FROM connector_versions WHERE package = ?').all(row.package) as {
        version: string;
      }[]
    ).map((r) => r.version);
    return {
      package: row.package,
      version: row.version,
      previous: row.previous,
      pinned: row.pinned === 1,
      registry: row.registry,
      policy: { ...DEFAULT_POLICY, ...(JSON.parse(row.policy) as Partial<UpdatePolicy>) },
      versions,
    };
  }
}
