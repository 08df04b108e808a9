#!/usr/bin/env node
// `npm run release [-- --registry URL]`: versions from the pending changesets, then publishes what
// changed. Steps: changeset version (versions, CHANGELOGs, dependents' ranges) -> refresh the
// lockfile -> build -> record each new connector version's spec and catalog (acceptance/released.json)
// -> changeset publish (only versions the registry lacks).
// The registry: --registry, else $CONVEYOR_PUBLISH_REGISTRY, else npm's own config (.npmrc). The
// token for it comes from .npmrc (a `//host:port/:_authToken=...` line), never from this repository.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const at = args.indexOf('--registry');
const registry = at >= 0 ? args[at + 1] : process.env.CONVEYOR_PUBLISH_REGISTRY;
if (at >= 0 && !registry) {
  console.error('--registry needs a URL, like --registry http://127.0.0.1:4873/');
  process.exit(2);
}

function step(what, command, commandArgs, env = {}) {
  console.log(`\n> ${what}`);
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`release stopped: ${what} failed (exit ${result.status}). Nothing after it ran.`);
    process.exit(result.status ?? 1);
  }
}

const connectorVersions = () =>
  new Map(
    readdirSync('connectors')
      .filter((d) => existsSync(join('connectors', d, 'package.json')))
      .map((d) => [d, JSON.parse(readFileSync(join('connectors', d, 'package.json'), 'utf8')).version]),
  );
const before = connectorVersions();
step('changeset version', 'npx', ['changeset', 'version']);
step('refresh package-lock.json', 'npm', [
  'install',
  '--package-lock-only',
  '--prefer-offline',
  '--no-audit',
  '--no-fund',
]);
step('build', 'npx', ['turbo', 'run', 'build', '--filter=./libs/*', '--filter=./connectors/*']);
// the spec and catalog each new connector version publishes become the baseline its later changes
// are checked against (the acceptance kit's backward_compatibility suite)
for (const [dir, version] of connectorVersions()) {
  if (before.get(dir) === version || !existsSync(join('connectors', dir, 'acceptance.yml'))) continue;
  step(`record the released spec and catalog of ${dir} ${version}`, process.execPath, [
    'libs/cli/dist/main.js',
    'test',
    join('connectors', dir),
    '--write-released',
    '--suite',
    'spec',
    'discover',
  ]);
}
step('changeset publish', 'npx', ['changeset', 'publish'], registry ? { npm_config_registry: registry } : {});
