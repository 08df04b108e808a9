// Runs TypeScript connector packages inside the engine's process: batches of JS objects go from
// source to destination with no JSON round trip.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  configForRun,
  type DestinationConnector,
  type ReadContext,
  type SourceConnector,
  type SourceOutput,
} from '@conveyor/cdk';
import { type ConfiguredCatalog, configError, type JsonObject, type StateMessage } from '@conveyor/protocol';
import { packageNameFor } from './connector-ref.js';
import type { ConnectorKind, DestinationHandle, Launcher, LaunchOptions, SourceHandle } from './launcher.js';

function resolvePackage(name: string, options: LaunchOptions): { entry: string; version?: string } {
  const installed = options.installed?.folderFor(name);
  if (installed) {
    try {
      return {
        entry: createRequire(join(installed.folder, 'package.json')).resolve(name),
        version: installed.version,
      };
    } catch {
      throw configError(
        `Connector package "${name}" ${installed.version} is recorded as installed in ${installed.folder}, but it is not there. Reinstall it: conveyor connectors install ${name}@${installed.version}`,
      );
    }
  }
  const bases = [join(options.cwd, 'package.json'), import.meta.filename];
  for (const base of bases) {
    try {
      const require = createRequire(base);
      const entry = require.resolve(name);
      return { entry, ...versionOf(require, name) };
    } catch {
      // try the next base
    }
  }
  const cwd = options.cwd;
  const hint = existsSync(join(cwd, 'package.json'))
    ? `npm install ${name}`
    : `run npm install in your project`;
  throw configError(`Connector package "${name}" is not installed. Install it (${hint}) or check the name.`);
}

function versionOf(require: NodeJS.Require, name: string): { version?: string } {
  try {
    const manifest = require(`${name}/package.json`) as { version?: unknown };
    return typeof manifest.version === 'string' ? { version: manifest.version } : {};
  } catch {
    return {}; // a package that does not export its package.json runs without a recorded version
  }
}

async function loadConnector<T>(
  reference: string,
  kind: ConnectorKind,
  options: LaunchOptions,
): Promise<{ name: string; version?: string; connector: T }> {
  const name = packageNameFor(reference, kind);
  const { entry, version } = resolvePackage(name, options);
  const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  const connector = mod[kind] ?? mod.default;
  const looksRight =
    connector !== null &&
    typeof connector === 'object' &&
    typeof (connector as Record<string, unknown>).spec === 'function' &&
    typeof (connector as Record<string, unknown>)[kind === 'source' ? 'read' : 'open'] === 'function';
  if (!looksRight) {
    throw configError(
      `Package "${name}" is not a Conveyor ${kind}: it should export \`${kind}\` (an object with spec/check/${kind === 'source' ? 'discover/read' : 'open'}).`,
    );
  }
  return { name: reference, ...(version ? { version } : {}), connector: connector as T };
}

export function inProcessSource(name: string, connector: SourceConnector, version?: string): SourceHandle {
  const spec = connector.spec();
  const valid = (config: JsonObject) => configForRun(connector, config).config;
  return {
    name,
    ...(version ? { version } : {}),
    spec: async () => spec,
    check: (config, ctx) => connector.check(valid(config), ctx),
    discover: (config, ctx) => connector.discover(valid(config), ctx),
    read: (config, catalog, state, ctx) => readWithMigration(connector, config, catalog, state, ctx),
  };
}

/** A read whose config a migration changed starts with the CONTROL message the CLI would emit, so the engine persists it. */
async function* readWithMigration(
  connector: SourceConnector,
  stored: JsonObject,
  catalog: ConfiguredCatalog,
  state: StateMessage[],
  ctx: ReadContext,
): AsyncIterable<SourceOutput> {
  const { config, updated } = configForRun(connector, stored);
  if (updated) {
    yield {
      kind: 'message',
      message: {
        type: 'CONTROL',
        control: { type: 'CONNECTOR_CONFIG', emitted_at: Date.now(), connectorConfig: { config: updated } },
      },
    };
  }
  yield* connector.read(config, catalog, state, ctx);
}

export function inProcessDestination(
  name: string,
  connector: DestinationConnector,
  version?: string,
): DestinationHandle {
  const spec = connector.spec();
  const valid = (config: JsonObject) => configForRun(connector, config).config;
  const query = connector.query?.bind(connector);
  return {
    name,
    ...(version ? { version } : {}),
    spec: async () => spec,
    check: (config, ctx) => connector.check(valid(config), ctx),
    ...(query ? { query: (config: JsonObject, sql: string) => query(valid(config), sql) } : {}),
    committedStates: async (config, connectionId) =>
      connector.committedStates ? connector.committedStates(valid(config), connectionId) : undefined,
    open: async (config, catalog, ctx) => {
      const writer = await connector.open(valid(config), catalog, ctx);
      return {
        write: (batch) => writer.write(batch),
        ...(writer.evolve ? { evolve: (stream) => writer.evolve!(stream) } : {}),
        ...(writer.stagedUntilFinish ? { stagedUntilFinish: writer.stagedUntilFinish } : {}),
        ...(writer.stagedCommitRows ? { stagedCommitRows: writer.stagedCommitRows } : {}),
        commit: async (states, seq) => {
          await writer.commit(states, seq);
          ctx.onDurable(seq);
        },
        finish: () => writer.finish(),
        close: () => writer.close(),
      };
    },
  };
}

export const inProcessLauncher: Launcher = {
  scheme: undefined,
  async source(reference, options) {
    const { name, version, connector } = await loadConnector<SourceConnector>(reference, 'source', options);
    return inProcessSource(name, connector, version);
  },
  async destination(reference, options) {
    const { name, version, connector } = await loadConnector<DestinationConnector>(
      reference,
      'destination',
      options,
    );
    return inProcessDestination(name, connector, version);
  },
};
