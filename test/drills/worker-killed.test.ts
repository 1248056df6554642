// Drill: a worker process dies with SIGKILL while its jobs are inside their database transaction.
// The test holds the ledger lock, so every allocate job is observably mid-transaction (registration
// row locked, waiting for the ledger); one of two workers is then killed. The dead worker's
// transactions roll back. Its families are proposed by the survivor — in a batch of another job
// (an allocate job proposes other queued registrations too) or when BullMQ's stalled-job check
// (here a 5 s lock checked every 2 s, QUEUE_LOCK_DURATION_MS / QUEUE_STALLED_INTERVAL_MS; 30 s
// each by default) hands it the dead worker's jobs — and those jobs themselves must
// still be recovered and completed, not left "active" for ever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { QUEUE_NAME } from '../../src/jobs/bullmq-driver.js';
import { createTestDatabase, REDIS_URL } from '../support/harness.js';
import { familyBody } from '../support/families.js';
import { spawnEntry, type Proc } from '../support/processes.js';
import { checkInvariants } from '../support/invariants.js';
import { clearQueue, drillStack, killAll, lockWaiters, showOutputOnFailure } from '../support/drill.js';
import {
  connectedWorkers, municipalityToken, postRegistration, statusCounts, until, waitQueueQuiet, waitReady,
} from '../../bench/lib/stack.js';

const FAMILIES = 12;
/** Per worker process (src/boot.ts): 2 workers × 4 jobs in flight, the rest waits in the queue. */
const CONCURRENCY = 4;
const LOCK_DURATION_MS = 5_000;
const STALLED_INTERVAL_MS = 2_000;
/** Lock expiry + up to two stalled checks + slack for a busy 2-core box. */
const RECOVERY_TIMEOUT_MS = LOCK_DURATION_MS + 2 * STALLED_INTERVAL_MS + 20_000;

let database: { url: string; drop: () => Promise<void> };
let redis: Redis;
let prefix: string;
let baseUrl: string;
let env: Record<string, string>;
const procs: Proc[] = [];

beforeAll(async () => {
  database = await createTestDatabase('drill_kill');
  ({ prefix, baseUrl, env } = await drillStack(database.url, REDIS_URL));
  env = { ...env, QUEUE_LOCK_DURATION_MS: String(LOCK_DURATION_MS), QUEUE_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS) };
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await killAll(procs);
  await clearQueue(redis, prefix);
  await redis.quit();
  await database?.drop();
});

const key = (suffix: string) => `${prefix}:${QUEUE_NAME}:${suffix}`;

describe('drill: a worker killed with SIGKILL mid-job', () => {
  it('another worker finishes the killed worker\'s jobs; no family is allocated twice; the ledger stays consistent', { timeout: 120_000 }, async () => {
    showOutputOnFailure(procs);
    const api = spawnEntry('src/server.ts', env);
    const victim = spawnEntry('src/worker.ts', env);
    const survivor = spawnEntry('src/worker.ts', env);
    procs.push(api, victim, survivor);
    await waitReady(baseUrl);
    await until(async () => ((await connectedWorkers(REDIS_URL, prefix)) >= 2 ? true : undefined), 'both workers to connect', 30_000, 100);
    await waitQueueQuiet(redis, prefix);

    // The test takes the ledger lock first: every allocate job stops inside its transaction.
    const holder = new pg.Client({ connectionString: database.url });
    const monitor = new pg.Client({ connectionString: database.url });
    for (const c of [holder, monitor]) {
      c.on('error', () => {}); // dropped with the database if the drill fails half-way
      await c.connect();
    }
    await holder.query('begin');
    await holder.query('select * from ledger_state where id = 1 for update');

    const token = await municipalityToken();
    const accepted = await Promise.all(Array.from({ length: FAMILIES }, () => postRegistration(baseUrl, token, familyBody())));
    expect(accepted.map((r) => r.status)).toEqual(Array(FAMILIES).fill(202));
    const ids = accepted.map((r) => r.body.id as string);

    await until(
      async () => ((await redis.llen(key('active'))) === 2 * CONCURRENCY && (await lockWaiters(monitor)) === 2 * CONCURRENCY ? true : undefined),
      'both workers to hold 4 jobs each, blocked on the ledger lock',
      20_000,
    );
    const activeBefore = await redis.lrange(key('active'), 0, -1);

    process.kill(victim.child.pid!, 'SIGKILL');
    await victim.exited;
    // Only now may the transactions go on: the victim's can no longer commit.
    await holder.query('rollback');
    await holder.end();
    await monitor.end();

    // The survivor finishes its own jobs and the waiting ones; the victim's stay "active" until they stall.
    await until(async () => ((await redis.llen(key('active'))) === CONCURRENCY && (await redis.llen(key('wait'))) === 0 ? true : undefined), 'the survivor\'s own jobs', 20_000);
    const orphaned = await redis.lrange(key('active'), 0, -1);
    expect(activeBefore).toEqual(expect.arrayContaining(orphaned));

    // Stalled once, then run and completed by the survivor (the victim is dead).
    await until(
      async () => {
        for (const jobId of orphaned) if ((await redis.zscore(key('completed'), jobId)) === null) return undefined;
        return true;
      },
      'the stalled jobs to be run again',
      RECOVERY_TIMEOUT_MS,
      250,
    );
    for (const jobId of orphaned) expect(await redis.hget(key(jobId), 'stc')).toBe('1');
    expect(await statusCounts(database.url)).toEqual({ proposed: FAMILIES });

    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    try {
      const perFamily = await c.query<{ registration_id: string; allocations: number; movements: number; proposed_events: number }>(
        `select r.id as registration_id,
                (select count(*)::int from allocations a where a.registration_id = r.id) as allocations,
                (select count(*)::int from ledger_movements m where m.registration_id = r.id and m.kind = 'allocation') as movements,
                (select count(*)::int from registration_events e where e.registration_id = r.id and e.action = 'proposed') as proposed_events
           from registrations r`,
      );
      expect(perFamily.rows.map((r) => r.registration_id).sort()).toEqual([...ids].sort());
      for (const row of perFamily.rows) expect(row, row.registration_id).toMatchObject({ allocations: 1, movements: 1, proposed_events: 1 });
    } finally {
      await c.end();
    }
    expect(await checkInvariants(database.url)).toEqual([]);

    expect(await survivor.stop()).toBe(0);
    expect(await api.stop()).toBe(0);
  });
});
