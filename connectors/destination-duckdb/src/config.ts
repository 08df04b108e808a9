// The destination's config, checked against spec.json once and narrowed to a typed object.

import { availableParallelism } from 'node:os';
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
  /** DuckDB's threads; default one fewer than the cores, at least one */
  threads?: number;
};

export interface ResolvedConfig {
  path: string;
  schema: string;
  memoryLimit: string;
  threads: number;
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
    threads: typeof valid.threads === 'number' ? valid.threads : defaultThreads(),
  };
}

/**
 * One fewer than the cores: the sync's JavaScript (source, typing, staging) keeps running while
 * DuckDB loads and commits in the background. On 2 cores, DuckDB on 2 threads beside it made faker
 * into DuckDB ~15% slower and ~10 MiB bigger than on 1 (measured, see the README).
 */
function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}
