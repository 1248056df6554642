// The 'close-due-periods' job with a fixed clock: it closes a period once its last day has passed
// on the Amsterdam calendar (not UTC), oldest first, quiet half-years included, and is idempotent.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { fixedClock, startTestApp, type TestApp } from '../../support/harness.js';
import { checkInvariants } from '../../support/invariants.js';
import { waitFor } from '../../support/processes.js';
import { register, waitForStatus } from '../../support/workflow.js';

const clock = fixedClock('2026-05-10T10:00:00Z');
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true });
});
afterAll(async () => {
  await t?.close();
});
afterEach(async () => {
  expect(await checkInvariants(t.databaseUrl, { now: clock.now() })).toEqual([]);
});

async function periods() {
  const c = new pg.Client({ connectionString: t.databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ period: string; status: string; closed_by: string | null; closed_at: Date | null }>(
      `select period, status, closed_by, closed_at from periods order by period`,
    );
    const { rows: moves } = await c.query<{ n: number }>(`select count(*)::int as n from ledger_movements`);
    return { rows, movements: moves[0]!.n };
  } finally {
    await c.end();
  }
}

/** Runs the registered job handler, as a worker would. */
const runJob = (jobId: string) => t.container.jobHandlers['close-due-periods']({ v: 1 }, { jobId, attempt: 1 });

describe('the close-due-periods job', () => {
  it('does nothing while no period has ended', async () => {
    const { id } = await register(t, {
      reportedOn: '2026-05-08',
      eligibility: {
        residenceBasis: 'chavez', arrivedFrom: 'abroad', ownInitiativeUnprepared: true, refugeeOrEvacueeStatus: false,
        selfRelianceAssessment: { assessedOn: '2026-05-08', outcome: 'self_reliant' }, homelessWithoutNetwork: true,
      },
    });
    await waitForStatus(t, id, 'proposed');
    await runJob('tick-1');
    expect((await periods()).rows).toEqual([expect.objectContaining({ period: '2026-H1', status: 'open' })]);
  });

  it('keeps the period open at 23:59 on 30 June in Amsterdam, although it is already 21:59 UTC', async () => {
    clock.set('2026-06-30T21:59:00Z');
    await runJob('tick-2');
    expect((await periods()).rows[0]).toMatchObject({ period: '2026-H1', status: 'open' });
  });

  it('closes it just after midnight in Amsterdam, through the queue, as the system', async () => {
    clock.set('2026-06-30T22:00:30Z');
    await t.container.jobs.queue.add('close-due-periods', { v: 1 }, { jobId: 'tick-3' });
    const closed = await waitFor(async () => {
      const row = (await periods()).rows.find((r) => r.period === '2026-H1');
      return row?.status === 'closed' ? row : undefined;
    }, '2026-H1 to close');
    expect(closed.closed_by).toBe('system:worker');
    expect(closed.closed_at!.toISOString()).toBe('2026-06-30T22:00:30.000Z');
    // The settlement opened the next period's row.
    expect((await periods()).rows.map((r) => `${r.period}:${r.status}`)).toEqual(['2026-H1:closed', '2026-H2:open']);
  });

  it('is idempotent: running again closes nothing and writes nothing', async () => {
    const before = await periods();
    await runJob('tick-4');
    await runJob('tick-4');
    expect(await periods()).toEqual(before);
  });

  it('after a long pause closes every ended half-year in order, quiet ones included', async () => {
    clock.set('2027-08-01T10:00:00Z');
    await runJob('tick-5');
    const after = await periods();
    expect(after.rows.map((r) => `${r.period}:${r.status}`)).toEqual(['2026-H1:closed', '2026-H2:closed', '2027-H1:closed', '2027-H2:open']);
    const closedAt = after.rows.filter((r) => r.status === 'closed').map((r) => r.closed_at!.toISOString());
    expect(closedAt.slice(1)).toEqual(['2027-08-01T10:00:00.000Z', '2027-08-01T10:00:00.000Z']);
  });
});
