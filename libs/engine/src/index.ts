export { configureCatalog, hasField, type StreamSelection } from './catalog.js';
export {
  knownSchemes,
  launchDestination,
  launchSource,
  packageNameFor,
  registerLauncher,
} from './connector-ref.js';
export {
  type ConnectorEvent,
  type InstalledConnector,
  InstalledStore,
} from './connectors/installed-store.js';
export {
  ConnectorManager,
  type ManagerOptions,
  type OutdatedRow,
  parsePackageSpec,
  type UpdateOutcome,
} from './connectors/manager.js';
export {
  type BreakingChange,
  fetchVersions,
  type PublishedVersion,
  tokenFor,
} from './connectors/registry-client.js';
export type { ConnectorUse } from './connectors/trial.js';
export {
  classify,
  DEFAULT_POLICY,
  type DecisionInput,
  decideUpdate,
  speaksProtocol,
  type UpdatePolicy,
} from './connectors/update-policy.js';
export { airbyteEnv } from './ecosystems/airbyte.js';
export { dockerCommandLine } from './ecosystems/docker.js';
export { ensurePythonPackage, type PythonEnv, pythonCacheDir } from './ecosystems/python-env.js';
export { type Alert, type AlertKind, alertsFor } from './health/alerts.js';
export { type Cadence, nextRun, parseCadence } from './health/cadence.js';
export {
  checkHealth,
  type HealthOptions,
  type HealthReport,
  type HealthTarget,
  unlaunchedHealth,
} from './health/health-check.js';
export {
  type AlertRecord,
  type HealthRecord,
  type HealthStatus,
  HealthStore,
} from './health/health-store.js';
export type { FieldDrift } from './health/sample.js';
export {
  applySchemaPolicy,
  DEFAULT_SCHEMA_POLICY,
  type PolicyOutcome,
  SCHEMA_POLICIES,
  type SchemaPolicy,
} from './health/schema-policy.js';
export { inProcessDestination, inProcessSource } from './in-process.js';
export type {
  ConnectorKind,
  DestinationHandle,
  DestinationOpenContext,
  InstalledResolver,
  Launcher,
  LaunchOptions,
  SchemaUpdate,
  SourceHandle,
  SourceHandleOutput,
} from './launcher.js';
export {
  batchForDestination,
  catalogForDestination,
  mapNamespace,
  type NamespacePolicy,
  parseNamespacePolicy,
} from './namespaces.js';
export { LogProgress, type ProgressSink, StreamStats, summaryTable, TerminalProgress } from './progress.js';
export { breakingSchemaChanges, type ChangeKind, diffCatalogs, type SchemaChange } from './schema-changes.js';
export {
  type RunConnectors,
  type RunRecord,
  type RunStatus,
  StateStore,
  type StoredStates,
  type StreamRunStats,
} from './state-store.js';
export { runSync, type SyncRequest, type SyncResult } from './sync.js';
