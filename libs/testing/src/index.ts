export { type AcceptanceFile, readAcceptanceFile } from './acceptance-file.js';
export { type Cassette, type CassetteProxy, readCassette, startCassetteProxy } from './cassette-proxy.js';
export { type ConnectorCommand, type ProcessRun, resolveConnector, runCommand } from './connector-process.js';
export { type CaseResult, SUITES, type SuiteName } from './context.js';
export {
  createdAt,
  type DatabaseConnectorConfig,
  ensureMariadb,
  ensurePostgres,
  mariadbAdmin,
  mariadbDatabase,
  postgresDatabase,
  sweepStaleTestDatabases,
  type TestDatabase,
  testDatabaseName,
} from './databases.js';
export {
  catalogOf,
  configuredStream,
  type RecordingLogger,
  recordingLogger,
  type StreamOptions,
  sourceCatalog,
} from './destination-fixtures.js';
export { expectAcceptance, isSuiteName, type KitOptions, type KitReport, runAcceptance } from './kit.js';
export {
  type PasswordPostgres,
  passwordPostgresAvailable,
  startPasswordPostgres,
  unusedPort,
} from './password-postgres.js';
export { formatReport, junitReport } from './report.js';
export { type ReadResult, readAll, readContext } from './source-reads.js';
export { breakingSpecChanges, pendingBump } from './suites/compatibility-suite.js';
export { unmarkedCredentials } from './suites/interface-suites.js';
