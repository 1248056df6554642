// Exact entitlement arithmetic shared by balances, period settlement and the report. Pure.
import { add, compare, mul, neg, type Rational, ZERO } from '../allocation/engine/index.js';
import { gcd, reduce } from '../allocation/engine/rational.js';

/** One key version's integer weights and their sum T. */
export interface KeyWeights {
  readonly version: number;
  readonly weights: ReadonlyMap<string, bigint>;
  readonly total: bigint;
}

export function keyWeights(version: number, stored: Record<string, string>): KeyWeights {
  const weights = new Map<string, bigint>();
  let total = 0n;
  for (const [code, w] of Object.entries(stored)) {
    const v = BigInt(w);
    weights.set(code, v);
    total += v;
  }
  return { version, weights, total };
}

/**
 * Σ_v units_v · w_{i,v} / T_v for every code, exact. One common denominator over the versions
 * involved, so each municipality costs one BigInt sum and one reduction, however many versions.
 */
export function accruedShares(codes: readonly string[], units: ReadonlyMap<number, number>, keys: ReadonlyMap<number, KeyWeights>): Map<string, Rational> {
  const used: Array<{ key: KeyWeights; units: bigint }> = [];
  for (const [version, n] of units) {
    if (n === 0) continue;
    const key = keys.get(version);
    if (!key) throw new Error(`distribution key version ${version} is missing`);
    if (key.total > 0n) used.push({ key, units: BigInt(n) });
  }
  let den = 1n;
  for (const u of used) den = (den / gcd(den, u.key.total)) * u.key.total;
  const factors = used.map((u) => ({ ...u, factor: u.units * (den / u.key.total) }));
  const out = new Map<string, Rational>();
  for (const code of codes) {
    let num = 0n;
    for (const f of factors) {
      const w = f.key.weights.get(code);
      if (w) num += w * f.factor;
    }
    out.set(code, num === 0n ? ZERO : reduce(num, den));
  }
  return out;
}

/** clamp(factor × balance, −cap, +cap): what a closed period carries into the next. */
export function carriedAmount(balance: Rational, factor: Rational, cap: number | undefined): Rational {
  const scaled = mul(factor, balance);
  if (cap === undefined) return scaled;
  const c: Rational = { num: BigInt(cap), den: 1n };
  if (compare(scaled, c) > 0) return c;
  if (compare(scaled, neg(c)) < 0) return neg(c);
  return scaled;
}

/**
 * Fixed decimals, rounded half away from zero, computed on the exact value (never through a
 * double), for CSV cells a spreadsheet reads as they are: "12.3457", "-0.5000", never "-0.0000".
 */
export function fixedDecimal(r: Rational, places = 4): string {
  const scale = 10n ** BigInt(places);
  const scaled = r.num * scale;
  const magnitude = (2n * (scaled < 0n ? -scaled : scaled) + r.den) / (2n * r.den);
  const digits = magnitude.toString().padStart(places + 1, '0');
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return scaled < 0n && magnitude !== 0n ? `-${text}` : text;
}

/**
 * Shelter credit (issue 12 §6): each reporting municipality r gives up c_r units of entitlement,
 * and every other municipality with weight receives c_r · w_j / (T − w_r) of it, so the national
 * entitlement still equals the units allocated (ΣE = ΣA) and the quota rule keeps candidates.
 * Exact; municipalities whose delta nets to zero are left out. A reporter that holds the whole
 * key (T = w_r) cannot pass its credit on, so it gets none.
 */
export function shelterCreditDeltas(credits: ReadonlyMap<string, number>, key: KeyWeights): Map<string, Rational> {
  const out = new Map<string, Rational>();
  const bump = (code: string, r: Rational) => out.set(code, add(out.get(code) ?? ZERO, r));
  for (const [reporter, units] of credits) {
    if (units <= 0) continue;
    const rest = key.total - (key.weights.get(reporter) ?? 0n);
    if (rest <= 0n) continue;
    bump(reporter, { num: -BigInt(units), den: 1n });
    for (const [code, w] of key.weights) {
      if (code === reporter || w === 0n) continue;
      bump(code, reduce(BigInt(units) * w, rest));
    }
  }
  for (const [code, r] of out) if (r.num === 0n) out.delete(code);
  return out;
}
