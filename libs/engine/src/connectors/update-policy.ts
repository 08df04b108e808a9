// Which published version an instance should move a connector to, under its update policy.
// Pure: the registry's versions, the policy and the approvals in, a decision out.

import { PROTOCOL_VERSION } from '@conveyor/protocol';
import semver from 'semver';
import type { BreakingChange, PublishedVersion } from './registry-client.js';

export interface UpdatePolicy {
  /** Updates applied without anyone asking: none, patches only, or patches and minors. */
  auto: 'none' | 'patch' | 'minor';
  /** A breaking (major) version: only once approved, or also when its upgrade deadline has passed. */
  major: 'approve' | 'after-deadline';
}

export const DEFAULT_POLICY: UpdatePolicy = { auto: 'minor', major: 'approve' };

export type Change = 'patch' | 'minor' | 'major';

export interface Candidate {
  version: string;
  change: Change;
  /** Breaking changes declared for versions after the current one, up to and including this one. */
  breaking: Array<BreakingChange & { version: string }>;
}

export interface UpdateDecision {
  /** The version to try and switch to, if any. */
  apply?: Candidate & { reason: string };
  /** A newer version that is not applied, and why. */
  held?: Candidate & { reason: string };
}

export interface DecisionInput {
  /** The package name, for the commands the reasons suggest. */
  package?: string;
  current: string;
  versions: PublishedVersion[];
  policy: UpdatePolicy;
  /** Versions a person approved. */
  approved: ReadonlySet<string>;
  /** Versions refused before (a failed trial, a rollback away from them): never applied again by policy. */
  refused: ReadonlySet<string>;
  pinned: boolean;
  now?: Date;
  /** The protocol version this engine speaks (default: the one it was built with). */
  protocolVersion?: string;
}

/** Same protocol major; a package that declares none is assumed to speak this engine's. */
export function speaksProtocol(declared: string | undefined, engine: string = PROTOCOL_VERSION): boolean {
  if (!declared) return true;
  const version = semver.coerce(declared);
  return version !== null && version.major === semver.major(engine);
}

/** A caret range decides compatibility, so 0.x minors count as breaking, as npm itself treats them. */
export function classify(current: string, next: string): Change {
  if (!semver.satisfies(next, `^${current}`)) return 'major';
  return semver.diff(current, next) === 'patch' ? 'patch' : 'minor';
}

/**
 * Breaking changes crossed by moving from `current` to `candidate`: those declared by any version in
 * between, so a later version that forgot an entry cannot hide one.
 */
function breakingBetween(
  current: string,
  candidate: PublishedVersion,
  all: PublishedVersion[],
): Candidate['breaking'] {
  const found = new Map<string, BreakingChange>();
  for (const published of all) {
    if (!semver.valid(published.version) || semver.gt(published.version, candidate.version)) continue;
    for (const [v, change] of Object.entries(published.breakingChanges)) {
      if (semver.valid(v) && semver.gt(v, current) && semver.lte(v, candidate.version) && !found.has(v))
        found.set(v, change);
    }
  }
  return [...found]
    .sort(([a], [b]) => semver.compare(a, b))
    .map(([version, change]) => ({ version, ...change }));
}

function candidateFor(current: string, published: PublishedVersion, all: PublishedVersion[]): Candidate {
  const breaking = breakingBetween(current, published, all);
  // a declared breaking change makes the update a major one even if the number says otherwise
  const change = breaking.length > 0 ? 'major' : classify(current, published.version);
  return { version: published.version, change, breaking };
}

function deadlinePassed(candidate: Candidate, now: Date): boolean {
  const deadlines = candidate.breaking.map((b) => b.deadline).filter((d): d is string => Boolean(d));
  return deadlines.length > 0 && deadlines.every((d) => Date.parse(d) <= now.getTime());
}

export function decideUpdate(input: DecisionInput): UpdateDecision {
  const { current, policy } = input;
  const now = input.now ?? new Date();
  const engine = input.protocolVersion ?? PROTOCOL_VERSION;
  const later = input.versions
    .filter((v) => semver.valid(v.version) && !semver.prerelease(v.version) && !v.deprecated)
    .filter((v) => semver.gt(v.version, current) && !input.refused.has(v.version))
    .sort((a, b) => semver.rcompare(a.version, b.version));
  const newer = later
    .filter((v) => speaksProtocol(v.protocolVersion, engine))
    .map((v) => candidateFor(current, v, input.versions));
  const unspeakable = later.find((v) => !speaksProtocol(v.protocolVersion, engine));
  if (newer.length === 0) {
    if (!unspeakable) return {};
    return {
      held: {
        ...candidateFor(current, unspeakable, input.versions),
        reason: `it speaks protocol ${unspeakable.protocolVersion} and this engine speaks ${engine}; upgrade Conveyor first`,
      },
    };
  }
  if (input.pinned) {
    return { held: { ...newer[0]!, reason: `pinned to ${current}; unpin to take updates` } };
  }

  const decision: UpdateDecision = {};
  const allowed = (c: Candidate) =>
    c.change === 'patch' ? policy.auto !== 'none' : c.change === 'minor' ? policy.auto === 'minor' : false;
  const compatible = newer.find(allowed);

  const major = newer.find((c) => c.change === 'major');
  if (major) {
    const approved = newer.find((c) => c.change === 'major' && input.approved.has(c.version));
    if (approved) {
      decision.apply = { ...approved, reason: `major update ${current} -> ${approved.version} approved` };
    } else if (policy.major === 'after-deadline' && deadlinePassed(major, now)) {
      decision.apply = {
        ...major,
        reason: `major update ${current} -> ${major.version}: its upgrade deadline has passed and the policy applies it then`,
      };
    } else {
      const what =
        major.breaking.map((b) => `${b.version}: ${b.message}`).join('; ') || 'a new major version';
      decision.held = {
        ...major,
        reason: `breaking change (${what}); approve it with: conveyor connectors approve ${input.package ?? '<package>'}@${major.version}`,
      };
    }
  }
  if (!decision.apply && compatible) {
    decision.apply = {
      ...compatible,
      reason: `${compatible.change} update allowed by the policy (auto: ${policy.auto})`,
    };
  }
  if (!decision.apply && !decision.held) {
    decision.held = {
      ...newer[0]!,
      reason: `the policy applies no ${newer[0]!.change} update (auto: ${policy.auto})`,
    };
  }
  return decision;
}
