// What a receiving municipality may do with a family allocated to it (hostile review, finding 8):
// it cannot close a case it has not accepted, a decision that changed state is never answered
// with 404, and once it declined it no longer reads the allocation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/harness.js';
import { activeAllocation, coordinatorPost, register, registrationAs, waitForStatus } from '../../support/workflow.js';

let t: TestApp;
beforeAll(async () => {
  // In-process jobs: the worker runs in this process, on the same PostgreSQL.
  t = await startTestApp({ relay: true, worker: true });
});
afterAll(async () => {
  await t?.close();
});

const asMunicipality = (code: string) => t.auth('municipality', { municipality: code });

/** A family reported by Amsterdam, proposed and approved to some receiving municipality. */
async function approvedFamily() {
  const { id } = await register(t);
  await waitForStatus(t, id, 'proposed');
  const allocation = await activeAllocation(t, id);
  expect((await coordinatorPost(t, `/api/v1/allocations/${allocation.id}/approve`)).statusCode).toBe(200);
  return { id, allocationId: allocation.id as string, receiver: allocation.municipality as string };
}

async function outcome(id: string, headers: Record<string, string>, payload: object) {
  return t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/outcome`, headers, payload });
}

describe('a receiving municipality and a family allocated to it', () => {
  it('cannot close the case before it accepted the family; nothing changes', async () => {
    const { id, receiver } = await approvedFamily();
    const res = await outcome(id, await asMunicipality(receiver), { type: 'own_network', reason: 'Familie vond zelf onderdak.' });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe('illegal_transition');
    const after = (await registrationAs(t, id)).json();
    expect(after).toMatchObject({ status: 'approved', receivingMunicipality: receiver, outcome: null });
    // The reporting municipality still may (the family found its own network before moving).
    const reporting = await outcome(id, await asMunicipality('GM0363'), { type: 'own_network', reason: 'Familie vond zelf onderdak.' });
    expect(reporting.statusCode, reporting.body).toBe(200);
    expect(reporting.json()).toMatchObject({ id, status: 'closed', outcome: 'own_network' });
  });

  it('closes a case it accepted and gets the closed case back, not a 404, although closing ends its sight of it', async () => {
    const { id, allocationId, receiver } = await approvedFamily();
    const headers = await asMunicipality(receiver);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${allocationId}/accept`, headers })).statusCode).toBe(200);
    const res = await outcome(id, headers, { type: 'returned_abroad', reason: 'Familie is teruggekeerd.' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'closed', outcome: 'returned_abroad', receivingMunicipality: null });
    expect((await registrationAs(t, id, headers)).statusCode).toBe(404);
  });

  it('gets its decline answered with 200, and from then on reads neither the allocation nor the family', async () => {
    const { id, allocationId, receiver } = await approvedFamily();
    const headers = await asMunicipality(receiver);
    const declined = await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${allocationId}/decline`, headers, payload: { reason: 'Geen passende woning beschikbaar.' } });
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json()).toMatchObject({ id: allocationId, status: 'declined', municipality: receiver });
    // The decline's own reason is not echoed to the municipality that is no longer involved.
    expect(declined.json().reason).toBeNull();

    expect((await t.app.inject({ url: `/api/v1/allocations/${allocationId}`, headers })).statusCode).toBe(404);
    const list = await t.app.inject({ url: `/api/v1/allocations`, headers });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((a: { id: string }) => a.id)).not.toContain(allocationId);
    expect((await registrationAs(t, id, headers)).statusCode).toBe(404);
    // The reporting municipality and the coordinator still read it, with the reason.
    const reporting = await t.app.inject({ url: `/api/v1/allocations/${allocationId}`, headers: await asMunicipality('GM0363') });
    expect(reporting.json()).toMatchObject({ status: 'declined', reason: 'Geen passende woning beschikbaar.' });
  });
});
