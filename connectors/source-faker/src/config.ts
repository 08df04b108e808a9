// The faker config as the read path uses it: validated against the spec, defaults applied. The
// CLI entrypoint validates too, but the engine's in-process launcher hands configs over directly.

import { validateConfig } from '@conveyor/cdk';
import type { ConnectorSpecification } from '@conveyor/protocol';

export type FakerConfig = {
  count?: number;
  seed?: number;
  records_per_batch?: number;
};

export interface ResolvedFakerConfig {
  count: number;
  seed: number;
  recordsPerBatch: number;
}

export function resolveConfig(spec: ConnectorSpecification, config: unknown): ResolvedFakerConfig {
  const valid = validateConfig(spec, config) as FakerConfig;
  return {
    count: valid.count ?? 1000,
    seed: valid.seed ?? 42,
    recordsPerBatch: valid.records_per_batch ?? 1000,
  };
}
