// The SQLite destination: the SQL family's destination with SQLite's dialect (prepared INSERTs in
// one transaction per commit, WAL mode, namespaces as table-name prefixes).

import type { DestinationConnector } from '@conveyor/cdk';
import { openSqliteDestination, sqlDestination } from '@conveyor/sql';
import { type ResolvedConfig, resolveConfig, type SqliteDestinationConfig, spec } from './config.js';

export const destination: DestinationConnector<SqliteDestinationConfig> = sqlDestination<
  SqliteDestinationConfig,
  ResolvedConfig
>({
  databaseName: 'SQLite',
  spec,
  resolveConfig,
  openDialect: (resolved, purpose) => openSqliteDestination(resolved.path, purpose),
  describe: (resolved) => `the SQLite file ${resolved.path}`,
});
