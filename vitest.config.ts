import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites share one PostgreSQL and one Redis; each file gets its own database
    // and queue prefix, so files may run in parallel.
    pool: 'forks',
  },
});
