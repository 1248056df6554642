import { defineConfig } from 'vitest/config';

// Failure drills (test/drills): real api and worker processes, private PostgreSQL and Redis
// servers, SIGKILL and restarts. One file at a time: each drill loads both cores of the
// reference machine, and their timings (lock holds, BullMQ's 30 s stall check) assume no
// other drill competes.
export default defineConfig({
  test: {
    include: ['test/drills/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 150_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
