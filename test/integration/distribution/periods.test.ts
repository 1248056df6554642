// Balances, period closing with a carry factor and cap, and the distribution report, through
// HTTP on real PostgreSQL with a fixed clock (PERIOD_CARRY_FACTOR=0.5, PERIOD_CARRY_CAP=1).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { fixedClock, sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { checkInvariants } from '../../support/invariants.js';
import { activeAllocation, coordinatorPost, register, waitForStatus } from '../../support/workflow.js';
import { add, compare, formatRational, parseRational, rational, sub, type Rational } from '../../../src/modules/allocation/engine/index.js';
import { parseCsv } from '../../../src/lib/csv.js';

const clock = fixedClock('2026-03-10T10:00:00Z');
let t: TestApp;
let coordinator: Record<string, string>;

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true, env: { PERIOD_CARRY_FACTOR: '0.5', PERIOD_CARRY_CAP: '1' } });
  coordinator = await t.auth('coordinator');
});
afterAll(async () => {
  await t?.close();
});
afterEach(async () => {
  expect(await checkInvariants(t.databaseUrl, { now: clock.now() })).toEqual([]);
});

const sql = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => sqlRows<T>(t.databaseUrl, text, values);

async function family(reportedOn: string, reporter = 'GM0363') {
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
    reporter,
  );
  await waitForStatus(t, id, 'proposed');
  return id;
}

const balances = (query: string) => t.app.inject({ url: `/api/v1/distribution/balances?${query}`, headers: coordinator });
const close = (period: string, query = '') => coordinatorPost(t, `/api/v1/distribution/periods/${period}/close${query}`);
const asMunicipality = (code: string) => t.auth('municipality', { municipality: code });

type Item = { municipality: string; entitlement: string; balance: string; carriedIn: string; settlementDelta: string; proposed: number; approved: number; realised: number; entitlementDisplay: number };
const byCode = (items: Item[]) => new Map(items.map((i) => [i.municipality, i]));
const clamp = (b: Rational) => {
  const half = { num: b.num, den: b.den * 2n };
  const r = parseRational(formatRational(half));
  if (compare(r, rational(1)) > 0) return rational(1);
  if (compare(r, rational(-1)) < 0) return rational(-1);
  return r;
};

const FAMILIES = 12;
let h1: Map<string, Item>;
let population: Map<string, bigint>;
let T: bigint;

describe('balances in an open period', () => {
  it('lists every municipality with its exact entitlement, counters and running balance', async () => {
    const ids: string[] = [];
    for (let i = 0; i < FAMILIES; i++) ids.push(await family('2026-03-09'));
    // Three families overridden to Almere give it a clear advance; two approved, one of them moved.
    for (const id of ids.slice(0, 3)) {
      const res = await coordinatorPost(t, `/api/v1/registrations/${id}/allocations`, { municipality: 'GM0034', reason: 'Netwerk in Almere.' });
      expect(res.statusCode, res.body).toBe(201);
    }
    for (const id of ids.slice(3, 5)) {
      const a = await activeAllocation(t, id);
      expect((await coordinatorPost(t, `/api/v1/allocations/${a.id}/approve`)).statusCode).toBe(200);
    }
    const moved = await activeAllocation(t, ids[3]!);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${moved.id}/accept`, headers: await asMunicipality(moved.municipality) })).statusCode).toBe(200);
    const transfer = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${ids[3]}/transfer`, headers: await asMunicipality('GM0363'), payload: { transferredOn: '2026-03-10' } });
    expect(transfer.statusCode, transfer.body).toBe(200);

    const res = await balances('period=2026-H1');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ period: '2026-H1', status: 'open', startsOn: '2026-01-01', endsOn: '2026-06-30', closedAt: null, keyVersion: 1 });
    expect(body.items).toHaveLength(342);

    const pops = await sql<{ code: string; population: number }>(`select code, population from municipalities`);
    population = new Map(pops.map((p) => [p.code, BigInt(p.population)]));
    T = [...population.values()].reduce((s, p) => s + p, 0n);
    const active = await sql<{ code: string; units: number; status: string }>(`select municipality as code, units, status from allocations where status in ('proposed', 'approved', 'accepted')`);
    for (const item of body.items as Item[]) {
      const e = rational(BigInt(FAMILIES) * population.get(item.municipality)!, T);
      expect(item.entitlement).toBe(formatRational(e));
      const a = active.filter((x) => x.code === item.municipality);
      const allocated = a.reduce((s, x) => s + x.units, 0);
      expect(item.balance, item.municipality).toBe(formatRational(sub(e, rational(allocated))));
      expect(item.proposed).toBe(a.filter((x) => x.status === 'proposed').length);
      expect(item.approved).toBe(a.filter((x) => x.status !== 'proposed').length);
      expect(item.carriedIn).toBe('0/1');
    }
    expect(body.totals).toMatchObject({ entitlement: '12/1', entitlementDisplay: 12, proposed: 7, approved: 5, realised: 1, balance: '0/1', carriedIn: '0/1' });
    const almere = byCode(body.items).get('GM0034')!;
    expect(almere.approved).toBeGreaterThanOrEqual(3);
    expect(parseRational(almere.balance).num < 0n).toBe(true);

    const holland = await balances('period=2026-H1&province=Flevoland');
    expect(holland.json().items.map((i: Item) => i.municipality)).toEqual(['GM0034', 'GM0050', 'GM0171', 'GM0184', 'GM0303', 'GM0995']);
    expect((await balances('period=2026-H3')).statusCode).toBe(400);
    expect((await balances('period=2026-H1&province=Atlantis')).statusCode).toBe(400);
    h1 = byCode(body.items);
  });
});

describe('closing a period', () => {
  it('refuses a period that has not ended or not started, with 409', async () => {
    const early = await close('2026-H1');
    expect(early.statusCode).toBe(409);
    expect(early.json().detail).toContain('2026-06-30');
    expect((await close('2026-H2')).statusCode).toBe(409);
    expect((await close('2026-H2', '?force=true')).statusCode).toBe(409);
    expect((await sql(`select 1 from period_settlements`)).length).toBe(0);
  });

  it('after the last day, snapshots every balance and carries clamp(0.5 × balance, ±1) into the next period', async () => {
    clock.set('2026-07-01T08:00:00Z');
    const res = await close('2026-H1');
    expect(res.statusCode, res.body).toBe(200);
    const nonZero = [...h1.values()].filter((i) => i.balance !== '0/1');
    expect(res.json()).toMatchObject({
      period: '2026-H1', status: 'closed', carryFactor: '0.5', carryCap: 1, closedAt: '2026-07-01T08:00:00.000Z',
      municipalities: 342, adjusted: nonZero.length, balanceTotal: '0/1', nextPeriod: '2026-H2',
    });

    const snapshot = await sql<{ code: string; balance: string; carried_out: string; allocated: number }>(`select municipality as code, balance, carried_out, allocated from period_settlements where period = '2026-H1'`);
    expect(snapshot).toHaveLength(342);
    for (const s of snapshot) {
      expect(s.balance, s.code).toBe(h1.get(s.code)!.balance);
      expect(s.carried_out, s.code).toBe(formatRational(clamp(parseRational(s.balance))));
    }
    // Almere is more than two units ahead: the cap limits its carried advance to one.
    expect(snapshot.find((s) => s.code === 'GM0034')!.carried_out).toBe('-1/1');

    // One settlement movement per changed municipality, booked in the next period; the head's seq moved to the last of them.
    const moves = await sql<{ seq: string; period: string; municipality: string; entitlement_delta: string }>(`select seq::text as seq, period, municipality, entitlement_delta from ledger_movements where kind = 'settlement' order by ledger_movements.seq`);
    expect(moves).toHaveLength(nonZero.length);
    expect(new Set(moves.map((m) => m.period))).toEqual(new Set(['2026-H2']));
    const [head] = await sql<{ seq: string }>(`select seq::text from ledger_state`);
    expect(head!.seq).toBe(moves.at(-1)!.seq);

    // The next period starts from the carried balances.
    const h2 = await balances('period=2026-H2');
    expect(h2.json()).toMatchObject({ status: 'open', totals: { entitlement: '0/1', proposed: 0 } });
    for (const item of h2.json().items as Item[]) {
      const carried = clamp(parseRational(h1.get(item.municipality)!.balance));
      expect(item.carriedIn, item.municipality).toBe(formatRational(carried));
      expect(item.balance, item.municipality).toBe(formatRational(carried));
      expect(item.settlementDelta).toBe(formatRational(sub(carried, parseRational(h1.get(item.municipality)!.balance))));
    }

    // The closed period keeps its snapshot and says how it was closed.
    const closed = (await balances('period=2026-H1')).json();
    expect(closed).toMatchObject({ status: 'closed', carryFactor: '0.5', carryCap: 1 });
    expect(byCode(closed.items).get('GM0034')!.balance).toBe(h1.get('GM0034')!.balance);
    const audit = await sql(`select 1 from audit_events where action = 'period.close' and resource_id = '2026-H1'`);
    expect(audit).toHaveLength(1);
  });

  it('closing twice answers 409 and changes nothing', async () => {
    const before = await sql(`select count(*)::int as n from ledger_movements`);
    const again = await close('2026-H1');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'conflict', detail: expect.stringContaining('already closed') });
    expect(await sql(`select count(*)::int as n from ledger_movements`)).toEqual(before);
  });

  it('the next allocation starts from the carried balances', async () => {
    const id = await family('2026-06-30');
    const a = await activeAllocation(t, id);
    expect(a.period).toBe('2026-H2');
    const chosen = a.explanation.chosen;
    const carried = clamp(parseRational(h1.get(chosen.code)!.balance));
    const before = await sql<{ allocated: number }>(`select allocated from period_settlements where period = '2026-H1' and municipality = $1`, [chosen.code]);
    // E after this family = the E carried over + this family's share; A is unchanged by the closing.
    const expected = add(add(carried, rational(before[0]!.allocated)), rational(population.get(chosen.code)!, T));
    expect(chosen.entitlement).toBe(formatRational(expected));
    expect(chosen.allocatedBefore).toBe(before[0]!.allocated);
  });

  it('closes the current period early only with force=true', async () => {
    expect((await close('2026-H2')).statusCode).toBe(409);
    const res = await close('2026-H2', '?force=true');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ period: '2026-H2', status: 'closed', nextPeriod: '2027-H1' });
    expect((await close('2027-H1', '?force=true')).statusCode).toBe(409);
    // Per municipality: balance at closing = carried in + the period's entitlement − units allocated net in it.
    const h2 = byCode((await balances('period=2026-H2')).json().items);
    const net = new Map((await sql<{ code: string; units: number }>(
      `select municipality as code, sum(units)::int as units from ledger_movements where period = '2026-H2' and kind in ('allocation', 'release') group by municipality`,
    )).map((r) => [r.code, r.units]));
    for (const [code, i] of h2) {
      const expected = sub(add(parseRational(i.carriedIn), parseRational(i.entitlement)), rational(net.get(code) ?? 0));
      expect(i.balance, code).toBe(formatRational(expected));
    }
  });
});

describe('the distribution report', () => {
  it('gives JSON per municipality with totals per province that add up exactly', async () => {
    const res = await t.app.inject({ url: '/api/v1/reports/distribution?period=2026-H1', headers: coordinator });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json();
    expect(r).toMatchObject({ period: '2026-H1', status: 'closed', keyVersion: 1 });
    expect(r.items).toHaveLength(342);
    expect(r.provinces).toHaveLength(12);
    expect(r.totals).toMatchObject({ municipalities: 342, entitlement: 12, proposed: 7, approved: 5, realised: 1, balance: 0, carriedIn: 0 });
    const almere = r.items.find((i: { municipality: string }) => i.municipality === 'GM0034');
    expect(almere).toMatchObject({ name: 'Almere', province: 'Flevoland', carriedOut: -1, carriedIn: 0 });
    expect(almere.balance).toBeCloseTo(Number(parseRational(h1.get('GM0034')!.balance).num) / Number(parseRational(h1.get('GM0034')!.balance).den), 4);
    const flevoland = r.provinces.find((p: { province: string }) => p.province === 'Flevoland');
    const items = r.items.filter((i: { province: string }) => i.province === 'Flevoland');
    expect(flevoland.municipalities).toBe(items.length);
    expect(flevoland.approved).toBe(items.reduce((s: number, i: { approved: number }) => s + i.approved, 0));
    const counted = r.provinces.reduce((s: number, p: { municipalities: number }) => s + p.municipalities, 0);
    expect(counted).toBe(342);

    // The open period has no carried-out figure yet.
    const open = (await t.app.inject({ url: '/api/v1/reports/distribution?period=2027-H1', headers: coordinator })).json();
    expect(open).toMatchObject({ status: 'open', totals: { carriedOut: null } });
  });

  it('gives RFC 4180 CSV with a header row, dot decimals and a level column', async () => {
    const res = await t.app.inject({ url: '/api/v1/reports/distribution?period=2026-H1', headers: { ...coordinator, accept: 'text/csv' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toBe('attachment; filename="distribution-report-2026-H1.csv"');
    expect(res.body.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(res.body);
    expect(rows[0]).toEqual(['level', 'period', 'municipality', 'name', 'province', 'entitlement', 'proposed', 'approved', 'realised', 'balance', 'carriedIn', 'carriedOut']);
    expect(rows).toHaveLength(1 + 342 + 12 + 1);
    const almere = rows.find((r) => r[2] === 'GM0034')!;
    expect(almere.slice(0, 5)).toEqual(['municipality', '2026-H1', 'GM0034', 'Almere', 'Flevoland']);
    expect(almere[11]).toBe('-1.0000');
    // 's-Gravenhage keeps its apostrophe; every number is plain, with a dot and 4 decimals.
    expect(rows.find((r) => r[2] === 'GM0518')![3]).toBe("'s-Gravenhage");
    for (const r of rows.slice(1)) {
      for (const i of [5, 9, 10, 11]) expect(r[i], r.join(',')).toMatch(/^-?[0-9]+\.[0-9]{4}$/);
      for (const i of [6, 7, 8]) expect(r[i]).toMatch(/^[0-9]+$/);
    }
    const national = rows.at(-1)!;
    expect(national.slice(0, 2)).toEqual(['national', '2026-H1']);
    expect(national[5]).toBe('12.0000');
    expect(national[9]).toBe('0.0000');
    // The exact per-municipality entitlement, rounded once: 12 · population / T.
    const amsterdam = rows.find((r) => r[2] === 'GM0363')!;
    const e = rational(12n * population.get('GM0363')!, T);
    const scaled = (e.num * 10_000n * 2n + e.den) / (2n * e.den);
    expect(amsterdam[5]).toBe(`${scaled / 10_000n}.${String(scaled % 10_000n).padStart(4, '0')}`);
  });

  it('filters by province and refuses what it cannot produce', async () => {
    const res = await t.app.inject({ url: '/api/v1/reports/distribution?period=2026-H1&province=Zeeland', headers: { ...coordinator, accept: 'text/csv' } });
    expect(res.headers['content-disposition']).toBe('attachment; filename="distribution-report-2026-H1-Zeeland.csv"');
    const rows = parseCsv(res.body);
    expect(new Set(rows.slice(1, -1).map((r) => r[4]))).toEqual(new Set(['Zeeland']));
    expect(rows.at(-1)![0]).toBe('national');
    expect((await t.app.inject({ url: '/api/v1/reports/distribution?period=2026-H1', headers: { ...coordinator, accept: 'application/xml' } })).statusCode).toBe(406);
    expect((await t.app.inject({ url: '/api/v1/reports/distribution', headers: coordinator })).statusCode).toBe(400);
    // A municipality reads its own row and the national line (issue 13), never a province.
    const municipality = await t.app.inject({ url: '/api/v1/reports/distribution?period=2026-H1', headers: await asMunicipality('GM0034') });
    expect(municipality.statusCode).toBe(200);
    expect(municipality.json().items.map((i: { municipality: string }) => i.municipality)).toEqual(['GM0034']);
    expect(municipality.json().provinces).toEqual([]);
    expect((await t.app.inject({ url: '/api/v1/reports/distribution?period=2026-H1', headers: await t.auth('admin') })).statusCode).toBe(403);
  });
});
