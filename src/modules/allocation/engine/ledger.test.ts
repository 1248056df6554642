import { describe, expect, it } from 'vitest';
import {
  createLedger,
  EngineInputError,
  formatRational,
  restoreLedger,
  type AllocationDecision,
  type Decision,
  type Ledger,
} from './index.js';

function ledgerOf(weights: Record<string, number>, extra: Record<string, { entitlement?: string; allocated?: number }> = {}): Ledger {
  return createLedger({
    municipalities: Object.keys(weights).map((code) => ({ code, ...extra[code] })),
    key: { version: 1, weights },
  });
}

function allocated(d: Decision): AllocationDecision {
  if (d.kind !== 'allocate') throw new Error(`expected an allocation, got ${d.kind}`);
  return d;
}

const entitlement = (l: Ledger, code: string): string => formatRational(l.entitlementOf(code));

describe('choice rule', () => {
  it('breaks ties by code, whatever order the municipalities are listed in', () => {
    const l = ledgerOf({ GM0003: 1, GM0001: 1, GM0002: 1 });
    expect(Array.from({ length: 6 }, () => l.allocate())).toEqual(['GM0001', 'GM0002', 'GM0003', 'GM0001', 'GM0002', 'GM0003']);
  });

  it("follows D'Hondt on a fresh ledger while it stays within quota", () => {
    const l = ledgerOf({ A: 5, B: 3, C: 2 });
    expect(Array.from({ length: 10 }, () => l.allocate()).join('')).toBe('ABACABABAC');
  });

  it('never chooses a zero-weight municipality that has no backlog', () => {
    const l = ledgerOf({ A: 1, Z: 0 });
    expect(Array.from({ length: 5 }, () => l.allocate())).toEqual(['A', 'A', 'A', 'A', 'A']);
  });

  it('chooses a zero-weight municipality a full unit behind first (overdue), and one with a backlog when it is the only one within upper quota', () => {
    const overdue = ledgerOf({ A: 1, Z: 0 }, { Z: { entitlement: '3/2' } });
    expect(overdue.allocate()).toBe('Z');
    const backlog = ledgerOf({ A: 1, Z: 0 }, { A: { allocated: 2 }, Z: { entitlement: '1/2' } });
    expect(backlog.allocate()).toBe('Z');
  });

  it('adds u shares to every entitlement for a family of u units', () => {
    const l = ledgerOf({ A: 3, B: 1 });
    const d = allocated(l.choose({ units: 5 }));
    expect(d.code).toBe('A');
    l.commit(d);
    expect(entitlement(l, 'A')).toBe('15/4');
    expect(entitlement(l, 'B')).toBe('5/4');
    expect(l.allocatedOf('A')).toBe(5);
  });

  it('keeps carried entitlement exactly across a key change', () => {
    const l = ledgerOf({ A: 2, B: 1 });
    for (let k = 0; k < 4; k++) l.allocate();
    const before = l.snapshot().municipalities;
    l.setKey({ version: 2, weights: { A: 1, B: 6 } });
    expect(l.snapshot().municipalities).toEqual(before);
    expect(l.snapshot().unitsByKeyVersion).toEqual({ '1': 4, '2': 0 });
    l.allocate();
    expect(entitlement(l, 'A')).toBe('59/21');
    expect(entitlement(l, 'B')).toBe('46/21');
  });
});

describe('constraints', () => {
  it('excludes per reason, lists codes per reason, still accrues the excluded', () => {
    const l = ledgerOf({ GM0001: 10, GM0002: 5, GM0003: 3, GM0004: 1 });
    const d = allocated(
      l.choose({
        units: 1,
        excluded: [
          { code: 'GM0001', reason: 'reporting_municipality' },
          { code: 'GM0003', reason: 'suspended' },
          { code: 'GM0001', reason: 'family_exclusion' },
          { code: 'GM9999', reason: 'rejected_before' },
        ],
      }),
    );
    expect(d.code).toBe('GM0002');
    expect(d.explanation.constraints).toEqual({
      municipalityCount: 4,
      allowedCount: 2,
      withinUpperQuotaAllowedCount: 2,
      removed: [
        { reason: 'reporting_municipality', count: 1, codes: ['GM0001'], codesOmitted: 0 },
        { reason: 'suspended', count: 1, codes: ['GM0003'], codesOmitted: 0 },
        { reason: 'family_exclusion', count: 1, codes: ['GM0001'], codesOmitted: 0 },
      ],
      unknownCodes: ['GM9999'],
    });
    l.commit(d);
    expect(entitlement(l, 'GM0001')).toBe('10/19');
  });

  it.each(['reporting_municipality', 'family_exclusion', 'rejected_before', 'suspended', 'at_capacity'])(
    'removes a municipality excluded as %s',
    (reason) => {
      const l = ledgerOf({ A: 10, B: 1 });
      const d = allocated(l.choose({ units: 1, excluded: [{ code: 'A', reason }] }));
      expect(d.code).toBe('B');
      expect(d.explanation.constraints.removed).toEqual([{ reason, count: 1, codes: ['A'], codesOmitted: 0 }]);
    },
  );

  it('restricts to a region and caps the listed codes outside it at 50', () => {
    const weights = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`GM${String(i).padStart(4, '0')}`, 1 + (i % 7)]));
    const l = ledgerOf(weights);
    const d = allocated(l.choose({ units: 1, region: ['GM0100', 'GM0101', 'GM0000', 'XX'] }));
    expect(['GM0000', 'GM0100', 'GM0101']).toContain(d.code);
    const outside = d.explanation.constraints.removed.find((r) => r.reason === 'outside_region');
    expect(outside?.count).toBe(117);
    expect(outside?.codes).toHaveLength(50);
    expect(outside?.codes[0]).toBe('GM0001');
    expect(outside?.codesOmitted).toBe(67);
    expect(d.explanation.constraints.allowedCount).toBe(3);
    expect(d.explanation.constraints.unknownCodes).toEqual(['XX']);
  });

  it('falls back to the earliest deadline among the allowed when none is within upper quota', () => {
    // After this unit A has E = 1/2 but A = 1 (ahead); only B (excluded) is within upper quota.
    const l = ledgerOf({ A: 1, B: 1 }, { A: { allocated: 1 }, B: { entitlement: '1' } });
    const d = allocated(l.choose({ units: 1, excluded: [{ code: 'B', reason: 'reporting_municipality' }] }));
    expect(d.code).toBe('A');
    expect(d.explanation.selection).toBe('fallback_no_upper_quota_candidate');
    expect(d.explanation.fallbackUsed).toBe(true);
    expect(d.explanation.chosen?.withinUpperQuota).toBe(false);
    expect(d.explanation.notes.join(' ')).toContain('fallback_no_upper_quota_candidate');
  });

  it('answers needs_attention and changes nothing when every municipality is removed', () => {
    const l = ledgerOf({ A: 1, B: 1 });
    l.allocate();
    const before = l.snapshot();
    const d = l.choose({
      units: 2,
      excluded: [{ code: 'A', reason: 'reporting_municipality' }],
      region: ['A', 'B'],
      network: ['B'],
    });
    const onlyUnknownRegion = l.choose({ units: 1, region: ['GM9999'] });
    expect(onlyUnknownRegion.kind).toBe('needs_attention');
    const allExcluded = l.choose({ units: 1, excluded: [{ code: 'A', reason: 'suspended' }, { code: 'B', reason: 'at_capacity' }] });
    expect(allExcluded).toMatchObject({ kind: 'needs_attention', reason: 'no_allowed_municipality' });
    expect(allExcluded.explanation.chosen).toBeNull();
    expect(allExcluded.explanation.selection).toBe('none');
    expect(d.kind).toBe('allocate');
    expect(l.snapshot()).toEqual(before);
    expect(() => l.commit(allExcluded as unknown as AllocationDecision)).toThrow(EngineInputError);
  });

  describe('network preference', () => {
    // Fresh, weights A 6, B 3, C 1: after one unit the balances are 0.6, 0.3, 0.1 and A is the rule's choice.
    const fresh = (): Ledger => ledgerOf({ A: 6, B: 3, C: 1 });

    it('prefers a network municipality whose balance is within the tolerance', () => {
      const d = allocated(fresh().choose({ units: 1, network: ['B'], networkTolerance: '3/10' }));
      expect(d.code).toBe('B');
      expect(d.explanation.selection).toBe('network_preference');
      expect(d.explanation.network).toMatchObject({ ruleChoice: 'A', ruleChoiceBalance: '3/5', qualifying: ['B'], used: true, tolerance: '3/10' });
      expect(d.explanation.runnersUp.map((r) => r.code)).toEqual(['A', 'C']);
      expect(d.explanation.chosen?.inNetwork).toBe(true);
    });

    it('keeps the rule choice when the network municipality lags by more than the tolerance', () => {
      const d = allocated(fresh().choose({ units: 1, network: ['B', 'C'], networkTolerance: 0.29 }));
      expect(d.code).toBe('A');
      expect(d.explanation.networkPreferenceUsed).toBe(false);
      expect(d.explanation.network?.qualifying).toEqual([]);
    });

    it('picks the network municipality the rule ranks first when several qualify', () => {
      const d = allocated(fresh().choose({ units: 1, network: ['C', 'B'], networkTolerance: 1 }));
      expect(d.code).toBe('B');
      expect(d.explanation.network?.qualifying).toEqual(['B', 'C']);
    });

    it('does not override when the rule already chose a network municipality', () => {
      const d = allocated(fresh().choose({ units: 1, network: ['A', 'B'], networkTolerance: 1 }));
      expect(d.code).toBe('A');
      expect(d.explanation.network?.used).toBe(false);
    });

    it('ignores network municipalities that a constraint removed', () => {
      const d = allocated(fresh().choose({ units: 1, network: ['B'], networkTolerance: 1, excluded: [{ code: 'B', reason: 'family_exclusion' }] }));
      expect(d.code).toBe('A');
      expect(d.explanation.network?.notAllowed).toEqual(['B']);
    });

    it('rejects a negative tolerance', () => {
      expect(() => fresh().choose({ units: 1, network: ['B'], networkTolerance: -1 })).toThrow(EngineInputError);
    });
  });
});

describe('explanation', () => {
  it('is JSON-serialisable with exact and display values for the chosen and up to five runners-up', () => {
    const l = ledgerOf({ A: 7, B: 5, C: 3, D: 2, E: 2, F: 1, G: 1 });
    l.allocate();
    const d = allocated(l.choose({ units: 1 }));
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    const e = d.explanation;
    expect(e).toMatchObject({ rule: 'balinski-young-quota-method', keyVersion: 1, units: 1, unitsUnderKey: 2, selection: 'quota_rule' });
    expect(e.chosen).toEqual({
      code: 'B',
      keyShare: '5/21',
      keyShareDisplay: 0.238095,
      entitlement: '10/21',
      entitlementDisplay: 0.4762,
      allocatedBefore: 0,
      allocatedAfter: 1,
      balance: '10/21',
      balanceDisplay: 0.4762,
      deadline: '11/5',
      deadlineDisplay: 2.2,
      withinUpperQuota: true,
      inNetwork: false,
    });
    // A already holds a unit above its entitlement (2/3), so every municipality within upper quota ranks first.
    expect(e.runnersUp.map((r) => r.code)).toEqual(['C', 'D', 'E', 'F', 'G']);
    expect(e.runnersUp.every((r) => r.withinUpperQuota)).toBe(true);
    expect(e.runnersUp.every((r) => r.allocatedAfter === r.allocatedBefore)).toBe(true);
  });
});

describe('commit', () => {
  it('refuses a stale or repeated decision', () => {
    const l = ledgerOf({ A: 1, B: 1 });
    const d = allocated(l.choose({ units: 1 }));
    const other = allocated(l.choose({ units: 1 }));
    l.commit(d);
    expect(() => l.commit(d)).toThrow(/stale|revision/);
    expect(() => l.commit(other)).toThrow(EngineInputError);
    const next = allocated(l.choose({ units: 1 }));
    l.setKey({ version: 2, weights: { A: 1, B: 2 } });
    expect(() => l.commit(next)).toThrow(EngineInputError);
  });

  it('applies a coordinator override to the named municipality', () => {
    const l = ledgerOf({ A: 9, B: 1 });
    const d = l.override({ code: 'B', units: 1 });
    expect(d.explanation.selection).toBe('override');
    expect(d.explanation.notes[0]).toContain('would have chosen A');
    l.commit(d);
    expect(l.allocatedOf('B')).toBe(1);
    expect(entitlement(l, 'B')).toBe('1/10');
  });
});

describe('release', () => {
  it('a rejection releases A only; the re-proposal adds no entitlement', () => {
    const l = ledgerOf({ A: 3, B: 1 });
    const first = allocated(l.choose({ units: 1 }));
    l.commit(first);
    expect(first.code).toBe('A');
    const afterProposal = l.snapshot().municipalities;
    l.release('A', 1, { withdrawEntitlement: false });
    const again = allocated(l.choose({ units: 1, accrue: false, excluded: [{ code: 'A', reason: 'rejected_before' }] }));
    expect(again.code).toBe('B');
    expect(again.explanation.entitlementAdded).toBe(false);
    l.commit(again);
    const now = l.snapshot().municipalities;
    expect(now.map((m) => m.entitlement)).toEqual(afterProposal.map((m) => m.entitlement));
    expect(now.map((m) => m.allocated)).toEqual([0, 1]);
  });

  it('a registration closed before transfer takes its shares and unit out again, also under an older key', () => {
    const l = ledgerOf({ A: 3, B: 1, C: 2 });
    for (let k = 0; k < 3; k++) l.allocate();
    const before = l.snapshot();
    const d = allocated(l.choose({ units: 2 }));
    l.commit(d);
    l.release(d.code, 2, { withdrawEntitlement: true, keyVersion: 1 });
    expect(l.snapshot().municipalities).toEqual(before.municipalities);

    const old = allocated(l.choose({ units: 1 }));
    l.commit(old);
    l.setKey({ version: 2, weights: { A: 1, B: 1, C: 1 } });
    for (let k = 0; k < 4; k++) l.allocate();
    l.release(old.code, 1, { withdrawEntitlement: true, keyVersion: 1 });
    const snap = l.snapshot();
    expect(snap.unitsByKeyVersion).toEqual({ '1': 3, '2': 4 });
    const rebuilt = restoreLedger({
      municipalities: snap.municipalities.map((m) => ({ code: m.code, allocated: m.allocated })),
      keys: [
        { version: 1, weights: { A: 3, B: 1, C: 2 } },
        { version: 2, weights: { A: 1, B: 1, C: 1 } },
      ],
      currentKeyVersion: 2,
      unitsByKeyVersion: { 1: 3, 2: 4 },
    });
    expect(rebuilt.snapshot().municipalities).toEqual(snap.municipalities);
  });

  it('replays movements written elsewhere exactly as a rebuild from the stored state would', () => {
    const keys = [
      { version: 1, weights: { A: 3, B: 1, C: 2 } },
      { version: 2, weights: { A: 1, B: 1, C: 1 } },
    ];
    const stored = (units: Record<number, number>, rows: Array<{ code: string; allocated: number; carried?: string }>) =>
      restoreLedger({ municipalities: rows, keys, currentKeyVersion: 2, unitsByKeyVersion: units });
    const cached = stored({ 1: 3, 2: 1 }, [{ code: 'A', allocated: 2 }, { code: 'B', allocated: 1 }, { code: 'C', allocated: 1 }]);
    const choice = cached.choose({ units: 1 });
    cached.applyMovements([
      { kind: 'accrued', keyVersion: 2, units: 2 },
      { kind: 'allocated', code: 'C', units: 2 },
      { kind: 'accrued', keyVersion: 1, units: -1 },
      { kind: 'allocated', code: 'A', units: -1 },
      { kind: 'carried', code: 'B', delta: '-1/3' },
    ]);
    const fresh = stored({ 1: 2, 2: 3 }, [{ code: 'A', allocated: 1 }, { code: 'B', allocated: 1, carried: '-1/3' }, { code: 'C', allocated: 3 }]);
    expect(cached.snapshot().municipalities).toEqual(fresh.snapshot().municipalities);
    expect(cached.choose({ units: 1 })).toMatchObject({ code: allocated(fresh.choose({ units: 1 })).code });
    // A decision made before the movements is stale now.
    expect(() => cached.commit(allocated(choice))).toThrow(/decision was made on revision/);
  });

  it('replays movements all or none', () => {
    const l = ledgerOf({ A: 1, B: 1 });
    l.allocate();
    const before = l.snapshot();
    expect(() => l.applyMovements([{ kind: 'allocated', code: 'A', units: 1 }, { kind: 'allocated', code: 'Q', units: 1 }])).toThrow(EngineInputError);
    expect(() => l.applyMovements([{ kind: 'accrued', keyVersion: 1, units: -2 }])).toThrow(EngineInputError);
    expect(() => l.applyMovements([{ kind: 'accrued', keyVersion: 9, units: 1 }])).toThrow(EngineInputError);
    expect(() => l.applyMovements([{ kind: 'allocated', code: 'B', units: -1 }])).toThrow(EngineInputError);
    expect(l.snapshot()).toEqual(before);
  });

  it('refuses to release more than was allocated or accrued', () => {
    const l = ledgerOf({ A: 1, B: 1 });
    l.allocate();
    expect(() => l.release('B', 1, { withdrawEntitlement: false })).toThrow(/release_exceeds|allocated/);
    expect(() => l.release('A', 1, { withdrawEntitlement: true, keyVersion: 7 })).toThrow(EngineInputError);
    expect(() => l.release('A', 1, { withdrawEntitlement: true })).toThrow(EngineInputError);
    expect(() => l.release('XX', 1, { withdrawEntitlement: false })).toThrow(EngineInputError);
  });
});

describe('input validation', () => {
  it.each([
    [{ version: 2, weights: { A: -1, B: 1 } }, /negative/],
    [{ version: 2, weights: { A: 0, B: 0 } }, /all be zero/],
    [{ version: 2, weights: { A: 0.5, B: 1 } }, /integer/],
    [{ version: 2, weights: { A: 1, Q: 1 } }, /unknown municipality/],
    [{ version: 1, weights: { A: 2, B: 1 } }, /current with other weights/],
  ])('rejects key %j', (key, message) => {
    const l = ledgerOf({ A: 1, B: 1 });
    expect(() => l.setKey(key)).toThrow(message);
  });

  it('never reuses a key version', () => {
    const l = ledgerOf({ A: 1, B: 1 });
    l.setKey({ version: 2, weights: { A: 1, B: 2 } });
    l.setKey({ version: 2, weights: { A: 1, B: 2 } });
    expect(() => l.setKey({ version: 1, weights: { A: 1, B: 1 } })).toThrow(/never reused/);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects %s units', (units) => {
    const l = ledgerOf({ A: 1 });
    expect(() => l.choose({ units })).toThrow(EngineInputError);
    expect(() => l.allocate(units)).toThrow(EngineInputError);
  });

  it('rejects duplicate codes and bad carried values', () => {
    expect(() => createLedger({ municipalities: [{ code: 'A' }, { code: 'A' }], key: { version: 1, weights: { A: 1 } } })).toThrow(/twice/);
    expect(() => createLedger({ municipalities: [{ code: 'A', entitlement: '1/0' }], key: { version: 1, weights: { A: 1 } } })).toThrow(EngineInputError);
    expect(() => createLedger({ municipalities: [{ code: 'A', allocated: -1 }], key: { version: 1, weights: { A: 1 } } })).toThrow(EngineInputError);
  });
});
