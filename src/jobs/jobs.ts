// The job port: a typed map of job names to payloads, and the two drivers behind it.
import type { NotifyEvent } from '../modules/webhooks/webhook-events.js';

/** Every payload carries a version so a worker can refuse a shape it does not know. */
export interface JobPayloads {
  /** Propose a receiving municipality for one registration (one allocation round). */
  allocate: {
    v: 1;
    registrationId: string;
    round: number;
    /** W3C trace id of the request that queued it, so the worker's audit rows join that request. */
    traceId?: string;
    /**
     * W3C traceparent of the span that queued it (only while tracing is on), so the job's span
     * joins the request's trace as a child.
     */
    traceparent?: string;
  };
  /** Close every period whose end has passed (scheduled). */
  'close-due-periods': { v: 1 };
  /** Raise the signals of deadlines that passed, resolve those of ended stages (scheduled). */
  'scan-deadlines': { v: 1 };
  /** Match events to webhook subscriptions and queue their deliveries (ids only; see webhooks module). */
  notify: { v: 1; events: NotifyEvent[] };
  /** One delivery to one subscriber; runs on the webhook queue, never the allocation queue. */
  'deliver-webhook': { v: 1; deliveryId: string };
  /** Pseudonymise every closed case whose retention period has passed (scheduled daily). */
  'pseudonymise-closed-cases': { v: 1 };
}
export type JobName = keyof JobPayloads;

export interface JobContext {
  readonly jobId: string;
  /** 1 on the first run, higher on a retry or after a stall. */
  readonly attempt: number;
  /** When the job was put on the queue (for the wait-time metric). */
  readonly queuedAt?: number;
}

export type JobHandlers = { [N in JobName]: (payload: JobPayloads[N], ctx: JobContext) => Promise<void> };

/** One job of `JobQueue.addBulk`. */
export type BulkJob = { [N in JobName]: { name: N; payload: JobPayloads[N]; jobId: string } }[JobName];

export interface JobQueue {
  /** Adding the same jobId twice while the first still exists adds nothing. */
  add<N extends JobName>(name: N, payload: JobPayloads[N], opts: { jobId: string }): Promise<void>;
  /**
   * `add` for many jobs in one round trip (the outbox relay's batch); each keeps its fixed jobId,
   * so a job whose id exists already is not added again. Resolves when all are added; a rejection
   * means none may be assumed added (some may have been: adding them again adds nothing).
   */
  addBulk(jobs: ReadonlyArray<BulkJob>): Promise<void>;
  /**
   * Like `add`, but a job with this id that failed for good (attempts used up in a long database
   * outage, or stalled twice) runs again: `add` alone would keep returning the failed job.
   */
  resend<N extends JobName>(name: N, payload: JobPayloads[N], opts: { jobId: string }): Promise<void>;
  /** Periodic work; idempotent, safe to call from every process at boot. */
  schedule<N extends JobName>(id: string, everyMs: number, name: N, payload: JobPayloads[N]): Promise<void>;
  ping(): Promise<void>;
  /** Jobs by state, for metrics (a stand-in queue in a test may leave it out). */
  counts?(): Promise<Partial<Record<'waiting' | 'active' | 'delayed' | 'failed', number>>>;
  close(): Promise<void>;
}

export interface JobRunner {
  /** Stops taking jobs, waits for the running ones, then resolves. */
  close(): Promise<void>;
  /** True while the runner still takes jobs (for readiness and watchdogs). */
  isRunning(): boolean;
}

export interface JobDriver {
  readonly kind: 'bullmq' | 'in-process';
  readonly queue: JobQueue;
  startWorker(handlers: JobHandlers, opts: { concurrency: number; onFailed: (name: string, jobId: string, err: unknown) => void }): JobRunner;
  close(): Promise<void>;
}

/** Retries with backoff: a job that meets a restarting database tries again, then gives up loudly. */
export const JOB_ATTEMPTS = 8;
export const JOB_BACKOFF_MS = 500;

/** A queue's retry policy (exponential: backoffMs · 2^(attempt − 1) before attempt + 1). */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { attempts: JOB_ATTEMPTS, backoffMs: JOB_BACKOFF_MS };
