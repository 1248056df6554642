// The shelter report through HTTP on real PostgreSQL with a fixed clock: figures per reporting
// municipality and period, JSON and CSV, and who sees which rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, startTestApp, testEnv, type TestApp } from '../../support/harness.js';
import { loadConfig } from '../../../src/config.js';
import { createContainer } from '../../../src/container.js';
import { buildApp } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import { register } from '../../support/workflow.js';
import { parseCsv } from '../../../src/lib/csv.js';

const NOW = '2026-11-30T10:00:00Z';
const clock = fixedClock(NOW);
let t: TestApp;

const as = (code: string) => t.auth('municipality', { municipality: code });

async function family(municipality: string, reportedOn: string) {
  const { id } = await register(
    t,
    {
      reportedOn,
      eligibility: {
        residenceBasis: 'dutch_nationality',
        arrivedFrom: 'abroad',
        ownInitiativeUnprepared: true,
        refugeeOrEvacueeStatus: false,
        selfRelianceAssessment: { assessedOn: reportedOn, outcome: 'self_reliant' },
        homelessWithoutNetwork: true,
      },
    },
    municipality,
  );
  return id;
}

async function stay(registrationId: string, municipality: string, payload: { type?: string; startDate: string; endDate?: string; nightlyCostCents: number }) {
  const res = await t.app.inject({
    method: 'POST', url: `/api/v1/registrations/${registrationId}/shelter-stays`, headers: await as(municipality), payload: { type: 'hotel', ...payload },
  });
  expect(res.statusCode, res.body).toBe(201);
}

/** Override (first proposal and approval at the clock's time), then the receiver accepts. */
async function approveAndAccept(registrationId: string, receiver: string) {
  const override = await t.app.inject({
    method: 'POST', url: `/api/v1/registrations/${registrationId}/allocations`, headers: await t.auth('coordinator'), payload: { municipality: receiver, reason: 'Toewijzing voor de rapportagetest.' },
  });
  expect(override.statusCode, override.body).toBe(201);
  const accept = await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${override.json().id}/accept`, headers: await as(receiver) });
  expect(accept.statusCode, accept.body).toBe(200);
}

async function transfer(registrationId: string, reporter: string, transferredOn: string) {
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${registrationId}/transfer`, headers: await as(reporter), payload: { transferredOn } });
  expect(res.statusCode, res.body).toBe(200);
}

async function report(query: string, headers: Record<string, string>) {
  return t.app.inject({ url: `/api/v1/reports/shelter?${query}`, headers });
}

beforeAll(async () => {
  t = await startTestApp({ clock });
  // Amsterdam (GM0363). A: reported in H1, a hotel stay across the period boundary.
  clock.set('2026-07-06T10:00:00Z');
  const a = await family('GM0363', '2026-06-20');
  await stay(a, 'GM0363', { startDate: '2026-06-25', endDate: '2026-07-05', nightlyCostCents: 10_000 });

  // B: reported 1 July, proposed and approved 3 July (2 days), moved 15 July (14 days).
  clock.set('2026-07-03T10:00:00Z');
  const b = await family('GM0363', '2026-07-01');
  await stay(b, 'GM0363', { type: 'holiday_park', startDate: '2026-07-01', nightlyCostCents: 7_500 });
  await approveAndAccept(b, 'GM0599');
  clock.set('2026-07-15T10:00:00Z');
  await transfer(b, 'GM0363', '2026-07-15');

  // C: reported 10 July, approved 14 July (4 days), still sheltered: a long, open stay.
  clock.set('2026-07-14T10:00:00Z');
  const c = await family('GM0363', '2026-07-10');
  await stay(c, 'GM0363', { type: 'shelter_facility', startDate: '2026-07-10', nightlyCostCents: 2_500 });
  await approveAndAccept(c, 'GM0344');

  // D: reported 20 October, a stay across the end of summer time, approved at 00:30 on
  // 31 October in Amsterdam (still 30 October in UTC): 11 days on the Amsterdam calendar.
  clock.set('2026-10-30T10:00:00Z');
  const d = await family('GM0363', '2026-10-20');
  await stay(d, 'GM0363', { startDate: '2026-10-20', endDate: '2026-10-30', nightlyCostCents: 12_000 });
  clock.set('2026-10-30T23:30:00Z');
  await approveAndAccept(d, 'GM0344');

  // Rotterdam (GM0599). E: an open stay since 10 November, not yet proposed.
  clock.set(NOW);
  const e = await family('GM0599', '2026-11-02');
  await stay(e, 'GM0599', { startDate: '2026-11-10', nightlyCostCents: 5_000 });

  // Utrecht (GM0344). F: only in H1, across the start of summer time.
  const f = await family('GM0344', '2026-03-20');
  await stay(f, 'GM0344', { startDate: '2026-03-28', endDate: '2026-03-30', nightlyCostCents: 9_000 });
});
afterAll(async () => {
  await t?.close();
});

const noWait = { count: 0, median: null, p90: null };

const AMSTERDAM_H2 = {
  municipality: 'GM0363',
  name: 'Amsterdam',
  familiesSheltered: 4,
  stays: 4,
  // A 1–5 July (4) + B 1–15 July (14) + C 10 July → today 30 November (143) + D 20–30 October (10).
  nights: 4 + 14 + 143 + 10,
  costCents: 4 * 10_000 + 14 * 7_500 + 143 * 2_500 + 10 * 12_000,
  longStays: 1,
  registrationsReported: 3,
  // Waits 2, 4 and 11 days: the median is 4; p90 interpolates 4 + 0.8 × (11 − 4).
  daysToProposal: { count: 3, median: 4, p90: 9.6 },
  daysToApproval: { count: 3, median: 4, p90: 9.6 },
  daysToTransfer: { count: 1, median: 14, p90: 14 },
};
const ROTTERDAM_H2 = {
  municipality: 'GM0599', name: 'Rotterdam', familiesSheltered: 1, stays: 1, nights: 20, costCents: 100_000, longStays: 0, registrationsReported: 1,
  daysToProposal: noWait, daysToApproval: noWait, daysToTransfer: noWait,
};

describe('the shelter report', () => {
  it('gives the coordinator every reporting municipality with nights clipped to the period, open stays to today', async () => {
    const res = await report('period=2026-H2', await t.auth('coordinator'));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(body).toMatchObject({ period: '2026-H2', startsOn: '2026-07-01', endsOn: '2026-12-31', asOf: '2026-11-30', longStayDays: 90 });
    // Utrecht had shelter only in the first half-year, so it has no row here.
    expect(body.items).toEqual([AMSTERDAM_H2, ROTTERDAM_H2]);
    expect(body.totals).toEqual({
      familiesSheltered: 5, stays: 5, nights: AMSTERDAM_H2.nights + 20, costCents: AMSTERDAM_H2.costCents + 100_000, longStays: 1, registrationsReported: 4,
      // National percentiles over all four registrations, not an average of municipal ones.
      daysToProposal: { count: 3, median: 4, p90: 9.6 },
      daysToApproval: { count: 3, median: 4, p90: 9.6 },
      daysToTransfer: { count: 1, median: 14, p90: 14 },
    });
  });

  it('puts the nights before 1 July in the first half-year, and counts the spring DST change as an ordinary night', async () => {
    const body = (await report('period=2026-H1', await t.auth('coordinator'))).json();
    expect(body.items).toEqual([
      { municipality: 'GM0344', name: 'Utrecht', familiesSheltered: 1, stays: 1, nights: 2, costCents: 18_000, longStays: 0, registrationsReported: 1, daysToProposal: noWait, daysToApproval: noWait, daysToTransfer: noWait },
      { municipality: 'GM0363', name: 'Amsterdam', familiesSheltered: 1, stays: 1, nights: 6, costCents: 60_000, longStays: 0, registrationsReported: 1, daysToProposal: noWait, daysToApproval: noWait, daysToTransfer: noWait },
    ]);
  });

  it('has no nights in a period that has not begun', async () => {
    expect((await report('period=2027-H1', await t.auth('coordinator'))).json()).toMatchObject({ items: [], totals: { nights: 0, costCents: 0, familiesSheltered: 0, daysToProposal: noWait } });
  });

  it('counts a stay as long when, by the end of the period or today, it ran more than SHELTER_LONG_STAY_DAYS nights', async () => {
    // A second app on the same database, configured with a threshold of 10 nights.
    const config = loadConfig(testEnv({ DATABASE_URL: t.databaseUrl, SHELTER_LONG_STAY_DAYS: '10' }));
    const container = await createContainer({ config, logger: createLogger(config.logLevel), clock });
    const app = await buildApp(container);
    try {
      const get = async (period: string) => (await app.inject({ url: `/api/v1/reports/shelter?period=${period}`, headers: await t.auth('coordinator') })).json();
      const h2 = await get('2026-H2');
      expect(h2.longStayDays).toBe(10);
      // A (25 June–5 July) and D ran exactly 10 nights: not more. B (14) and C (143 so far) did.
      expect(h2.items.find((i: { municipality: string }) => i.municipality === 'GM0363').longStays).toBe(2);
      // In the first half-year A had run only 6 nights by 1 July.
      expect((await get('2026-H1')).totals.longStays).toBe(0);
    } finally {
      await app.close();
      await container.close();
    }
  });

  it('answers CSV (RFC 4180, header row, plain numbers) for Accept: text/csv', async () => {
    const res = await report('period=2026-H2', { ...(await t.auth('coordinator')), accept: 'text/csv' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="shelter-report-2026-H2.csv"');
    expect(res.headers['api-version']).toBeDefined();
    expect(res.body.endsWith('\r\n')).toBe(true);
    expect(res.body.split('\r\n')[0]).toBe(
      'period,municipality,name,familiesSheltered,stays,nights,costCents,longStays,registrationsReported,' +
        'daysToProposalCount,daysToProposalMedian,daysToProposalP90,daysToApprovalCount,daysToApprovalMedian,daysToApprovalP90,' +
        'daysToTransferCount,daysToTransferMedian,daysToTransferP90',
    );
    const [, ...rows] = parseCsv(res.body);
    expect(rows).toEqual([
      ['2026-H2', 'GM0363', 'Amsterdam', '4', '4', String(AMSTERDAM_H2.nights), String(AMSTERDAM_H2.costCents), '1', '3', '3', '4', '9.6', '3', '4', '9.6', '1', '14', '14'],
      ['2026-H2', 'GM0599', 'Rotterdam', '1', '1', '20', '100000', '0', '1', '0', '', '', '0', '', '', '0', '', ''],
    ]);
    expect(res.body).not.toMatch(/;|€|\d\.\d{3},/);
  });

  it('refuses a format it cannot give (406) and a malformed period (400)', async () => {
    const headers = await t.auth('coordinator');
    expect((await report('period=2026-H2', { ...headers, accept: 'application/xml' })).statusCode).toBe(406);
    const bad = await report('period=2026-Q3&municipality=Amsterdam', headers);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/municipality', '/period']);
    expect((await report('', headers)).statusCode).toBe(400);
    expect((await report('period=2026-H2&municipality=GM9999', headers)).statusCode).toBe(404);
  });
});

describe('who sees which rows', () => {
  it('lets the coordinator filter on one municipality', async () => {
    const body = (await report('period=2026-H2&municipality=GM0599', await t.auth('coordinator'))).json();
    expect(body.items).toEqual([ROTTERDAM_H2]);
    expect(body.totals).toMatchObject({ nights: 20, costCents: 100_000 });
  });

  it('gives a municipality only its own row, also without a filter, and 404 for another municipality', async () => {
    const own = await report('period=2026-H2', await as('GM0363'));
    expect(own.statusCode).toBe(200);
    expect(own.json().items).toEqual([AMSTERDAM_H2]);
    expect(own.json().totals).toMatchObject({ nights: AMSTERDAM_H2.nights, registrationsReported: 3 });
    expect((await report('period=2026-H2&municipality=GM0363', await as('GM0363'))).json().items).toEqual([AMSTERDAM_H2]);

    const other = await report('period=2026-H2&municipality=GM0599', await as('GM0363'));
    expect(other.statusCode).toBe(404);
    expect(other.body).not.toContain('Rotterdam');
    const otherCsv = await report('period=2026-H2&municipality=GM0599', { ...(await as('GM0363')), accept: 'text/csv' });
    expect(otherCsv.statusCode).toBe(404);

    const csv = await report('period=2026-H2', { ...(await as('GM0599')), accept: 'text/csv' });
    expect(csv.headers['content-disposition']).toBe('attachment; filename="shelter-report-2026-H2-GM0599.csv"');
    expect(parseCsv(csv.body).map((r) => r[1])).toEqual(['municipality', 'GM0599']);
  });

  it('gives a municipality without shelter in the period its row with zeros', async () => {
    const res = await report('period=2026-H2', await as('GM0344'));
    expect(res.json().items).toEqual([
      { municipality: 'GM0344', name: 'Utrecht', familiesSheltered: 0, stays: 0, nights: 0, costCents: 0, longStays: 0, registrationsReported: 0, daysToProposal: noWait, daysToApproval: noWait, daysToTransfer: noWait },
    ]);
  });

  it('is not for housing corporations or administrators', async () => {
    expect((await report('period=2026-H2', await t.auth('housing_corporation', { municipalities: ['GM0363'] }))).statusCode).toBe(403);
    expect((await report('period=2026-H2', await t.auth('admin'))).statusCode).toBe(403);
  });
});
