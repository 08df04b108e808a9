// Connector references: `faker`, `@conveyor/source-faker`, `some-package`, `exec:PATH`,
// `airbyte:source-faker[==7.2.1]`, `singer:tap-jsonl[==0.3.1][:executable]`, `docker:image:tag`, and
// the schemes later layers register (`manifest:`).

import { configError } from '@conveyor/protocol';
import { airbyteLauncher } from './ecosystems/airbyte.js';
import { dockerLauncher } from './ecosystems/docker.js';
import { singerLauncher } from './ecosystems/singer.js';
import { inProcessLauncher } from './in-process.js';
import type { ConnectorKind, DestinationHandle, Launcher, LaunchOptions, SourceHandle } from './launcher.js';
import { subprocessLauncher } from './subprocess.js';

const launchers = new Map<string, Launcher>(
  [subprocessLauncher, airbyteLauncher, singerLauncher, dockerLauncher].map((l) => [l.scheme!, l]),
);

/** Lets a later layer add a scheme (for example `manifest`) without the engine knowing it. */
export function registerLauncher(launcher: Launcher): void {
  if (!launcher.scheme) throw new Error('a registered launcher needs a scheme');
  launchers.set(launcher.scheme, launcher);
}

export function knownSchemes(): string[] {
  return [...launchers.keys()];
}

function split(reference: string): { launcher: Launcher; rest: string } {
  const match = /^([a-z][a-z0-9+.-]*):(.+)$/.exec(reference);
  if (match && !reference.startsWith('@')) {
    const launcher = launchers.get(match[1]!);
    if (!launcher) {
      throw configError(
        `Unknown connector scheme "${match[1]}:" in "${reference}". Use a package name (faker, @conveyor/source-faker) or one of: ${knownSchemes()
          .map((s) => `${s}:`)
          .join(', ')}.`,
      );
    }
    return { launcher, rest: match[2]! };
  }
  return { launcher: inProcessLauncher, rest: reference };
}

/** `faker` (kind source) → `@conveyor/source-faker`; `duckdb` (kind destination) → `@conveyor/destination-duckdb`. */
export function packageNameFor(reference: string, kind: ConnectorKind): string {
  if (reference.includes('/') || reference.startsWith(`${kind}-`)) {
    return reference.startsWith(`${kind}-`) ? `@conveyor/${reference}` : reference;
  }
  return `@conveyor/${kind}-${reference}`;
}

export async function launchSource(reference: string, options: LaunchOptions): Promise<SourceHandle> {
  const { launcher, rest } = split(reference);
  return launcher.source(launcher.scheme ? rest : reference, options);
}

export async function launchDestination(
  reference: string,
  options: LaunchOptions,
): Promise<DestinationHandle> {
  const { launcher, rest } = split(reference);
  return launcher.destination(launcher.scheme ? rest : reference, options);
}
