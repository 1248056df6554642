import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  add,
  bigRatioToNumber,
  ceil,
  compare,
  floor,
  formatRational,
  parseRational,
  rational,
  RationalFormatError,
  sub,
  toDisplayNumber,
  toRational,
} from './rational.js';

describe('rational', () => {
  it('formats as num/den and parses back', () => {
    expect(formatRational(rational(6, 4))).toBe('3/2');
    expect(formatRational(rational(3))).toBe('3/1');
    expect(formatRational(rational(0, 7))).toBe('0/1');
    expect(formatRational(rational(1, -3))).toBe('-1/3');
    expect(parseRational('10/4')).toEqual({ num: 5n, den: 2n });
    expect(parseRational(' -7 ')).toEqual({ num: -7n, den: 1n });
    expect(parseRational('0.25')).toEqual({ num: 1n, den: 4n });
    expect(parseRational('-.5')).toEqual({ num: -1n, den: 2n });
  });

  it('rejects malformed text and zero denominators', () => {
    for (const bad of ['', '1/0', '1e3', 'abc', '1/-2', '1.', '.', '--1', '1/2/3']) {
      expect(() => parseRational(bad), bad).toThrow(RationalFormatError);
    }
  });

  it('reads numbers through their shortest decimal form', () => {
    expect(toRational(0.1)).toEqual({ num: 1n, den: 10n });
    expect(toRational(1e-7)).toEqual({ num: 1n, den: 10_000_000n });
    expect(toRational(2.5e21)).toEqual({ num: 2_500_000_000_000_000_000_000n, den: 1n });
    expect(() => toRational(Number.NaN)).toThrow(RationalFormatError);
  });

  it('round-trips any fraction through its string form', () => {
    fc.assert(
      fc.property(fc.bigInt(), fc.bigInt({ min: 1n }), (n, d) => {
        const r = rational(n, d);
        expect(parseRational(formatRational(r))).toEqual(r);
        expect(compare(r, { num: n, den: d })).toBe(0);
      }),
    );
  });

  it('floor and ceil bracket the value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 20n }), (n, d) => {
        const r = rational(n, d);
        const f = floor(r);
        const c = ceil(r);
        expect(f * r.den <= r.num && r.num < (f + 1n) * r.den).toBe(true);
        expect((c - 1n) * r.den < r.num && r.num <= c * r.den).toBe(true);
      }),
    );
  });

  it('adds and subtracts exactly', () => {
    const third = rational(1, 3);
    expect(add(add(third, third), third)).toEqual({ num: 1n, den: 1n });
    expect(sub(third, third)).toEqual({ num: 0n, den: 1n });
  });

  it('rounds half away from zero for display', () => {
    expect(toDisplayNumber(rational(1, 3))).toBe(0.3333);
    expect(toDisplayNumber(rational(2, 3))).toBe(0.6667);
    expect(toDisplayNumber(rational(-1, 8), 2)).toBe(-0.13);
    expect(toDisplayNumber(rational(5, 100000))).toBe(0.0001);
  });

  it('converts fractions far beyond the double range', () => {
    const big = 10n ** 400n;
    expect(bigRatioToNumber(3n * big, 2n * big)).toBeCloseTo(1.5, 12);
    expect(bigRatioToNumber(big, 7n)).toBe(Infinity);
  });
});
