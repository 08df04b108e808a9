// The MySQL / MariaDB source: the generic SQL source (`sqlSource`) with the MySQL driver. It offers
// the tables and views of the config's database as streams (namespace: the database), reads them in
// primary-key chunks or incrementally by a cursor column, and checks the connection first.

import type { SourceConnector } from '@conveyor/cdk';
import type { ConnectorSpecification, JsonObject } from '@conveyor/protocol';
import { type MysqlConnectionConfig, mysqlSettings, openMysqlSourceDriver, sqlSource } from '@conveyor/sql';
import specJson from './spec.json' with { type: 'json' };

export const spec = specJson as ConnectorSpecification;

/** The config as spec.json describes it. */
export type MysqlSourceConfig = JsonObject & MysqlConnectionConfig;

export const source: SourceConnector<MysqlSourceConfig> = sqlSource({
  spec,
  resolveConfig: (config: MysqlSourceConfig) => mysqlSettings(config),
  openDriver: openMysqlSourceDriver,
});

export default source;
