// Distribution keys through HTTP on real PostgreSQL: the default population key, composite and
// fixed keys with exact weights, validation of every problem at once, versioning (a new key
// applies from the next allocation), and who may use the coordinator's endpoints.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { rowCounts, sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { checkInvariants } from '../../support/invariants.js';
import { activeAllocation, register, waitForStatus } from '../../support/workflow.js';

let t: TestApp;
let coordinator: Record<string, string>;
beforeAll(async () => {
  // In-process worker and relay: a registration gets its proposal without Redis.
  t = await startTestApp({ relay: true, worker: true });
  coordinator = await t.auth('coordinator');
});
afterAll(async () => {
  await t?.close();
});
afterEach(async () => {
  expect(await checkInvariants(t.databaseUrl)).toEqual([]);
});

const sql = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => sqlRows<T>(t.databaseUrl, text, values);

const getKey = (query = '') => t.app.inject({ url: `/api/v1/distribution/key${query}`, headers: coordinator });
const putKey = (payload: object) => t.app.inject({ method: 'PUT', url: '/api/v1/distribution/key', headers: coordinator, payload });

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

describe('the distribution key', () => {
  it('starts as version 1, the CBS population share of every municipality', async () => {
    const res = await getKey();
    expect(res.statusCode, res.body).toBe(200);
    const key = res.json();
    expect(key).toMatchObject({ version: 1, current: true, kind: 'population', definition: { kind: 'population' }, totalWeight: '17942942' });
    expect(key.municipalities).toHaveLength(342);
    const amsterdam = key.municipalities.find((m: { municipality: string }) => m.municipality === 'GM0363');
    expect(amsterdam).toEqual({ municipality: 'GM0363', name: 'Amsterdam', province: 'Noord-Holland', weight: '931298', share: 0.05190331 });
    const total = key.municipalities.reduce((s: number, m: { share: number }) => s + m.share, 0);
    expect(total).toBeCloseTo(1, 5);
  });

  it('refuses an invalid definition with every problem at once, and stores nothing', async () => {
    const before = await rowCounts(t.databaseUrl);
    const composite = await putKey({
      kind: 'composite',
      components: [
        { attribute: 'population', weight: '0.5' },
        { attribute: 'nonexistent', weight: '0.25' },
        { attribute: 'population', weight: '0.2' },
      ],
    });
    expect(composite.statusCode).toBe(400);
    expect(composite.headers['content-type']).toContain('application/problem+json');
    expect(composite.json().code).toBe('validation_failed');
    expect(composite.json().errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: 'body', pointer: '/components/1/attribute', code: 'unknown_attribute' }),
        expect.objectContaining({ pointer: '/components/2/attribute', code: 'duplicate_attribute' }),
        expect.objectContaining({ pointer: '/components', code: 'weights_not_one' }),
      ]),
    );
    expect(composite.json().errors.find((e: { code: string }) => e.code === 'weights_not_one').message).toContain('0.95');

    const fixed = await putKey({
      kind: 'fixed',
      shares: [
        { municipality: 'GM9999', weight: 3 },
        { municipality: 'GM0014', weight: 0 },
        { municipality: 'GM0014', weight: 0 },
      ],
    });
    expect(fixed.statusCode).toBe(400);
    expect(fixed.json().errors.map((e: { pointer: string; code: string }) => `${e.pointer} ${e.code}`).sort()).toEqual(
      ['/shares all_zero', '/shares/0/municipality unknown_municipality', '/shares/2/municipality duplicate_municipality'].sort(),
    );

    const mixed = await putKey({ kind: 'population', shares: [{ municipality: 'GM0014', weight: 1 }] });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().errors).toEqual([expect.objectContaining({ pointer: '/shares', code: 'not_allowed' })]);

    const schema = await putKey({ kind: 'composite', components: [{ attribute: 'population', weight: 'three quarters' }], extra: 1 });
    expect(schema.statusCode).toBe(400);
    expect(schema.json().errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/components/0/weight', '/extra']);

    const missing = await putKey({ kind: 'composite' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors).toEqual([expect.objectContaining({ pointer: '/components', code: 'required' })]);

    expect(await rowCounts(t.databaseUrl)).toEqual(before);
    expect((await getKey()).json().version).toBe(1);
  });

  it('computes a composite key exactly: 0.5 · population share + 0.5 · attribute share', async () => {
    // An attribute with small, uneven values, so the two shares have unrelated denominators.
    await sql(`update municipalities set attributes = jsonb_build_object('socialHousing', (substr(code, 3)::int % 7) + 1)`);
    // One municipality lacks it: the key is refused and names it.
    await sql(`update municipalities set attributes = '{}'::jsonb where code = 'GM0034'`);
    const incomplete = await putKey({ kind: 'composite', components: [{ attribute: 'population', weight: '0.5' }, { attribute: 'socialHousing', weight: '0.5' }] });
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.json().errors).toEqual([expect.objectContaining({ pointer: '/components/1/attribute', code: 'attribute_incomplete', message: expect.stringContaining('GM0034') })]);
    await sql(`update municipalities set attributes = jsonb_build_object('socialHousing', 5) where code = 'GM0034'`);

    const res = await putKey({ kind: 'composite', components: [{ attribute: 'population', weight: '0.5' }, { attribute: 'socialHousing', weight: '0.5' }] });
    expect(res.statusCode, res.body).toBe(200);
    const key = res.json();
    expect(key).toMatchObject({ version: 2, current: true, kind: 'composite', definition: { kind: 'composite', components: [{ attribute: 'population', weight: '0.5' }, { attribute: 'socialHousing', weight: '0.5' }] } });

    const rows = await sql<{ code: string; population: number; x: number }>(`select code, population, (attributes->>'socialHousing')::int as x from municipalities where active order by code`);
    const P = rows.reduce((s, r) => s + BigInt(r.population), 0n);
    const X = rows.reduce((s, r) => s + BigInt(r.x), 0n);
    const T = BigInt(key.totalWeight);
    let sum = 0n;
    let g = 0n;
    for (const r of rows) {
      const m = key.municipalities.find((k: { municipality: string }) => k.municipality === r.code);
      const w = BigInt(m.weight);
      sum += w;
      g = gcd(g, w);
      // w/T = p/(2P) + x/(2X)  ⇔  w · 2PX = T · (p·X + x·P)
      expect(w * 2n * P * X, r.code).toBe(T * (BigInt(r.population) * X + BigInt(r.x) * P));
    }
    expect(sum).toBe(T);
    expect(g, 'weights are the smallest integers with these ratios').toBe(1n);
    // The earlier version stays readable, unchanged.
    const v1 = await getKey('?version=1');
    expect(v1.json()).toMatchObject({ version: 1, current: false, kind: 'population', totalWeight: '17942942' });
    expect((await getKey('?version=99')).statusCode).toBe(404);
  });

  it('applies a new key from the next allocation, which records its version', async () => {
    const first = await register(t);
    await waitForStatus(t, first.id, 'proposed');
    expect((await activeAllocation(t, first.id)).keyVersion).toBe(2);

    const res = await putKey({ kind: 'fixed', shares: [{ municipality: 'GM0014', weight: 3 }, { municipality: 'GM0034', weight: 1 }] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ version: 3, kind: 'fixed', totalWeight: '4' });
    expect(res.json().municipalities.filter((m: { weight: string }) => m.weight !== '0')).toEqual([
      { municipality: 'GM0014', name: 'Groningen', province: 'Groningen', weight: '3', share: 0.75 },
      { municipality: 'GM0034', name: 'Almere', province: 'Flevoland', weight: '1', share: 0.25 },
    ]);

    // Earlier allocations keep their version; the next ones use version 3 and only its two municipalities.
    expect((await activeAllocation(t, first.id)).keyVersion).toBe(2);
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { id } = await register(t);
      await waitForStatus(t, id, 'proposed');
      const a = await activeAllocation(t, id);
      expect(a.keyVersion).toBe(3);
      expect(a.explanation.keyVersion).toBe(3);
      codes.push(a.municipality);
    }
    // Three quarters to Groningen, one to Almere, within one unit at every step.
    expect(codes.filter((c) => c === 'GM0014')).toHaveLength(3);
    expect(codes.filter((c) => c === 'GM0034')).toHaveLength(1);

    const audit = await sql<{ action: string; resource_id: string }>(`select action, resource_id from audit_events where action = 'distribution-key.create' order by id`);
    expect(audit.map((a) => a.resource_id)).toEqual(['2', '3']);
    const [head] = await sql<{ key_version: number }>(`select key_version from ledger_state`);
    expect(head!.key_version).toBe(3);
  });

  it('a population key again is a new version over the active municipalities', async () => {
    const res = await putKey({ kind: 'population' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ version: 4, kind: 'population', totalWeight: '17942942' });
  });
});

describe('coordinator only', () => {
  const endpoints = [
    { method: 'GET' as const, url: '/api/v1/distribution/key' },
    { method: 'PUT' as const, url: '/api/v1/distribution/key', payload: { kind: 'population' } },
    { method: 'GET' as const, url: '/api/v1/distribution/balances?period=2026-H2' },
    { method: 'POST' as const, url: '/api/v1/distribution/periods/2026-H1/close' },
    { method: 'POST' as const, url: '/api/v1/distribution/mergers', payload: { into: 'GM0363', from: ['GM0384'] } },
    { method: 'GET' as const, url: '/api/v1/reports/distribution?period=2026-H2' },
  ];
  // A municipality and a policy_viewer read balances and the distribution report (issue 13; scoped, see reports/transparency).
  const readable = (role: string, url: string) => ['municipality', 'policy_viewer'].includes(role) && /\/(distribution\/balances|reports\/distribution)\?/.test(url);
  it.each(['municipality', 'housing_corporation', 'admin', 'policy_viewer'] as const)('answers 403 to a %s on every distribution endpoint it may not use', async (role) => {
    const headers = await t.auth(role, role === 'municipality' ? { municipality: 'GM0363' } : role === 'housing_corporation' ? { municipalities: ['GM0363'] } : {});
    const before = await rowCounts(t.databaseUrl);
    for (const e of endpoints.filter((x) => !readable(role, x.url))) {
      const res = await t.app.inject({ ...e, headers });
      expect(res.statusCode, `${e.method} ${e.url}`).toBe(403);
      expect(res.json().code).toBe('forbidden');
    }
    // A policy_viewer's reads are logged; nothing else changes.
    expect({ ...(await rowCounts(t.databaseUrl)), audit_events: 0 }).toEqual({ ...before, audit_events: 0 });
  });

  it('answers 401 without a token', async () => {
    for (const e of endpoints) expect((await t.app.inject(e)).statusCode, `${e.method} ${e.url}`).toBe(401);
  });
});
