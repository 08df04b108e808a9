// The destination's config, checked against spec.json once and narrowed to a typed object.

import { validateConfig } from '@conveyor/cdk';
import type { ConnectorSpecification, JsonObject } from '@conveyor/protocol';
import specJson from './spec.json' with { type: 'json' };

export const spec = specJson as ConnectorSpecification;

export type SqliteDestinationConfig = {
  /** SQLite database file */
  path: string;
};

export interface ResolvedConfig {
  path: string;
  /** SQLite has no schemas: streams' namespaces become table-name prefixes */
  schema: undefined;
}

export function resolveConfig(config: JsonObject): ResolvedConfig {
  const valid = validateConfig(spec, config);
  return { path: String(valid.path), schema: undefined };
}
