// The PostgreSQL source: the SQL family's generic source on the Postgres driver. Tables and views
// of the configured schemas become streams (namespace = schema); full refresh reads in
// primary-key chunks and resumes after the last committed one; incremental reads by a cursor
// column with an inclusive lower bound. See README.md.

import type { SourceConnector } from '@conveyor/cdk';
import {
  openPostgresSourceDriver,
  type PostgresConnectionConfig,
  type PostgresConnectionSettings,
  postgresSettings,
  sqlSource,
} from '@conveyor/sql';
import { SPEC } from './spec.js';

export type PostgresSourceConfig = PostgresConnectionConfig & {
  /** schemas whose tables and views are offered; default `["public"]` */
  schemas?: string[];
};

interface Resolved {
  settings: PostgresConnectionSettings;
  schemas: string[];
}

export const source: SourceConnector<PostgresSourceConfig> = sqlSource<PostgresSourceConfig, Resolved>({
  spec: SPEC,
  resolveConfig: (config) => ({ settings: postgresSettings(config), schemas: config.schemas ?? ['public'] }),
  openDriver: ({ settings, schemas }) => openPostgresSourceDriver(settings, { schemas }),
});

export default source;
