// The SQLite source: the SQL family's generic source on the SQLite driver. Tables and views of one
// database file become streams (no namespace); full refresh reads in primary-key chunks and
// resumes after the last committed one; incremental reads by a cursor column with an inclusive
// lower bound. See README.md.

import type { SourceConnector } from '@conveyor/cdk';
import { openSqliteSourceDriver, sqlSource } from '@conveyor/sql';
import { SPEC } from './spec.js';

export type SqliteSourceConfig = {
  path: string;
};

export const source: SourceConnector<SqliteSourceConfig> = sqlSource<SqliteSourceConfig, string>({
  spec: SPEC,
  resolveConfig: (config) => config.path,
  openDriver: async (path) => openSqliteSourceDriver(path),
});

export default source;
