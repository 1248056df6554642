// Herindeling: the balances of merged municipalities move to the new one, exactly, as merge
// movements; the old codes are deactivated. Real PostgreSQL, in-process worker.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { checkInvariants } from '../../support/invariants.js';
import { coordinatorPost, register, waitForStatus } from '../../support/workflow.js';
import { add, formatRational, parseRational, ZERO } from '../../../src/modules/allocation/engine/index.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ relay: true, worker: true });
});
afterAll(async () => {
  await t?.close();
});
afterEach(async () => {
  expect(await checkInvariants(t.databaseUrl)).toEqual([]);
});

const sql = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => sqlRows<T>(t.databaseUrl, text, values);

const balanceMap = async () => {
  const res = await t.app.inject({ url: '/api/v1/distribution/balances?period=2026-H2&province=Noord-Holland', headers: await t.auth('coordinator') });
  expect(res.statusCode).toBe(200);
  return new Map((res.json().items as Array<{ municipality: string; balance: string }>).map((i) => [i.municipality, i.balance]));
};

describe('merging municipalities', () => {
  it('refuses unknown codes (400) and codes the current key still weighs (409)', async () => {
    for (let i = 0; i < 6; i++) {
      const { id } = await register(t);
      await waitForStatus(t, id, 'proposed');
    }
    const bad = await coordinatorPost(t, '/api/v1/distribution/mergers', { into: 'GM9998', from: ['GM9999', 'GM0384'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/into', '/from/0']);
    const weighted = await coordinatorPost(t, '/api/v1/distribution/mergers', { into: 'GM0363', from: ['GM0362', 'GM0384'] });
    expect(weighted.statusCode).toBe(409);
    expect(weighted.json().detail).toContain('GM0362, GM0384');
  });

  it('moves the summed balances of the old codes to the new one and deactivates them', async () => {
    // As after a CBS import: the old codes are gone from the table, and a key without them is adopted.
    await sql(`update municipalities set active = false where code in ('GM0362', 'GM0384')`);
    expect((await t.app.inject({ method: 'PUT', url: '/api/v1/distribution/key', headers: await t.auth('coordinator'), payload: { kind: 'population' } })).statusCode).toBe(200);
    const before = await balanceMap();
    const res = await coordinatorPost(t, '/api/v1/distribution/mergers', { into: 'GM0363', from: ['GM0362', 'GM0384'] });
    expect(res.statusCode, res.body).toBe(200);
    const moved = parseRational(before.get('GM0362')!);
    const moved2 = parseRational(before.get('GM0384')!);
    const expected = add(parseRational(before.get('GM0363')!), add(moved, moved2));
    expect(res.json()).toMatchObject({
      into: 'GM0363',
      moved: [
        { municipality: 'GM0362', balance: before.get('GM0362') },
        { municipality: 'GM0384', balance: before.get('GM0384') },
      ],
      balance: formatRational(expected),
    });
    const after = await balanceMap();
    expect(after.get('GM0362')).toBe('0/1');
    expect(after.get('GM0384')).toBe('0/1');
    expect(after.get('GM0363')).toBe(formatRational(expected));
    // Nothing else moved, and the national sum of balances is unchanged.
    for (const [code, b] of before) if (!['GM0362', 'GM0384', 'GM0363'].includes(code)) expect(after.get(code)).toBe(b);
    const sum = (m: Map<string, string>) => formatRational([...m.values()].reduce((s, b) => add(s, parseRational(b)), ZERO));
    expect(sum(after)).toBe(sum(before));

    const rows = await sql<{ code: string; active: boolean; merged_into: string | null }>(`select code, active, merged_into from municipalities where code in ('GM0362', 'GM0384') order by code`);
    expect(rows).toEqual([
      { code: 'GM0362', active: false, merged_into: 'GM0363' },
      { code: 'GM0384', active: false, merged_into: 'GM0363' },
    ]);
    const moves = await sql<{ kind: string }>(`select kind from ledger_movements where kind = 'merge'`);
    expect(moves).toHaveLength(4);

    // Repeating the merger moves nothing more.
    const again = await coordinatorPost(t, '/api/v1/distribution/mergers', { into: 'GM0363', from: ['GM0362', 'GM0384'] });
    expect(again.statusCode).toBe(200);
    expect(again.json().moved).toEqual([]);
    expect(await sql(`select 1 from ledger_movements where kind = 'merge'`)).toHaveLength(4);
  });

  it('allocations go on from the merged ledger', async () => {
    const { id } = await register(t, {}, 'GM0599');
    await waitForStatus(t, id, 'proposed');
  });
});
