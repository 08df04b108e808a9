// Strava: the manifest next to this package, run by the declarative engine.

import { manifestPackage } from '@conveyor/declarative';

/** `loadSource({ transport })` in tests replays recorded exchanges instead of calling Strava. */
export const { manifestPath, loadSource } = manifestPackage(import.meta.url);

export const source = await loadSource();
export default source;
