// An instance's connectors from registries: install, list, outdated, update under a policy (tried
// before the switch), approve, pin, rollback. Every change is recorded with who made it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadContext } from '@conveyor/cdk';
import { asConveyorError, ConveyorError, configError, transientError } from '@conveyor/protocol';
import semver from 'semver';
import type { ConnectorKind } from '../launcher.js';
import { type InstalledConnector, InstalledStore } from './installed-store.js';
import { installVersion } from './package-install.js';
import { fetchVersions, normalizeRegistry } from './registry-client.js';
import { type ConnectorUse, type TrialResult, tryVersion } from './trial.js';
import { type Candidate, decideUpdate, speaksProtocol, type UpdatePolicy } from './update-policy.js';

export interface OutdatedRow {
  package: string;
  current: string;
  /** What `update` would switch to now. */
  wanted?: string;
  latest: string;
  held?: string;
  /** Newer versions this instance will not take again (failed trial, rolled back), with why. */
  refused?: string;
  pinned: boolean;
}

export type UpdateOutcome =
  | { package: string; outcome: 'up-to-date'; version: string; refused?: string[] }
  | { package: string; outcome: 'error'; version: string; reason: string }
  | { package: string; outcome: 'updated'; from: string; to: string; reason: string; tried: string[] }
  | { package: string; outcome: 'held'; version: string; candidate: string; reason: string }
  | { package: string; outcome: 'refused'; version: string; candidate: string; reason: string };

export interface ManagerOptions {
  home: string;
  /** Registry for installs when a package names none; also `$CONVEYOR_REGISTRY`. */
  registry?: string;
  /** Who is acting, for the record (defaults to the OS user). */
  actor: string;
  cwd: string;
  ctx: ReadContext;
}

/** `@scope/name@^1.2`, `name@1.2.3`, `@scope/name` → name and range. */
export function parsePackageSpec(spec: string): { name: string; range: string } {
  const at = spec.lastIndexOf('@');
  const name = at > 0 ? spec.slice(0, at) : spec;
  const range = at > 0 ? spec.slice(at + 1) : '*';
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name) || !semver.validRange(range)) {
    throw configError(
      `"${spec}" is not a package spec. Write a package name with an optional version or range, like @conveyor/source-faker or @conveyor/source-faker@^0.1.`,
    );
  }
  return { name, range };
}

function kindOf(folder: string, pkg: string): ConnectorKind {
  const manifest = JSON.parse(
    readFileSync(join(folder, 'node_modules', ...pkg.split('/'), 'package.json'), 'utf8'),
  ) as { conveyor?: { kind?: string } };
  const kind = manifest.conveyor?.kind;
  if (kind !== 'source' && kind !== 'destination') {
    throw configError(
      `${pkg} is not a Conveyor connector: its package.json has no "conveyor": { "kind": "source" | "destination" } block.`,
    );
  }
  return kind;
}

export class ConnectorManager {
  readonly store: InstalledStore;

  constructor(private readonly options: ManagerOptions) {
    this.store = new InstalledStore(join(options.home, 'state.db'));
  }

  close(): void {
    this.store.close();
  }

  /** Updates use the registry a package came from unless one is given explicitly (--registry, $CONVEYOR_REGISTRY on first install). */
  private registryFor(installed?: InstalledConnector, explicit?: string): string {
    const registry = explicit ?? installed?.registry ?? this.options.registry;
    if (!registry) {
      throw configError(
        'No registry given. Pass --registry URL, or set CONVEYOR_REGISTRY (for a local one: npm run registry).',
      );
    }
    return normalizeRegistry(registry);
  }

  private installed(pkg: string): InstalledConnector {
    const found = this.store.get(pkg);
    if (!found) {
      throw configError(
        `${pkg} is not installed on this instance. Install it: conveyor connectors install ${pkg}`,
      );
    }
    return found;
  }

  /** Runs `fn` holding the home's connector lock, so two processes never interleave changes. */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const got = this.store.lock();
    if (!got.ok) {
      throw configError(
        `Another Conveyor process (pid ${got.holder}) is changing connectors in this home right now. Try again when it is done.`,
      );
    }
    try {
      return await fn();
    } finally {
      this.store.unlock();
    }
  }

  /** First install of a package. An installed one changes only through update, pin and rollback. */
  install(
    spec: string,
    uses: ConnectorUse[] = [],
    registry?: string,
  ): Promise<{ package: string; version: string; tried: string[] }> {
    return this.locked(async () => {
      const { name, range } = parsePackageSpec(spec);
      const existing = this.store.get(name);
      if (existing) {
        throw configError(
          `${name} is already installed (it runs ${existing.version}). Take new versions with \`conveyor connectors update ${name}\`, or run a given one with \`conveyor connectors pin ${name}@VERSION\`.`,
        );
      }
      const url = this.registryFor(undefined, registry);
      const versions = await fetchVersions(url, name);
      const candidates = versions.filter((v) => !v.deprecated && speaksProtocol(v.protocolVersion));
      const version = semver.maxSatisfying(
        candidates.map((v) => v.version),
        range,
      );
      if (!version) {
        throw configError(
          `No installable version of ${name} matches "${range}" on ${url} (published: ${versions.map((v) => v.version).join(', ') || 'none'}; deprecated ones and ones speaking another protocol major are left out).`,
        );
      }
      const folder = await installVersion(this.options.home, name, version, url);
      const trial = await this.trial(name, version, folder, undefined, uses);
      if (!trial.ok) {
        this.store.record(name, 'refuse', null, version, this.options.actor, trial.failure ?? '');
        throw (trial.retryable ? transientError : configError)(
          `${name}@${version} was downloaded but not installed: ${trial.failure}`,
        );
      }
      this.store.addVersion(name, version, folder);
      this.store.switchTo(name, version, {
        action: 'install',
        actor: this.options.actor,
        detail: `from ${url}; tried: ${trial.tried.join(', ')}`,
        registry: url,
      });
      return { package: name, version, tried: trial.tried };
    });
  }

  list(): InstalledConnector[] {
    return this.store.list();
  }

  private async decide(installed: InstalledConnector) {
    const published = await fetchVersions(this.registryFor(installed), installed.package);
    const decision = decideUpdate({
      package: installed.package,
      current: installed.version,
      versions: published,
      policy: installed.policy,
      approved: new Set(this.store.marked(installed.package, 'approved').keys()),
      refused: new Set(this.store.marked(installed.package, 'refused').keys()),
      pinned: installed.pinned,
    });
    return { decision, published };
  }

  private refusedNewer(installed: InstalledConnector): string[] {
    return [...this.store.marked(installed.package, 'refused')]
      .filter(([v]) => semver.valid(v) && semver.gt(v, installed.version))
      .map(([v, m]) => `${v} (${m.reason})`);
  }

  async outdated(): Promise<OutdatedRow[]> {
    const rows: OutdatedRow[] = [];
    for (const installed of this.store.list()) {
      const { decision, published } = await this.decide(installed);
      const latest = semver.maxSatisfying(
        published.map((p) => p.version),
        '*',
      );
      const refused = this.refusedNewer(installed);
      rows.push({
        package: installed.package,
        current: installed.version,
        ...(decision.apply ? { wanted: decision.apply.version } : {}),
        latest: latest ?? installed.version,
        ...(decision.held ? { held: `${decision.held.version}: ${decision.held.reason}` } : {}),
        ...(refused.length ? { refused: refused.join('; ') } : {}),
        pinned: installed.pinned,
      });
    }
    return rows;
  }

  /**
   * Applies the update policy to one package or all. A candidate is installed beside the running
   * version and tried; only a version that passes becomes current. A sync already running keeps the
   * code it loaded; the next launch resolves the new version. One package's failure does not stop
   * the others.
   */
  update(usesOf: (pkg: string) => ConnectorUse[], only?: string): Promise<UpdateOutcome[]> {
    return this.locked(async () => {
      const targets = only ? [this.installed(only)] : this.store.list();
      const outcomes: UpdateOutcome[] = [];
      for (const installed of targets) {
        try {
          outcomes.push(await this.updateOne(installed, usesOf(installed.package)));
        } catch (error) {
          const e = asConveyorError(error);
          outcomes.push({
            package: installed.package,
            outcome: 'error',
            version: installed.version,
            reason: e.userMessage,
          });
        }
      }
      return outcomes;
    });
  }

  private async updateOne(installed: InstalledConnector, uses: ConnectorUse[]): Promise<UpdateOutcome> {
    const pkg = installed.package;
    const { decision } = await this.decide(installed);
    if (decision.held)
      this.recordHoldOnce(pkg, installed.version, decision.held.version, decision.held.reason);
    const candidate = decision.apply;
    if (candidate) return this.applyCandidate(installed, candidate, uses);
    if (decision.held) {
      return {
        package: pkg,
        outcome: 'held',
        version: installed.version,
        candidate: decision.held.version,
        reason: decision.held.reason,
      };
    }
    const refused = this.refusedNewer(installed);
    return {
      package: pkg,
      outcome: 'up-to-date',
      version: installed.version,
      ...(refused.length ? { refused } : {}),
    };
  }

  private async applyCandidate(
    installed: InstalledConnector,
    candidate: Candidate & { reason: string },
    uses: ConnectorUse[],
  ): Promise<UpdateOutcome> {
    const pkg = installed.package;
    const registry = this.registryFor(installed);
    const refuse = (reason: string): UpdateOutcome => {
      this.store.mark(pkg, candidate.version, 'refused', this.options.actor, reason);
      this.store.record(pkg, 'refuse', installed.version, candidate.version, this.options.actor, reason);
      return {
        package: pkg,
        outcome: 'refused',
        version: installed.version,
        candidate: candidate.version,
        reason,
      };
    };
    const hold = (reason: string): UpdateOutcome => {
      this.recordHoldOnce(pkg, installed.version, candidate.version, reason);
      return {
        package: pkg,
        outcome: 'held',
        version: installed.version,
        candidate: candidate.version,
        reason,
      };
    };
    let folder: string;
    try {
      folder = await installVersion(this.options.home, pkg, candidate.version, registry);
    } catch (error) {
      const e = asConveyorError(error);
      // a bad package is refused; a registry or disk that fails now is tried again next round
      return e.failureType === 'config_error'
        ? refuse(`install failed: ${e.userMessage}`)
        : hold(`install failed, will try again: ${e.userMessage}`);
    }
    const trial = await this.trial(pkg, candidate.version, folder, installed, uses);
    if (!trial.ok) {
      return trial.retryable
        ? hold(`not switched yet, will try again: ${trial.failure}`)
        : refuse(trial.failure ?? 'trial failed');
    }
    const approved = this.store.marked(pkg, 'approved').has(candidate.version);
    if (trial.breaking.length > 0 && !approved) {
      return hold(
        `schema change that breaks a connection (${trial.breaking.join('; ')}); approve it with: conveyor connectors approve ${pkg}@${candidate.version}`,
      );
    }
    this.store.addVersion(pkg, candidate.version, folder);
    const breaking = candidate.breaking.map((b) => `${b.version}: ${b.message}`).join('; ');
    const switched = this.store.switchTo(pkg, candidate.version, {
      action: 'update',
      actor: this.options.actor,
      detail: `${candidate.reason}; tried: ${trial.tried.join(', ')}${breaking ? `; breaking: ${breaking}` : ''}`,
      expected: { current: installed.version },
    });
    if (!switched) {
      const now = this.store.get(pkg);
      return {
        package: pkg,
        outcome: 'held',
        version: now?.version ?? installed.version,
        candidate: candidate.version,
        reason: 'not switched: the connector was pinned, rolled back or updated by someone else meanwhile',
      };
    }
    return {
      package: pkg,
      outcome: 'updated',
      from: installed.version,
      to: candidate.version,
      reason: candidate.reason,
      tried: trial.tried,
    };
  }

  /** A watcher asks every few minutes; the history gets one line per held version, not one per ask. */
  private recordHoldOnce(pkg: string, current: string, candidate: string, reason: string): void {
    const last = this.store.history(pkg, 1)[0];
    if (last?.action === 'hold' && last.to === candidate && last.from === current && last.detail === reason)
      return;
    this.store.record(pkg, 'hold', current, candidate, this.options.actor, reason);
  }

  private async trial(
    pkg: string,
    version: string,
    folder: string,
    current: InstalledConnector | undefined,
    uses: ConnectorUse[],
  ): Promise<TrialResult> {
    let kind: ConnectorKind;
    try {
      kind = kindOf(folder, pkg);
    } catch (error) {
      const e =
        error instanceof ConveyorError
          ? error
          : configError(`${pkg}@${version} has an unreadable package.json.`);
      return { ok: false, failure: e.userMessage, retryable: false, breaking: [], tried: [] };
    }
    const currentFolder = current ? this.store.folder(pkg, current.version) : undefined;
    return tryVersion({
      pkg,
      kind,
      version,
      folder,
      ...(current && currentFolder && current.version !== version
        ? { current: { version: current.version, folder: currentFolder } }
        : {}),
      uses: uses.filter((u) => u.kind === kind),
      ctx: this.options.ctx,
      cwd: this.options.cwd,
    });
  }

  approve(spec: string): { package: string; version: string } {
    const { name, range } = parsePackageSpec(spec);
    this.installed(name);
    if (!semver.valid(range)) {
      throw configError(`Approve one exact version, like ${name}@2.0.0 (got "${range}").`);
    }
    this.store.mark(name, range, 'approved', this.options.actor, 'approved');
    this.store.record(
      name,
      'approve',
      this.store.get(name)?.version ?? null,
      range,
      this.options.actor,
      'approved (a held major or schema change)',
    );
    return { package: name, version: range };
  }

  pin(spec: string, uses: ConnectorUse[]): Promise<{ package: string; version: string }> {
    return this.locked(async () => {
      const { name, range } = parsePackageSpec(spec);
      const installed = this.installed(name);
      if (!semver.valid(range))
        throw configError(`Pin one exact version, like ${name}@${installed.version}.`);
      if (range !== installed.version) {
        const folder =
          this.store.folder(name, range) ??
          (await installVersion(this.options.home, name, range, this.registryFor(installed)));
        const trial = await this.trial(name, range, folder, installed, uses);
        if (!trial.ok) throw configError(`${name}@${range} cannot be pinned: ${trial.failure}`);
        this.store.addVersion(name, range, folder);
        this.store.switchTo(name, range, {
          action: 'pin',
          actor: this.options.actor,
          detail: 'switched to the pinned version',
        });
      }
      this.store.setPinned(name, true, this.options.actor);
      return { package: name, version: range };
    });
  }

  unpin(name: string): void {
    this.installed(name);
    this.store.setPinned(name, false, this.options.actor);
  }

  setPolicy(name: string, policy: Partial<UpdatePolicy>): UpdatePolicy {
    const installed = this.installed(name);
    const next = { ...installed.policy, ...policy };
    this.store.setPolicy(name, next, this.options.actor);
    return next;
  }

  /**
   * Back to the version that ran before the last switch. The version left is marked refused so the
   * policy does not bring it back (a newer publish is still considered), and there is no "previous"
   * afterwards: a second rollback would only return to the refused version.
   */
  rollback(name: string, reason = 'rolled back'): Promise<{ package: string; from: string; to: string }> {
    return this.locked(async () => {
      const installed = this.installed(name);
      if (installed.pinned) {
        throw configError(
          `${name} is pinned to ${installed.version}; unpin it first, or pin the version you want.`,
        );
      }
      const previous = installed.previous;
      if (!previous || !this.store.folder(name, previous)) {
        throw configError(
          `${name} has no earlier version to roll back to (it runs ${installed.version}). Run a given version with \`conveyor connectors pin ${name}@VERSION\`.`,
        );
      }
      this.store.mark(name, installed.version, 'refused', this.options.actor, reason);
      this.store.switchTo(name, previous, {
        action: 'rollback',
        actor: this.options.actor,
        detail: reason,
        previous: null,
      });
      return { package: name, from: installed.version, to: previous };
    });
  }
}
