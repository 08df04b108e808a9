// `conveyor connectors ...`: the connectors this instance installs from a registry, their updates
// under a policy, approvals, pins, rollbacks, the history, and a watcher that polls the registry.

import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import {
  ConnectorManager,
  type ConnectorUse,
  packageNameFor,
  parsePackageSpec,
  type UpdateOutcome,
  type UpdatePolicy,
} from '@conveyor/engine';
import { configError } from '@conveyor/protocol';
import { conveyorHome } from './home.js';
import { printTable, stderrLogger, type Verbosity } from './output.js';
import { loadProject } from './project.js';

export interface ConnectorsOptions {
  file: string;
  registry?: string;
  by?: string;
  json?: boolean;
  verbosity: Verbosity;
}

function actor(options: ConnectorsOptions): string {
  if (options.by) return options.by;
  if (process.env.CONVEYOR_ACTOR) return process.env.CONVEYOR_ACTOR;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function manager(options: ConnectorsOptions): ConnectorManager {
  const registry =
    options.registry ??
    process.env.CONVEYOR_REGISTRY ??
    (existsSync(options.file) ? loadProject(options.file).registry : undefined);
  return new ConnectorManager({
    home: conveyorHome(options.file),
    ...(registry ? { registry } : {}),
    actor: actor(options),
    cwd: process.cwd(),
    ctx: { logger: stderrLogger(options.verbosity), signal: new AbortController().signal },
  });
}

/** The connections of the project file that run `pkg`, with their real configs (for trials). */
function usesOf(file: string): (pkg: string) => ConnectorUse[] {
  if (!existsSync(file)) return () => [];
  const project = loadProject(file);
  return (pkg) => {
    const uses: ConnectorUse[] = [];
    for (const connection of project.connections.values()) {
      if (packageNameFor(connection.source.connector, 'source') === pkg) {
        uses.push({
          connection: connection.name,
          kind: 'source',
          config: connection.source.config,
          ...(connection.streams ? { streams: connection.streams } : {}),
        });
      }
      if (packageNameFor(connection.destination.connector, 'destination') === pkg) {
        uses.push({
          connection: connection.name,
          kind: 'destination',
          config: connection.destination.config,
        });
      }
    }
    return uses;
  };
}

async function withManager<T>(
  options: ConnectorsOptions,
  fn: (m: ConnectorManager) => Promise<T> | T,
): Promise<T> {
  const m = manager(options);
  try {
    return await fn(m);
  } finally {
    m.close();
  }
}

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function installCommand(
  spec: string,
  options: ConnectorsOptions & Partial<UpdatePolicy>,
): Promise<number> {
  return withManager(options, async (m) => {
    const { name } = parsePackageSpec(spec);
    const installed = await m.install(spec, usesOf(options.file)(name), options.registry);
    if (options.auto || options.major) {
      m.setPolicy(installed.package, {
        ...(options.auto ? { auto: options.auto } : {}),
        ...(options.major ? { major: options.major } : {}),
      });
    }
    out(
      `Installed ${installed.package}@${installed.version} (tried: ${installed.tried.join(', ')}). It runs from the next sync.`,
    );
    return 0;
  });
}

export function listCommand(options: ConnectorsOptions): Promise<number> {
  return withManager(options, (m) => {
    const rows = m.list();
    if (options.json) {
      out(JSON.stringify(rows, null, 2));
      return 0;
    }
    if (rows.length === 0) {
      out(
        'No connectors installed from a registry. Install one: conveyor connectors install @conveyor/source-faker --registry URL',
      );
      return 0;
    }
    out(
      printTable(
        ['package', 'version', 'previous', 'pinned', 'policy', 'installed versions', 'registry'],
        rows.map((r) => [
          r.package,
          r.version,
          r.previous ?? '',
          r.pinned ? 'yes' : '',
          `auto ${r.policy.auto}, major ${r.policy.major}`,
          r.versions.join(' '),
          r.registry,
        ]),
      ),
    );
    return 0;
  });
}

export function outdatedCommand(options: ConnectorsOptions): Promise<number> {
  return withManager(options, async (m) => {
    const rows = await m.outdated();
    if (options.json) {
      out(JSON.stringify(rows, null, 2));
      return 0;
    }
    out(
      printTable(
        ['package', 'current', 'update applies', 'latest', 'held', 'not taken again'],
        rows.map((r) => [r.package, r.current, r.wanted ?? '', r.latest, r.held ?? '', r.refused ?? '']),
      ),
    );
    return 0;
  });
}

function describeOutcome(o: UpdateOutcome): string {
  switch (o.outcome) {
    case 'up-to-date':
      return `${o.package}: up to date (${o.version})${o.refused?.length ? `; not taken again: ${o.refused.join('; ')}` : ''}`;
    case 'error':
      return `${o.package}: stays on ${o.version}; the update round failed: ${o.reason}`;
    case 'updated':
      return `${o.package}: updated ${o.from} -> ${o.to} (${o.reason}; tried: ${o.tried.join(', ')}). The next sync runs ${o.to}; ${o.from} stays installed for a rollback.`;
    case 'held':
      return `${o.package}: stays on ${o.version}; ${o.candidate} is held: ${o.reason}`;
    case 'refused':
      return `${o.package}: stays on ${o.version}; ${o.candidate} was refused: ${o.reason}`;
  }
}

export function updateCommand(pkg: string | undefined, options: ConnectorsOptions): Promise<number> {
  return withManager(options, async (m) => {
    const outcomes = await m.update(usesOf(options.file), pkg);
    if (options.json) out(JSON.stringify(outcomes, null, 2));
    else for (const o of outcomes) out(describeOutcome(o));
    return outcomes.some((o) => o.outcome === 'refused' || o.outcome === 'error') ? 1 : 0;
  });
}

export function approveCommand(spec: string, options: ConnectorsOptions): Promise<number> {
  return withManager(options, (m) => {
    const { package: name, version } = m.approve(spec);
    out(
      `Approved ${name}@${version} (by ${actor(options)}). The next \`conveyor connectors update\` applies it.`,
    );
    return 0;
  });
}

export function pinCommand(spec: string, options: ConnectorsOptions): Promise<number> {
  return withManager(options, async (m) => {
    const { name } = parsePackageSpec(spec);
    const pinned = await m.pin(spec, usesOf(options.file)(name));
    out(
      `${pinned.package} is pinned to ${pinned.version}: updates skip it until \`conveyor connectors unpin ${pinned.package}\`.`,
    );
    return 0;
  });
}

export function unpinCommand(pkg: string, options: ConnectorsOptions): Promise<number> {
  return withManager(options, (m) => {
    m.unpin(pkg);
    out(`${pkg} takes updates again under its policy.`);
    return 0;
  });
}

export function rollbackCommand(
  pkg: string,
  options: ConnectorsOptions & { reason?: string },
): Promise<number> {
  return withManager(options, async (m) => {
    const r = await m.rollback(pkg, options.reason ?? `rolled back by ${actor(options)}`);
    out(
      `${r.package}: back on ${r.to} (from ${r.from}); ${r.from} will not be applied again by the policy. The next sync runs ${r.to}.`,
    );
    return 0;
  });
}

const AUTO = ['none', 'patch', 'minor'] as const;
const MAJOR = ['approve', 'after-deadline'] as const;

export function parsePolicy(o: { auto?: string; major?: string }): Partial<UpdatePolicy> {
  if (o.auto && !(AUTO as readonly string[]).includes(o.auto)) {
    throw configError(`--auto must be one of ${AUTO.join(', ')} (got "${o.auto}").`);
  }
  if (o.major && !(MAJOR as readonly string[]).includes(o.major)) {
    throw configError(`--major must be one of ${MAJOR.join(', ')} (got "${o.major}").`);
  }
  return {
    ...(o.auto ? { auto: o.auto as UpdatePolicy['auto'] } : {}),
    ...(o.major ? { major: o.major as UpdatePolicy['major'] } : {}),
  };
}

export function policyCommand(
  pkg: string,
  policy: Partial<UpdatePolicy>,
  options: ConnectorsOptions,
): Promise<number> {
  return withManager(options, (m) => {
    const next = m.setPolicy(pkg, policy);
    out(`${pkg}: updates applied automatically: ${next.auto}; major versions: ${next.major}.`);
    return 0;
  });
}

export function historyCommand(
  pkg: string | undefined,
  options: ConnectorsOptions & { limit?: string },
): Promise<number> {
  return withManager(options, (m) => {
    const limit = options.limit ? Number(options.limit) : 50;
    if (!Number.isInteger(limit) || limit < 1)
      throw configError(`--limit must be a whole number above 0 (got "${options.limit}").`);
    const events = m.store.history(pkg, limit);
    if (options.json) {
      out(JSON.stringify(events, null, 2));
      return 0;
    }
    out(
      printTable(
        ['at (UTC)', 'package', 'action', 'from', 'to', 'by', 'detail'],
        events.map((e) => [
          e.at.replace('T', ' ').slice(0, 19),
          e.package,
          e.action,
          e.from ?? '',
          e.to ?? '',
          e.actor,
          e.detail,
        ]),
      ),
    );
    return 0;
  });
}

/**
 * Polls the registry and applies the policy every `intervalSeconds`, until stopped. A publish thus
 * reaches this instance with nobody logging in to it; a failing poll is logged and retried.
 */
export async function watchCommand(
  options: ConnectorsOptions & { interval: string; rounds?: string },
): Promise<number> {
  const interval = Number(options.interval);
  if (!Number.isFinite(interval) || interval < 1) {
    throw configError(`--interval must be a number of seconds, at least 1 (got "${options.interval}").`);
  }
  const rounds = options.rounds ? Number(options.rounds) : Number.POSITIVE_INFINITY;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const logger = stderrLogger(options.verbosity);
  logger.warn(`watching the registry every ${interval} s for connector updates (Ctrl-C stops)`);
  for (let round = 1; round <= rounds && !stop.signal.aborted; round++) {
    try {
      await withManager(options, async (m) => {
        for (const o of await m.update(usesOf(options.file))) {
          if (o.outcome !== 'up-to-date') out(`${new Date().toISOString()} ${describeOutcome(o)}`);
        }
      });
    } catch (error) {
      logger.warn(`update round failed, trying again in ${interval} s: ${(error as Error).message}`);
    }
    if (round < rounds) {
      await new Promise<void>((done) => {
        const timer = setTimeout(done, interval * 1000);
        const wake = () => {
          clearTimeout(timer);
          done();
        };
        stop.signal.addEventListener('abort', wake, { once: true });
      });
    }
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return 0;
}
