// Transparency and the aggregate-only role (issue 13): a municipality reads its own balance row
// and national totals; a policy_viewer reads reports and statistics with small counts
// suppressed, never a registration, a name or a BSN, and every read is logged. The compliance
// report, the arrivals statistics with the departure field, reason categories.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/lib/csv.js';
import { fixedClock, sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody } from '../../support/families.js';
import { activeAllocation, coordinatorPost, register, registrationAs, waitForStatus } from '../../support/workflow.js';

const PERIOD = '2026-H2';
const clock = fixedClock('2026-11-27T10:00:00Z');
let t: TestApp;
/** The receiving municipalities of the three families, in order. */
const receivers: string[] = [];
const ids: string[] = [];

async function get(url: string, headers: Record<string, string>) {
  const res = await t.app.inject({ url, headers });
  return res;
}
const policy = () => t.auth('policy_viewer', { sub: 'bzk:analist' });

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true });
  // Three families from Amsterdam: one accepted (after a decline elsewhere), one rejected and re-proposed, one still proposed.
  const bodies = [
    familyBody({ reportingMunicipality: 'GM0363', eligibility: { ...familyBody().eligibility, departure: { island: 'curacao' } } }),
    familyBody({ reportingMunicipality: 'GM0363', eligibility: { ...familyBody().eligibility, arrivedFrom: 'abroad', departure: { country: 'SR' } } }),
    familyBody({ reportingMunicipality: 'GM0363' }),
  ];
  for (const body of bodies) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await t.auth('municipality', { municipality: 'GM0363' }), payload: body });
    expect(res.statusCode, res.body).toBe(202);
    ids.push(res.json().id);
  }
  for (const id of ids) await waitForStatus(t, id, 'proposed');
  // Family 0: approved, declined with a category, overridden to GM0344, accepted two days later.
  const a0 = await activeAllocation(t, ids[0]!);
  receivers.push(a0.municipality);
  expect((await coordinatorPost(t, `/api/v1/allocations/${a0.id}/approve`)).statusCode).toBe(200);
  const declined = await t.app.inject({
    method: 'POST', url: `/api/v1/allocations/${a0.id}/decline`, headers: await t.auth('municipality', { municipality: a0.municipality }),
    payload: { reason: 'Geen passende woning', category: 'no_housing_available' },
  });
  expect(declined.statusCode, declined.body).toBe(200);
  const override = await coordinatorPost(t, `/api/v1/registrations/${ids[0]}/allocations`, { municipality: 'GM0344', reason: 'Netwerk' });
  expect(override.statusCode).toBe(201);
  clock.set('2026-11-29T10:00:00Z');
  const accepted = await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${override.json().id}/accept`, headers: await t.auth('municipality', { municipality: 'GM0344' }) });
  expect(accepted.statusCode).toBe(200);
  // Family 1: rejected by the coordinator with a category.
  const a1 = await activeAllocation(t, ids[1]!);
  const rejected = await coordinatorPost(t, `/api/v1/allocations/${a1.id}/reject`, { reason: 'Past niet bij de behoeften', category: 'needs_not_met' });
  expect(rejected.statusCode).toBe(200);
  await waitForStatus(t, ids[1]!, 'proposed');
});
afterAll(async () => {
  await t?.close();
});

describe('balances and the distribution report', () => {
  it('a municipality reads its own row and the national totals, with national counts of 1 to 4 as "<5"', async () => {
    const res = await get(`/api/v1/distribution/balances?period=${PERIOD}`, await t.auth('municipality', { municipality: 'GM0344' }));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ municipality: 'GM0344', approved: 1 });
    expect(body.totals.approved).toBe('<5');
    expect(body.totals.proposed).toBe('<5');
    expect(body.totals.realised).toBe(0);
    // The coordinator sees every row, exact.
    const all = (await get(`/api/v1/distribution/balances?period=${PERIOD}`, await t.auth('coordinator'))).json();
    expect(all.items.length).toBeGreaterThan(300);
    expect(all.totals.approved).toBe(1);
  });

  it('a municipality never gets another municipality\'s row, also not by province', async () => {
    const res = await get(`/api/v1/reports/distribution?period=${PERIOD}&province=Utrecht`, await t.auth('municipality', { municipality: 'GM0363' }));
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([]);
    expect(res.json().provinces).toEqual([]);
    const csv = parseCsv((await get(`/api/v1/reports/distribution?period=${PERIOD}`, { ...(await t.auth('municipality', { municipality: 'GM0344' })), accept: 'text/csv' })).body);
    expect(csv.slice(1).map((r) => [r[0], r[2]])).toEqual([['municipality', 'GM0344'], ['national', '']]);
    expect(csv[2]![7]).toBe('<5'); // national approved
  });

  it('a policy_viewer reads every row with small counts suppressed, and each read is logged', async () => {
    const before = await sqlRows<{ n: number }>(t.databaseUrl, `select count(*)::int as n from audit_events where actor_role = 'policy_viewer'`);
    const res = await get(`/api/v1/reports/distribution?period=${PERIOD}`, await policy());
    expect(res.statusCode).toBe(200);
    const row = res.json().items.find((i: { municipality: string }) => i.municipality === 'GM0344');
    expect(row.approved).toBe('<5');
    expect(res.json().items.every((i: { proposed: unknown }) => i.proposed === 0 || i.proposed === '<5' || (typeof i.proposed === 'number' && i.proposed >= 5))).toBe(true);
    expect((await get(`/api/v1/distribution/balances?period=${PERIOD}`, await policy())).statusCode).toBe(200);
    const after = await sqlRows<{ action: string; resource_type: string; resource_id: string }>(
      t.databaseUrl,
      `select action, resource_type, resource_id from audit_events where actor_role = 'policy_viewer' order by id`,
    );
    expect(after.length - before[0]!.n).toBe(2);
    expect(after.slice(-2)).toEqual([
      { action: 'report.read', resource_type: 'distribution_report', resource_id: PERIOD },
      { action: 'report.read', resource_type: 'distribution_balances', resource_id: PERIOD },
    ]);
  });

  it('a policy_viewer never reads a registration, an allocation, the worklist or the audit log', async () => {
    const h = await policy();
    for (const url of [`/api/v1/registrations/${ids[0]}`, '/api/v1/registrations', `/api/v1/allocations`, '/api/v1/signals', '/api/v1/audit-events', '/api/v1/assigned-families', '/api/v1/webhook-subscriptions', `/api/v1/registrations/${ids[0]}/history`]) {
      expect((await get(url, h)).statusCode, url).toBe(403);
    }
  });
});

describe('the compliance report', () => {
  it('counts declines and rejections by category, acceptances and the median days to accept (coordinator, exact)', async () => {
    const res = await get(`/api/v1/reports/compliance?period=${PERIOD}`, await t.auth('coordinator'));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const utrecht = body.items.find((i: { municipality: string }) => i.municipality === 'GM0344');
    expect(utrecht).toMatchObject({ accepted: 1, declined: 0, medianDaysToAccept: 2, name: 'Utrecht' });
    const decliner = body.items.find((i: { municipality: string }) => i.municipality === receivers[0]);
    expect(decliner).toMatchObject({ declined: 1, declinedByCategory: [{ category: 'no_housing_available', count: 1 }] });
    expect(body.totals).toMatchObject({ declined: 1, rejected: 1, accepted: 1, rejectedByCategory: [{ category: 'needs_not_met', count: 1 }] });
    const csv = parseCsv((await get(`/api/v1/reports/compliance?period=${PERIOD}`, { ...(await t.auth('coordinator')), accept: 'text/csv' })).body);
    expect(csv[0]!.slice(0, 5)).toEqual(['level', 'period', 'municipality', 'name', 'declined']);
    expect(csv.at(-1)![0]).toBe('national');
  });

  it('suppresses counts and withholds medians over fewer than 5 for a policy_viewer; a municipality gets its own row', async () => {
    const res = (await get(`/api/v1/reports/compliance?period=${PERIOD}`, await policy())).json();
    expect(res.items.find((i: { municipality: string }) => i.municipality === 'GM0344')).toMatchObject({ accepted: '<5', medianDaysToAccept: null });
    expect(res.totals).toMatchObject({ declined: '<5', rejected: '<5', declinedByCategory: [{ category: 'no_housing_available', count: '<5' }] });
    const own = (await get(`/api/v1/reports/compliance?period=${PERIOD}`, await t.auth('municipality', { municipality: 'GM0344' }))).json();
    expect(own.items).toEqual([expect.objectContaining({ municipality: 'GM0344', accepted: 1, medianDaysToAccept: 2 })]);
    expect(own.totals.accepted).toBe('<5');
    const quiet = (await get(`/api/v1/reports/compliance?period=${PERIOD}`, await t.auth('municipality', { municipality: 'GM0014' }))).json();
    expect(quiet.items).toEqual([expect.objectContaining({ municipality: 'GM0014', accepted: 0, declined: 0 })]);
  });
});

describe('the arrivals statistics', () => {
  it('counts registrations by month, subgroup, origin and reporting municipality, every small cell as "<5"', async () => {
    const res = await get('/api/v1/reports/arrivals?from=2026-01-01&to=2026-12-31', await policy());
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items).toEqual(
      expect.arrayContaining([
        { month: '2026-11', subgroup: 'caribbean', arrivedFrom: 'caribbean_part', origin: 'curacao', reportingMunicipality: 'GM0363', registrations: '<5' },
        { month: '2026-11', subgroup: 'caribbean', arrivedFrom: 'abroad', origin: 'SR', reportingMunicipality: 'GM0363', registrations: '<5' },
        { month: '2026-11', subgroup: 'caribbean', arrivedFrom: 'caribbean_part', origin: 'unknown', reportingMunicipality: 'GM0363', registrations: '<5' },
      ]),
    );
    expect(res.body).not.toMatch(/"registrations":[1-4]\b/);
    const csv = parseCsv((await get('/api/v1/reports/arrivals?from=2026-11-01&to=2026-11-30', { ...(await t.auth('coordinator')), accept: 'text/csv' })).body);
    expect(csv[0]).toEqual(['month', 'subgroup', 'arrivedFrom', 'origin', 'reportingMunicipality', 'registrations']);
    expect(csv.slice(1).every((r) => r[5] === '<5')).toBe(true);
  });

  it('shows 5 or more as the number', async () => {
    for (let i = 0; i < 5; i++) {
      const body = familyBody({ reportingMunicipality: 'GM0599', eligibility: { ...familyBody().eligibility, departure: { island: 'aruba' } } });
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await t.auth('municipality', { municipality: 'GM0599' }), payload: body });
      expect(res.statusCode).toBe(202);
    }
    const res = (await get('/api/v1/reports/arrivals?from=2026-11-01&to=2026-11-30', await t.auth('municipality', { municipality: 'GM0014' }))).json();
    expect(res.items).toContainEqual({ month: '2026-11', subgroup: 'caribbean', arrivedFrom: 'caribbean_part', origin: 'aruba', reportingMunicipality: 'GM0599', registrations: 5 });
  });

  it('refuses a reversed or too long range, and a departure that does not fit arrivedFrom', async () => {
    const h = await t.auth('coordinator');
    expect((await get('/api/v1/reports/arrivals?from=2026-12-01&to=2026-01-01', h)).json().errors[0].code).toBe('before_from');
    expect((await get('/api/v1/reports/arrivals?from=2020-01-01&to=2026-01-01', h)).json().errors[0].code).toBe('range_too_long');
    const bad = familyBody({ eligibility: { ...familyBody().eligibility, arrivedFrom: 'abroad', departure: { island: 'saba' } } });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await t.auth('municipality', { municipality: 'GM0363' }), payload: bad });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { code: string }) => e.code)).toEqual(['island_needs_caribbean_part']);
    for (const [country, code] of [['CW', 'kingdom_country'], ['QQ', 'unknown_country'], ['ZZ', 'unknown_country']] as const) {
      const body = familyBody({ eligibility: { ...familyBody().eligibility, arrivedFrom: 'abroad', departure: { country } } });
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await t.auth('municipality', { municipality: 'GM0363' }), payload: body });
      expect(r.json().errors?.map((e: { code: string }) => e.code), country).toEqual([code]);
    }
    // The departure is part of the eligibility answers the detail shows.
    expect((await registrationAs(t, ids[1]!)).json().eligibility.departure).toEqual({ country: 'SR' });
  });
});
