// The destination's config, checked against spec.json once and narrowed to a typed object: the
// shared Postgres connection fields (see @conveyor/sql's postgres connection) plus the schema of
// streams without a namespace.

import { validateConfig } from '@conveyor/cdk';
import type { ConnectorSpecification, JsonObject } from '@conveyor/protocol';
import {
  type PostgresConnectionConfig,
  type PostgresConnectionSettings,
  postgresSettings,
} from '@conveyor/sql';
import specJson from './spec.json' with { type: 'json' };

export const spec = specJson as ConnectorSpecification;

export type PostgresDestinationConfig = PostgresConnectionConfig & {
  /** schema of streams without a namespace; default `public` */
  schema?: string;
};

export interface ResolvedConfig extends PostgresConnectionSettings {
  schema: string;
}

export function resolveConfig(config: JsonObject): ResolvedConfig {
  const valid = validateConfig(spec, config);
  return {
    ...postgresSettings(valid),
    schema: typeof valid.schema === 'string' ? valid.schema : 'public',
  };
}
