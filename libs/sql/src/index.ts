// @conveyor/sql: the SQL family, one layer under every SQL source and destination. See README.md.

export type { ServerConnectionSettings, SslMode } from './connection-settings.js';
export * from './destination/connector.js';
export * from './destination/dialect.js';
export * from './destination/merge-sql.js';
export * from './destination/stream-plan.js';
export * from './destination/value-conversion.js';
export * from './identifiers.js';
export * from './logical-types.js';
export {
  describeMysql,
  MYSQL_CONNECTION_PROPERTIES,
  MYSQL_REQUIRED_FIELDS,
  MYSQL_SSL_MODES,
  type MysqlConnectionConfig,
  type MysqlConnectionSettings,
  type MysqlSslMode,
  mysqlFailure,
  mysqlSettings,
  openMysqlConnection,
} from './mysql/connection.js';
export {
  MysqlDestinationDialect,
  mysqlDialectFactory,
  openMysqlDestination,
} from './mysql/destination-dialect.js';
export { openMysqlSourceDriver } from './mysql/source-driver.js';
export * from './postgres/connection.js';
export * from './postgres/destination-dialect.js';
export * from './postgres/source-driver.js';
export * from './source/driver.js';
export * from './source/keyset-sql.js';
export * from './source/sql-source.js';
export * from './source/values.js';
export * from './sqlite/connection.js';
export * from './sqlite/destination-dialect.js';
export * from './sqlite/source-driver.js';
