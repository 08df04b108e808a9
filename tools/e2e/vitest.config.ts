import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // end-to-end runs spawn the CLI and DuckDB; the kill test runs several syncs of 200k records
    testTimeout: 300_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // the SQL end-to-end tests need the PostgreSQL and MariaDB servers (started when installed)
    globalSetup: ['@conveyor/testing/services-setup'],
  },
});
