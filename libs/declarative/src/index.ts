export { type CompiledTemplate, compileTemplate } from './interpolation/index.js';
export { loadDeclarativeSource } from './load.js';
export {
  componentUsage,
  type LoadedManifest,
  loadManifest,
  ManifestError,
  type ManifestIssue,
  parseManifest,
  validateManifest,
} from './manifest/index.js';
export { type ManifestPackage, manifestPackage } from './package.js';
export { DeclarativeSource, type DeclarativeSourceOptions } from './source.js';
