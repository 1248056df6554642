// Drill: Redis restarts empty (no persistence) while jobs wait in it, and nothing else happens
// afterwards — no new registration whose job could take the lost families along in its batch.
// Their registrations are queued, their outbox rows marked sent: only the relay's sweep (jobs of
// registrations queued for over 60 s, every 30 s from the api's start) brings them back. It runs
// on a private redis-server, so the machine's Redis stays up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { QUEUE_NAME } from '../../src/jobs/bullmq-driver.js';
import { createTestDatabase } from '../support/harness.js';
import { spawnEntry, type Proc } from '../support/processes.js';
import { startRedisServer, type PrivateRedis } from '../support/redis-server.js';
import { checkInvariants } from '../support/invariants.js';
import { drillStack, killAll, registerFamilies, showOutputOnFailure } from '../support/drill.js';
import { connectedWorkers, statusCounts, until, waitReady } from '../../bench/lib/stack.js';

const FAMILIES = 6;
/** The sweep's threshold: a registration queued this long has lost its job. */
const STALE_MS = 60_000;
/** Threshold + one sweep interval (30 s) + slack for a busy machine. */
const SWEEP_TIMEOUT_MS = 110_000;

let database: { url: string; drop: () => Promise<void> };
let redisServer: PrivateRedis;
let prefix: string;
let env: Record<string, string>;
let baseUrl: string;
const procs: Proc[] = [];

beforeAll(async () => {
  database = await createTestDatabase('drill_redis_loss');
  redisServer = await startRedisServer();
  ({ prefix, baseUrl, env } = await drillStack(database.url, redisServer.url));
});

afterAll(async () => {
  await killAll(procs);
  await redisServer?.destroy();
  await database?.drop();
});

describe('drill: Redis loses the waiting jobs', () => {
  it('the sweep sends them again, and every family is proposed once', { timeout: 150_000 }, async () => {
    showOutputOnFailure(procs);
    // No worker yet: the jobs wait in Redis.
    const api = spawnEntry('src/server.ts', env);
    procs.push(api);
    await waitReady(baseUrl);
    const ids = await registerFamilies(baseUrl, FAMILIES);
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    try {
      await until(async () => ((await redis.llen(`${prefix}:${QUEUE_NAME}:wait`)) === FAMILIES ? true : undefined), 'the jobs to wait in Redis', 10_000);
    } finally {
      redis.disconnect();
    }

    await redisServer.kill();
    await redisServer.start();
    const worker = spawnEntry('src/worker.ts', env);
    procs.push(worker);
    await until(async () => ((await connectedWorkers(redisServer.url, prefix)) >= 1 ? true : undefined), 'the worker to connect', 30_000, 100);

    await until(async () => ((await statusCounts(database.url)).proposed === FAMILIES ? true : undefined), 'the sweep to send the lost jobs again', SWEEP_TIMEOUT_MS, 500);

    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ id: string; allocations: number; waited_ms: number; after_first_ms: number }>(
        `select r.id, count(a.id)::int as allocations, (extract(epoch from min(a.created_at) - r.created_at) * 1000)::int as waited_ms,
                (extract(epoch from min(a.created_at) - (select min(created_at) from registrations)) * 1000)::int as after_first_ms
           from registrations r left join allocations a on a.registration_id = r.id group by r.id`,
      );
      expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
      for (const r of rows) {
        expect(r.allocations, r.id).toBe(1);
        // Proposed by the sweep, not by something that ran sooner: nothing before the oldest
        // family's minute was up. A family registered milliseconds after it may be proposed in the
        // same allocate job's batch, by the same sweep, that many milliseconds short of its own
        // minute (the sweep runs every 30 s, anchored on the relay's first round after the first
        // registration, so its cutoff can fall between the six registrations).
        expect(r.after_first_ms, r.id).toBeGreaterThanOrEqual(STALE_MS);
        expect(r.waited_ms, r.id).toBeGreaterThanOrEqual(STALE_MS - 5_000);
      }
      expect(Math.max(...rows.map((r) => r.waited_ms)), 'the oldest family').toBeGreaterThanOrEqual(STALE_MS);
    } finally {
      await c.end();
    }
    expect(await checkInvariants(database.url)).toEqual([]);
    expect(await worker.stop()).toBe(0);
    expect(await api.stop()).toBe(0);
  });
});
