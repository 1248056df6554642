// What every failure drill sets up and tears down around its own scenario.
import type { Redis } from 'ioredis';
import { prepareDatabase, serviceEnv } from '../../bench/lib/stack.js';
import { uniqueName } from './harness.js';
import type { Proc } from './processes.js';
import { freePort } from './redis-server.js';

export interface DrillStack {
  prefix: string;
  baseUrl: string;
  /** Environment for api and worker processes: this database and Redis, its own queue prefix and port. */
  env: Record<string, string>;
}

/** Migrates and seeds the database, and picks a queue prefix and a free port for the api. */
export async function drillStack(databaseUrl: string, redisUrl: string): Promise<DrillStack> {
  await prepareDatabase(databaseUrl);
  const prefix = uniqueName('drill');
  const port = await freePort();
  // A short outbox poll: the drills wait for rows to reach the queue, not for a timer.
  const env = serviceEnv({ databaseUrl, redisUrl, prefix, port, extra: { OUTBOX_POLL_MS: '50' } });
  return { prefix, baseUrl: `http://127.0.0.1:${port}`, env };
}

/** Kills whatever the drill left running (a failed drill must not leave processes behind). */
export async function killAll(procs: Proc[]): Promise<void> {
  for (const p of procs) await p.stop('SIGKILL');
}

/** Removes the drill's queue keys from a shared Redis. */
export async function clearQueue(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
}
