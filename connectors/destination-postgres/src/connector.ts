// The PostgreSQL destination: the SQL family's destination with Postgres's dialect (COPY bulk
// loads, transactional DDL) and the shared Postgres connection fields.

import type { DestinationConnector } from '@conveyor/cdk';
import { describePostgres, openPostgresDestination, sqlDestination } from '@conveyor/sql';
import { type PostgresDestinationConfig, type ResolvedConfig, resolveConfig, spec } from './config.js';

export const destination: DestinationConnector<PostgresDestinationConfig> = sqlDestination<
  PostgresDestinationConfig,
  ResolvedConfig
>({
  databaseName: 'PostgreSQL',
  spec,
  resolveConfig,
  openDialect: (resolved) => openPostgresDestination(resolved),
  describe: (resolved) => describePostgres(resolved, resolved.database),
});
