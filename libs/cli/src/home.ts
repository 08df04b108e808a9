// Where Conveyor keeps its embedded state: `.conveyor/` beside the project file, or $CONVEYOR_HOME.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InstalledStore, type LaunchOptions, StateStore } from '@conveyor/engine';

export function conveyorHome(projectFile: string | undefined): string {
  if (process.env.CONVEYOR_HOME) return resolve(process.env.CONVEYOR_HOME);
  const dir = projectFile && existsSync(projectFile) ? dirname(resolve(projectFile)) : process.cwd();
  return join(dir, '.conveyor');
}

export function openStore(home: string): StateStore {
  return new StateStore(join(home, 'state.db'));
}

/**
 * Configs for an ad-hoc `conveyor sync --source X --destination Y` without a project file: file
 * destinations write under the Conveyor home so the demo needs no setup.
 */
export function adHocDestinationConfig(connector: string, home: string): Record<string, unknown> {
  if (connector === 'duckdb' || connector.endsWith('destination-duckdb'))
    return { path: join(home, 'conveyor.duckdb') };
  if (connector === 'jsonl' || connector.endsWith('destination-jsonl')) return { path: join(home, 'jsonl') };
  return {};
}

/**
 * How the CLI launches connectors: a package this instance installed from a registry
 * (`conveyor connectors install`) runs its current version; anything else resolves from the project.
 * The current version is read at each launch, so a sync started after an update runs the new one.
 */
export function launchOptions(home: string): LaunchOptions {
  const db = join(home, 'state.db');
  return {
    cwd: process.cwd(),
    installed: {
      folderFor(name) {
        if (!existsSync(db)) return undefined;
        const store = new InstalledStore(db);
        try {
          const current = store.get(name);
          const folder = current && store.folder(name, current.version);
          // a recorded folder that is gone is reported by the launcher, never silently replaced
          return current && folder ? { folder, version: current.version } : undefined;
        } finally {
          store.close();
        }
      },
    },
  };
}
