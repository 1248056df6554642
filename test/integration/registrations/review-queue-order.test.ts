// The review queue lists families by when they were reported and registered (issue 15: "sorted by
// when the family was registered, as it says, not when it was last proposed").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/harness.js';
import { activeAllocation, coordinatorPost, register, waitForStatus } from '../../support/workflow.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ relay: true, worker: true });
});
afterAll(async () => {
  await t?.close();
});

describe('GET /allocations?status=proposed', () => {
  it('keeps a family proposed again after a rejection at its place by registration, before families registered after it', async () => {
    const first = await register(t, { reportedOn: '2026-11-20' });
    await waitForStatus(t, first.id, 'proposed');
    const second = await register(t, { reportedOn: '2026-11-20' });
    await waitForStatus(t, second.id, 'proposed');
    const earlier = await register(t, { reportedOn: '2026-11-18' });
    await waitForStatus(t, earlier.id, 'proposed');
    // The first family's proposal is rejected: its new proposal is the newest allocation of all.
    const rejected = await coordinatorPost(t, `/api/v1/allocations/${(await activeAllocation(t, first.id)).id}/reject`, { reason: 'Geen passende woning in deze gemeente.' });
    expect(rejected.statusCode, rejected.body).toBe(200);
    await waitForStatus(t, first.id, 'proposed');

    const res = await t.app.inject({ url: '/api/v1/allocations?status=proposed', headers: await t.auth('coordinator') });
    expect(res.statusCode).toBe(200);
    const order = res.json().items.map((a: { registrationId: string }) => a.registrationId);
    expect(order).toEqual([earlier.id, first.id, second.id]);
  });
});
