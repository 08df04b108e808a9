// A declarative connector package is a manifest plus this: the manifest's path, resolved from the
// package module's URL (the same from src/ in tests and dist/ in the bin), and a loader that tests
// call with a replaying transport.

import { fileURLToPath } from 'node:url';
import { loadDeclarativeSource } from './load.js';
import type { DeclarativeSource, DeclarativeSourceOptions } from './source.js';

export interface ManifestPackage {
  manifestPath: string;
  loadSource(options?: DeclarativeSourceOptions): Promise<DeclarativeSource>;
}

/** `manifestPackage(import.meta.url)` in a connector's src/index.ts: its manifest.yaml one level up. */
export function manifestPackage(moduleUrl: string, manifest = '../manifest.yaml'): ManifestPackage {
  const manifestPath = fileURLToPath(new URL(manifest, moduleUrl));
  return { manifestPath, loadSource: (options = {}) => loadDeclarativeSource(manifestPath, options) };
}
