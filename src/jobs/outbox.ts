import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db, DbOrTx } from '../db/client.js';
import { outbox, registrations } from '../db/schema/index.js';
import type { Clock } from '../clock.js';
import type { BulkJob, JobName, JobPayloads, JobQueue } from './jobs.js';
import { tracingOff, type OpenSpan, type Tracing } from '../modules/tracing/tracing.js';

/** Writes the job into the business transaction; it reaches the queue only after commit. */
export async function enqueueInTx<N extends JobName>(tx: DbOrTx, clock: Clock, name: N, payload: JobPayloads[N], jobId: string) {
  await tx.insert(outbox).values({ id: randomUUID(), jobName: name, jobId, payload, createdAt: clock.now() });
}

/** The allocate job's id: the registration id for the first proposal, a suffix for later rounds. */
export const allocateJobId = (registrationId: string, round: number) => (round === 1 ? registrationId : `${registrationId}-r${round}`);

const BATCH = 200;
const PRODUCER_SPAN = { 'messaging.system': 'bullmq', 'messaging.operation.type': 'send' };
/** A registration still queued this long after its job was sent has lost its job (Redis lost data). */
const STALE_QUEUED_MS = 60_000;
const SWEEP_EVERY_MS = 30_000;

/** An outbox row its writer hands to the relay right after commit (see OutboxRelay.nudge). */
export interface HandedOutboxRow {
  id: string;
  jobName: string;
  jobId: string;
  payload: unknown;
}

export interface OutboxRelay {
  /**
   * Run soon (after a commit that wrote outbox rows). With `rows` (the rows just committed),
   * those are sent as they are, without reading the table; without, the table is read.
   */
  nudge(rows?: HandedOutboxRow[]): void;
  /** Send everything unsent now; resolves with the number sent. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A row handed to its process's relay is normally sent within milliseconds; the polls of every
 * relay leave it alone this long, so several api processes do not each send (and mark) every
 * row. Rows whose writer died or whose send failed (Redis down) are polled after it.
 */
const HANDOFF_GRACE_MS = 2_000;

/**
 * Moves outbox rows to the queue. The writer of a row hands it to its own relay after commit,
 * which sends it without reading the table (one add and one UPDATE per batch); a poll every
 * `pollMs` picks up rows it has seen unsent for HANDOFF_GRACE_MS (written by a worker, by a
 * process that died, or not sent because Redis was down). Rows are read without a lock and sent with their
 * fixed jobId, so two relays at worst add the same job twice, which the queue ignores. A failed
 * add leaves the row unsent for a later poll.
 */
export function createOutboxRelay(deps: { db: Db; queue: JobQueue; clock: Clock; logger: Logger; pollMs: number; tracing?: Tracing }): OutboxRelay {
  const { db, queue, logger } = deps;
  const tracing = deps.tracing ?? tracingOff;
  let stopped = false;
  let running: Promise<number> | undefined;
  let again = false;
  let lastSweep = 0;
  let failing = false;
  /** Rows handed over after commit, not yet sent. */
  const handed: HandedOutboxRow[] = [];
  /** The table is read on the next round: for every unsent row, or only for those past the grace. */
  let poll: 'all' | 'stale' | undefined = 'stale';

  /**
   * When this relay first saw each row unsent (its own monotonic time, not the service clock,
   * which tests freeze): only rows it has seen unsent for the grace period are stale.
   */
  let firstSeen = new Map<string, number>();

  /** Unsent rows, oldest first (all, or only the stale ones): one SELECT, then sendRows. */
  async function pollBatch(which: 'all' | 'stale'): Promise<number> {
    const rows = await db.select().from(outbox).where(isNull(outbox.sentAt)).orderBy(asc(outbox.createdAt)).limit(BATCH);
    if (rows.length === 0) {
      failing = false;
      firstSeen.clear();
      return 0;
    }
    let due = rows;
    if (which === 'stale') {
      const now = performance.now();
      const seen = new Map<string, number>();
      due = rows.filter((r) => {
        const at = firstSeen.get(r.id) ?? now;
        seen.set(r.id, at);
        return now - at >= HANDOFF_GRACE_MS;
      });
      // Rows sent meanwhile (by anyone) are forgotten.
      firstSeen = seen;
    }
    if (due.length === 0) return 0;
    return (await sendRows(due)) + (rows.length === BATCH && due.length === rows.length ? await pollBatch(which) : 0);
  }

  /** One batch: one bulk add to the queue, one UPDATE marking the batch sent. */
  async function sendRows(rows: HandedOutboxRow[]): Promise<number> {
    const batch = sql`${outbox.id} = any(${sql.param(rows.map((r) => r.id))}::uuid[])`;
    // A producer span per traced row, in the trace of the request that wrote it; the job
    // carries this span on as its parent.
    const spans: OpenSpan[] = [];
    const jobs = rows.map((row) => {
      const payload = row.payload as { traceparent?: string };
      const span = payload.traceparent ? tracing.start(`${row.jobName} send`, { kind: 'producer', parent: payload.traceparent, attributes: PRODUCER_SPAN }) : undefined;
      if (span) spans.push(span);
      return { name: row.jobName as JobName, payload: (span ? { ...payload, traceparent: span.traceparent } : payload) as never, jobId: row.jobId } as BulkJob;
    });
    try {
      await queue.addBulk(jobs);
      for (const s of spans) s.end();
    } catch (err) {
      for (const s of spans) s.end(true);
      // None of the batch is marked sent; the jobs the queue may have taken before failing are
      // added again next round under the same jobId, which adds nothing.
      await db
        .update(outbox)
        .set({ attempts: sql`${outbox.attempts} + 1`, lastError: String((err as Error).message).slice(0, 500) })
        .where(batch);
      if (!failing) logger.warn({ err: { message: (err as Error).message } }, 'outbox relay: queue unavailable; will retry');
      failing = true;
      return 0;
    }
    await db.update(outbox).set({ sentAt: deps.clock.now() }).where(batch);
    if (failing) logger.info('outbox relay: queue reachable again');
    failing = false;
    return rows.length;
  }

  /**
   * Registrations whose job vanished (a Redis without persistence restarted) or gave up for good
   * (attempts used up) are queued again.
   */
  async function sweep() {
    const cutoff = new Date(deps.clock.now().getTime() - STALE_QUEUED_MS);
    const stale = await db
      .select({ id: registrations.id, round: registrations.allocationRound })
      .from(registrations)
      .where(and(eq(registrations.status, 'queued'), sql`${registrations.updatedAt} < ${cutoff.toISOString()}`))
      .limit(BATCH);
    for (const r of stale) {
      await queue.resend('allocate', { v: 1, registrationId: r.id, round: r.round }, { jobId: allocateJobId(r.id, r.round) });
    }
    if (stale.length > 0) logger.info({ count: stale.length }, 'outbox relay: re-sent jobs of registrations still queued');
  }

  const run = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      try {
        do {
          again = false;
          while (handed.length > 0 && !stopped) total += await sendRows(handed.splice(0, BATCH));
          const which = poll;
          poll = undefined;
          if (which) total += await pollBatch(which);
        } while (again && !stopped);
        if (!failing && Date.now() - lastSweep > SWEEP_EVERY_MS) {
          lastSweep = Date.now();
          await sweep();
        }
      } catch (err) {
        logger.warn({ err: { message: (err as Error).message } }, 'outbox relay round failed; will retry');
      } finally {
        running = undefined;
      }
      return total;
    })();
    return running;
  };

  const timer = setInterval(() => {
    poll ??= 'stale';
    void run();
  }, deps.pollMs);
  timer.unref();

  return {
    nudge(rows) {
      if (rows) handed.push(...rows);
      else poll = 'all';
      void run();
    },
    drain() {
      // A round already running goes round once more, reading the table then.
      poll = 'all';
      return run();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
