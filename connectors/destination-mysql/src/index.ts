// The MySQL / MariaDB destination: the generic SQL destination (`sqlDestination`) with the MySQL
// dialect. Streams without a namespace land in the config's database, others in the database named
// by their namespace; batches load with LOAD DATA LOCAL INFILE and commit together with the
// states (exactly-once).

import { type DestinationConnector, validateConfig } from '@conveyor/cdk';
import type { ConnectorSpecification, JsonObject } from '@conveyor/protocol';
import {
  describeMysql,
  type MysqlConnectionConfig,
  type MysqlConnectionSettings,
  mysqlSettings,
  openMysqlDestination,
  sqlDestination,
} from '@conveyor/sql';
import specJson from './spec.json' with { type: 'json' };

export const spec = specJson as ConnectorSpecification;

/** The config as spec.json describes it. */
export type MysqlDestinationConfig = JsonObject & MysqlConnectionConfig;

type Resolved = MysqlConnectionSettings & { schema: string };

export const destination: DestinationConnector<MysqlDestinationConfig> = sqlDestination<
  MysqlDestinationConfig,
  Resolved
>({
  databaseName: 'MySQL',
  spec,
  resolveConfig: (config) => {
    const settings = mysqlSettings(validateConfig(spec, config));
    return { ...settings, schema: settings.database };
  },
  openDialect: (resolved) => openMysqlDestination(resolved),
  describe: (resolved) => describeMysql(resolved, resolved.database),
});

export default destination;
