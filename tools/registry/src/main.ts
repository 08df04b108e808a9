#!/usr/bin/env node
// `npm run registry [-- --port 4873] [--dir .conveyor/registry]`: a local registry until Ctrl-C.

import { resolve } from 'node:path';
import { startRegistry } from './index.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const dir = resolve(option('dir') ?? process.env.CONVEYOR_REGISTRY_DIR ?? '.conveyor/registry');
const port = Number(option('port') ?? 4873);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number (0-65535), got "${option('port')}".`);
  process.exit(2);
}

try {
  const registry = await startRegistry({ dir, port, verbose: args.includes('--verbose') });
  console.log(`Local registry on ${registry.url} (storage ${registry.dir}/storage, no upstream).`);
  console.log(
    `Publish with:  NPM_CONFIG_USERCONFIG=${registry.npmrc} npm run release -- --registry ${registry.url}`,
  );
  console.log(`Instances use: CONVEYOR_REGISTRY=${registry.url}`);
  const stop = () => void registry.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  console.error(`Could not start the local registry: ${(error as Error).message}`);
  process.exit(1);
}
