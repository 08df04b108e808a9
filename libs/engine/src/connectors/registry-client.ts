// What a registry says about a connector package: its versions, and for each the metadata an
// instance needs to decide about an update (protocol version, declared breaking changes).

import { configError, transientError } from '@conveyor/protocol';

/** Declared in a connector's package.json under `conveyor.breakingChanges`, keyed by version. */
export interface BreakingChange {
  /** What changed, in a sentence. */
  message: string;
  /** Streams whose data or schema changes; empty means the config or the whole connector. */
  affectedStreams: string[];
  /** What a user does to move to this version. */
  migration: string;
  /** ISO date after which the old version is unsupported; a policy may apply the upgrade then. */
  deadline?: string;
}

export interface PublishedVersion {
  version: string;
  publishedAt?: string;
  deprecated?: string;
  protocolVersion?: string;
  /** Breaking changes this version's package declares, keyed by the version that introduced each. */
  breakingChanges: Record<string, BreakingChange>;
}

interface Packument {
  versions?: Record<
    string,
    { deprecated?: string; conveyor?: { protocolVersion?: string; breakingChanges?: unknown } }
  >;
  time?: Record<string, string>;
}

export function normalizeRegistry(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configError(
      `The registry "${url}" is not a URL. Give one like http://127.0.0.1:4873/ (--registry, $CONVEYOR_REGISTRY).`,
    );
  }
  if (parsed.username || parsed.password) {
    throw configError(
      'The registry URL holds a user name or password. Give the URL without them and the token in CONVEYOR_REGISTRY_TOKEN (or in .npmrc).',
    );
  }
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

/** The token goes only to the registry it was set for ($CONVEYOR_REGISTRY), never to another one. */
function tokenFor(registry: string): string | undefined {
  const token = process.env.CONVEYOR_REGISTRY_TOKEN;
  const home = process.env.CONVEYOR_REGISTRY;
  if (!token || !home) return undefined;
  try {
    return new URL(home).origin === new URL(registry).origin ? token : undefined;
  } catch {
    return undefined;
  }
}

function asBreakingChanges(value: unknown): Record<string, BreakingChange> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Record<string, BreakingChange> = {};
  for (const [version, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!raw || typeof raw !== 'object') continue;
    const entry = raw as Record<string, unknown>;
    out[version] = {
      message: typeof entry.message === 'string' ? entry.message : 'breaking change (no description given)',
      affectedStreams: Array.isArray(entry.affectedStreams)
        ? entry.affectedStreams.filter((s): s is string => typeof s === 'string')
        : [],
      migration: typeof entry.migration === 'string' ? entry.migration : '',
      ...(typeof entry.deadline === 'string' ? { deadline: entry.deadline } : {}),
    };
  }
  return out;
}

/** Every published version of a package, oldest first as the registry lists them. */
export { tokenFor };

export async function fetchVersions(registry: string, name: string): Promise<PublishedVersion[]> {
  const url = `${normalizeRegistry(registry)}${name.replace('/', '%2f')}`;
  const token = tokenFor(url);
  const get = () =>
    fetch(url, {
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(30_000),
    });
  let res: Response;
  try {
    // a kept-alive connection the registry closed meanwhile fails at once; a GET is safe to repeat
    res = await get().catch(get);
  } catch (error) {
    throw transientError(
      `The registry ${normalizeRegistry(registry)} did not answer for ${name} (${(error as Error).message}). Check that it is running and reachable; the next try may succeed.`,
    );
  }
  if (res.status === 404) {
    throw configError(
      `Package ${name} is not on the registry ${normalizeRegistry(registry)}. Check the name, or publish it there first.`,
    );
  }
  if (res.status === 401 || res.status === 403) {
    throw configError(
      `The registry ${normalizeRegistry(registry)} refused to show ${name} (HTTP ${res.status}). Set CONVEYOR_REGISTRY_TOKEN to a token that may read it.`,
    );
  }
  if (!res.ok) {
    throw transientError(
      `The registry ${normalizeRegistry(registry)} answered HTTP ${res.status} for ${name}.`,
    );
  }
  const packument = (await res.json()) as Packument;
  return Object.entries(packument.versions ?? {}).map(([version, manifest]) => ({
    version,
    ...(packument.time?.[version] ? { publishedAt: packument.time[version] } : {}),
    ...(manifest.deprecated ? { deprecated: manifest.deprecated } : {}),
    ...(manifest.conveyor?.protocolVersion ? { protocolVersion: manifest.conveyor.protocolVersion } : {}),
    breakingChanges: asBreakingChanges(manifest.conveyor?.breakingChanges),
  }));
}
