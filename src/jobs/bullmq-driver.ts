import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_RETRY, type BulkJob, type JobContext, type RetryPolicy, type JobDriver, type JobHandlers, type JobName, type JobPayloads, type JobRunner } from './jobs.js';

export const QUEUE_NAME = 'spreiding';
/** Webhook deliveries wait and retry here, so a slow receiver never holds up an allocation. */
export const WEBHOOK_QUEUE_NAME = 'spreiding-webhooks';

/** The relay's own deadline for one add; the row stays in the outbox and is retried. */
const ADD_TIMEOUT_MS = 3_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Bounded Redis memory: finished jobs are kept for inspection for a while, then removed. */
const REMOVE_ON_COMPLETE = { age: 24 * 3600, count: 10_000 };
const REMOVE_ON_FAIL = { age: 14 * 24 * 3600 };

export function createBullmqDriver(opts: {
  redisUrl: string;
  prefix: string;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Another queue than the allocation queue (the webhook deliveries have their own). */
  queueName?: string;
  retry?: RetryPolicy;
  onRedisError: (err: Error) => void;
}): JobDriver {
  const queueName = opts.queueName ?? QUEUE_NAME;
  const retry = opts.retry ?? DEFAULT_RETRY;
  // The producer fails fast when Redis is away (BULLMQ-NOTES: `add` otherwise waits up to 238 s);
  // the outbox keeps the job and the relay tries again. The offline queue stays on: BullMQ loads
  // its scripts while connecting, and refusing those commands would break the queue for good.
  const makeQueue = () => {
    const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    connection.on('error', opts.onRedisError);
    const queue = new Queue(queueName, {
      connection,
      prefix: opts.prefix,
      skipWaitingForReady: true,
      defaultJobOptions: {
        attempts: retry.attempts,
        backoff: { type: 'exponential', delay: retry.backoffMs },
        removeOnComplete: REMOVE_ON_COMPLETE,
        removeOnFail: REMOVE_ON_FAIL,
      },
    });
    queue.on('error', opts.onRedisError);
    return { queue, connection };
  };
  let producer: ReturnType<typeof makeQueue> | undefined;
  const dispose = (p: ReturnType<typeof makeQueue>) =>
    p.queue
      .close()
      .catch(() => {})
      .finally(() => p.connection.disconnect());
  /**
   * A Queue whose start-up failed (Redis away at that moment) keeps rejecting forever, so a
   * failed one is thrown away and the next call builds a fresh one.
   */
  const ready = async () => {
    producer ??= makeQueue();
    const current = producer;
    try {
      await withTimeout(current.queue.waitUntilReady(), ADD_TIMEOUT_MS, 'queue start-up');
      return current;
    } catch (err) {
      if (producer === current) producer = undefined;
      void dispose(current);
      throw err;
    }
  };
  const workers: Worker[] = [];
  const connections: Redis[] = [];

  return {
    kind: 'bullmq',
    queue: {
      async add<N extends JobName>(name: N, payload: JobPayloads[N], o: { jobId: string }) {
        const { queue } = await ready();
        await withTimeout(queue.add(name, payload, { jobId: o.jobId }), ADD_TIMEOUT_MS, 'queue add');
      },
      async addBulk(jobs: ReadonlyArray<BulkJob>) {
        if (jobs.length === 0) return;
        const { queue } = await ready();
        // One MULTI for the batch; the queue's default options (attempts, backoff, removal) apply to each.
        const bulk = jobs.map((j) => ({ name: j.name, data: j.payload, opts: { jobId: j.jobId } }));
        await withTimeout(queue.addBulk(bulk), ADD_TIMEOUT_MS, 'queue add');
      },
      async resend<N extends JobName>(name: N, payload: JobPayloads[N], o: { jobId: string }) {
        const { queue } = await ready();
        const send = async () => {
          // For a taken id, add returns the existing job; a failed one stays failed (for 14 days).
          const job = await queue.add(name, payload, { jobId: o.jobId });
          if (await job.isFailed()) await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        };
        await withTimeout(send(), ADD_TIMEOUT_MS, 'queue resend');
      },
      async schedule<N extends JobName>(id: string, everyMs: number, name: N, payload: JobPayloads[N]) {
        const { queue } = await ready();
        await queue.upsertJobScheduler(id, { every: everyMs }, { name, data: payload });
      },
      async ping() {
        const { connection } = await ready();
        if ((await connection.ping()) !== 'PONG') throw new Error('redis did not answer PONG');
      },
      async counts() {
        const { queue } = await ready();
        const c = await withTimeout(queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'), ADD_TIMEOUT_MS, 'queue counts');
        return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
      },
      async close() {
        if (producer) await dispose(producer);
        producer = undefined;
      },
    },
    startWorker(handlers: JobHandlers, o): JobRunner {
      const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
      connection.on('error', opts.onRedisError);
      connections.push(connection);
      const worker = new Worker(
        queueName,
        async (job) => {
          const handler = handlers[job.name as JobName] as ((p: unknown, c: JobContext) => Promise<void>) | undefined;
          if (!handler) throw new Error(`no handler for job ${job.name}`);
          await handler(job.data, { jobId: job.id ?? '', attempt: job.attemptsMade + 1, queuedAt: job.timestamp });
        },
        {
          connection,
          prefix: opts.prefix,
          concurrency: o.concurrency,
          ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs } : {}),
          ...(opts.stalledIntervalMs ? { stalledInterval: opts.stalledIntervalMs } : {}),
        },
      );
      worker.on('failed', (job, err) => o.onFailed(job?.name ?? '?', job?.id ?? '?', err));
      worker.on('error', opts.onRedisError);
      workers.push(worker);
      return {
        isRunning: () => worker.isRunning(),
        close: () => worker.close(),
      };
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      if (producer) await dispose(producer);
      producer = undefined;
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
