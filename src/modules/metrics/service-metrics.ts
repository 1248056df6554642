// The service's own series: what an operator watches (README.md lists them with their labels).
import { count, isNull, min } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Db, PoolStats } from '../../db/client.js';
import { outbox, registrations, type RegistrationStatus } from '../../db/schema/index.js';
import type { Metrics } from './metrics-registry.js';

const STATUSES: readonly RegistrationStatus[] = ['queued', 'proposed', 'approved', 'accepted', 'transferred', 'housed', 'closed', 'needs_attention'];
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** Proposal lag: seconds at best, minutes when the workers fall behind. */
const LAG_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const LOCK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/**
 * Series other modules register (README), named here so the alert rules in deploy/ may use them
 * before they land.
 */
export const SERIES_FROM_OTHER_MODULES = ['spreiding_webhook_deliveries_total', 'spreiding_deadline_signals_open'] as const;

export interface ServiceMetrics {
  /** A job finished (or failed) after `seconds` of running, `waitedSeconds` after it was queued. */
  jobDone(queue: string, job: string, outcome: 'completed' | 'failed', seconds: number, waitedSeconds: number | undefined): void;
  /** A registration was proposed `seconds` after it was queued. */
  proposalLag(seconds: number): void;
  /** The ledger lock was granted after `seconds`. */
  ledgerLockWait(seconds: number): void;
}

export function createServiceMetrics(deps: {
  metrics: Metrics;
  db: Db;
  clock: Clock;
  queueName: string;
  queueCounts: () => Promise<Partial<Record<QueueState, number>>>;
  poolStats: () => PoolStats | undefined;
}): ServiceMetrics {
  const { metrics, db } = deps;

  metrics.stateGauge({ name: 'spreiding_registrations', help: 'Registrations by status', labelNames: ['status'] as const }, async () => {
    const rows = await db.select({ status: registrations.status, n: count() }).from(registrations).groupBy(registrations.status);
    const by = new Map(rows.map((r) => [r.status, r.n]));
    return STATUSES.map((status) => ({ labels: { status }, value: by.get(status) ?? 0 }));
  });
  // One read for both outbox gauges, cached by whichever is collected first.
  let outboxRead: Promise<{ n: number; oldest: Date | null }> | undefined;
  const readOutbox = () => {
    outboxRead ??= db
      .select({ n: count(), oldest: min(outbox.createdAt) })
      .from(outbox)
      .where(isNull(outbox.sentAt))
      .then((rows) => ({ n: rows[0]?.n ?? 0, oldest: rows[0]?.oldest ?? null }))
      .finally(() => setTimeout(() => (outboxRead = undefined), 1_000).unref());
    return outboxRead;
  };
  metrics.stateGauge({ name: 'spreiding_outbox_unsent', help: 'Outbox rows not yet on the queue' }, async () => [{ value: (await readOutbox()).n }]);
  metrics.stateGauge(
    { name: 'spreiding_outbox_oldest_unsent_age_seconds', help: 'Age of the oldest outbox row not yet on the queue (0 when none)' },
    async () => {
      const { oldest } = await readOutbox();
      return [{ value: oldest ? Math.max(0, (deps.clock.now().getTime() - new Date(oldest).getTime()) / 1000) : 0 }];
    },
  );
  metrics.stateGauge({ name: 'spreiding_queue_jobs', help: 'Jobs in the queue by state', labelNames: ['queue', 'state'] as const }, async () => {
    const counts = await deps.queueCounts();
    return QUEUE_STATES.map((state) => ({ labels: { queue: deps.queueName, state }, value: counts[state] ?? 0 }));
  });

  // Per process: every api and worker has a pool of its own. Read when scraped.
  metrics.gauge({
    name: 'spreiding_db_pool_connections',
    help: 'PostgreSQL connections of this process by state (in_use, idle, waiting requests, max)',
    labelNames: ['state'] as const,
    collect() {
      const s = deps.poolStats();
      if (!s) return;
      this.set({ state: 'in_use' }, s.total - s.idle);
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'waiting' }, s.waiting);
      this.set({ state: 'max' }, s.max);
    },
  });

  const jobSeconds = metrics.histogram({ name: 'spreiding_job_duration_seconds', help: 'Time a job ran, by queue, job and outcome', labelNames: ['queue', 'job', 'outcome'] as const });
  const jobWait = metrics.histogram({
    name: 'spreiding_job_wait_seconds',
    help: 'Time from queueing to the first run of a job, by queue and job',
    labelNames: ['queue', 'job'] as const,
    buckets: LAG_BUCKETS,
  });
  const jobFailures = metrics.counter({ name: 'spreiding_job_failures_total', help: 'Failed job runs (each attempt), by queue and job', labelNames: ['queue', 'job'] as const });
  const lag = metrics.histogram({ name: 'spreiding_proposal_lag_seconds', help: 'Time from a registration being queued to its proposal being stored', buckets: LAG_BUCKETS });
  const lockWait = metrics.histogram({ name: 'spreiding_ledger_lock_wait_seconds', help: 'Time waited for the ledger lock (ledger_state FOR UPDATE)', buckets: LOCK_BUCKETS });

  return {
    jobDone(queue, job, outcome, seconds, waitedSeconds) {
      jobSeconds.observe({ queue, job, outcome }, seconds);
      if (outcome === 'failed') jobFailures.inc({ queue, job });
      if (waitedSeconds !== undefined) jobWait.observe({ queue, job }, waitedSeconds);
    },
    proposalLag: (seconds) => lag.observe(Math.max(0, seconds)),
    ledgerLockWait: (seconds) => lockWait.observe(seconds),
  };
}

