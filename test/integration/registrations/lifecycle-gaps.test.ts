// Lifecycle gaps (issue 13): a family that refuses the placement; a household registering again
// after a closed case is linked to it (coordinator only), repeated use of the return scheme
// flagged; the central shelter mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody } from '../../support/families.js';
import { activeAllocation, coordinatorPost, registrationAs, waitForStatus } from '../../support/workflow.js';

const clock = fixedClock('2026-11-27T10:00:00Z');
let t: TestApp;

async function registerBody(body: ReturnType<typeof familyBody>) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await t.auth('municipality', { municipality: body.reportingMunicipality }), payload: body });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().id as string;
}

async function close(id: string, type: string) {
  const res = await coordinatorPost(t, `/api/v1/registrations/${id}/outcome`, { type, reason: 'Gesprek met het gezin' });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true, env: { CENTRAL_SHELTER: 'true' } });
});
afterAll(async () => {
  await t?.close();
});

describe('a family that refuses the placement', () => {
  it('closes with refused_placement and releases the allocation like any closing outcome', async () => {
    const id = await registerBody(familyBody());
    await waitForStatus(t, id, 'proposed');
    const alloc = await activeAllocation(t, id);
    expect((await coordinatorPost(t, `/api/v1/allocations/${alloc.id}/approve`)).statusCode).toBe(200);
    const closed = await close(id, 'refused_placement');
    expect(closed).toMatchObject({ status: 'closed', outcome: 'refused_placement', receivingMunicipality: null });
    const after = await t.app.inject({ url: `/api/v1/allocations/${alloc.id}`, headers: await t.auth('coordinator') });
    expect(after.json().status).toBe('withdrawn');
  });
});

describe('a household that registers again', () => {
  it('links the new registration to the earlier closed case, flags repeated use of the return scheme, and shows it to the coordinator only', async () => {
    const first = familyBody({ reportingMunicipality: 'GM0363' });
    const firstId = await registerBody(first);
    await waitForStatus(t, firstId, 'proposed');
    await close(firstId, 'returned_abroad');

    // The same mother comes back, now with another municipality, another child.
    const again = familyBody({ reportingMunicipality: 'GM0599' });
    again.household.adults = [first.household.adults[0]!];
    const secondId = await registerBody(again);
    const detail = (await registrationAs(t, secondId)).json();
    expect(detail.earlierCase).toEqual({ registrationId: firstId, outcome: 'returned_abroad', earlierCases: 1, repeatedReturn: true });

    // The reporting municipality sees its own registration, not the link to another municipality's case.
    const own = (await registrationAs(t, secondId, await t.auth('municipality', { municipality: 'GM0599' }))).json();
    expect(own).not.toHaveProperty('earlierCase');
    expect(JSON.stringify(own)).not.toContain(firstId);

    // A third time, after a case closed for another reason: the most recent case, both counted, still flagged.
    await waitForStatus(t, secondId, 'proposed');
    clock.advance(60_000);
    await close(secondId, 'own_network');
    const third = familyBody({ reportingMunicipality: 'GM0344' });
    third.household.children = [again.household.children[0]!];
    const thirdId = await registerBody(third);
    expect((await registrationAs(t, thirdId)).json().earlierCase).toEqual({ registrationId: secondId, outcome: 'own_network', earlierCases: 2, repeatedReturn: true });
  });

  it('gives a household with no earlier case no link', async () => {
    const id = await registerBody(familyBody());
    expect((await registrationAs(t, id)).json().earlierCase).toBeNull();
  });
});

describe('the central shelter (CENTRAL_SHELTER=true)', () => {
  it('lets the coordination point hold a stay at the central facility, booked nationally and reported apart from the municipality', async () => {
    const id = await registerBody(familyBody({ reportingMunicipality: 'GM0363' }));
    const stays = `/api/v1/registrations/${id}/shelter-stays`;
    const municipal = await t.app.inject({
      method: 'POST', url: stays, headers: await t.auth('municipality', { municipality: 'GM0363' }),
      payload: { type: 'hotel', startDate: '2026-11-02', endDate: '2026-11-10', nightlyCostCents: 10_000 },
    });
    expect(municipal.statusCode, municipal.body).toBe(201);
    // Only the coordination point holds central stays.
    const refused = await t.app.inject({
      method: 'POST', url: stays, headers: await t.auth('municipality', { municipality: 'GM0363' }),
      payload: { type: 'shelter_facility', startDate: '2026-11-10', nightlyCostCents: 5_000, central: true },
    });
    expect(refused.statusCode).toBe(403);
    const central = await t.app.inject({
      method: 'POST', url: stays, headers: await t.auth('coordinator'),
      payload: { type: 'shelter_facility', startDate: '2026-11-10', nightlyCostCents: 5_000, central: true },
    });
    expect(central.statusCode, central.body).toBe(201);
    expect(central.json()).toMatchObject({ central: true, municipality: 'GM0363' });
    // The reporting municipality may not change it.
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/shelter-stays/${central.json().id}`, headers: await t.auth('municipality', { municipality: 'GM0363' }), payload: { nightlyCostCents: 1 } });
    expect(patch.statusCode).toBe(403);

    const report = (await t.app.inject({ url: '/api/v1/reports/shelter?period=2026-H2', headers: await t.auth('coordinator') })).json();
    const amsterdam = report.items.find((i: { municipality: string }) => i.municipality === 'GM0363');
    expect(amsterdam).toMatchObject({ stays: 1, nights: 8, costCents: 80_000 });
    // 10 to 27 November: 17 nights at the central facility, on the national account.
    expect(report.centralShelter).toEqual({ familiesSheltered: 1, stays: 1, nights: 17, costCents: 85_000, longStays: 0 });
    const own = (await t.app.inject({ url: '/api/v1/reports/shelter?period=2026-H2', headers: await t.auth('municipality', { municipality: 'GM0363' }) })).json();
    expect(own.centralShelter).toBeNull();
    expect(own.items[0]).toMatchObject({ costCents: 80_000 });
  });
});
