// Shelter stays and costs are the evidence for compensation (issue 14 item 5): once their period is
// closed, or their case is, they are never edited; a correction is a new stay that references the
// old one, which stays as it was and no longer counts. Implausible dates and costs are refused.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody } from '../../support/families.js';

const clock = fixedClock('2027-01-15T10:00:00Z');
let t: TestApp;
let id: string;
let amsterdam: Record<string, string>;
/** Nights in 2026-H2 (closed below) and nights in 2027-H1 (open). */
let inClosedPeriod: { id: string };
let inOpenPeriod: { id: string };

const stays = async () => (await t.app.inject({ url: `/api/v1/registrations/${id}/shelter-stays`, headers: amsterdam })).json();
const patch = (stayId: string, payload: object) => t.app.inject({ method: 'PATCH', url: `/api/v1/shelter-stays/${stayId}`, headers: amsterdam, payload });
const correct = (stayId: string, payload: object) => t.app.inject({ method: 'POST', url: `/api/v1/shelter-stays/${stayId}/corrections`, headers: amsterdam, payload });
const create = (payload: object) => t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/shelter-stays`, headers: amsterdam, payload });

beforeAll(async () => {
  t = await startTestApp({ clock });
  amsterdam = await t.auth('municipality', { municipality: 'GM0363' });
  const body = familyBody({ reportedOn: '2026-12-20' });
  body.eligibility.selfRelianceAssessment.assessedOn = '2026-12-19';
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: amsterdam, payload: body });
  expect(res.statusCode, res.body).toBe(202);
  id = res.json().id;
  const first = await create({ type: 'hotel', startDate: '2026-12-20', endDate: '2027-01-05', nightlyCostCents: 9_000, location: 'Hotel Centraal, kamer 3' });
  expect(first.statusCode, first.body).toBe(201);
  const second = await create({ type: 'holiday_park', startDate: '2027-01-05', nightlyCostCents: 7_000 });
  expect(second.statusCode, second.body).toBe(201);
  inClosedPeriod = first.json();
  inOpenPeriod = second.json();
  const closed = await t.app.inject({ method: 'POST', url: '/api/v1/distribution/periods/2026-H2/close', headers: await t.auth('coordinator') });
  expect(closed.statusCode, closed.body).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

describe('a stay with nights in a closed period', () => {
  it('is locked: editing it is refused (409) and changes nothing', async () => {
    const list = await stays();
    expect(list.items.map((s: { id: string; locked: boolean }) => [s.id, s.locked])).toEqual([[inClosedPeriod.id, true], [inOpenPeriod.id, false]]);
    for (const change of [{ nightlyCostCents: 1 }, { endDate: '2027-01-04' }, { type: 'other' }, { location: null }]) {
      const res = await patch(inClosedPeriod.id, change);
      expect(res.statusCode, JSON.stringify(change)).toBe(409);
      expect(res.json().code).toBe('shelter_stay_locked');
      expect(res.json().detail).toContain('2026-H2');
    }
    expect(await stays()).toEqual(list);
    // A stay only in the open period is still edited in place.
    expect((await patch(inOpenPeriod.id, { nightlyCostCents: 7_100 })).statusCode).toBe(200);
  });

  it('is corrected by a new stay that references it; every figure uses the newest version only', async () => {
    const before = (await sqlRows(t.databaseUrl, 'select * from shelter_stays where id = $1', [inClosedPeriod.id]))[0];
    const res = await correct(inClosedPeriod.id, { nightlyCostCents: 9_500 });
    expect(res.statusCode, res.body).toBe(201);
    const correction = res.json();
    expect(correction).toMatchObject({ corrects: inClosedPeriod.id, startDate: '2026-12-20', endDate: '2027-01-05', type: 'hotel', nightlyCostCents: 9_500, location: 'Hotel Centraal, kamer 3', nights: 16, costCents: 152_000, locked: true });
    expect(res.headers.location).toBe(`/api/v1/shelter-stays/${correction.id}`);
    // The corrected stay is exactly as it was.
    expect((await sqlRows(t.databaseUrl, 'select * from shelter_stays where id = $1', [inClosedPeriod.id]))[0]).toEqual(before);
    const list = await stays();
    expect(list.items.map((s: { id: string }) => s.id)).toEqual([correction.id, inOpenPeriod.id]);
    expect(list.totalCostCents).toBe(152_000 + 10 * 7_100);
    // The shelter report of the closed period counts the correction, not the corrected stay.
    const report = (await t.app.inject({ url: '/api/v1/reports/shelter?period=2026-H2', headers: amsterdam })).json();
    expect(report.items[0]).toMatchObject({ stays: 1, nights: 12, costCents: 12 * 9_500 });
    // Only the newest version can be corrected again; an overlap with another stay is refused.
    const twice = await correct(inClosedPeriod.id, { nightlyCostCents: 9_600 });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().detail).toContain(correction.id);
    expect((await correct(correction.id, { endDate: '2027-01-06' })).json().code).toBe('overlapping_shelter_stay');
    expect((await correct(correction.id, { endDate: '2027-01-04' })).statusCode).toBe(201);
  });

  it('cannot be changed or removed in the database either', async () => {
    const c = new pg.Client({ connectionString: t.databaseUrl });
    await c.connect();
    try {
      const refused = async (sql: string) => c.query(sql).then(() => 'accepted', (e: { code?: string }) => e.code);
      expect(await refused(`update shelter_stays set nightly_cost_cents = 1 where id = '${inClosedPeriod.id}'`)).toBe('42501');
      expect(await refused(`update shelter_stays set location_ciphertext = null where id = '${inClosedPeriod.id}'`)).toBe('42501');
      expect(await refused(`delete from shelter_stays where id = '${inOpenPeriod.id}'`)).toBe('42501');
      expect(await refused('truncate shelter_stays cascade')).toBe('42501');
    } finally {
      await c.end();
    }
  });
});

describe('implausible evidence', () => {
  it.each([
    ['a start before 2020', () => create({ type: 'hotel', startDate: '2019-12-31', endDate: '2020-01-02', nightlyCostCents: 100 }), '/startDate', 'implausible_date'],
    ['an end before 2020', () => patch(inOpenPeriod.id, { endDate: '1999-01-01' }), '/endDate', 'implausible_date'],
    ['a correction to year 2000', () => correct(inOpenPeriod.id, { startDate: '2000-01-01' }), '/startDate', 'implausible_date'],
    ['a nightly cost above €2,500', () => create({ type: 'hotel', startDate: '2027-01-10', nightlyCostCents: 250_001 }), '/nightlyCostCents', 'maximum'],
    ['a nightly cost of a million euro', () => patch(inOpenPeriod.id, { nightlyCostCents: 100_000_000 }), '/nightlyCostCents', 'maximum'],
  ])('refuses %s (400)', async (_name, request, pointer, code) => {
    const res = await request();
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer, code })]));
  });
});
