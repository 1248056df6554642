// Shelter stays through HTTP on real PostgreSQL with a fixed clock: nights and cost on the
// Amsterdam calendar, the overlap rule (also under concurrency), automatic closing and scoping.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { fixedClock, rowCounts, startTestApp, type TestApp } from '../../support/harness.js';
import { register } from '../../support/workflow.js';

const NOW = '2026-11-30T10:00:00Z';
const clock = fixedClock(NOW);
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ clock });
});
afterAll(async () => {
  await t?.close();
});
beforeEach(() => clock.set(NOW));

const AMSTERDAM = 'GM0363';
const as = (code: string) => t.auth('municipality', { municipality: code });
const amsterdam = () => as(AMSTERDAM);

/** A family registered by Amsterdam on `reportedOn` (assessed the same day). */
async function family(reportedOn = '2026-11-02') {
  const { id } = await register(t, {
    reportedOn,
    eligibility: {
      residenceBasis: 'dutch_nationality',
      arrivedFrom: 'caribbean_part',
      ownInitiativeUnprepared: true,
      refugeeOrEvacueeStatus: false,
      selfRelianceAssessment: { assessedOn: reportedOn, outcome: 'self_reliant' },
      homelessWithoutNetwork: true,
    },
  });
  return id;
}

async function addStay(registrationId: string, payload: object, headers?: Record<string, string>) {
  return t.app.inject({ method: 'POST', url: `/api/v1/registrations/${registrationId}/shelter-stays`, headers: headers ?? (await amsterdam()), payload });
}

async function stayOk(registrationId: string, payload: object) {
  const res = await addStay(registrationId, { type: 'hotel', nightlyCostCents: 10_000, ...payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function patchStay(id: string, payload: object, headers?: Record<string, string>, contentType = 'application/merge-patch+json') {
  return t.app.inject({
    method: 'PATCH',
    url: `/api/v1/shelter-stays/${id}`,
    headers: { ...(headers ?? (await amsterdam())), 'content-type': contentType },
    payload: JSON.stringify(payload),
  });
}

async function listStays(registrationId: string, headers?: Record<string, string>) {
  return t.app.inject({ url: `/api/v1/registrations/${registrationId}/shelter-stays`, headers: headers ?? (await amsterdam()) });
}

async function query<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: t.databaseUrl });
  await c.connect();
  try {
    return (await c.query(text, values)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('recording a stay', () => {
  it('answers 201 with a Location, computes nights and cost, and keeps the location encrypted at rest', async () => {
    const id = await family();
    const res = await addStay(id, { type: 'holiday_park', startDate: '2026-11-02', endDate: '2026-11-05', nightlyCostCents: 8_950, location: 'Vakantiepark De Eekhoorn, huisje 12' });
    expect(res.statusCode, res.body).toBe(201);
    const stay = res.json();
    expect(res.headers.location).toBe(`/api/v1/shelter-stays/${stay.id}`);
    expect(stay).toMatchObject({
      registrationId: id, municipality: AMSTERDAM, type: 'holiday_park', startDate: '2026-11-02', endDate: '2026-11-05',
      nightlyCostCents: 8_950, nights: 3, costCents: 26_850, closedAutomatically: false, location: 'Vakantiepark De Eekhoorn, huisje 12',
    });

    const [row] = await query<{ location_ciphertext: string }>('select location_ciphertext from shelter_stays where id = $1', [stay.id]);
    expect(row!.location_ciphertext).not.toContain('Eekhoorn');
    expect(row!.location_ciphertext.startsWith('v2.')).toBe(true);

    const list = await listStays(id);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 1, page: 1, totalNights: 3, totalCostCents: 26_850, items: [{ id: stay.id, location: 'Vakantiepark De Eekhoorn, huisje 12' }] });

    const audit = await query<{ action: string }>('select action from audit_events where registration_id = $1 order by id', [id]);
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['shelter_stay.create', 'registration.read_shelter_stays']));
  });

  it('reports every invalid field at once and stores nothing', async () => {
    const id = await family('2026-11-02');
    const before = await rowCounts(t.databaseUrl);
    const bad = await addStay(id, { type: 'tent', startDate: '2026-02-30', nightlyCostCents: -1, location: 'x'.repeat(501), colour: 'blue' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/colour', '/location', '/nightlyCostCents', '/startDate', '/type']);
    expect((await addStay(id, { type: 'hotel', startDate: '2026-11-02', nightlyCostCents: 10_000_001 })).statusCode).toBe(400);
    expect((await addStay(id, { type: 'hotel', startDate: '2026-11-02', nightlyCostCents: 99.5 })).statusCode).toBe(400);

    const dates = await addStay(id, { type: 'hotel', startDate: '2026-11-01', endDate: '2026-10-31', nightlyCostCents: 1 });
    expect(dates.statusCode).toBe(400);
    expect(dates.json().errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/startDate', code: 'before_registration' }),
        expect.objectContaining({ pointer: '/endDate', code: 'before_start' }),
      ]),
    );
    const future = await addStay(id, { type: 'hotel', startDate: '2026-12-01', nightlyCostCents: 1 });
    expect(future.json().errors).toEqual([expect.objectContaining({ pointer: '/startDate', code: 'future_date' })]);
    const futureEnd = await addStay(id, { type: 'hotel', startDate: '2026-11-20', endDate: '2026-12-01', nightlyCostCents: 1 });
    expect(futureEnd.json().errors).toEqual([expect.objectContaining({ pointer: '/endDate', code: 'future_date' })]);
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
  });

  it('accepts a zero-night stay (arrived and left the same day) and a stay at no cost', async () => {
    const id = await family();
    expect(await stayOk(id, { startDate: '2026-11-03', endDate: '2026-11-03' })).toMatchObject({ nights: 0, costCents: 0 });
    expect(await stayOk(id, { startDate: '2026-11-03', endDate: '2026-11-04', nightlyCostCents: 0 })).toMatchObject({ nights: 1, costCents: 0 });
  });
});

describe('nights and cost on the Amsterdam calendar', () => {
  it('counts calendar days across the change to summer time (29 March 2026) and back (25 October 2026)', async () => {
    const id = await family('2026-03-01');
    // 28→30 March has only 47 hours in Amsterdam, 24→26 October 49: still 2 nights each.
    expect(await stayOk(id, { startDate: '2026-03-28', endDate: '2026-03-30', nightlyCostCents: 12_345 })).toMatchObject({ nights: 2, costCents: 24_690 });
    expect(await stayOk(id, { startDate: '2026-10-24', endDate: '2026-10-26', nightlyCostCents: 12_345 })).toMatchObject({ nights: 2, costCents: 24_690 });
    expect(await stayOk(id, { startDate: '2026-03-30', endDate: '2026-10-24', nightlyCostCents: 1 })).toMatchObject({ nights: 208, costCents: 208 });
    const list = (await listStays(id)).json();
    expect(list.items.map((s: { startDate: string }) => s.startDate)).toEqual(['2026-03-28', '2026-03-30', '2026-10-24']);
    expect(list.totalNights).toBe(212);
    expect(list.totalCostCents).toBe(2 * 24_690 + 208);

    // 20 March → 1 April is 12 nights, though 12 × 24 hours from midnight ends at 01:00 on 1 April.
    const other = await family('2026-03-01');
    expect(await stayOk(other, { startDate: '2026-03-20', endDate: '2026-04-01', nightlyCostCents: 7_500 })).toMatchObject({ nights: 12, costCents: 90_000 });
    // Across both changes: 1 March → 1 November.
    const third = await family('2026-03-01');
    expect(await stayOk(third, { startDate: '2026-03-01', endDate: '2026-11-01', nightlyCostCents: 1_000 })).toMatchObject({ nights: 245, costCents: 245_000 });
  });

  it('counts an open stay up to today in Amsterdam, also just after midnight around both changes', async () => {
    const spring = await family('2026-03-20');
    const autumn = await family('2026-10-20');
    await stayOk(spring, { startDate: '2026-03-28', nightlyCostCents: 5_000 });
    await stayOk(autumn, { startDate: '2026-10-24', nightlyCostCents: 5_000 });

    // 22:30 UTC on 29 March is 00:30 on 30 March in Amsterdam (summer time): two nights, not one.
    clock.set('2026-03-29T22:30:00Z');
    expect((await listStays(spring)).json().items[0]).toMatchObject({ endDate: null, nights: 2, costCents: 10_000 });
    clock.set('2026-03-29T21:30:00Z'); // 23:30 on 29 March
    expect((await listStays(spring)).json().items[0]).toMatchObject({ nights: 1 });
    // 23:30 UTC on 25 October is 00:30 on 26 October (winter time again).
    clock.set('2026-10-25T23:30:00Z');
    expect((await listStays(autumn)).json().items[0]).toMatchObject({ nights: 2, costCents: 10_000 });
    clock.set('2026-10-25T22:30:00Z');
    expect((await listStays(autumn)).json().items[0]).toMatchObject({ nights: 1 });

    clock.set(NOW);
    expect((await listStays(spring)).json().items[0]).toMatchObject({ nights: 247, costCents: 1_235_000 });
  });
});

describe('overlapping stays', () => {
  it('refuses a stay that overlaps another of the same family with 409, and allows back-to-back stays', async () => {
    const id = await family();
    const first = await stayOk(id, { startDate: '2026-11-03', endDate: '2026-11-10' });
    const overlap = await addStay(id, { type: 'hotel', startDate: '2026-11-09', endDate: '2026-11-12', nightlyCostCents: 1 });
    expect(overlap.statusCode).toBe(409);
    expect(overlap.headers['content-type']).toMatch(/problem\+json/);
    expect(overlap.json()).toMatchObject({ code: 'overlapping_shelter_stay' });
    expect(overlap.json().detail).toContain(first.id);
    expect((await addStay(id, { type: 'hotel', startDate: '2026-11-02', endDate: '2026-11-04', nightlyCostCents: 1 })).statusCode).toBe(409);
    expect((await addStay(id, { type: 'hotel', startDate: '2026-11-04', endDate: '2026-11-05', nightlyCostCents: 1 })).statusCode).toBe(409);

    // Checking out of one place and into the next on the same day is no overlap.
    await stayOk(id, { startDate: '2026-11-10', endDate: '2026-11-12' });
    const open = await stayOk(id, { startDate: '2026-11-12' });
    // An open stay runs on: nothing may start after it until it has ended.
    expect((await addStay(id, { type: 'hotel', startDate: '2026-11-20', endDate: '2026-11-22', nightlyCostCents: 1 })).statusCode).toBe(409);
    expect((await patchStay(open.id, { endDate: '2026-11-20' })).statusCode).toBe(200);
    await stayOk(id, { startDate: '2026-11-20', endDate: '2026-11-22' });
    // Moving an end date into the next stay is refused as well.
    const moved = await patchStay(first.id, { endDate: '2026-11-11' });
    expect(moved.statusCode).toBe(409);
    expect(moved.json().code).toBe('overlapping_shelter_stay');
    // Reopening a stay that other stays follow would overlap them.
    expect((await patchStay(open.id, { endDate: null })).statusCode).toBe(409);

    // Another family's stays are no concern.
    const other = await family();
    await stayOk(other, { startDate: '2026-11-03', endDate: '2026-11-10' });
  });

  it('lets exactly one of two concurrent overlapping requests through', async () => {
    const headers = await amsterdam();
    for (let round = 0; round < 8; round++) {
      const id = await family();
      const results = await Promise.all([
        addStay(id, { type: 'hotel', startDate: '2026-11-05', nightlyCostCents: 9_000 }, headers),
        addStay(id, { type: 'holiday_park', startDate: '2026-11-07', endDate: '2026-11-09', nightlyCostCents: 7_000 }, headers),
      ]);
      expect(results.map((r) => r.statusCode).sort(), results.map((r) => r.body).join('\n')).toEqual([201, 409]);
      expect((await listStays(id)).json().total).toBe(1);
    }
  });

  it('serialises a concurrent end-date change against a new stay', async () => {
    const headers = await amsterdam();
    for (let round = 0; round < 5; round++) {
      const id = await family();
      const open = await stayOk(id, { startDate: '2026-11-03', endDate: '2026-11-06' });
      const [patched, added] = await Promise.all([
        patchStay(open.id, { endDate: '2026-11-10' }, headers),
        addStay(id, { type: 'hotel', startDate: '2026-11-08', endDate: '2026-11-12', nightlyCostCents: 1 }, headers),
      ]);
      expect([[200, 409], [409, 201]]).toContainEqual([patched.statusCode, added.statusCode]);
      const [{ n }] = (await query<{ n: number }>(
        `select count(*)::int as n from shelter_stays a join shelter_stays b on a.registration_id = b.registration_id and a.id < b.id
          where a.registration_id = $1 and a.start_date < coalesce(b.end_date, 'infinity') and b.start_date < coalesce(a.end_date, 'infinity')`,
        [id],
      )) as [{ n: number }];
      expect(n).toBe(0);
    }
  });
});

describe('changing a stay', () => {
  it('takes application/json and application/merge-patch+json; null clears the location or reopens the stay', async () => {
    const id = await family();
    const stay = await stayOk(id, { startDate: '2026-11-02', endDate: '2026-11-04', location: 'Hotel Centraal' });
    const json = await patchStay(stay.id, { nightlyCostCents: 11_000, type: 'shelter_facility' }, undefined, 'application/json');
    expect(json.statusCode, json.body).toBe(200);
    expect(json.json()).toMatchObject({ nightlyCostCents: 11_000, type: 'shelter_facility', nights: 2, costCents: 22_000, location: 'Hotel Centraal', endDate: '2026-11-04' });
    const merge = await patchStay(stay.id, { location: null, endDate: null });
    expect(merge.statusCode, merge.body).toBe(200);
    expect(merge.json()).toMatchObject({ location: null, endDate: null, nights: 28, costCents: 308_000 });

    expect((await patchStay(stay.id, {})).statusCode).toBe(400);
    expect((await patchStay(stay.id, { nightlyCostCents: null })).statusCode).toBe(400);
    expect((await patchStay(stay.id, { startDate: '2026-11-03' })).statusCode).toBe(400);
    const malformed = await patchStay(stay.id, { endDate: '30-11-2026', location: '' });
    expect(malformed.json().errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/endDate', '/location']);
    const before = await patchStay(stay.id, { endDate: '2026-11-01' });
    expect(before.json().errors).toEqual([expect.objectContaining({ pointer: '/endDate', code: 'before_start' })]);
    expect((await patchStay(stay.id, { endDate: '2026-12-01' })).json().errors).toEqual([expect.objectContaining({ code: 'future_date' })]);
    // (text/plain still reaches the validator as a string, 400: the app-wide gap noted in adr-runtime.test.ts.)
    const xml = await t.app.inject({ method: 'PATCH', url: `/api/v1/shelter-stays/${stay.id}`, headers: { ...(await amsterdam()), 'content-type': 'application/xml' }, payload: '<endDate>2026-11-04</endDate>' });
    expect(xml.statusCode).toBe(415);
    expect((await patchStay('00000000-0000-4000-8000-000000000000', { endDate: '2026-11-04' })).statusCode).toBe(404);
  });
});

/** Coordinator override to `receiver` (approved), then the receiver accepts: status accepted. */
async function toAccepted(id: string, receiver: string) {
  const override = await t.app.inject({
    method: 'POST', url: `/api/v1/registrations/${id}/allocations`, headers: await t.auth('coordinator'),
    payload: { municipality: receiver, reason: 'Familie heeft een netwerk in deze gemeente.' },
  });
  expect(override.statusCode, override.body).toBe(201);
  const accept = await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${override.json().id}/accept`, headers: await as(receiver) });
  expect(accept.statusCode, accept.body).toBe(200);
}

describe('automatic closing', () => {
  it('ends the open stay on the transfer date, and the shelter stays ended', async () => {
    const id = await family('2026-11-02');
    await stayOk(id, { startDate: '2026-11-02', endDate: '2026-11-06', nightlyCostCents: 9_000 });
    const open = await stayOk(id, { startDate: '2026-11-06', nightlyCostCents: 9_000 });
    await toAccepted(id, 'GM0599');
    const transfer = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/transfer`, headers: await amsterdam(), payload: { transferredOn: '2026-11-20' } });
    expect(transfer.statusCode, transfer.body).toBe(200);

    const list = (await listStays(id)).json();
    expect(list.items[1]).toMatchObject({ id: open.id, endDate: '2026-11-20', closedAutomatically: true, nights: 14, costCents: 126_000 });
    expect(list.items[0]).toMatchObject({ endDate: '2026-11-06', closedAutomatically: false });
    expect(list.totalNights).toBe(18);

    // The receiving municipality sees the stays too, but does not record them.
    expect((await listStays(id, await as('GM0599'))).statusCode).toBe(200);
    expect((await patchStay(open.id, { nightlyCostCents: 1 }, await as('GM0599'))).statusCode).toBe(403);

    const more = await addStay(id, { type: 'hotel', startDate: '2026-11-25', nightlyCostCents: 1 });
    expect(more.statusCode).toBe(409);
    expect(more.json().code).toBe('illegal_transition');
    expect((await patchStay(open.id, { endDate: null })).json().code).toBe('illegal_transition');
    expect((await patchStay(open.id, { endDate: '2026-11-21' })).json().errors).toEqual([expect.objectContaining({ code: 'after_shelter_end' })]);
    // Corrections of a past stay are still possible (an invoice comes in late).
    const corrected = await patchStay(open.id, { nightlyCostCents: 9_500, endDate: '2026-11-19' });
    expect(corrected.statusCode, corrected.body).toBe(200);
    expect(corrected.json()).toMatchObject({ nights: 13, costCents: 123_500, closedAutomatically: false });
  });

  it('cuts back a stay ended by hand after a transfer that is recorded late', async () => {
    const id = await family('2026-11-02');
    const stay = await stayOk(id, { startDate: '2026-11-02', endDate: '2026-11-25' });
    await toAccepted(id, 'GM0344');
    const transfer = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/transfer`, headers: await t.auth('coordinator'), payload: { transferredOn: '2026-11-16' } });
    expect(transfer.statusCode, transfer.body).toBe(200);
    expect((await listStays(id)).json().items).toEqual([expect.objectContaining({ id: stay.id, endDate: '2026-11-16', closedAutomatically: true, nights: 14 })]);
  });

  it('ends the open stay today at a closing outcome', async () => {
    const id = await family('2026-11-02');
    const open = await stayOk(id, { startDate: '2026-11-10', nightlyCostCents: 4_000 });
    clock.set('2026-11-27T23:15:00Z'); // 00:15 on 28 November in Amsterdam
    const closed = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/outcome`, headers: await amsterdam(), payload: { type: 'own_network', reason: 'Familie trekt in bij een zus.' } });
    expect(closed.statusCode, closed.body).toBe(200);
    clock.set(NOW);
    expect((await listStays(id)).json().items[0]).toMatchObject({ id: open.id, endDate: '2026-11-28', closedAutomatically: true, nights: 18, costCents: 72_000 });
    expect((await addStay(id, { type: 'hotel', startDate: '2026-11-29', nightlyCostCents: 1 })).json().code).toBe('illegal_transition');
    // The case is closed: its stays are evidence now, changed only by a correction.
    expect((await patchStay(open.id, { endDate: '2026-11-27' })).json().code).toBe('shelter_stay_locked');
    const correction = await t.app.inject({ method: 'POST', url: `/api/v1/shelter-stays/${open.id}/corrections`, headers: await amsterdam(), payload: { endDate: '2026-11-29' } });
    expect(correction.json().errors).toEqual([expect.objectContaining({ code: 'after_shelter_end' })]);
  });
});

describe('scoping', () => {
  it('lets the reporting municipality and the coordinator record stays; others get 404, or 403 by role', async () => {
    const id = await family();
    const byCoordinator = await addStay(id, { type: 'other', startDate: '2026-11-02', endDate: '2026-11-03', nightlyCostCents: 100 }, await t.auth('coordinator'));
    expect(byCoordinator.statusCode, byCoordinator.body).toBe(201);
    expect(byCoordinator.json().municipality).toBe(AMSTERDAM);
    const stayId = byCoordinator.json().id as string;
    expect((await patchStay(stayId, { nightlyCostCents: 200 }, await t.auth('coordinator'))).statusCode).toBe(200);
    expect((await listStays(id, await t.auth('coordinator'))).json().total).toBe(1);

    // Another municipality cannot tell the registration or the stay exists.
    const rotterdam = await as('GM0599');
    const notMine = await addStay(id, { type: 'hotel', startDate: '2026-11-04', nightlyCostCents: 1 }, rotterdam);
    expect(notMine.statusCode).toBe(404);
    expect((await listStays(id, rotterdam)).statusCode).toBe(404);
    const patched = await patchStay(stayId, { nightlyCostCents: 1 }, rotterdam);
    expect(patched.statusCode).toBe(404);
    expect(patched.json().detail).toMatch(/Shelter stay/);
    expect((await listStays('00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);

    for (const role of ['housing_corporation', 'admin'] as const) {
      const headers = await t.auth(role, { municipalities: [AMSTERDAM] });
      expect((await addStay(id, { type: 'hotel', startDate: '2026-11-04', nightlyCostCents: 1 }, headers)).statusCode).toBe(403);
      expect((await listStays(id, headers)).statusCode).toBe(403);
      expect((await patchStay(stayId, { nightlyCostCents: 1 }, headers)).statusCode).toBe(403);
    }

    // Once approved, the receiving municipality sees the stays but does not record them.
    const override = await t.app.inject({
      method: 'POST', url: `/api/v1/registrations/${id}/allocations`, headers: await t.auth('coordinator'), payload: { municipality: 'GM0599', reason: 'Netwerk in Rotterdam.' },
    });
    expect(override.statusCode).toBe(201);
    expect((await listStays(id, rotterdam)).statusCode).toBe(200);
    expect((await addStay(id, { type: 'hotel', startDate: '2026-11-04', nightlyCostCents: 1 }, rotterdam)).statusCode).toBe(403);
    expect((await patchStay(stayId, { nightlyCostCents: 1 }, rotterdam)).statusCode).toBe(403);
    expect((await listStays(id)).json().items[0].nightlyCostCents).toBe(200);
  });
});
