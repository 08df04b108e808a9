// The destination's config, checked against spec.json once and narrowed to a typed object.

import { validateConfig } from '@conveyor/cdk';
import { type ConnectorSpecification, configError, type JsonObject } from '@conveyor/protocol';
import specJson from './spec.json' with { type: 'json' };

export const spec = specJson as ConnectorSpecification;

export type DuckDBDestinationConfig = {
  /** DuckDB database file */
  path: string;
  /** schema of streams without a namespace; default `main` */
  schema?: string;
  /** DuckDB's buffer pool limit, e.g. `256MB`; default `1GB` */
  memory_limit?: string;
};

export interface ResolvedConfig {
  path: string;
  schema: string;
  memoryLimit: string;
}

export function resolveConfig(config: JsonObject): ResolvedConfig {
  const valid = validateConfig(spec, config);
  const path = String(valid.path);
  if (path === ':memory:') {
    throw configError(
      'config.path is ":memory:", but an in-memory database loses everything when the sync ends. Give the path of a DuckDB file.',
    );
  }
  return {
    path,
    schema: typeof valid.schema === 'string' ? valid.schema : 'main',
    memoryLimit: typeof valid.memory_limit === 'string' ? valid.memory_limit : '1GB',
  };
}
