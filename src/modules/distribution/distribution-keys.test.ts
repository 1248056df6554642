import { describe, expect, it } from 'vitest';
import { formatRational, rational } from '../allocation/engine/index.js';
import { accruedShares, carriedAmount, fixedDecimal, keyWeights } from './distribution-amounts.js';
import { computeKey, integerWeights } from './distribution-keys.js';

const towns = [
  { code: 'GM0001', population: 1, attributes: { x: 1 } },
  { code: 'GM0002', population: 2, attributes: { x: 1 } },
  { code: 'GM0003', population: 3, attributes: { x: 2 } },
];

describe('computeKey', () => {
  it('composite: exact shares as the smallest integer weights', () => {
    // λ = ½·p/6 + ½·x/4 = 5/24, 7/24, 12/24
    const r = computeKey({ kind: 'composite', components: [{ attribute: 'population', weight: '0.5' }, { attribute: 'x', weight: '0.5' }] }, towns);
    expect(r.ok && [...r.weights.values()]).toEqual([5n, 7n, 12n]);
    const q = computeKey({ kind: 'composite', components: [{ attribute: 'population', weight: '0.75' }, { attribute: 'x', weight: '0.25' }] }, towns);
    // ¾·p/6 + ¼·x/4 = 1/8+1/16, 1/4+1/16, 3/8+1/8 → 3/16, 5/16, 8/16
    expect(q.ok && [...q.weights.values()]).toEqual([3n, 5n, 8n]);
  });

  it('accepts decimal attribute values exactly', () => {
    const r = computeKey({ kind: 'composite', components: [{ attribute: 'x', weight: '1' }] }, towns.map((t, i) => ({ ...t, attributes: { x: [0.1, 0.2, 0.7][i] } })));
    expect(r.ok && [...r.weights.values()]).toEqual([1n, 2n, 7n]);
  });

  it('reports every problem of a composite at once', () => {
    const r = computeKey({ kind: 'composite', components: [{ attribute: 'population', weight: '0.3' }, { attribute: 'y', weight: '0.3' }, { attribute: 'population', weight: '0' }] }, towns);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => `${p.pointer} ${p.code}`)).toEqual(['/components/1/attribute unknown_attribute', '/components/2/weight not_positive', '/components/2/attribute duplicate_attribute']);
    const sum = computeKey({ kind: 'composite', components: [{ attribute: 'population', weight: '0.3' }, { attribute: 'x', weight: '0.65' }] }, towns);
    expect(!sum.ok && sum.problems).toEqual([{ pointer: '/components', code: 'weights_not_one', message: 'the component weights must sum to exactly 1; they sum to 0.95' }]);
  });

  it('fixed: unlisted codes weigh 0; unknown, duplicate and all-zero tables are refused', () => {
    const r = computeKey({ kind: 'fixed', shares: [{ municipality: 'GM0003', weight: 4 }] }, towns);
    expect(r.ok && Object.fromEntries(r.weights)).toEqual({ GM0001: 0n, GM0002: 0n, GM0003: 4n });
    const bad = computeKey({ kind: 'fixed', shares: [{ municipality: 'GM0009', weight: 4 }, { municipality: 'GM0001', weight: 0 }] }, towns);
    expect(!bad.ok && bad.problems.map((p) => p.code)).toEqual(['unknown_municipality', 'all_zero']);
  });

  it('population: one weight per active municipality', () => {
    const r = computeKey({ kind: 'population' }, towns);
    expect(r.ok && [...r.weights.values()]).toEqual([1n, 2n, 3n]);
  });

  it('integerWeights divides out a common factor', () => {
    expect([...integerWeights(new Map([['a', rational(2, 4)], ['b', rational(1, 2)]])).values()]).toEqual([1n, 1n]);
  });
});

describe('amounts', () => {
  it('accruedShares sums units · w / T over key versions exactly', () => {
    const keys = new Map([
      [1, keyWeights(1, { a: '1', b: '2' })],
      [2, keyWeights(2, { a: '1', b: '1', c: '2' })],
    ]);
    const e = accruedShares(['a', 'b', 'c'], new Map([[1, 3], [2, 2]]), keys);
    expect([...e.values()].map(formatRational)).toEqual(['3/2', '5/2', '1/1']);
  });

  it('carriedAmount applies factor, then cap, in both directions', () => {
    expect(formatRational(carriedAmount(rational(-3), rational(1, 2), 1))).toBe('-1/1');
    expect(formatRational(carriedAmount(rational(5, 3), rational(1, 2), 1))).toBe('5/6');
    expect(formatRational(carriedAmount(rational(7, 2), rational(1), undefined))).toBe('7/2');
    expect(formatRational(carriedAmount(rational(7, 2), rational(1), 0))).toBe('0/1');
  });

  it('fixedDecimal rounds the exact value half away from zero, without a negative zero', () => {
    expect(fixedDecimal(rational(1, 3))).toBe('0.3333');
    expect(fixedDecimal(rational(2, 3))).toBe('0.6667');
    expect(fixedDecimal(rational(-1, 20_000))).toBe('-0.0001');
    expect(fixedDecimal(rational(-1, 30_000))).toBe('0.0000');
    expect(fixedDecimal(rational(12))).toBe('12.0000');
    expect(fixedDecimal(rational(-123_456_789, 1000), 2)).toBe('-123456.79');
  });
});
