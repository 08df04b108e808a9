export { configureCatalog, type StreamSelection } from './catalog.js';
export {
  knownSchemes,
  launchDestination,
  launchSource,
  packageNameFor,
  registerLauncher,
} from './connector-ref.js';
export { inProcessDestination, inProcessSource } from './in-process.js';
export type {
  ConnectorKind,
  DestinationHandle,
  DestinationOpenContext,
  Launcher,
  LaunchOptions,
  SourceHandle,
} from './launcher.js';
export { LogProgress, type ProgressSink, StreamStats, summaryTable, TerminalProgress } from './progress.js';
export {
  type RunRecord,
  type RunStatus,
  StateStore,
  type StoredStates,
  type StreamRunStats,
} from './state-store.js';
export { runSync, type SyncRequest, type SyncResult } from './sync.js';
