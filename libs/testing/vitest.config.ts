import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // the kit runs connectors as processes, several times per suite
    testTimeout: 120_000,
  },
});
