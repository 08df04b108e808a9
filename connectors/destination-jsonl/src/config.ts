// The destination's config, checked against spec.json and narrowed to a typed object.

import { validateConfig } from '@conveyor/cdk';
import type { ConnectorSpecification, JsonObject } from '@conveyor/protocol';
import specJson from './spec.json' with { type: 'json' };

export const spec = specJson as ConnectorSpecification;

export type JsonlDestinationConfig = {
  /** directory of the files */
  path: string;
};

/** The output directory, once the config is known to be valid. */
export function outputDirectory(config: JsonObject): string {
  return String(validateConfig(spec, config).path);
}
