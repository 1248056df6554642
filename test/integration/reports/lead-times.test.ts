// Lead times per month of registration (issue 15, contract C): GET /api/v1/reports/lead-times.
// Days from the registration date to the first proposal, approval and transfer, median and p90;
// the coordinator sees every family, a municipality the families it reported, a policy_viewer
// every family with small counts suppressed (and its reads logged).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/lib/csv.js';
import { fixedClock, rowCounts, sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody } from '../../support/families.js';
import { activeAllocation, coordinatorPost, register, waitForStatus } from '../../support/workflow.js';
import type { Role } from '../../../src/modules/auth/auth-tokens.js';

const clock = fixedClock('2026-10-01T10:00:00Z');
let t: TestApp;
const RANGE = 'from=2026-07&to=2026-10';

/** A family reported on `reportedOn` by `municipality`, proposed by the worker today (1 October). */
async function family(reportedOn: string, municipality = 'GM0363') {
  const body = familyBody({ reportingMunicipality: municipality, reportedOn, eligibility: { ...familyBody().eligibility, selfRelianceAssessment: { assessedOn: '2026-08-01', outcome: 'self_reliant' } } });
  const { id } = await register(t, body, municipality);
  await waitForStatus(t, id, 'proposed');
  return id;
}

async function report(query: string, role: Role, opts: { municipality?: string; sub?: string } = {}, accept?: string) {
  return t.app.inject({ url: `/api/v1/reports/lead-times?${query}`, headers: { ...(await t.auth(role, opts)), ...(accept ? { accept } : {}) } });
}

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true });
  // September: six families from Amsterdam (1–6 Sep: 30 … 25 days to the proposal) and one from Rotterdam (10 Sep: 21 days).
  const september = [];
  for (let day = 1; day <= 6; day++) september.push(await family(`2026-09-0${day}`));
  await family('2026-09-10', 'GM0599');
  // August: two from Amsterdam (47 and 42 days).
  await family('2026-08-15');
  await family('2026-08-20');
  // A duplicate report is not an arrival: closed as duplicate, left out.
  const duplicate = await family('2026-09-02');
  expect((await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${duplicate}/outcome`, headers: await t.auth('municipality', { municipality: 'GM0363' }), payload: { type: 'duplicate' } })).statusCode).toBe(200);

  // 3 October: the families of 1, 2 and 3 September approved (32, 31, 30 days).
  clock.set('2026-10-03T10:00:00Z');
  const approved = [];
  for (const id of september.slice(0, 3)) {
    const a = await activeAllocation(t, id);
    expect((await coordinatorPost(t, `/api/v1/allocations/${a.id}/approve`)).statusCode).toBe(200);
    approved.push(a);
  }
  // The family of 1 September is accepted and moves on 5 October (34 days).
  clock.set('2026-10-06T10:00:00Z');
  const first = approved[0]!;
  const receiver = await t.auth('municipality', { municipality: first.municipality });
  expect((await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${first.id}/accept`, headers: receiver })).statusCode).toBe(200);
  const moved = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${september[0]}/transfer`, headers: receiver, payload: { transferredOn: '2026-10-05' } });
  expect(moved.statusCode, moved.body).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const none = { count: 0, median: null, p90: null };
const empty = (month: string) => ({ month, registrations: 0, toProposal: none, toApproval: none, toTransfer: none });

describe('the figures', () => {
  it('the coordinator: every month of the range, every family but the duplicate, medians and p90 in days', async () => {
    const res = await report(RANGE, 'coordinator');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      from: '2026-07',
      to: '2026-10',
      items: [
        empty('2026-07'),
        { month: '2026-08', registrations: 2, toProposal: { count: 2, median: 44.5, p90: 46.5 }, toApproval: none, toTransfer: none },
        // 21, 25 … 30 days; approvals 30, 31, 32; one transfer after 34 days.
        {
          month: '2026-09',
          registrations: 7,
          toProposal: { count: 7, median: 27, p90: 29.4 },
          toApproval: { count: 3, median: 31, p90: 31.8 },
          toTransfer: { count: 1, median: 34, p90: 34 },
        },
        empty('2026-10'),
      ],
    });
  });

  it('a municipality: only the families it reported, exact', async () => {
    const amsterdam = (await report(RANGE, 'municipality', { municipality: 'GM0363' })).json();
    expect(amsterdam.items[2]).toEqual({
      month: '2026-09',
      registrations: 6,
      toProposal: { count: 6, median: 27.5, p90: 29.5 },
      toApproval: { count: 3, median: 31, p90: 31.8 },
      toTransfer: { count: 1, median: 34, p90: 34 },
    });
    const rotterdam = (await report(RANGE, 'municipality', { municipality: 'GM0599' })).json();
    expect(rotterdam.items.map((i: { registrations: number }) => i.registrations)).toEqual([0, 0, 1, 0]);
    expect(rotterdam.items[2].toProposal).toEqual({ count: 1, median: 21, p90: 21 });
    const utrecht = (await report(RANGE, 'municipality', { municipality: 'GM0344' })).json();
    expect(utrecht.items).toEqual(['2026-07', '2026-08', '2026-09', '2026-10'].map(empty));
  });

  it('a policy_viewer: counts of 1 to 4 as "<5", figures over fewer than 5 withheld; each read logged', async () => {
    const before = await rowCounts(t.databaseUrl);
    const res = await report(RANGE, 'policy_viewer', { sub: 'lead:vws' });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.slice(1, 3)).toEqual([
      { month: '2026-08', registrations: '<5', toProposal: { count: '<5', median: null, p90: null }, toApproval: none, toTransfer: none },
      {
        month: '2026-09',
        registrations: 7,
        toProposal: { count: 7, median: 27, p90: 29.4 },
        toApproval: { count: '<5', median: null, p90: null },
        toTransfer: { count: '<5', median: null, p90: null },
      },
    ]);
    expect(await rowCounts(t.databaseUrl)).toEqual({ ...before, audit_events: before.audit_events! + 1 });
    const [row] = await sqlRows(t.databaseUrl, `select action, resource_type, resource_id from audit_events where actor_sub = 'lead:vws'`);
    expect(row).toEqual({ action: 'report.read', resource_type: 'lead_times_report', resource_id: '2026-07/2026-10' });
  });

  it('CSV: one line per month, in both dialects', async () => {
    const plain = await report(RANGE, 'coordinator', {}, 'text/csv');
    expect(plain.headers['content-disposition']).toBe('attachment; filename="lead-times-2026-07-2026-10.csv"');
    const [head, ...rows] = parseCsv(plain.body);
    expect(head).toEqual(['month', 'registrations', 'toProposalCount', 'toProposalMedian', 'toProposalP90', 'toApprovalCount', 'toApprovalMedian', 'toApprovalP90', 'toTransferCount', 'toTransferMedian', 'toTransferP90']);
    expect(rows[2]).toEqual(['2026-09', '7', '7', '27', '29.4', '3', '31', '31.8', '1', '34', '34']);
    const nl = await report(RANGE, 'coordinator', {}, 'text/csv; dialect=nl');
    const [nlHead, ...nlRows] = parseCsv(nl.body, ';');
    expect(nlHead!.slice(0, 3)).toEqual(['Maand', 'Meldingen', 'Dagen tot voorstel (aantal)']);
    expect(nlRows[2]).toEqual(['2026-09', '7', '7', '27', '29,4', '3', '31', '31,8', '1', '34', '34']);
  });
});

describe('requests', () => {
  it('at most 36 months, not backwards, months only', async () => {
    expect((await report('from=2024-01&to=2026-12', 'coordinator')).statusCode).toBe(200);
    const pointers = async (q: string) => {
      const res = await report(q, 'coordinator');
      expect(res.statusCode, q).toBe(400);
      return res.json().errors.map((e: { pointer: string; code: string }) => `${e.pointer} ${e.code}`);
    };
    expect(await pointers('from=2024-01&to=2027-01')).toEqual(['/to range_too_long']);
    expect(await pointers('from=2026-10&to=2026-07')).toEqual(['/to before_from']);
    expect((await pointers('from=2026-13&to=2026-1')).sort()).toEqual(['/from pattern', '/to minLength']);
  });

  it('refuses housing corporations and the admin (403)', async () => {
    expect((await report(RANGE, 'housing_corporation', { municipalities: ['GM0363'] } as never)).statusCode).toBe(403);
    expect((await report(RANGE, 'admin')).statusCode).toBe(403);
  });
});
