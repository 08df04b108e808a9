// Loading a manifest file into a ready source: parse, resolve, validate, then build. A manifest
// that fails validation throws a ManifestError (a config error) listing its issues with their YAML
// line and column.

import { loadManifest } from './manifest/index.js';
import { DeclarativeSource, type DeclarativeSourceOptions } from './source.js';

export async function loadDeclarativeSource(
  file: string,
  options: DeclarativeSourceOptions = {},
): Promise<DeclarativeSource> {
  return new DeclarativeSource(await loadManifest(file), options);
}
