#!/usr/bin/env node
// Before the tests: makes sure the PostgreSQL and MariaDB servers they use answer, starting installed
// ones that are down, and drops test databases that killed runs left behind. The logic is the test
// kit's own (`@conveyor/testing`'s databases module), so CI and `vitest` start servers the same way.
// Prints where each server answers, never a password; exits 1 with what is missing and how to
// provide it when a server cannot be had.
//   node tools/ci/services.mjs            (both; CONVEYOR_TEST_SERVICES=postgres for one)

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const build = spawnSync(
  'npx',
  ['turbo', 'run', 'build', '--filter=@conveyor/testing', '--output-logs=errors-only'],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
);
if (build.status !== 0) {
  console.error(
    'services: building @conveyor/testing (which knows how to start the servers) failed, see above',
  );
  process.exit(1);
}

const databases = await import(pathToFileURL(join(root, 'libs/testing/dist/databases.js')).href);
const wanted = (process.env.CONVEYOR_TEST_SERVICES ?? 'postgres,mariadb').toLowerCase();
const servers = [
  {
    name: 'PostgreSQL',
    wanted: wanted.includes('postgres'),
    target: databases.postgresTarget(),
    ensure: databases.ensurePostgres,
  },
  {
    name: 'MariaDB',
    wanted: /mariadb|mysql/.test(wanted),
    target: databases.mariadbTarget(),
    ensure: databases.ensureMariadb,
  },
];
let failed = false;
for (const server of servers.filter((s) => s.wanted)) {
  const where = `${server.target.host}:${server.target.port}`;
  try {
    await server.ensure(server.target);
    console.log(`services: ${server.name} answers at ${where}`);
  } catch (error) {
    failed = true;
    console.error(`services: ${error instanceof Error ? error.message : String(error)}`);
  }
}
if (failed) process.exit(1);
const swept = await databases.sweepStaleTestDatabases();
const count = swept.postgres.length + swept.mariadb.length;
if (count > 0) console.log(`services: dropped ${count} test database(s) older than 6 hours`);
