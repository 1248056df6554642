import { describe, expect, it } from 'vitest';
import { pooledRandomBytes } from './random-pool.js';

describe('pooledRandomBytes', () => {
  it('hands out distinct copies across refills, of the asked length', () => {
    const seen = new Set<string>();
    // 12-byte nonces across several 4 KiB refills: a repeat would mean a byte range handed out twice.
    for (let i = 0; i < 5_000; i++) {
      const b = pooledRandomBytes(12);
      expect(b).toHaveLength(12);
      seen.add(b.toString('hex'));
    }
    expect(seen.size).toBe(5_000);
    const a = pooledRandomBytes(16);
    const copy = Buffer.from(a);
    for (let i = 0; i < 1_000; i++) pooledRandomBytes(16);
    expect(a.equals(copy)).toBe(true); // a refill does not change what was handed out
  });

  it('refuses more than the pool holds', () => {
    expect(() => pooledRandomBytes(4097)).toThrow(RangeError);
  });
});
