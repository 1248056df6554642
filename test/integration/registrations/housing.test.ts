// Housing corporations see approved families in their working area, with minimal data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, startTestApp, type TestApp } from '../../support/harness.js';
import { coordinatorPost, register } from '../../support/workflow.js';

let t: TestApp;
beforeAll(async () => {
  // In-process worker: this file is about what housing corporations see, not about the queue.
  t = await startTestApp({ relay: true, worker: true, clock: fixedClock('2026-11-30T09:00:00Z') });
});
afterAll(async () => {
  await t?.close();
});

describe('assigned families', () => {
  it('lists approved families of the working area without BSNs, names or notes', async () => {
    const a = await register(t);
    const b = await register(t);
    const c = await register(t);
    const ok = await coordinatorPost(t, `/api/v1/registrations/${a.id}/allocations`, { municipality: 'GM0344', reason: 'Netwerk in Utrecht.' });
    expect(ok.statusCode, ok.body).toBe(201);
    await coordinatorPost(t, `/api/v1/registrations/${b.id}/allocations`, { municipality: 'GM0599', reason: 'Netwerk in Rotterdam.' });
    void c; // stays queued or proposed: never visible to a corporation

    const headers = await t.auth('housing_corporation', { municipalities: ['GM0344', 'GM0307'] });
    const res = await t.app.inject({ url: '/api/v1/assigned-families', headers });
    expect(res.statusCode).toBe(200);
    expect(res.json().total).toBe(1);
    expect(res.json().items[0]).toMatchObject({
      registrationId: a.id, receivingMunicipality: 'GM0344', status: 'approved', adults: 1, householdSize: 3, childrenAges: [11, 6], needs: { minimumBedrooms: 2 },
    });
    for (const p of [...a.body.household.adults, ...a.body.household.children]) {
      expect(res.body).not.toContain(p.bsn);
      expect(res.body).not.toContain(p.name);
    }
    expect(res.body).not.toContain(a.body.notes!);

    const outside = await t.app.inject({ url: '/api/v1/assigned-families?municipality=GM0599', headers });
    expect(outside.json().total).toBe(0);
    // A corporation cannot read the registration itself.
    expect((await t.app.inject({ url: `/api/v1/registrations/${a.id}`, headers })).statusCode).toBe(403);
    // Other roles cannot use the corporations' endpoint.
    expect((await t.app.inject({ url: '/api/v1/assigned-families', headers: await t.auth('municipality', { municipality: 'GM0344' }) })).statusCode).toBe(403);
  });
});
