// Manifests: loading an Airbyte-format declarative manifest (YAML, `$ref`, `$parameters`, default
// component types), validating it against the component schema with errors that name the YAML
// path and line, and finding the components it uses.

export { type CustomComponent, componentUsage } from './components.js';
export { ManifestError, type ManifestIssue } from './issues.js';
export {
  describeCustomComponents,
  type LoadedManifest,
  loadManifest,
  type ParseOptions,
  parseManifest,
  validateManifest,
} from './loader.js';
export { DEFAULT_SCHEMA_LOCATION, loadComponentSchema, type SchemaLocation } from './schema-validation.js';
