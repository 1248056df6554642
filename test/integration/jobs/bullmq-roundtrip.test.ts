// The job port's promises, checked on both drivers: BullMQ on the real Redis, and the in-process
// driver of embedded mode. Each test gets its own key prefix, so files and tests never share jobs.
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createBullmqDriver } from '../../../src/jobs/bullmq-driver.js';
import { createInProcessDriver } from '../../../src/jobs/in-process-driver.js';
import type { JobContext, JobDriver, JobHandlers, JobPayloads, JobRunner } from '../../../src/jobs/jobs.js';
import { REDIS_URL, uniqueName } from '../../support/harness.js';

const WAIT_MS = 10_000;

interface Open {
  driver: JobDriver;
  prefix?: string;
}
const open: Open[] = [];
const redisErrors: string[] = [];
const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });

afterEach(async () => {
  redisErrors.length = 0;
  for (const o of open.splice(0)) {
    await o.driver.close();
    if (o.prefix) {
      // Finished jobs stay in Redis for a day by design; a test's own keys go now.
      const keys = await admin.keys(`${o.prefix}:*`);
      if (keys.length > 0) await admin.del(...keys);
    }
  }
});
afterAll(async () => {
  await admin.quit();
});

const drivers: Array<[string, () => Open]> = [
  [
    'bullmq',
    () => {
      const prefix = uniqueName('jobtest');
      return {
        prefix,
        driver: createBullmqDriver({
          redisUrl: REDIS_URL,
          prefix,
          onRedisError: (err) => redisErrors.push(err.message),
        }),
      };
    },
  ],
  ['in-process', () => ({ driver: createInProcessDriver() })],
];

/** A promise with its resolver outside, for handing control between a test and a handler. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function within<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref())]);
}

type Allocate = JobHandlers['allocate'];

function handlers(allocate: Allocate): JobHandlers {
  return { allocate, 'close-due-periods': async () => {}, 'scan-deadlines': async () => {}, notify: async () => {}, 'deliver-webhook': async () => {}, 'pseudonymise-closed-cases': async () => {} };
}

describe.each(drivers)('%s driver', (kind, make) => {
  function driver(): JobDriver {
    const o = make();
    open.push(o);
    return o.driver;
  }
  const failures: Array<{ name: string; jobId: string; err: unknown }> = [];
  const start = (d: JobDriver, allocate: Allocate, concurrency = 1): JobRunner =>
    d.startWorker(handlers(allocate), { concurrency, onFailed: (name, jobId, err) => failures.push({ name, jobId, err }) });
  afterEach(() => {
    failures.length = 0;
  });

  it('delivers the typed payload to a worker', async () => {
    const d = driver();
    const payload: JobPayloads['allocate'] = { v: 1, registrationId: randomUUID(), round: 1 };
    const jobId = `allocate-${payload.registrationId}-1`;
    const got = deferred<{ payload: JobPayloads['allocate']; ctx: JobContext }>();
    start(d, async (p, ctx) => got.resolve({ payload: p, ctx }));
    await d.queue.add('allocate', payload, { jobId });
    const { payload: received, ctx } = await within(got.promise, 'the job');
    expect(received).toEqual(payload);
    expect(ctx).toEqual({ jobId, attempt: 1, queuedAt: expect.any(Number) });
    // A healthy start logs nothing: an error here would page an operator for no reason.
    expect(redisErrors).toEqual([]);
  });

  it('runs a job added twice with the same jobId once', async () => {
    const d = driver();
    const registrationId = randomUUID();
    const seen: string[] = [];
    const sentinelDone = deferred();
    const payload = (round: number): JobPayloads['allocate'] => ({ v: 1, registrationId, round });
    await d.queue.add('allocate', payload(1), { jobId: `allocate-${registrationId}-1` });
    await d.queue.add('allocate', payload(1), { jobId: `allocate-${registrationId}-1` });
    // One worker slot, first in first out: once the sentinel added after them has run, any copy has run too.
    await d.queue.add('allocate', payload(2), { jobId: `allocate-${registrationId}-2` });
    start(d, async (p, ctx) => {
      seen.push(ctx.jobId);
      if (p.round === 2) sentinelDone.resolve();
    });
    await within(sentinelDone.promise, 'the sentinel job');
    expect(seen).toEqual([`allocate-${registrationId}-1`, `allocate-${registrationId}-2`]);
  });

  it('addBulk adds a batch in order, each jobId once, and nothing for a jobId already there', async () => {
    const d = driver();
    const registrationId = randomUUID();
    const seen: string[] = [];
    const sentinelDone = deferred();
    const job = (round: number) => ({ name: 'allocate' as const, payload: { v: 1 as const, registrationId, round }, jobId: `allocate-${registrationId}-${round}` });
    await d.queue.add('allocate', job(1).payload, { jobId: job(1).jobId });
    await d.queue.addBulk([job(1), job(2), job(3), job(2)]);
    await d.queue.addBulk([]);
    await d.queue.addBulk([job(3), job(4)]);
    start(d, async (p, ctx) => {
      seen.push(ctx.jobId);
      if (p.round === 4) sentinelDone.resolve();
    });
    await within(sentinelDone.promise, 'the last job of the batches');
    expect(seen).toEqual([1, 2, 3, 4].map((r) => job(r).jobId));
    expect(failures).toEqual([]);
  });

  it('retries a failing job, reporting each failure', async () => {
    const d = driver();
    const attempts: number[] = [];
    const done = deferred();
    start(d, async (_p, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 3) throw new Error(`database restarting (attempt ${ctx.attempt})`);
      done.resolve();
    });
    const jobId = `allocate-${randomUUID()}-1`;
    await d.queue.add('allocate', { v: 1, registrationId: randomUUID(), round: 1 }, { jobId });
    await within(done.promise, 'the third attempt');
    expect(attempts).toEqual([1, 2, 3]);
    expect(failures.map((f) => [f.name, f.jobId, (f.err as Error).message])).toEqual([
      ['allocate', jobId, 'database restarting (attempt 1)'],
      ['allocate', jobId, 'database restarting (attempt 2)'],
    ]);
  });

  it('close() waits for the job in flight and takes no new ones (graceful shutdown)', async () => {
    const d = driver();
    const started = deferred();
    const release = deferred();
    const events: string[] = [];
    const runner = start(d, async (p) => {
      events.push(`start ${p.round}`);
      started.resolve();
      await release.promise;
      events.push(`finish ${p.round}`);
    });
    const registrationId = randomUUID();
    await d.queue.add('allocate', { v: 1, registrationId, round: 1 }, { jobId: `allocate-${registrationId}-1` });
    await within(started.promise, 'the job to start');
    await d.queue.add('allocate', { v: 1, registrationId, round: 2 }, { jobId: `allocate-${registrationId}-2` });

    const closing = runner.close().then(() => events.push('closed'));
    // Shutdown has begun but cannot complete while the handler still holds the job.
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toEqual(['start 1']);
    release.resolve();
    await within(closing, 'close()');
    expect(events).toEqual(['start 1', 'finish 1', 'closed']);
    expect(runner.isRunning()).toBe(false);
    expect(failures).toEqual([]);
  });
});

/**
 * A TCP relay in front of the real Redis that the test switches on and off, so the driver can
 * meet a Redis that is away and then comes back, without touching the Redis other files use.
 */
async function redisRelay() {
  const upstream = new URL(REDIS_URL);
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    url: `redis://127.0.0.1:${port}`,
    async up() {
      server = createServer((client) => {
        const redis = connect(Number(upstream.port || 6379), upstream.hostname);
        for (const s of [client, redis]) {
          sockets.add(s);
          s.on('error', () => s.destroy());
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(redis).pipe(client);
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    },
    async down() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = undefined;
    },
  };
}

describe('bullmq driver when Redis is away', () => {
  // A Queue whose start-up failed is rebuilt on the next call (src/jobs/bullmq-driver.ts).
  it('fails fast while Redis is unreachable at start-up, and works once it is back', async () => {
    const relay = await redisRelay();
    const prefix = uniqueName('jobtest');
    const driver = createBullmqDriver({ redisUrl: relay.url, prefix, onRedisError: () => {} });
    const registrationId = randomUUID();
    const payload: JobPayloads['allocate'] = { v: 1, registrationId, round: 1 };
    const jobId = `allocate-${registrationId}-1`;
    try {
      const startedAt = Date.now();
      await expect(driver.queue.add('allocate', payload, { jobId })).rejects.toThrow();
      // The outbox keeps the job; what matters is that the caller is not held for minutes.
      expect(Date.now() - startedAt).toBeLessThan(5_000);
      const bulkAt = Date.now();
      await expect(driver.queue.addBulk([{ name: 'allocate', payload, jobId }])).rejects.toThrow();
      expect(Date.now() - bulkAt).toBeLessThan(5_000);
      await expect(driver.queue.ping()).rejects.toThrow();

      // A worker process that starts while Redis is away waits for it rather than giving up.
      const got = deferred<string>();
      driver.startWorker(handlers(async (p) => got.resolve(p.registrationId)), { concurrency: 1, onFailed: () => {} });
      await relay.up();
      // ioredis reconnects on its own (backing off up to 2 s); keep trying as the outbox relay would.
      let added = false;
      for (let i = 0; i < 30 && !added; i++) {
        added = await driver.queue.add('allocate', payload, { jobId }).then(
          () => true,
          () => new Promise<boolean>((r) => setTimeout(() => r(false), 200)),
        );
      }
      expect(added).toBe(true);
      expect(await within(got.promise, 'the job after Redis came back')).toBe(registrationId);
    } finally {
      await driver.close();
      const keys = await admin.keys(`${prefix}:*`);
      if (keys.length > 0) await admin.del(...keys);
      await relay.down();
    }
  }, 30_000);
});
