import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // the SQL tests run against real PostgreSQL and MariaDB servers: make sure both answer first
    // (an installed server that is down is started) and drop throwaway databases killed runs left
    globalSetup: ['@conveyor/testing/services-setup'],
  },
});
