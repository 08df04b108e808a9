// GitHub issues: the manifest next to this package run by the declarative engine. The path is
// resolved from this module's URL, so it is the same from src/ (tests) and dist/ (the bin).

import { fileURLToPath } from 'node:url';
import {
  type DeclarativeSource,
  type DeclarativeSourceOptions,
  loadDeclarativeSource,
} from '@conveyor/declarative';

export const manifestPath = fileURLToPath(new URL('../manifest.yaml', import.meta.url));

/** The source; tests pass `{ transport }` to replay recorded exchanges instead of calling GitHub. */
export function loadSource(options: DeclarativeSourceOptions = {}): Promise<DeclarativeSource> {
  return loadDeclarativeSource(manifestPath, options);
}

export const source = await loadSource();
export default source;
