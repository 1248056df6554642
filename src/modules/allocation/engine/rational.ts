/**
 * Exact non-negative and negative rationals on BigInt.
 *
 * Entitlements are sums of key shares w_i/T over key versions with different totals T, so
 * floating point would drift; the ledger keeps them exact and the database stores them as
 * "num/den" strings (see formatRational / parseRational).
 */

/** Always reduced, `den > 0`; zero is 0/1. Treat as immutable. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

export class RationalFormatError extends Error {
  override readonly name = 'RationalFormatError';
}

export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

export function rational(num: bigint | number, den: bigint | number = 1n): Rational {
  const n = toBigIntStrict(num, 'numerator');
  const d = toBigIntStrict(den, 'denominator');
  if (d === 0n) throw new RangeError('rational: denominator is zero');
  return reduce(n, d);
}

export const ZERO: Rational = Object.freeze({ num: 0n, den: 1n });

/** Reduces num/den (den ≠ 0) to lowest terms with a positive denominator. */
export function reduce(num: bigint, den: bigint): Rational {
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  if (num === 0n) return ZERO;
  const g = gcd(num, den);
  return g === 1n ? { num, den } : { num: num / g, den: den / g };
}

export function add(a: Rational, b: Rational): Rational {
  if (a.den === b.den) return reduce(a.num + b.num, a.den);
  return reduce(a.num * b.den + b.num * a.den, a.den * b.den);
}

export function sub(a: Rational, b: Rational): Rational {
  if (a.den === b.den) return reduce(a.num - b.num, a.den);
  return reduce(a.num * b.den - b.num * a.den, a.den * b.den);
}

export function mul(a: Rational, b: Rational): Rational {
  return reduce(a.num * b.num, a.den * b.den);
}

export function div(a: Rational, b: Rational): Rational {
  if (b.num === 0n) throw new RangeError('rational: division by zero');
  return reduce(a.num * b.den, a.den * b.num);
}

export function neg(a: Rational): Rational {
  return a.num === 0n ? ZERO : { num: -a.num, den: a.den };
}

/** -1, 0 or 1. */
export function compare(a: Rational, b: Rational): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function isZero(a: Rational): boolean {
  return a.num === 0n;
}

export function floor(a: Rational): bigint {
  const q = a.num / a.den;
  return a.num < 0n && q * a.den !== a.num ? q - 1n : q;
}

export function ceil(a: Rational): bigint {
  const q = a.num / a.den;
  return a.num > 0n && q * a.den !== a.num ? q + 1n : q;
}

/** Nearest double; safe for numerators and denominators far beyond 2^1024. */
export function toNumber(a: Rational): number {
  return bigRatioToNumber(a.num, a.den);
}

/**
 * The value rounded half away from zero to `places` decimals, as a number — for display only.
 */
export function toDisplayNumber(a: Rational, places = 4): number {
  const scale = 10n ** BigInt(places);
  const scaled = a.num * scale;
  const twice = (2n * (scaled < 0n ? -scaled : scaled) + a.den) / (2n * a.den);
  const rounded = scaled < 0n ? -twice : twice;
  return Number(rounded) / Number(scale);
}

/** "num/den", always with the slash (also for integers: "3/1"), as the database stores it. */
export function formatRational(a: Rational): string {
  return `${a.num}/${a.den}`;
}

const FRACTION = /^\s*([+-]?\d+)\s*(?:\/\s*(\d+)\s*)?$/;
const DECIMAL = /^\s*([+-]?)(\d*)\.(\d+)\s*$/;

/**
 * Parses "num/den", an integer "num", or a plain decimal "0.25" (exactly: 1/4). Rejects
 * exponents, empty parts and a zero denominator.
 */
export function parseRational(text: string): Rational {
  const f = FRACTION.exec(text);
  if (f) {
    const den = f[2] === undefined ? 1n : BigInt(f[2]);
    if (den === 0n) throw new RationalFormatError(`denominator is zero in "${text}"`);
    return reduce(BigInt(f[1] as string), den);
  }
  const d = DECIMAL.exec(text);
  if (d && ((d[2] as string).length > 0 || (d[3] as string).length > 0)) {
    const digits = (d[3] as string).length;
    const whole = BigInt(`${d[2] || '0'}${d[3]}`);
    return reduce(d[1] === '-' ? -whole : whole, 10n ** BigInt(digits));
  }
  throw new RationalFormatError(`not a rational: "${text.length > 60 ? `${text.slice(0, 60)}…` : text}"`);
}

/**
 * Accepts what callers naturally hold: a Rational, a "num/den" or decimal string, a bigint, or
 * a finite number. A number is read through its shortest decimal form, so 0.1 means 1/10
 * rather than the binary double nearest to it.
 */
export function toRational(value: Rational | string | number | bigint): Rational {
  if (typeof value === 'bigint') return { num: value, den: 1n };
  if (typeof value === 'string') return parseRational(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RationalFormatError(`not a finite number: ${value}`);
    if (Number.isInteger(value) && Number.isSafeInteger(value)) return { num: BigInt(value), den: 1n };
    return numberToRational(value);
  }
  if (typeof value.num !== 'bigint' || typeof value.den !== 'bigint' || value.den === 0n) {
    throw new RationalFormatError('not a Rational');
  }
  return reduce(value.num, value.den);
}

function numberToRational(value: number): Rational {
  // String() gives the shortest round-tripping form, possibly with an exponent ("1e-7").
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!m) throw new RationalFormatError(`cannot read number ${value}`);
  const frac = m[3] ?? '';
  const exp = Number(m[4] ?? '0') - frac.length;
  let num = BigInt(`${m[2]}${frac}`);
  if (m[1] === '-') num = -num;
  return exp >= 0 ? { num: num * 10n ** BigInt(exp), den: 1n } : reduce(num, 10n ** BigInt(-exp));
}

function toBigIntStrict(v: bigint | number, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new RangeError(`rational: ${what} ${v} is not a safe integer`);
  return BigInt(v);
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : (v < 0n ? -v : v).toString(2).length;
}

/** Below this magnitude Number(x) cannot overflow, so the plain division is accurate. */
const DOUBLE_SAFE_MAGNITUDE = 1n << 1000n;

/** num/den as a double even when both exceed the double range. */
export function bigRatioToNumber(num: bigint, den: bigint): number {
  if (num < DOUBLE_SAFE_MAGNITUDE && num > -DOUBLE_SAFE_MAGNITUDE && den < DOUBLE_SAFE_MAGNITUDE && den > -DOUBLE_SAFE_MAGNITUDE) {
    return Number(num) / Number(den);
  }
  const nb = bitLength(num);
  const db = bitLength(den);
  // Keep ~64 significant bits of each and carry the exponent difference separately.
  const ns = Math.max(0, nb - 64);
  const ds = Math.max(0, db - 64);
  const n = Number(num >> BigInt(ns));
  const d = Number(den >> BigInt(ds));
  return (n / d) * 2 ** (ns - ds);
}
