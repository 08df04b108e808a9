// The JSON lines destination: check, open a writer, and report the states committed with the files.

import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DestinationConnector, failedCheck } from '@conveyor/cdk';
import { type JsonlDestinationConfig, outputDirectory, spec } from './config.js';
import { fileFailure } from './file-failure.js';
import { readStateFile } from './state-file.js';
import { planStreamFiles } from './stream-files.js';
import { JsonlWriter } from './writer.js';

export const destination: DestinationConnector<JsonlDestinationConfig> = {
  spec: () => spec,

  async check(config) {
    try {
      const directory = outputDirectory(config);
      const probe = join(directory, `.conveyor-check-${randomUUID()}`);
      try {
        await mkdir(directory, { recursive: true });
        await writeFile(probe, '');
        await rm(probe);
      } catch (error) {
        throw fileFailure(`writing a file in ${directory}`, error);
      }
      return { status: 'SUCCEEDED' };
    } catch (error) {
      return failedCheck(error);
    }
  },

  async open(config, catalog, ctx) {
    const directory = outputDirectory(config);
    const streams = planStreamFiles(catalog, directory);
    try {
      await mkdir(directory, { recursive: true });
    } catch (error) {
      throw fileFailure(`creating the directory ${directory}`, error);
    }
    const writer = await JsonlWriter.open(directory, streams, ctx.connectionId, ctx.syncId, ctx.logger);
    ctx.logger.info(`Writing ${streams.length} stream(s) to ${directory}.`);
    return writer;
  },

  async committedStates(config, connectionId) {
    const committed = await readStateFile(outputDirectory(config), connectionId);
    return committed && { seq: committed.seq, states: committed.states };
  },
};
