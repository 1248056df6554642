/**
 * Property tests of the quota guarantee. Entitlements are recomputed here with plain BigInt
 * fractions, independently of the engine's own bookkeeping.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLedger, restoreLedger, type Ledger } from './index.js';

const codeOf = (i: number): string => `GM${String(i).padStart(4, '0')}`;

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

/** E_i = N_i / L exactly, L a common multiple of every key total seen so far. */
class ExactBook {
  readonly A: number[];
  N: bigint[];
  L = 1n;
  constructor(readonly n: number, carried?: Array<{ num: bigint; den: bigint }>, allocated?: number[]) {
    this.A = allocated ? [...allocated] : new Array<number>(n).fill(0);
    this.N = new Array<bigint>(n).fill(0n);
    if (carried) {
      for (const c of carried) this.rescale(c.den);
      this.N = carried.map((c) => c.num * (this.L / c.den));
    }
  }
  private rescale(den: bigint): void {
    const L2 = (this.L / gcd(this.L, den)) * den;
    if (L2 === this.L) return;
    const f = L2 / this.L;
    this.N = this.N.map((x) => x * f);
    this.L = L2;
  }
  accrue(weights: readonly bigint[], units: number): void {
    const T = weights.reduce((s, w) => s + w, 0n);
    this.rescale(T);
    const f = (this.L / T) * BigInt(units);
    for (let i = 0; i < this.n; i++) this.N[i] = (this.N[i] as bigint) + (weights[i] as bigint) * f;
  }
  give(i: number, units: number): void {
    this.A[i] = (this.A[i] as number) + units;
  }
  /** ⌊E_i⌋ ≤ A_i ≤ ⌈E_i⌉ ⟺ A_i − 1 < E_i < A_i + 1. */
  quotaBroken(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) {
      const a = BigInt(this.A[i] as number);
      const e = this.N[i] as bigint;
      if (!(e < (a + 1n) * this.L && (a - 1n) * this.L < e)) out.push(i);
    }
    return out;
  }
  upperQuotaBroken(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) if (!((BigInt(this.A[i] as number) - 1n) * this.L < (this.N[i] as bigint))) out.push(i);
    return out;
  }
  totalsBalance(): boolean {
    const e = this.N.reduce((s, x) => s + x, 0n);
    const a = BigInt(this.A.reduce((s, x) => s + x, 0));
    return e === a * this.L;
  }
}

const weightArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0n) },
  { weight: 3, arbitrary: fc.bigInt({ min: 1n, max: 10n }) },
  { weight: 3, arbitrary: fc.bigInt({ min: 1_000n, max: 1_000_000n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 12n }) },
);

const nonZero = (ws: bigint[]): bigint[] => (ws.some((w) => w > 0n) ? ws : [1n, ...ws.slice(1)]);
const keyArb = (n: number, w = weightArb): fc.Arbitrary<bigint[]> => fc.array(w, { minLength: n, maxLength: n }).map(nonZero);

function keyMap(weights: readonly bigint[]): Map<string, bigint> {
  return new Map(weights.map((w, i) => [codeOf(i), w]));
}

function fresh(weights: readonly bigint[], version = 1): Ledger {
  return createLedger({
    municipalities: weights.map((_, i) => ({ code: codeOf(i) })),
    key: { version, weights: keyMap(weights) },
  });
}

const indexOfCode = (code: string): number => Number(code.slice(2));

describe('quota property under one key', () => {
  it('keeps ⌊E⌋ ≤ A ≤ ⌈E⌉ after every unit (1–500 municipalities, zero, tiny and huge weights)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }).chain((n) => fc.tuple(keyArb(n), fc.integer({ min: 1, max: 200 }))),
        ([weights, units]) => {
          const ledger = fresh(weights);
          const book = new ExactBook(weights.length);
          for (let k = 0; k < units; k++) {
            book.accrue(weights, 1);
            book.give(indexOfCode(ledger.allocate()), 1);
            expect(book.quotaBroken()).toEqual([]);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('ends exactly at A_i = w_i after T units, and k·w_i after k·T', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 40n }), { minLength: 1, maxLength: 30 }).map(nonZero),
        fc.integer({ min: 1, max: 3 }),
        (weights, rounds) => {
          const ledger = fresh(weights);
          const T = Number(weights.reduce((s, w) => s + w, 0n));
          for (let k = 0; k < rounds * T; k++) ledger.allocate();
          weights.forEach((w, i) => expect(ledger.allocatedOf(codeOf(i))).toBe(rounds * Number(w)));
          for (const m of ledger.snapshot().municipalities) expect(m.balance).toBe('0/1');
        },
      ),
      { numRuns: 150 },
    );
  });

  it("on a fresh ledger equals D'Hondt restricted to upper quota: largest w_i/(A_i+1) with E_i > A_i, ties by code", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 12n }), { minLength: 1, maxLength: 25 }).map(nonZero),
        fc.integer({ min: 1, max: 120 }),
        (weights, units) => {
          const ledger = fresh(weights);
          const T = weights.reduce((s, w) => s + w, 0n);
          const A = weights.map(() => 0n);
          for (let t = 1n; t <= BigInt(units); t++) {
            let best = -1;
            weights.forEach((w, i) => {
              if (!(t * w > (A[i] as bigint) * T)) return;
              if (best < 0 || w * ((A[best] as bigint) + 1n) > (weights[best] as bigint) * ((A[i] as bigint) + 1n)) best = i;
            });
            const chosen = ledger.allocate();
            expect(chosen).toBe(codeOf(best));
            A[best] = (A[best] as bigint) + 1n;
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

interface Segment {
  weights: bigint[];
  units: number;
}

const segmentsArb = (n: number, maxUnits: number, w = weightArb): fc.Arbitrary<Segment[]> =>
  fc.array(fc.record({ weights: keyArb(n, w), units: fc.integer({ min: 0, max: maxUnits }) }), { minLength: 1, maxLength: 5 });

describe('across key changes', () => {
  it('never allocates above upper quota, keeps ΣE = ΣA exactly, and keeps quota within the first key', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }).chain((n) => segmentsArb(n, 60)),
        (segments) => {
          const n = (segments[0] as Segment).weights.length;
          const ledger = fresh((segments[0] as Segment).weights);
          const book = new ExactBook(n);
          segments.forEach((seg, v) => {
            if (v > 0) ledger.setKey({ version: v + 1, weights: keyMap(seg.weights) });
            for (let k = 0; k < seg.units; k++) {
              book.accrue(seg.weights, 1);
              book.give(indexOfCode(ledger.allocate()), 1);
              expect(book.upperQuotaBroken()).toEqual([]);
              if (v === 0) expect(book.quotaBroken()).toEqual([]);
            }
          });
          expect(book.totalsBalance()).toBe(true);
          const snap = ledger.snapshot();
          snap.municipalities.forEach((m, i) => {
            const [num, den] = m.entitlement.split('/').map(BigInt) as [bigint, bigint];
            expect(num * book.L).toBe((book.N[i] as bigint) * den);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  /**
   * Earliest-deadline-first is optimal for a fixed key: if any sequence of choices keeps quota
   * for the next H units after a key change, the engine's does. Checked by brute force.
   */
  it('keeps quota after a key change whenever any choice sequence could (brute force, small n)', () => {
    let feasibleCases = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }).chain((n) =>
          fc.tuple(
            segmentsArb(n, 12, fc.bigInt({ min: 0n, max: 9n })),
            keyArb(n, fc.bigInt({ min: 0n, max: 9n })),
            fc.integer({ min: 4, max: 8 }),
          ),
        ),
        ([before, after, horizon]) => {
          const n = after.length;
          const ledger = fresh((before[0] as Segment).weights);
          const book = new ExactBook(n);
          before.forEach((seg, v) => {
            if (v > 0) ledger.setKey({ version: v + 1, weights: keyMap(seg.weights) });
            for (let k = 0; k < seg.units; k++) {
              book.accrue(seg.weights, 1);
              book.give(indexOfCode(ledger.allocate()), 1);
            }
          });
          if (book.quotaBroken().length > 0) return;
          ledger.setKey({ version: before.length + 1, weights: keyMap(after) });
          if (!feasible(book, after, horizon)) return;
          feasibleCases++;
          for (let k = 0; k < horizon; k++) {
            book.accrue(after, 1);
            book.give(indexOfCode(ledger.allocate()), 1);
            expect(book.quotaBroken()).toEqual([]);
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(feasibleCases).toBeGreaterThan(100);
  });

  it('keeps quota from an arbitrary carried state whenever any choice sequence could (brute force)', () => {
    const carriedArb = fc.record({
      allocated: fc.integer({ min: 0, max: 3 }),
      num: fc.integer({ min: -11, max: 11 }),
      den: fc.integer({ min: 12, max: 12 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }).chain((n) =>
          fc.tuple(
            fc.array(carriedArb, { minLength: n, maxLength: n }),
            keyArb(n, fc.bigInt({ min: 0n, max: 9n })),
            fc.integer({ min: 3, max: 7 }),
          ),
        ),
        ([carried, weights, horizon]) => {
          const n = weights.length;
          const entitlements = carried.map((c) => ({ num: BigInt(c.allocated * c.den + c.num), den: BigInt(c.den) }));
          const ledger = createLedger({
            municipalities: carried.map((c, i) => ({ code: codeOf(i), entitlement: entitlements[i], allocated: c.allocated })),
            key: { version: 1, weights: keyMap(weights) },
          });
          const book = new ExactBook(n, entitlements, carried.map((c) => c.allocated));
          if (!feasible(book, weights, horizon)) return;
          for (let k = 0; k < horizon; k++) {
            book.accrue(weights, 1);
            book.give(indexOfCode(ledger.allocate()), 1);
            expect(book.quotaBroken()).toEqual([]);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  /**
   * Why no rule that does not know future keys can promise quota across key changes: four
   * municipalities, and after each unit a new key that gives weight only to those not chosen
   * yet. Whatever is chosen, by the third unit some municipality is a full unit behind (or one
   * was given a unit above its upper quota).
   */
  it('shows that no online rule can keep quota when the key may change after every unit', () => {
    const n = 4;
    const adversaryKey = (A: readonly number[]): bigint[] => A.map((a) => (a === 0 ? 1n : 0n));
    const everyBranchBreaks = (book: ExactBook, depth: number): boolean => {
      if (depth === 0) return false;
      const key = adversaryKey(book.A);
      for (let j = 0; j < n; j++) {
        const next = new ExactBook(n);
        next.N = [...book.N];
        next.L = book.L;
        next.A.splice(0, n, ...book.A);
        next.accrue(key, 1);
        next.give(j, 1);
        if (next.quotaBroken().length === 0 && !everyBranchBreaks(next, depth - 1)) return false;
      }
      return true;
    };
    expect(everyBranchBreaks(new ExactBook(n), 3)).toBe(true);

    const ledger = fresh([1n, 1n, 1n, 1n]);
    const book = new ExactBook(n);
    const broken: number[][] = [];
    for (let k = 0; k < 3; k++) {
      const key = adversaryKey(book.A);
      if (k > 0) ledger.setKey({ version: k + 1, weights: keyMap(key) });
      book.accrue(key, 1);
      book.give(indexOfCode(ledger.allocate()), 1);
      broken.push(book.quotaBroken());
    }
    expect(broken.slice(0, 2)).toEqual([[], []]);
    expect(broken[2]).toEqual([3]);
    expect(ledger.entitlementOf(codeOf(3))).toEqual({ num: 13n, den: 12n });
  });
});

describe('a key change that makes quota impossible for good', () => {
  it('leaves one of two municipalities 13/12 behind after every second unit, under any rule', () => {
    // Reached from a fresh 1:1:1:1 key: balances −3/4, −5/12, 7/12, 7/12; then only C and D weigh.
    const carried = [
      { num: 1n, den: 4n },
      { num: 7n, den: 12n },
      { num: 7n, den: 12n },
      { num: 7n, den: 12n },
    ];
    const A = [1, 1, 0, 0];
    const weights = [0n, 0n, 1n, 1n];
    const ledger = createLedger({
      municipalities: carried.map((c, i) => ({ code: codeOf(i), entitlement: c, allocated: A[i] })),
      key: { version: 1, weights: keyMap(weights) },
    });
    const book = new ExactBook(4, carried, A);
    expect(feasible(book, weights, 1)).toBe(false);
    const broken: number[] = [];
    for (let k = 0; k < 40; k++) {
      book.accrue(weights, 1);
      book.give(indexOfCode(ledger.allocate()), 1);
      broken.push(book.quotaBroken().length);
      if (k % 2 === 1) expect(feasible(book, weights, 1)).toBe(false);
    }
    expect(broken).toEqual(Array.from({ length: 40 }, (_, k) => (k % 2 === 0 ? 1 : 0)));
    expect(book.upperQuotaBroken()).toEqual([]);
  });
});

/** Is there any choice sequence of `horizon` units under `weights` keeping quota throughout? */
function feasible(book: ExactBook, weights: readonly bigint[], horizon: number): boolean {
  const n = weights.length;
  const T = weights.reduce((s, w) => s + w, 0n);
  const L = (book.L / gcd(book.L, T)) * T;
  const N = book.N.map((x) => x * (L / book.L));
  const inc = weights.map((w) => w * (L / T));
  const A = book.A.map(BigInt);
  const ok = (): boolean => N.every((e, i) => e < ((A[i] as bigint) + 1n) * L && ((A[i] as bigint) - 1n) * L < e);
  const search = (depth: number): boolean => {
    if (depth === horizon) return true;
    for (let i = 0; i < n; i++) N[i] = (N[i] as bigint) + (inc[i] as bigint);
    let found = false;
    for (let j = 0; j < n && !found; j++) {
      A[j] = (A[j] as bigint) + 1n;
      if (ok() && search(depth + 1)) found = true;
      A[j] = (A[j] as bigint) - 1n;
    }
    for (let i = 0; i < n; i++) N[i] = (N[i] as bigint) - (inc[i] as bigint);
    return found;
  };
  return search(0);
}

describe('paths that must agree', () => {
  const familiesArb = fc.array(
    fc.record({ units: fc.integer({ min: 1, max: 4 }), keyChange: fc.option(fc.array(fc.bigInt({ min: 0n, max: 50n }), { minLength: 30, maxLength: 30 }).map(nonZero), { freq: 8 }) }),
    { maxLength: 80 },
  );

  it('allocate(u) and choose({units: u}) + commit make the same choices', () => {
    fc.assert(
      fc.property(keyArb(30), familiesArb, (weights, families) => {
        const fast = fresh(weights);
        const explained = fresh(weights);
        families.forEach((f, k) => {
          if (f.keyChange) {
            fast.setKey({ version: k + 2, weights: keyMap(f.keyChange) });
            explained.setKey({ version: k + 2, weights: keyMap(f.keyChange) });
          }
          const d = explained.choose({ units: f.units });
          expect(d.kind).toBe('allocate');
          if (d.kind !== 'allocate') return;
          expect(d.code).toBe(fast.allocate(f.units));
          explained.commit(d);
        });
        expect(explained.snapshot().municipalities).toEqual(fast.snapshot().municipalities);
      }),
      { numRuns: 80 },
    );
  });

  it('a region gives the same decision as excluding everything outside it', () => {
    fc.assert(
      fc.property(
        keyArb(60, fc.bigInt({ min: 0n, max: 30n })),
        fc.integer({ min: 0, max: 200 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 40 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { maxLength: 10 }),
        fc.integer({ min: 1, max: 3 }),
        (weights, warmup, region, excluded, units) => {
          const ledger = fresh(weights);
          for (let k = 0; k < warmup; k++) ledger.allocate();
          const regionSet = new Set(region);
          const viaRegion = ledger.choose({
            units,
            region: region.map(codeOf),
            excluded: excluded.map((i) => ({ code: codeOf(i), reason: 'family_exclusion' })),
          });
          const viaExclusion = ledger.choose({
            units,
            excluded: [
              ...excluded.map((i) => ({ code: codeOf(i), reason: 'family_exclusion' })),
              ...weights.map((_, i) => i).filter((i) => !regionSet.has(i)).map((i) => ({ code: codeOf(i), reason: 'elsewhere' })),
            ],
          });
          expect(viaRegion.kind).toBe(viaExclusion.kind);
          const pick = (d: typeof viaRegion) => ({
            code: d.kind === 'allocate' ? d.code : null,
            fallback: d.explanation.fallbackUsed,
            runnersUp: d.explanation.runnersUp.map((r) => r.code),
            upper: d.explanation.constraints.withinUpperQuotaAllowedCount,
            allowed: d.explanation.constraints.allowedCount,
          });
          expect(pick(viaRegion)).toEqual(pick(viaExclusion));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('restoring from units per key version gives the same ledger and the same next choices', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((n) =>
          fc.tuple(
            segmentsArb(n, 40),
            fc.array(fc.record({ num: fc.integer({ min: -5, max: 5 }), den: fc.integer({ min: 1, max: 7 }) }), { minLength: n, maxLength: n }),
          ),
        ),
        ([segments, carried]) => {
          const municipalities = carried.map((c, i) => ({ code: codeOf(i), entitlement: `${c.num}/${c.den}` }));
          const keys = segments.map((s, v) => ({ version: 10 + v, weights: keyMap(s.weights) }));
          const live = createLedger({ municipalities, key: keys[0]! });
          segments.forEach((s, v) => {
            if (v > 0) live.setKey(keys[v]!);
            for (let k = 0; k < s.units; k++) live.allocate();
          });
          const snap = live.snapshot();
          const restored = restoreLedger({
            municipalities: snap.municipalities.map((m, i) => ({ code: m.code, carried: municipalities[i]!.entitlement, allocated: m.allocated })),
            keys,
            currentKeyVersion: live.keyVersion,
            unitsByKeyVersion: snap.unitsByKeyVersion,
          });
          expect(restored.snapshot().municipalities).toEqual(snap.municipalities);
          for (let k = 0; k < 20; k++) expect(restored.allocate()).toBe(live.allocate());
        },
      ),
      { numRuns: 80 },
    );
  });

  it('is deterministic: the order municipalities are listed in changes nothing', () => {
    fc.assert(
      fc.property(keyArb(25, fc.bigInt({ min: 0n, max: 20n })), fc.integer({ min: 0, max: 1000 }), (weights, seed) => {
        const listed = weights.map((w, i) => ({ code: codeOf(i), w }));
        const shuffled = [...listed].sort((a, b) => ((a.w * 7919n + BigInt(seed)) % 97n < (b.w * 7919n + BigInt(seed)) % 97n ? -1 : 1));
        const a = createLedger({ municipalities: listed, key: { version: 1, weights: keyMap(weights) } });
        const b = createLedger({ municipalities: shuffled, key: { version: 1, weights: Object.fromEntries(keyMap(weights)) } });
        for (let k = 0; k < 100; k++) {
          const units = 1 + (k % 3);
          expect(JSON.stringify(b.choose({ units, excluded: [{ code: codeOf(k % 25), reason: 'suspended' }] }))).toBe(
            JSON.stringify(a.choose({ units, excluded: [{ code: codeOf(k % 25), reason: 'suspended' }] })),
          );
          expect(b.allocate(units)).toBe(a.allocate(units));
        }
      }),
      { numRuns: 40 },
    );
  });
});
