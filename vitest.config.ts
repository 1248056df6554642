import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The failure drills run on their own, one file at a time (vitest.drills.config.ts).
    exclude: ['test/drills/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites share one PostgreSQL and one Redis; each file gets its own database
    // and queue prefix, so files may run in parallel.
    pool: 'forks',
  },
});
