/**
 * Property tests of maatwerk: hard removals (needs a municipality cannot meet, regions) and soft
 * preferences (network, work region, declared capacity, soft needs) on top of the quota rule.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLedger, type ChoiceRequest, type Decision, type Ledger } from './index.js';

const codeOf = (i: number): string => `GM${String(i).padStart(4, '0')}`;

function fresh(weights: readonly number[]): Ledger {
  return createLedger({
    municipalities: weights.map((_, i) => ({ code: codeOf(i) })),
    key: { version: 1, weights: new Map(weights.map((w, i) => [codeOf(i), w])) },
  });
}

const NEEDS = ['medicalCare', 'specialEducation', 'accessibleHousing'] as const;

/** A world: weights, and per need the municipalities whose profile says they cannot offer it. */
const worldArb = fc.integer({ min: 2, max: 40 }).chain((n) =>
  fc.record({
    weights: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: n, maxLength: n }).map((w) => (w.some((x) => x > 0) ? w : [1, ...w.slice(1)])),
    gaps: fc.tuple(...NEEDS.map(() => fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: Math.ceil(n / 3) }))),
    capacity: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: Math.ceil(n / 5) }),
    workRegion: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: Math.ceil(n / 4) }),
  }),
);

/** A family: which needs it has (hard or soft), its network, its reporting municipality, its size. */
const familyArb = (n: number) =>
  fc.record({
    needs: fc.tuple(...NEEDS.map(() => fc.constantFrom<'none' | 'hard' | 'soft'>('none', 'none', 'hard', 'soft'))),
    network: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }),
    reporting: fc.integer({ min: 0, max: n - 1 }),
    units: fc.integer({ min: 1, max: 3 }),
    tolerance: fc.constantFrom(0, 1, 2, '1/2'),
    work: fc.boolean(),
  });

type World = { weights: number[]; gaps: number[][]; capacity: number[]; workRegion: number[] };
type Family = { needs: Array<'none' | 'hard' | 'soft'>; network: number[]; reporting: number; units: number; tolerance: number | string; work: boolean };

/** The request the allocation service builds for this family (same shape, same reason codes). */
function requestFor(world: World, f: Family): ChoiceRequest {
  const n = world.weights.length;
  const excluded = [{ code: codeOf(f.reporting), reason: 'reporting_municipality' }];
  const preferences: Array<{ kind: string; codes: string[] }> = [];
  if (f.work) preferences.push({ kind: 'work_region', codes: world.workRegion.map(codeOf) });
  preferences.push({ kind: 'declared_capacity', codes: world.capacity.map(codeOf) });
  NEEDS.forEach((need, k) => {
    const gap = new Set(world.gaps[k]);
    if (f.needs[k] === 'hard') for (const i of gap) excluded.push({ code: codeOf(i), reason: `need_unmet:${need}` });
    if (f.needs[k] === 'soft') preferences.push({ kind: `need:${need}`, codes: Array.from({ length: n }, (_, i) => i).filter((i) => !gap.has(i)).map(codeOf) });
  });
  return { units: f.units, excluded, network: f.network.map(codeOf), networkTolerance: f.tolerance, preferences };
}

function balanceOf(d: Decision, code: string | null): number | undefined {
  if (code === null) return undefined;
  const views = [d.explanation.chosen, ...d.explanation.runnersUp];
  return views.find((v) => v?.code === code)?.balanceDisplay;
}

describe('maatwerk on top of the quota rule', () => {
  it('never places a family where a hard need is unmet, and explains every deviation from the unconstrained choice', () => {
    fc.assert(
      fc.property(
        worldArb.chain((world) => fc.tuple(fc.constant(world), fc.array(familyArb(world.weights.length), { minLength: 1, maxLength: 40 }))),
        ([world, families]) => {
          const ledger = fresh(world.weights);
          for (const f of families) {
            const d = ledger.choose(requestFor(world, f));
            const e = d.explanation;
            if (d.kind === 'needs_attention') {
              expect(e.constraints.allowedCount).toBe(0);
              continue;
            }
            // Hard needs: never a municipality whose profile says it cannot offer one.
            NEEDS.forEach((_, k) => {
              if (f.needs[k] === 'hard') expect(world.gaps[k]!.map(codeOf)).not.toContain(d.code);
            });
            // Every deviation explained: the unconstrained choice was removed (and listed with its
            // reason), or a named preference chose another municipality within the tolerance.
            if (d.code !== e.unconstrainedChoice) {
              const removedWith = e.constraints.removed.filter((r) => r.codes.includes(e.unconstrainedChoice!)).map((r) => r.reason);
              const byPreference = e.selection === 'preference' || e.selection === 'network_preference';
              expect(removedWith.length > 0 || byPreference).toBe(true);
              if (removedWith.length > 0) expect(removedWith).toContain(e.unconstrainedRemovedBy);
              else expect(e.unconstrainedRemovedBy).toBeNull();
              if (byPreference) {
                expect(e.preferences?.decidedBy).toBeTruthy();
                expect(e.preferences?.chosenSatisfies).toContain(e.preferences?.decidedBy);
                expect(e.preferences?.ruleChoiceSatisfies).not.toContain(e.preferences?.decidedBy);
              }
            }
            // A preference only moves the choice within the tolerance of the rule's choice.
            if (e.preferences?.used) {
              const ruleBalance = Number(e.preferences.ruleChoiceBalance.split('/')[0]) / Number(e.preferences.ruleChoiceBalance.split('/')[1]);
              const tol = typeof f.tolerance === 'number' ? f.tolerance : 0.5;
              expect(e.chosen!.balanceDisplay).toBeGreaterThanOrEqual(ruleBalance - tol - 1e-4);
            }
            expect(balanceOf(d, d.code)).toBeDefined();
            ledger.commit(d);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('allocatePrepared makes exactly the choices of choose() + commit (with constraints and preferences)', () => {
    fc.assert(
      fc.property(
        worldArb.chain((world) => fc.tuple(fc.constant(world), fc.array(familyArb(world.weights.length), { minLength: 1, maxLength: 60 }))),
        ([world, families]) => {
          const explained = fresh(world.weights);
          const fast = fresh(world.weights);
          for (const f of families) {
            const request = requestFor(world, f);
            const d = explained.choose(request);
            const code = fast.allocatePrepared(fast.prepare(request));
            if (d.kind === 'needs_attention') {
              expect(code).toBeNull();
              continue;
            }
            expect(code).toBe(d.code);
            explained.commit(d);
          }
          expect(fast.snapshot().municipalities).toEqual(explained.snapshot().municipalities);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('without family constraints, prepared choices are the quota method’s choices (allocate)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 60 }).map((w) => (w.some((x) => x > 0) ? w : [1, ...w.slice(1)])), fc.integer({ min: 1, max: 150 }), (weights, units) => {
        const plain = fresh(weights);
        const prepared = fresh(weights);
        const p = prepared.prepare({ units: 1 });
        for (let k = 0; k < units; k++) expect(prepared.allocatePrepared(p)).toBe(plain.allocate());
      }),
      { numRuns: 100 },
    );
  });
});

describe('how far preferences can move a municipality', () => {
  it('with preferences but no removals, no municipality is ever more than tolerance + units ahead of its entitlement', () => {
    fc.assert(
      fc.property(
        worldArb.chain((world) => fc.tuple(fc.constant(world), fc.array(familyArb(world.weights.length), { minLength: 1, maxLength: 80 }))),
        ([world, families]) => {
          const ledger = fresh(world.weights);
          // A choice leaves the chosen municipality at a balance ≥ −(its family's tolerance + units).
          let bound = 0;
          for (const f of families) {
            const request = requestFor(world, { ...f, needs: f.needs.map((m) => (m === 'hard' ? 'soft' : m)) });
            const d = ledger.choose({ ...request, excluded: [] });
            expect(d.kind).toBe('allocate');
            if (d.kind !== 'allocate') return;
            // Without removals the rule's choice is within upper quota (ΣE > ΣA after accrual).
            expect(d.explanation.fallbackUsed).toBe(false);
            ledger.commit(d);
            bound = Math.max(bound, (typeof f.tolerance === 'number' ? f.tolerance : 0.5) + f.units);
            for (const m of ledger.snapshot().municipalities) {
              const [num, den] = m.balance.split('/').map(Number) as [number, number];
              expect(num / den).toBeGreaterThanOrEqual(-bound - 1e-9);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('preferences, by example', () => {
  // Shares 4/10, 3/10, 2/10, 1/10: the rule takes A first.
  const example = () => fresh([4, 3, 2, 1]);

  it('takes a municipality with declared capacity within the tolerance, and names the preference', () => {
    const d = example().choose({ units: 1, networkTolerance: 1, preferences: [{ kind: 'declared_capacity', codes: ['GM0001'] }] });
    expect(d.kind === 'allocate' && d.code).toBe('GM0001');
    expect(d.explanation.selection).toBe('preference');
    expect(d.explanation.preferences).toMatchObject({ decidedBy: 'declared_capacity', ruleChoice: 'GM0000', used: true });
    expect(d.explanation.unconstrainedChoice).toBe('GM0000');
  });

  it('keeps the rule choice when the preferred municipality lags by more than the tolerance', () => {
    const d = example().choose({ units: 1, networkTolerance: '1/10', preferences: [{ kind: 'declared_capacity', codes: ['GM0003'] }] });
    expect(d.kind === 'allocate' && d.code).toBe('GM0000');
    expect(d.explanation.preferences?.used).toBe(false);
  });

  it('ranks the network before the work region before capacity (lexicographic, in the stated order)', () => {
    const d = example().choose({
      units: 1,
      networkTolerance: 1,
      network: ['GM0002'],
      preferences: [{ kind: 'work_region', codes: ['GM0001', 'GM0002'] }, { kind: 'declared_capacity', codes: ['GM0001'] }],
    });
    expect(d.kind === 'allocate' && d.code).toBe('GM0002');
    expect(d.explanation.preferences?.decidedBy).toBe('network');
    expect(d.explanation.selection).toBe('network_preference');
    const e = example().choose({
      units: 1,
      networkTolerance: 1,
      preferences: [{ kind: 'work_region', codes: ['GM0001', 'GM0002'] }, { kind: 'declared_capacity', codes: ['GM0002'] }],
    });
    // Both satisfy the work region; GM0002 also has capacity.
    expect(e.kind === 'allocate' && e.code).toBe('GM0002');
    expect(e.explanation.preferences?.decidedBy).toBe('work_region');
  });
});
