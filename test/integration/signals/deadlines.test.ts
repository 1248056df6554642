// Deadlines per stage with a fixed clock (issue 13): one family through review, decision and
// transfer, each deadline across a weekend or public holidays, reminders then escalations, the
// worklist, and signals resolved when the stage ends. The scan is the scheduled job's handler.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, startTestApp, type TestApp } from '../../support/harness.js';
import { waitFor } from '../../support/processes.js';
import { activeAllocation, coordinatorPost, register, waitForStatus } from '../../support/workflow.js';

const REPORTER = 'GM0363';
const OUTSIDER = 'GM0014';
const clock = fixedClock('2026-11-27T10:00:00Z'); // a Friday
let t: TestApp;

async function scan() {
  await t.container.jobHandlers['scan-deadlines']({ v: 1 }, { jobId: 'test-scan', attempt: 1 });
}

async function signalsOf(id: string, headers?: Record<string, string>) {
  const res = await t.app.inject({ url: `/api/v1/registrations/${id}/signals`, headers: headers ?? (await t.auth('coordinator')) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { deadline: null | { stage: string; dueAt: string; escalatesAt: string; municipality: string | null }; items: Array<{ stage: string; level: string; dueAt: string; resolvedAt: string | null; municipality: string | null }> };
}

async function worklist(headers?: Record<string, string>, query = '') {
  const res = await t.app.inject({ url: `/api/v1/signals?pageSize=200${query}`, headers: headers ?? (await t.auth('coordinator')) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: Array<{ registrationId: string; stage: string; level: string; municipality: string | null }>; total: number };
}

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true });
});
afterAll(async () => {
  await t?.close();
});

describe('a family through every stage with a deadline', () => {
  let id: string;
  let receiver: string;

  it('review: a proposal made on a Friday is due at the end of the Tuesday after (2 working days), escalated after 2 more', async () => {
    id = (await register(t, {}, REPORTER)).id;
    await waitForStatus(t, id, 'proposed');
    const s = await signalsOf(id);
    expect(s.deadline).toEqual({
      stage: 'review',
      startedAt: '2026-11-27T10:00:00.000Z',
      dueAt: '2026-12-01T23:00:00.000Z', // midnight after Tuesday 1 December, Amsterdam
      escalatesAt: '2026-12-03T23:00:00.000Z',
      municipality: null,
    });
    expect(s.items).toEqual([]);

    clock.set('2026-12-01T22:59:59Z');
    await scan();
    expect((await worklist()).total).toBe(0);

    clock.set('2026-12-01T23:00:00Z');
    await scan();
    await scan(); // the scheduler may run twice: nothing is raised twice
    await Promise.all([scan(), scan()]);
    const list = await worklist();
    expect(list.items).toEqual([expect.objectContaining({ registrationId: id, stage: 'review', level: 'reminder', municipality: null })]);

    clock.set('2026-12-03T23:00:00Z');
    await scan();
    const escalated = await worklist();
    expect(escalated.items.map((i) => i.level)).toEqual(['escalation', 'reminder']);
    expect((await worklist(undefined, '&level=escalation')).total).toBe(1);
  });

  it('ends the review stage at approval: its signals are resolved and leave the worklist', async () => {
    clock.set('2026-12-22T09:00:00Z'); // a Tuesday before Christmas
    const alloc = await activeAllocation(t, id);
    receiver = alloc.municipality;
    const approved = await coordinatorPost(t, `/api/v1/allocations/${alloc.id}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    expect((await worklist()).total).toBe(0);
    const resolved = await worklist(undefined, '&status=resolved');
    expect(resolved.total).toBe(2);
    expect((await signalsOf(id)).items.every((i) => i.resolvedAt === '2026-12-22T09:00:00.000Z')).toBe(true);
  });

  it('decision: 5 working days skip Christmas and the weekend; the receiving municipality has to act and sees the signal', async () => {
    const s = await signalsOf(id);
    // Wed 23, Thu 24, (Fri 25 Christmas, weekend), Mon 28, Tue 29, Wed 30.
    expect(s.deadline).toMatchObject({ stage: 'decision', dueAt: '2026-12-30T23:00:00.000Z', municipality: receiver });
    clock.set('2026-12-30T22:59:00Z');
    await scan();
    expect((await worklist()).total).toBe(0);
    clock.set('2026-12-30T23:00:00Z');
    await scan();
    expect((await worklist()).items).toEqual([expect.objectContaining({ stage: 'decision', level: 'reminder', municipality: receiver })]);

    // The municipalities that may see the family see the signal; another does not, and 404s on the registration's.
    for (const code of [receiver, REPORTER]) expect((await worklist(await t.auth('municipality', { municipality: code }))).total, code).toBe(1);
    const outsider = await t.auth('municipality', { municipality: OUTSIDER });
    expect((await worklist(outsider)).total).toBe(0);
    const hidden = await t.app.inject({ url: `/api/v1/registrations/${id}/signals`, headers: outsider });
    expect(hidden.statusCode).toBe(404);
  });

  it('a decline puts the family in the coordinator\'s worklist at once (needs attention)', async () => {
    clock.set('2027-01-04T09:00:00Z');
    const alloc = await activeAllocation(t, id);
    const declined = await t.app.inject({
      method: 'POST',
      url: `/api/v1/allocations/${alloc.id}/decline`,
      headers: await t.auth('municipality', { municipality: receiver }),
      payload: { reason: 'Geen woning beschikbaar' },
    });
    expect(declined.statusCode, declined.body).toBe(200);
    await scan();
    const list = await worklist();
    expect(list.items).toEqual([expect.objectContaining({ registrationId: id, stage: 'attention', level: 'reminder', municipality: null })]);
    // The municipality that declined no longer sees the family, nor its signals.
    expect((await worklist(await t.auth('municipality', { municipality: receiver }))).total).toBe(0);
  });

  it('transfer: 10 weeks after acceptance, moved past Koningsdag to the next working day', async () => {
    clock.set('2027-01-05T09:00:00Z');
    const override = await coordinatorPost(t, `/api/v1/registrations/${id}/allocations`, { municipality: 'GM0344', reason: 'Netwerk in Utrecht' });
    expect(override.statusCode, override.body).toBe(201);
    clock.set('2027-02-16T09:00:00Z'); // a Tuesday; + 70 days is Tuesday 27 April 2027, Koningsdag
    const accepted = await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${override.json().id}/accept`, headers: await t.auth('municipality', { municipality: 'GM0344' }) });
    expect(accepted.statusCode, accepted.body).toBe(200);
    const s = await signalsOf(id);
    expect(s.deadline).toMatchObject({ stage: 'transfer', dueAt: '2027-04-28T22:00:00.000Z', escalatesAt: '2027-04-30T22:00:00.000Z', municipality: 'GM0344' });
    expect((await worklist()).total).toBe(0); // the attention signal ended with the override

    clock.set('2027-04-28T21:59:00Z');
    await scan();
    expect((await worklist()).total).toBe(0);
    clock.set('2027-05-01T09:00:00Z'); // both passed while nobody scanned: both raised at once
    await scan();
    expect((await worklist()).items.map((i) => `${i.stage}:${i.level}`)).toEqual(['transfer:escalation', 'transfer:reminder']);

    const transferred = await t.app.inject({
      method: 'POST',
      url: `/api/v1/registrations/${id}/transfer`,
      headers: await t.auth('municipality', { municipality: 'GM0344' }),
      payload: { transferredOn: '2027-05-01' },
    });
    expect(transferred.statusCode, transferred.body).toBe(200);
    expect((await worklist()).total).toBe(0);
    expect((await signalsOf(id)).deadline).toBeNull();
  });

  it('keeps the worklist to the coordinator and municipalities', async () => {
    for (const role of ['housing_corporation', 'admin'] as const) {
      const res = await t.app.inject({ url: '/api/v1/signals', headers: await t.auth(role, role === 'housing_corporation' ? { municipalities: ['GM0344'] } : {}) });
      expect(res.statusCode, role).toBe(403);
    }
  });
});

describe('the scheduler', () => {
  it('runs the scan by itself in embedded mode (the in-process driver schedules it too)', async () => {
    const own = fixedClock('2026-11-27T10:00:00Z');
    const app = await startTestApp({ clock: own, relay: true, worker: true, env: { DEADLINE_SCAN_EVERY_MS: '1000' } });
    try {
      expect(app.container.jobs.kind).toBe('in-process');
      const { id } = await register(app, {}, REPORTER);
      await waitForStatus(app, id, 'proposed');
      own.set('2026-12-02T09:00:00Z');
      const headers = await app.auth('coordinator');
      const item = await waitFor(async () => {
        const res = await app.app.inject({ url: '/api/v1/signals', headers });
        return res.json().items[0] as { registrationId: string; stage: string } | undefined;
      }, 'the scheduled scan to raise the review signal', 10_000, 200);
      expect(item).toMatchObject({ registrationId: id, stage: 'review' });
    } finally {
      await app.close();
    }
  });
});
