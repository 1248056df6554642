// Drill: PostgreSQL restarts under load, once cleanly (pg_ctl restart -m fast) and once as a crash
// (-m immediate, down for a few seconds, crash recovery on start). It runs on a private cluster
// so the machine's PostgreSQL, which every other test file uses, stays up.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../support/harness.js';
import { familyBody } from '../support/families.js';
import { spawnEntry, type Proc } from '../support/processes.js';
import { createPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { checkInvariants } from '../support/invariants.js';
import { clearQueue, drillStack, killAll, showOutputOnFailure } from '../support/drill.js';
import {
  connectedWorkers, municipalityToken, postRegistration, statusCounts, until, waitReady, type PostResult,
} from '../../bench/lib/stack.js';

/** Concurrent clients, each registering one family after another. */
const CLIENTS = 4;
const CRASH_DOWNTIME_MS = 3_000;
const STEADY_MS = 1_500;
/** Clients retry a 503 sooner than its Retry-After (2 s) to keep the drill short. */
const RETRY_DELAY_MS = 250;

let cluster: PgCluster;
let databaseUrl: string;
let redis: Redis;
let prefix: string;
let env: Record<string, string>;
let baseUrl: string;
const procs: Proc[] = [];

beforeAll(async () => {
  cluster = await createPgCluster();
  databaseUrl = await cluster.createDatabase('drill_pg_restart');
  ({ prefix, baseUrl, env } = await drillStack(databaseUrl, REDIS_URL));
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await killAll(procs);
  await clearQueue(redis, prefix);
  await redis.quit();
  await cluster?.destroy();
});

interface Attempt {
  at: number;
  result: PostResult | Error;
}

/** A municipality's client: registers families one after another, retrying a 503 with the same Idempotency-Key. */
function startClients(token: string) {
  let running = true;
  const attempts: Attempt[] = [];
  const accepted: string[] = [];
  const loops = Array.from({ length: CLIENTS }, async () => {
    while (running) {
      const body = familyBody();
      const key = randomUUID();
      for (;;) {
        const result = await postRegistration(baseUrl, token, body, { 'idempotency-key': key }, 15_000).catch((err: Error) => err);
        attempts.push({ at: Date.now(), result });
        if (!(result instanceof Error) && result.status === 202) {
          accepted.push(result.body.id as string);
          break;
        }
        if (result instanceof Error || result.status !== 503) break; // recorded; the assertions say what went wrong
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      }
    }
  });
  return {
    attempts,
    accepted,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('drill: PostgreSQL restarted under load', () => {
  it('answers 503 problem+json during the outage, recovers without a restart, loses nothing accepted', { timeout: 90_000 }, async () => {
    showOutputOnFailure(procs, async () => `--- postgres log ---\n${(await cluster.log()).slice(-4000)}`);
    const api = spawnEntry('src/server.ts', env);
    const workers = [spawnEntry('src/worker.ts', env), spawnEntry('src/worker.ts', env)];
    procs.push(api, ...workers);
    await waitReady(baseUrl);
    await until(async () => ((await connectedWorkers(REDIS_URL, prefix)) >= workers.length ? true : undefined), 'the workers to connect', 30_000, 100);
    const pids = procs.map((p) => p.child.pid!);

    const clients = startClients(await municipalityToken());
    await sleep(STEADY_MS);
    const beforeRestart = clients.accepted.length;
    await cluster.restart('fast');
    await sleep(STEADY_MS);
    await cluster.stop('immediate');
    const crashAt = Date.now();
    await sleep(CRASH_DOWNTIME_MS);
    await cluster.start();
    const upAt = Date.now();
    // Accepted after the database came back: the api recovered on its own.
    await until(async () => (clients.accepted.length > 0 && clients.attempts.some((a) => a.at > upAt && !(a.result instanceof Error) && a.result.status === 202) ? true : undefined), 'a 202 after the crash', 20_000, 100);
    await sleep(STEADY_MS);
    await clients.stop();

    const results = clients.attempts.map((a) => a.result);
    const errors = results.filter((r): r is Error => r instanceof Error);
    expect(errors.map((e) => e.message), 'no request fails at the connection level').toEqual([]);
    const responses = results as PostResult[];
    const statuses = [...new Set(responses.map((r) => r.status))].sort();
    expect(statuses, 'only 202 and 503').toEqual(expect.arrayContaining([202, 503]));
    expect(statuses.filter((s) => s !== 202 && s !== 503)).toEqual([]);
    for (const r of responses.filter((x) => x.status === 503)) {
      expect(r.contentType).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({ status: 503, code: 'service_unavailable' });
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
    }
    const duringCrash = clients.attempts.filter((a) => a.at >= crashAt && a.at < upAt);
    expect(duringCrash.length, 'requests were made while the database was down').toBeGreaterThan(0);
    expect(beforeRestart).toBeGreaterThan(0);

    // Nothing accepted is lost, nothing is registered twice, and the same workers propose it all.
    const ids = clients.accepted;
    expect(new Set(ids).size).toBe(ids.length);
    await until(async () => {
      const counts = await statusCounts(databaseUrl);
      return counts.proposed === ids.length ? counts : undefined;
    }, `all ${ids.length} accepted registrations to be proposed`, 60_000, 250);
    const counts = await statusCounts(databaseUrl);
    expect(counts).toEqual({ proposed: ids.length });
    expect(await checkInvariants(databaseUrl)).toEqual([]);

    // Recovered without a restart: the very same processes are still serving.
    expect(procs.map((p) => p.child.pid!)).toEqual(pids);
    expect((await fetch(`${baseUrl}/api/v1/ready`)).status).toBe(200);
    for (const w of workers) expect(await w.stop()).toBe(0);
    expect(await api.stop()).toBe(0);
  });
});
