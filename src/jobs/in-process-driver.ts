import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_RETRY, type JobContext, type JobDriver, type RetryPolicy, type JobHandlers, type JobName, type JobPayloads, type JobRunner } from './jobs.js';

interface Pending {
  name: JobName;
  jobId: string;
  payload: unknown;
  attempt: number;
  notBefore: number;
  queuedAt: number;
}

/**
 * Embedded mode's queue: jobs live in memory and run in this process. Nothing is lost on a
 * crash all the same, because the outbox (in the database) is only marked sent after `add`, and
 * on start-up unfinished registrations are queued again by the relay's recovery sweep.
 */
export function createInProcessDriver(retry: RetryPolicy = DEFAULT_RETRY): JobDriver {
  const pending: Pending[] = [];
  const known = new Set<string>();
  const timers: NodeJS.Timeout[] = [];
  let wake: (() => void) | undefined;
  let handlers: JobHandlers | undefined;
  /** Jobs running now, for metrics. */
  let active = 0;

  const notify = () => {
    wake?.();
    wake = undefined;
  };

  const queue: JobDriver['queue'] = {
    async add<N extends JobName>(name: N, payload: JobPayloads[N], opts: { jobId: string }) {
      if (known.has(opts.jobId)) return;
      known.add(opts.jobId);
      pending.push({ name, jobId: opts.jobId, payload, attempt: 1, notBefore: 0, queuedAt: Date.now() });
      notify();
    },
    async addBulk(jobs) {
      for (const j of jobs) await queue.add(j.name, j.payload as never, { jobId: j.jobId });
    },
    // A job that used up its attempts is forgotten here, so a plain add runs it again.
    resend: (name, payload, opts) => queue.add(name, payload, opts),
    async schedule<N extends JobName>(id: string, everyMs: number, name: N, payload: JobPayloads[N]) {
      const run = () => void queue.add(name, payload, { jobId: `${id}-${Date.now()}` });
      // Like a BullMQ job scheduler with `every`: the first run at once, then every interval. An
      // embedded service restarted more often than the interval still runs its daily jobs.
      run();
      const t = setInterval(run, everyMs);
      t.unref();
      timers.push(t);
    },
    async ping() {},
    async counts() {
      const now = Date.now();
      const waiting = pending.filter((p) => p.notBefore <= now).length;
      return { waiting, delayed: pending.length - waiting, active, failed: 0 };
    },
    async close() {
      for (const t of timers) clearInterval(t);
    },
  };

  return {
    kind: 'in-process',
    queue,
    startWorker(h, opts): JobRunner {
      handlers = h;
      let running = true;
      const idle: Array<() => void> = [];
      const loop = async () => {
        while (running) {
          const now = Date.now();
          const i = pending.findIndex((p) => p.notBefore <= now);
          if (i < 0 || active >= opts.concurrency) {
            await Promise.race([new Promise<void>((r) => (wake = r)), sleep(100)]);
            continue;
          }
          const job = pending.splice(i, 1)[0]!;
          active++;
          const handler = handlers![job.name] as (p: unknown, c: JobContext) => Promise<void>;
          handler(job.payload, { jobId: job.jobId, attempt: job.attempt, queuedAt: job.queuedAt })
            .then(() => known.delete(job.jobId))
            .catch((err: unknown) => {
              opts.onFailed(job.name, job.jobId, err);
              if (job.attempt < retry.attempts) {
                pending.push({ ...job, attempt: job.attempt + 1, notBefore: Date.now() + retry.backoffMs * 2 ** (job.attempt - 1) });
              } else {
                known.delete(job.jobId);
              }
            })
            .finally(() => {
              active--;
              notify();
              if (active === 0) idle.splice(0).forEach((r) => r());
            });
        }
      };
      void loop();
      return {
        isRunning: () => running,
        async close() {
          running = false;
          notify();
          if (active > 0) await new Promise<void>((r) => idle.push(r));
        },
      };
    },
    async close() {
      await queue.close();
    },
  };
}
