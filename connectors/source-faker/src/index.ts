import type { SourceConnector } from '@conveyor/cdk';
import { ConveyorError } from '@conveyor/protocol';
import { type FakerConfig, resolveConfig } from './config.js';
import { readFaker } from './read.js';
import { SPEC } from './spec.js';
import { airbyteStream, FAKER_STREAMS } from './streams.js';

export const source: SourceConnector<FakerConfig> = {
  spec: () => structuredClone(SPEC),

  async check(config) {
    try {
      resolveConfig(SPEC, config);
      return { status: 'SUCCEEDED' };
    } catch (error) {
      if (error instanceof ConveyorError && error.failureType === 'config_error') {
        return { status: 'FAILED', message: error.userMessage };
      }
      throw error;
    }
  },

  async discover(config) {
    resolveConfig(SPEC, config);
    return { streams: FAKER_STREAMS.map(airbyteStream) };
  },

  async *read(config, catalog, state, ctx) {
    yield* readFaker(resolveConfig(SPEC, config), catalog, state, ctx.signal);
  },
};

export default source;
export type { FakerConfig } from './config.js';
