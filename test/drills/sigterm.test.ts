// Drill: SIGTERM to the api and the worker while both have work in flight. The test holds two
// locks so the work is observably unfinished when the signal arrives: the ledger lock (allocate
// jobs wait inside their transaction) and a SHARE lock on registrations (POSTs wait at INSERT).
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

const JOBS_IN_FLIGHT = 3;
const REQUESTS_IN_FLIGHT = 3;
/** Long enough that a process exiting without waiting would be caught while the locks are held. */
const HOLD_AFTER_SIGTERM_MS = 1_500;

let database: { url: string; drop: () => Promise<void> };
let redis: Redis;
let prefix: string;
let env: Record<string, string>;
let baseUrl: string;
const procs: Proc[] = [];
const clients: pg.Client[] = [];

beforeAll(async () => {
  database = await createTestDatabase('drill_sigterm');
  ({ prefix, baseUrl, env } = await drillStack(database.url, REDIS_URL));
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  for (const c of clients) await c.end().catch(() => undefined);
  await killAll(procs);
  await clearQueue(redis, prefix);
  await redis.quit();
  await database?.drop();
});

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: database.url });
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return c;
}

const alive = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;

describe('drill: SIGTERM to the api and the worker', () => {
  it('lets in-flight requests and jobs finish, then both exit 0; nothing accepted is lost', { timeout: 90_000 }, async () => {
    showOutputOnFailure(procs);
    const api = spawnEntry('src/server.ts', env);
    const worker = spawnEntry('src/worker.ts', env);
    procs.push(api, worker);
    await waitReady(baseUrl);
    await until(async () => ((await connectedWorkers(REDIS_URL, prefix)) >= 1 ? true : undefined), 'the worker to connect', 30_000, 100);
    await waitQueueQuiet(redis, prefix);
    const token = await municipalityToken();

    const monitor = await client();
    const ledger = await client();
    await ledger.query('begin');
    await ledger.query('select * from ledger_state where id = 1 for update');
    const queued = await Promise.all(Array.from({ length: JOBS_IN_FLIGHT }, () => postRegistration(baseUrl, token, familyBody())));
    expect(queued.map((r) => r.status)).toEqual(Array(JOBS_IN_FLIGHT).fill(202));
    await until(async () => ((await lockWaiters(monitor)) === JOBS_IN_FLIGHT ? true : undefined), 'the jobs to wait for the ledger', 20_000);

    const table = await client();
    await table.query('begin');
    await table.query('lock table registrations in share mode');
    const requests = Array.from({ length: REQUESTS_IN_FLIGHT }, () => postRegistration(baseUrl, token, familyBody()));
    await until(async () => ((await lockWaiters(monitor)) === JOBS_IN_FLIGHT + REQUESTS_IN_FLIGHT ? true : undefined), 'the requests to wait at INSERT', 20_000);

    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, HOLD_AFTER_SIGTERM_MS));
    expect(alive(api), 'the api waits for its requests').toBe(true);
    expect(alive(worker), 'the worker waits for its jobs').toBe(true);
    // A request arriving now is turned away: the listening socket is closed (or 503 on a kept-alive one).
    const late = await postRegistration(baseUrl, token, familyBody(), {}, 5_000).catch((err: Error) => err);
    if (!(late instanceof Error)) expect(late.status).toBe(503);

    await table.query('commit');
    const answered = await Promise.all(requests);
    expect(answered.map((r) => r.status)).toEqual(Array(REQUESTS_IN_FLIGHT).fill(202));
    await ledger.query('commit');

    expect(await api.exited).toBe(0);
    expect(await worker.exited).toBe(0);
    // The jobs finished before the worker exited: no other worker exists to have done it. (Their
    // batch may also have proposed families accepted during the shutdown; nothing says it must.)
    const c = await client();
    const { rows } = await c.query<{ n: number }>(`select count(*)::int as n from registrations where id = any($1::uuid[]) and status = 'proposed'`, [queued.map((r) => r.body.id)]);
    expect(rows[0]!.n).toBe(JOBS_IN_FLIGHT);
    for (const r of queued) expect(await redis.zscore(`${prefix}:${QUEUE_NAME}:completed`, r.body.id as string)).not.toBeNull();

    // The requests accepted during shutdown are waiting; the next api and worker propose them.
    const api2 = spawnEntry('src/server.ts', env);
    const worker2 = spawnEntry('src/worker.ts', env);
    procs.push(api2, worker2);
    await waitReady(baseUrl);
    await until(async () => ((await statusCounts(database.url)).proposed === JOBS_IN_FLIGHT + REQUESTS_IN_FLIGHT ? true : undefined), 'every accepted registration to be proposed', 30_000);
    expect(await checkInvariants(database.url)).toEqual([]);
    expect(await worker2.stop()).toBe(0);
    expect(await api2.stop()).toBe(0);
  });
});
