// Drill: an allocate job gave up for good — its attempts used up while PostgreSQL was down longer
// than the retry backoff (about a minute), or stalled twice because two workers died under it.
// The registration is still queued and its outbox row is marked sent, so only the relay's sweep
// can bring it back, by sending the job again under the same jobId.
//
// Two shortcuts keep this drill at seconds instead of minutes, without touching the code under
// test: the job is failed by a stand-in worker that throws UnrecoverableError (BullMQ's "no more
// attempts"), and the registration's updated_at is moved back past the sweep's one-minute
// threshold. The sweep itself runs for real, at the start of a fresh api process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { QUEUE_NAME } from '../../src/jobs/bullmq-driver.js';
import { createTestDatabase, REDIS_URL } from '../support/harness.js';
import { spawnEntry, type Proc } from '../support/processes.js';
import { checkInvariants } from '../support/invariants.js';
import { clearQueue, drillStack, killAll, registerFamilies, showOutputOnFailure } from '../support/drill.js';
import { statusCounts, until, waitReady } from '../../bench/lib/stack.js';

const FAMILIES = 3;

let database: { url: string; drop: () => Promise<void> };
let redis: Redis;
let prefix: string;
let env: Record<string, string>;
let baseUrl: string;
const procs: Proc[] = [];

beforeAll(async () => {
  database = await createTestDatabase('drill_exhausted');
  ({ prefix, baseUrl, env } = await drillStack(database.url, REDIS_URL));
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  await killAll(procs);
  await clearQueue(redis, prefix);
  await redis.quit();
  await database?.drop();
});

describe('drill: a job that exhausted its attempts', () => {
  it('is run again by the sweep, so the registration is proposed, once', { timeout: 60_000 }, async () => {
    showOutputOnFailure(procs);
    // Intake with no worker running: the relay sends the jobs, nobody takes them yet.
    const api = spawnEntry('src/server.ts', env);
    procs.push(api);
    await waitReady(baseUrl);
    const ids = await registerFamilies(baseUrl, FAMILIES);
    const queue = new Queue(QUEUE_NAME, { connection: redis, prefix });
    await until(async () => ((await queue.getWaitingCount()) === FAMILIES ? true : undefined), 'the relay to send the jobs', 10_000);
    expect(await api.stop()).toBe(0);

    // Each job's last attempt fails.
    const failing = new Worker(QUEUE_NAME, async () => {
      throw new UnrecoverableError('connect ECONNREFUSED 127.0.0.1:5432 (the last of its attempts)');
    }, { connection: redis.duplicate(), prefix });
    await until(async () => ((await queue.getFailedCount()) === FAMILIES ? true : undefined), 'the jobs to fail for good', 10_000);
    await failing.close();

    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ unsent: number }>('select count(*) filter (where sent_at is null)::int as unsent from outbox');
      expect(rows[0]!.unsent).toBe(0);
      await c.query(`update registrations set updated_at = updated_at - interval '2 minutes' where status = 'queued'`);
    } finally {
      await c.end();
    }

    // A fresh api sweeps at once; a worker takes whatever the sweep brings back.
    const worker = spawnEntry('src/worker.ts', env);
    const api2 = spawnEntry('src/server.ts', env);
    procs.push(worker, api2);
    await waitReady(baseUrl);
    await until(async () => ((await statusCounts(database.url)).proposed === FAMILIES ? true : undefined), 'the sweep to bring the failed jobs back', 20_000, 100);
    for (const id of ids) expect(await queue.getJobState(id)).toBe('completed');
    await queue.close();
    expect(await checkInvariants(database.url)).toEqual([]);
    expect(await worker.stop()).toBe(0);
    expect(await api2.stop()).toBe(0);
  });
});
