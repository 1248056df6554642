// Every CSV answer in two dialects (issue 15, contract D): RFC 4180 by default, and for
// `Accept: text/csv; dialect=nl` the Dutch spreadsheet dialect: semicolons, decimal comma, Dutch
// column names, a UTF-8 BOM, CRLF, formulas neutralised, a file name ending in -nl.csv. The two
// must hold the same figures: the test reads both and compares them cell by cell.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/lib/csv.js';
import { fixedClock, startTestApp, type TestApp } from '../../support/harness.js';
import { activeAllocation, coordinatorPost, register, waitForStatus } from '../../support/workflow.js';

const clock = fixedClock('2026-11-30T10:00:00Z');
let t: TestApp;

/** Every CSV report, as the coordinator (who may read them all) asks for it. */
const REPORTS: Array<{ name: string; url: string; method?: 'POST'; payload?: object; filename: string }> = [
  { name: 'shelter', url: '/api/v1/reports/shelter?period=2026-H2', filename: 'shelter-report-2026-H2' },
  { name: 'distribution', url: '/api/v1/reports/distribution?period=2026-H2', filename: 'distribution-report-2026-H2' },
  { name: 'maatwerk', url: '/api/v1/reports/maatwerk?period=2026-H2', filename: 'maatwerk-report-2026-H2' },
  { name: 'compliance', url: '/api/v1/reports/compliance?period=2026-H2', filename: 'compliance-report-2026-H2' },
  { name: 'arrivals', url: '/api/v1/reports/arrivals?from=2026-01-01&to=2026-12-31', filename: 'arrivals-2026-01-01-2026-12-31' },
  { name: 'lead-times', url: '/api/v1/reports/lead-times?from=2026-01&to=2026-12', filename: 'lead-times-2026-01-2026-12' },
  {
    name: 'simulation',
    url: '/api/v1/distribution/simulations',
    method: 'POST',
    payload: { key: { kind: 'fixed', weights: { GM0363: '2', GM0599: '1' } }, units: 30 },
    filename: 'distribution-simulation-30-units',
  },
];

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true });
  // A family with a shelter stay (nights, costs, decimals in the medians) and an accepted allocation.
  const { id } = await register(t, {}, 'GM0363');
  await waitForStatus(t, id, 'proposed');
  const a = await activeAllocation(t, id);
  expect((await coordinatorPost(t, `/api/v1/allocations/${a.id}/approve`)).statusCode).toBe(200);
  const stay = await t.app.inject({
    method: 'POST', url: `/api/v1/registrations/${id}/shelter-stays`, headers: await t.auth('municipality', { municipality: 'GM0363' }),
    payload: { type: 'hotel', startDate: '2026-11-02', nightlyCostCents: 9550 },
  });
  expect(stay.statusCode, stay.body).toBe(201);
});
afterAll(async () => {
  await t?.close();
});

/** What the Dutch dialect makes of an RFC 4180 cell: a decimal comma in a plain number. */
const dutch = (cell: string) => (/^[-+]?\d+\.\d+$/.test(cell) ? cell.replace('.', ',') : cell);

describe.each(REPORTS)('$name report', (report) => {
  const fetch = async (accept: string) =>
    t.app.inject({ method: report.method ?? 'GET', url: report.url, headers: { ...(await t.auth('coordinator')), accept }, ...(report.payload ? { payload: report.payload } : {}) });

  it('answers text/csv as RFC 4180 (unchanged) and text/csv; dialect=nl in the Dutch dialect with the same figures', async () => {
    const plain = await fetch('text/csv');
    expect(plain.statusCode, plain.body).toBe(200);
    expect(plain.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(plain.headers['content-disposition']).toBe(`attachment; filename="${report.filename}.csv"`);
    expect(plain.body.charCodeAt(0)).not.toBe(0xfeff);

    const nl = await fetch('text/csv; dialect=nl');
    expect(nl.statusCode, nl.body).toBe(200);
    expect(nl.headers['content-type']).toBe('text/csv; charset=utf-8; header=present; dialect=nl');
    expect(nl.headers['content-disposition']).toBe(`attachment; filename="${report.filename}-nl.csv"`);
    expect(nl.body.charCodeAt(0)).toBe(0xfeff);
    expect(nl.body.endsWith('\r\n')).toBe(true);
    expect(nl.body.replace(/\r\n/g, '')).not.toMatch(/\n/);

    const [enHead, ...enRows] = parseCsv(plain.body);
    const [nlHead, ...nlRows] = parseCsv(nl.body, ';');
    expect(nlHead!.length).toBe(enHead!.length);
    // Dutch column names, one per English one, none left in English.
    expect(nlHead!.filter((h, i) => h === enHead![i])).toEqual([]);
    expect(nlRows).toEqual(enRows.map((r) => r.map(dutch)));
    expect(enRows.length).toBeGreaterThan(0);
  });
});

describe('the figures really are localised', () => {
  it('writes a decimal comma where RFC 4180 writes a point (the shelter medians, the distribution balances)', async () => {
    const nl = await t.app.inject({ url: '/api/v1/reports/distribution?period=2026-H2', headers: { ...(await t.auth('coordinator')), accept: 'text/csv; dialect=nl' } });
    const [head, ...rows] = parseCsv(nl.body, ';');
    expect(head).toContain('Saldo');
    const balance = head!.indexOf('Saldo');
    expect(rows.some((r) => /^-0,[0-9]{4}$/.test(r[balance]!))).toBe(true);
    expect(nl.body).not.toMatch(/-0\.[0-9]{4}/);
  });
});
