// `manifest:PATH` as a connector reference: an Airbyte-format declarative manifest run in process
// by @conveyor/declarative. The CLI registers the scheme with the engine, which knows only the
// Launcher interface.

import { resolve } from 'node:path';
import { inProcessSource, type Launcher, registerLauncher } from '@conveyor/engine';
import { configError } from '@conveyor/protocol';

export const manifestLauncher: Launcher = {
  scheme: 'manifest',
  async source(reference, options) {
    if (!reference)
      throw configError('A manifest: connector reference needs a path, for example manifest:./my-api.yaml');
    // loaded when a manifest is run, not at every start of the CLI
    const { loadDeclarativeSource } = await import('@conveyor/declarative');
    return inProcessSource(
      `manifest:${reference}`,
      await loadDeclarativeSource(resolve(options.cwd, reference)),
    );
  },
  async destination(reference) {
    throw configError(
      `manifest:${reference} is a source: a declarative manifest reads from an API and cannot be a destination.`,
    );
  },
};

registerLauncher(manifestLauncher);
