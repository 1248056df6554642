// What-if simulation of a key (issue 15, contract A): POST /api/v1/distribution/simulations. The
// figures must be exactly those of a plain sequential quota run (test/support/quota-reference.ts,
// written apart from the engine); nothing is stored but the audit line; every problem of a
// request is reported at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/lib/csv.js';
import { fixedClock, rowCounts, sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { plainQuotaRun } from '../../support/quota-reference.js';
import { register, waitForStatus } from '../../support/workflow.js';
import type { Role } from '../../../src/modules/auth/auth-tokens.js';

const clock = fixedClock('2026-11-30T10:00:00Z');
let t: TestApp;
let municipalities: Array<{ code: string; province: string; population: number; social: number }>;

async function simulate(payload: object, headers?: Record<string, string>) {
  return t.app.inject({ method: 'POST', url: '/api/v1/distribution/simulations', headers: headers ?? (await t.auth('coordinator', { sub: 'sim:coordinator' })), payload });
}

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true });
  // An attribute for composite keys, on every active municipality (as import-attributes loads it).
  await sqlRows(t.databaseUrl, `update municipalities set attributes = attributes || jsonb_build_object('socialHousing', (population % 997) + 10) where active`);
  municipalities = (
    await sqlRows<{ code: string; province: string; population: number; social: number }>(
      t.databaseUrl,
      `select code, province, population, (attributes->>'socialHousing')::int as social from municipalities where active order by code`,
    )
  ).map((m) => ({ ...m }));
  // Three families from Amsterdam, proposed in 2026-H2: its real arrivals.
  for (let i = 0; i < 3; i++) {
    const { id } = await register(t, {}, 'GM0363');
    await waitForStatus(t, id, 'proposed');
  }
});
afterAll(async () => {
  await t?.close();
});

const byCode = (items: Array<{ code: string; units: number }>) => new Map(items.map((m) => [m.code, m.units]));
const population = () => new Map(municipalities.map((m) => [m.code, BigInt(m.population)]));

describe('the figures', () => {
  it('today\'s key (population) on 2,000 units: every active municipality by code, exactly a plain quota run, no difference', async () => {
    const res = await simulate({ key: { kind: 'current' }, units: 2000 });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.key).toEqual({ kind: 'current', description: 'Huidige verdeelsleutel (versie 1): Aandeel in het inwonertal (CBS, 1 januari)' });
    expect(body.baseline).toEqual({ kind: 'current', version: 1, description: body.key.description });
    expect(body).toMatchObject({ source: 'units', period: null, units: 2000 });
    expect(body.municipalities.map((m: { code: string }) => m.code)).toEqual(municipalities.map((m) => m.code));
    const expected = plainQuotaRun(population(), 2000);
    expect(byCode(body.municipalities)).toEqual(expected);
    expect(body.municipalities.every((m: { units: number; baselineUnits: number; difference: number }) => m.baselineUnits === m.units && m.difference === 0)).toBe(true);
    const amsterdam = body.municipalities.find((m: { code: string }) => m.code === 'GM0363');
    const total = municipalities.reduce((s, m) => s + m.population, 0);
    expect(amsterdam).toMatchObject({ name: 'Amsterdam', province: 'Noord-Holland', share: (Math.round((municipalities.find((m) => m.code === 'GM0363')!.population / total) * 1e6) / 1e6).toFixed(6) });
  });

  it('a composite key with integer weights, against today\'s key: both columns are plain quota runs; provinces add up', async () => {
    const res = await simulate({ key: { kind: 'composite', components: [{ attribute: 'population', weight: 3 }, { attribute: 'socialHousing', weight: 1 }] }, units: 1500 });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.key.description).toBe('Samengesteld: inwonertal (gewicht 3, 75 %), socialHousing (gewicht 1, 25 %)');
    // λ_i = 3/4 · p_i/P + 1/4 · s_i/S, proportional to 3·p_i·S + s_i·P.
    const P = BigInt(municipalities.reduce((s, m) => s + m.population, 0));
    const S = BigInt(municipalities.reduce((s, m) => s + m.social, 0));
    const weights = new Map(municipalities.map((m) => [m.code, 3n * BigInt(m.population) * S + BigInt(m.social) * P]));
    expect(byCode(body.municipalities)).toEqual(plainQuotaRun(weights, 1500));
    expect(new Map(body.municipalities.map((m: { code: string; baselineUnits: number }) => [m.code, m.baselineUnits]))).toEqual(plainQuotaRun(population(), 1500));
    for (const m of body.municipalities) expect(m.difference).toBe(m.units - m.baselineUnits);
    expect(body.municipalities.some((m: { difference: number }) => m.difference !== 0)).toBe(true);

    expect(body.provinces.map((p: { province: string }) => p.province)).toEqual([...new Set(municipalities.map((m) => m.province))].sort());
    expect(body.provinces).toHaveLength(12);
    for (const p of body.provinces) {
      const mine = body.municipalities.filter((m: { province: string }) => m.province === p.province);
      expect(p.units).toBe(mine.reduce((s: number, m: { units: number }) => s + m.units, 0));
      expect(p.baselineUnits).toBe(mine.reduce((s: number, m: { baselineUnits: number }) => s + m.baselineUnits, 0));
      expect(p.difference).toBe(p.units - p.baselineUnits);
    }
    expect(body.provinces.reduce((s: number, p: { units: number }) => s + p.units, 0)).toBe(1500);
  });

  it('a fixed table over many whole periods of its total weight (1,000,000 units, the maximum)', async () => {
    const table = { GM0363: '5', GM0599: '3', GM0344: '1', GM0014: '0' };
    const res = await simulate({ key: { kind: 'fixed', weights: table }, units: 1_000_000 });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.key.description).toBe(`Vaste tabel: 3 van de ${municipalities.length} gemeenten met een gewicht, de andere wegen 0`);
    const got = byCode(body.municipalities);
    const expected = plainQuotaRun(new Map(Object.entries(table).map(([c, w]) => [c, BigInt(w)])), 1_000_000);
    for (const [code, units] of expected) expect(got.get(code), code).toBe(units);
    expect([...got.values()].reduce((s, n) => s + n, 0)).toBe(1_000_000);
    expect(body.municipalities.find((m: { code: string }) => m.code === 'GM0363').share).toBe('0.555556');
    expect(body.municipalities.find((m: { code: string }) => m.code === 'GM0014').share).toBe('0.000000');
  });

  it('the real arrivals of a period: the units accrued in it', async () => {
    const res = await simulate({ key: { kind: 'population' }, period: '2026-H2' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ source: 'period', period: '2026-H2', units: 3 });
    expect(byCode(res.json().municipalities)).toEqual(plainQuotaRun(population(), 3));
  });
});

describe('what a caller may do, and what is kept', () => {
  it('lets the coordinator and a policy_viewer simulate, logs each simulation without personal data, stores nothing else', async () => {
    const before = await rowCounts(t.databaseUrl);
    const res = await simulate({ key: { kind: 'population' }, units: 10 }, await t.auth('policy_viewer', { sub: 'sim:vng' }));
    expect(res.statusCode, res.body).toBe(200);
    const after = await rowCounts(t.databaseUrl);
    expect(after).toEqual({ ...before, audit_events: before.audit_events! + 1 });
    const [row] = await sqlRows<{ action: string; actor_role: string; resource_type: string; resource_id: string; registration_id: string | null; detail: object }>(
      t.databaseUrl,
      `select * from audit_events where actor_sub = 'sim:vng'`,
    );
    expect(row).toMatchObject({ action: 'distribution.simulation', actor_role: 'policy_viewer', resource_type: 'distribution-simulation', resource_id: '10', registration_id: null });
    expect(row!.detail).toEqual({ kind: 'population', source: 'units', units: 10, baselineVersion: 1 });
  });

  it('refuses every other role (403)', async () => {
    const others: Array<[Role, { municipality?: string; municipalities?: string[] }]> = [['municipality', { municipality: 'GM0363' }], ['housing_corporation', { municipalities: ['GM0363'] }], ['admin', {}]];
    for (const [role, opts] of others) {
      const res = await simulate({ key: { kind: 'population' }, units: 10 }, await t.auth(role, opts));
      expect(res.statusCode, role).toBe(403);
    }
  });

  it('answers CSV with one line per municipality, in both dialects', async () => {
    const headers = await t.auth('coordinator');
    const plain = await t.app.inject({ method: 'POST', url: '/api/v1/distribution/simulations', headers: { ...headers, accept: 'text/csv' }, payload: { key: { kind: 'population' }, units: 100 } });
    expect(plain.statusCode, plain.body).toBe(200);
    expect(plain.headers['content-disposition']).toBe('attachment; filename="distribution-simulation-100-units.csv"');
    const [head, ...rows] = parseCsv(plain.body);
    expect(head).toEqual(['code', 'name', 'province', 'share', 'units', 'baselineUnits', 'difference']);
    expect(rows).toHaveLength(municipalities.length);
    const nl = await t.app.inject({ method: 'POST', url: '/api/v1/distribution/simulations', headers: { ...headers, accept: 'text/csv; dialect=nl' }, payload: { key: { kind: 'current' }, period: '2026-H2' } });
    expect(nl.headers['content-disposition']).toBe('attachment; filename="distribution-simulation-2026-H2-nl.csv"');
    const [nlHead, ...nlRows] = parseCsv(nl.body, ';');
    expect(nlHead).toEqual(['Gemeentecode', 'Gemeente', 'Provincie', 'Aandeel in de sleutel', 'Eenheden', 'Eenheden met de huidige sleutel', 'Verschil']);
    expect(nlRows.find((r) => r[0] === 'GM0363')![3]).toMatch(/^0,0[0-9]{5}$/);
  });
});

describe('bad requests: every problem at once, nothing stored', () => {
  const problems = async (payload: object) => {
    const before = await rowCounts(t.databaseUrl);
    const res = await simulate(payload);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe('validation_failed');
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
    return (res.json().errors as Array<{ pointer: string; code: string }>).map((e) => `${e.pointer} ${e.code}`).sort();
  };

  it('an unknown attribute, a table on a composite key, both units and period', async () => {
    expect(await problems({ key: { kind: 'composite', components: [{ attribute: 'population', weight: 1 }, { attribute: 'vacancies', weight: 2 }], weights: { GM0363: '1' } }, units: 5, period: '2026-H2' })).toEqual([
      '/key/components/1/attribute unknown_attribute',
      '/key/weights not_allowed',
      '/period units_or_period',
      '/units units_or_period',
    ]);
  });

  it('an unknown and an inactive code in a fixed table, all weights zero, neither units nor period', async () => {
    await sqlRows(t.databaseUrl, `update municipalities set active = false where code = 'GM0088'`);
    try {
      expect(await problems({ key: { kind: 'fixed', weights: { GM9999: '4', GM0088: '2', GM0363: '0' } } })).toEqual([
        '/key/weights all_zero',
        '/key/weights/GM0088 unknown_municipality',
        '/key/weights/GM9999 unknown_municipality',
        '/units units_or_period',
      ]);
    } finally {
      await sqlRows(t.databaseUrl, `update municipalities set active = true where code = 'GM0088'`);
    }
  });

  it('a period without arrivals (400 no_arrivals), parts that do not belong to the kind', async () => {
    expect(await problems({ key: { kind: 'current', components: [{ attribute: 'population', weight: 1 }] }, period: '2025-H1' })).toEqual(['/key/components not_allowed', '/period no_arrivals']);
    expect(await problems({ key: { kind: 'composite' }, units: 1 })).toEqual(['/key/components required']);
    expect(await problems({ key: { kind: 'fixed' }, units: 1 })).toEqual(['/key/weights required']);
  });

  it('the schema: weights out of range, a malformed table, too many units', async () => {
    expect(await problems({ key: { kind: 'composite', components: [{ attribute: 'population', weight: 0 }, { attribute: 'socialHousing', weight: 1001 }] }, units: 1_000_001 })).toEqual([
      '/key/components/0/weight minimum',
      '/key/components/1/weight maximum',
      '/units maximum',
    ]);
    expect(await problems({ key: { kind: 'fixed', weights: { GM0363: '-1', Amsterdam: '1', GM0599: '1.5' } }, units: 1 })).toEqual([
      '/key/weights/Amsterdam additionalProperties',
      '/key/weights/GM0363 pattern',
      '/key/weights/GM0599 pattern',
    ]);
  });
});
