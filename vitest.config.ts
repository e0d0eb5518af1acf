import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.demo/**', 'test/bench/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests start real servers (influxd, collectors, TLS, SMTP); two cores are the budget.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
