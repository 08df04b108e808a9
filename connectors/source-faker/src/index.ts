import { readFileSync } from 'node:fs';
import type { SourceConnector } from '@conveyor/cdk';
import { type ConnectorSpecification, ConveyorError } from '@conveyor/protocol';
import { type FakerConfig, resolveConfig } from './config.js';
import { readFaker } from './read.js';
import { airbyteStream, FAKER_STREAMS } from './streams.js';

// Read from src/ both when running from dist/ and from sources (tests), without JSON module imports.
const SPEC = JSON.parse(
  readFileSync(new URL('../src/spec.json', import.meta.url), 'utf8'),
) as ConnectorSpecification;

export const source: SourceConnector<FakerConfig> = {
  spec: () => structuredClone(SPEC),

  async check(config) {
    try {
      resolveConfig(config);
      return { status: 'SUCCEEDED' };
    } catch (error) {
      if (error instanceof ConveyorError && error.failureType === 'config_error') {
        return { status: 'FAILED', message: error.userMessage };
      }
      throw error;
    }
  },

  async discover(config) {
    resolveConfig(config);
    return { streams: FAKER_STREAMS.map(airbyteStream) };
  },

  read(config, catalog, state, ctx) {
    return readFaker(config, catalog, state, ctx.signal);
  },
};

export default source;
export type { FakerConfig } from './config.js';
