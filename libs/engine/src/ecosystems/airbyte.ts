// `airbyte:source-faker`, `airbyte:source-faker==7.2.1`, `airbyte:destination-duckdb`: an Airbyte
// connector published to PyPI as `airbyte-<name>`, installed once into its own virtualenv and then run
// through the protocol exactly like an `exec:` connector (same record fast path, same checkpoints).

import { join } from 'node:path';
import type { Logger } from '@conveyor/cdk';
import { configError } from '@conveyor/protocol';
import type { ConnectorKind, DestinationHandle, Launcher, LaunchOptions, SourceHandle } from '../launcher.js';
import { type ProcessConnectorInfo, subprocessDestination, subprocessSource } from '../subprocess.js';
import { ensurePythonPackage, type PythonEnv, parseRequirement } from './python-env.js';

/** Install progress goes to stderr when the caller gave no logger (it can take minutes). */
export function installLogger(options: LaunchOptions): Logger {
  if (options.logger) return options.logger;
  const say = (message: string) => process.stderr.write(`${message}\n`);
  return { debug: () => {}, info: say, warn: say, error: say };
}

export async function airbyteEnv(
  reference: string,
  kind: ConnectorKind,
  options: LaunchOptions,
): Promise<PythonEnv> {
  const { name, version } = parseRequirement(reference, 'airbyte:');
  if (!name.startsWith(`${kind}-`)) {
    throw configError(
      `airbyte:${reference} is used as a ${kind}, but its name does not start with "${kind}-". Use airbyte:${kind}-<name>, for example airbyte:${kind === 'source' ? 'source-faker' : 'destination-duckdb'}.`,
    );
  }
  return ensurePythonPackage(
    { package: `airbyte-${name}`, executable: name, ...(version ? { version } : {}) },
    { logger: installLogger(options), ...(options.pythonEnvs ? { cacheDir: options.pythonEnvs } : {}) },
  );
}

function processInfo(env: PythonEnv): ProcessConnectorInfo {
  return { version: env.version, specFile: join(env.dir, 'conveyor-spec.json') };
}

export const airbyteLauncher: Launcher = {
  scheme: 'airbyte',
  async source(reference: string, options: LaunchOptions): Promise<SourceHandle> {
    const env = await airbyteEnv(reference, 'source', options);
    return subprocessSource(`airbyte:${reference}`, { file: env.executable, args: [] }, processInfo(env));
  },
  async destination(reference: string, options: LaunchOptions): Promise<DestinationHandle> {
    const env = await airbyteEnv(reference, 'destination', options);
    return subprocessDestination(
      `airbyte:${reference}`,
      { file: env.executable, args: [] },
      processInfo(env),
    );
  },
};
