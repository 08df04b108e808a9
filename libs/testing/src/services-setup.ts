// Vitest global setup for packages whose tests need the PostgreSQL and MariaDB servers: it runs once
// before any test file, makes sure both servers answer (starting installed ones), and drops
// throwaway databases that killed runs left behind. In vitest.config.ts:
//   test: { globalSetup: ['@conveyor/testing/services-setup'] }
// Set CONVEYOR_TEST_SERVICES=postgres (or mariadb) to require only one of them.

import { ensureMariadb, ensurePostgres, sweepStaleTestDatabases } from './databases.js';

export default async function setup(): Promise<void> {
  const wanted = (process.env.CONVEYOR_TEST_SERVICES ?? 'postgres,mariadb')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  if (wanted.includes('postgres')) await ensurePostgres();
  if (wanted.includes('mariadb') || wanted.includes('mysql')) await ensureMariadb();
  await sweepStaleTestDatabases();
}
