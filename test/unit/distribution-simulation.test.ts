// The simulation's runs (issue 15) are exactly a plain sequential quota run, including the
// shortcut over whole periods of T = Σ w units.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeKey, distributeUnits } from '../../src/modules/distribution/distribution-simulation.js';
import { plainQuotaRun } from '../support/quota-reference.js';

const code = (i: number) => `GM${String(i).padStart(4, '0')}`;

describe('distributeUnits', () => {
  it('equals a plain sequential quota run for any small key and number of units (also past whole periods of T)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 400 }), async (ws, units) => {
        fc.pre(ws.some((x) => x > 0));
        const weights = new Map(ws.map((x, i) => [code(i), BigInt(x)]));
        const codes = [...weights.keys()];
        expect(await distributeUnits(codes, weights, units)).toEqual(plainQuotaRun(weights, units));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every municipality within one unit of its quota, over many slices', async () => {
    const weights = new Map([[code(1), 7n], [code(2), 1_000_003n], [code(3), 999_983n], [code(4), 0n]]);
    const units = 60_001;
    const out = await distributeUnits([...weights.keys()], weights, units);
    const T = 7n + 1_000_003n + 999_983n;
    for (const [c, w] of weights) {
      const exact = (BigInt(units) * w) / T;
      expect(BigInt(out.get(c)!) - exact, c).toBeGreaterThanOrEqual(0n);
      expect(BigInt(out.get(c)!) - exact, c).toBeLessThanOrEqual(1n);
    }
    expect(out).toEqual(plainQuotaRun(weights, units));
  });

  it('refuses a key without weight', async () => {
    await expect(distributeUnits([code(1)], new Map([[code(1), 0n]]), 5)).rejects.toThrow(/without weight/);
  });
});

describe('describeKey', () => {
  it('names the attributes and their weights in Dutch', () => {
    expect(describeKey({ kind: 'composite', components: [{ attribute: 'population', weight: 2 }, { attribute: 'socialHousing', weight: 1 }] }, 342)).toBe(
      'Samengesteld: inwonertal (gewicht 2, 66,7 %), socialHousing (gewicht 1, 33,3 %)',
    );
    expect(describeKey({ kind: 'composite', components: [{ attribute: 'population', weight: '0.75' }, { attribute: 'socialHousing', weight: '0.25' }] }, 342)).toBe(
      'Samengesteld: inwonertal 75 %, socialHousing 25 %',
    );
    expect(describeKey({ kind: 'population' }, 342)).toBe('Aandeel in het inwonertal (CBS, 1 januari)');
    expect(describeKey({ kind: 'fixed', weights: { GM0363: '3', GM0599: '0', GM0344: '1' } }, 342)).toBe('Vaste tabel: 2 van de 342 gemeenten met een gewicht, de andere wegen 0');
  });
});
