// Drill: Redis dies during intake and comes back empty (no persistence: the worst case). It runs
// on a private redis-server, so the machine's Redis and every other test file's queue stay up.
//
// Three groups of families, each losing something different:
//   before — registered while the test holds the ledger lock, so their jobs sit in Redis (active
//            on a worker, or waiting) when Redis dies: the active ones commit anyway, the waiting
//            ones are lost with Redis;
//   during — registered while Redis is down: accepted (202) with the job only in the outbox;
//   after  — registered once Redis is back, as a check that the queue works again.
// A family whose job was lost is proposed by another job's batch (an allocate job also proposes
// other queued registrations) or, failing that, by the relay's sweep; either is fine here.
// redis-data-loss.test.ts covers the sweep on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { QUEUE_NAME } from '../../src/jobs/bullmq-driver.js';
import { createTestDatabase } from '../support/harness.js';
import { familyBody } from '../support/families.js';
import { spawnEntry, type Proc } from '../support/processes.js';
import { startRedisServer, type PrivateRedis } from '../support/redis-server.js';
import { checkInvariants } from '../support/invariants.js';
import { drillStack, killAll, lockWaiters, showOutputOnFailure } from '../support/drill.js';
import {
  connectedWorkers, municipalityToken, postRegistration, statusCounts, until, waitQueueQuiet, waitReady,
} from '../../bench/lib/stack.js';

const WORKERS = 2;
/** Per worker process (src/boot.ts). */
const CONCURRENCY = 4;
const BEFORE = 16;
const DURING = 8;
const AFTER = 4;
/**
 * Should no other job's batch take the families whose jobs were lost, the sweep does: it re-sends
 * jobs of registrations queued for over 60 s, every 30 s from the api's start.
 */
const SWEEP_TIMEOUT_MS = 110_000;

let database: { url: string; drop: () => Promise<void> };
let redisServer: PrivateRedis;
let prefix: string;
let env: Record<string, string>;
let baseUrl: string;
const procs: Proc[] = [];

beforeAll(async () => {
  database = await createTestDatabase('drill_redis');
  redisServer = await startRedisServer();
  ({ prefix, baseUrl, env } = await drillStack(database.url, redisServer.url));
});

afterAll(async () => {
  await killAll(procs);
  await redisServer?.destroy();
  await database?.drop();
});

describe('drill: Redis stopped during intake', () => {
  it('keeps accepting registrations and proposes every one of them exactly once after Redis returns empty', { timeout: 150_000 }, async () => {
    showOutputOnFailure(procs);
    const api = spawnEntry('src/server.ts', env);
    const workers = Array.from({ length: WORKERS }, () => spawnEntry('src/worker.ts', env));
    procs.push(api, ...workers);
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    const monitor = new pg.Client({ connectionString: database.url });
    const holder = new pg.Client({ connectionString: database.url });
    for (const c of [monitor, holder]) {
      c.on('error', () => {});
      await c.connect();
    }
    try {
      await waitReady(baseUrl);
      await until(async () => ((await connectedWorkers(redisServer.url, prefix)) >= WORKERS ? true : undefined), 'the workers to connect', 30_000, 100);
      await waitQueueQuiet(redis, prefix);
      const token = await municipalityToken();
      const register = async (n: number) => {
        const res = await Promise.all(Array.from({ length: n }, () => postRegistration(baseUrl, token, familyBody(), {}, 20_000)));
        expect(res.map((r) => r.status), JSON.stringify(res.find((r) => r.status !== 202)?.body)).toEqual(Array(n).fill(202));
        return res.map((r) => r.body.id as string);
      };

      await holder.query('begin');
      await holder.query('select * from ledger_state where id = 1 for update');
      const before = await register(BEFORE);
      const inFlight = WORKERS * CONCURRENCY;
      await until(
        async () => (
          (await redis.llen(`${prefix}:${QUEUE_NAME}:active`)) === inFlight &&
          (await redis.llen(`${prefix}:${QUEUE_NAME}:wait`)) === BEFORE - inFlight &&
          (await lockWaiters(monitor)) === inFlight ? true : undefined),
        'jobs active on the workers and waiting in Redis',
        20_000,
      );

      await redisServer.kill();
      // The active jobs now commit their proposals but cannot report back to the dead Redis.
      await holder.query('commit');
      await until(async () => (((await statusCounts(database.url)).proposed ?? 0) >= inFlight ? true : undefined), 'the in-flight jobs to commit', 20_000);

      const during = await register(DURING);
      const { rows } = await monitor.query<{ n: number }>('select count(*)::int as n from outbox where sent_at is null');
      expect(rows[0]!.n, 'the jobs of registrations accepted meanwhile wait in the outbox').toBe(DURING);

      await redisServer.start();
      await until(async () => {
        const { rows: r } = await monitor.query<{ n: number }>(`select count(*)::int as n from registrations where id = any($1::uuid[]) and status = 'proposed'`, [during]);
        return r[0]!.n === DURING ? true : undefined;
      }, 'the registrations accepted during the outage to be proposed', 30_000, 100);
      const after = await register(AFTER);

      const all = [...before, ...during, ...after];
      await until(async () => ((await statusCounts(database.url)).proposed === all.length ? true : undefined), 'every family to be proposed', SWEEP_TIMEOUT_MS, 500);

      const perFamily = await monitor.query<{ id: string; allocations: number; movements: number }>(
        `select r.id,
                (select count(*)::int from allocations a where a.registration_id = r.id) as allocations,
                (select count(*)::int from ledger_movements m where m.registration_id = r.id and m.kind = 'allocation') as movements
           from registrations r`,
      );
      expect(perFamily.rows.map((r) => r.id).sort()).toEqual([...all].sort());
      for (const r of perFamily.rows) expect(r, r.id).toMatchObject({ allocations: 1, movements: 1 });
      expect(await checkInvariants(database.url)).toEqual([]);

      // The same processes came through: none was restarted.
      for (const p of procs) expect(p.child.exitCode).toBeNull();
      for (const w of workers) expect(await w.stop()).toBe(0);
      expect(await api.stop()).toBe(0);
    } finally {
      redis.disconnect();
      await monitor.end().catch(() => undefined);
      await holder.end().catch(() => undefined);
    }
  });
});
