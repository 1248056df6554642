// Distribution key definitions → exact integer weights (DESIGN §5). Pure: no database, clock or
// HTTP, so the PUT endpoint and the simulate-key CLI compute the very same weights.
import { add, compare, div, formatRational, mul, parseRational, rational, toRational, type Rational, ZERO } from '../allocation/engine/index.js';
import { gcd } from '../allocation/engine/rational.js';

export type KeyKind = 'population' | 'composite' | 'fixed';

/** The body of PUT /distribution/key (also the file simulate-key reads). */
export interface KeyBody {
  kind: KeyKind;
  /** A key option (issue 12 §6), stored with the definition; the weights do not depend on it. */
  shelterCredit?: { minimumNights: number } | undefined;
  components?: Array<{ attribute: string; weight: string }> | undefined;
  shares?: Array<{ municipality: string; weight: number }> | undefined;
}

export interface KeyMunicipality {
  code: string;
  population: number;
  attributes: Record<string, unknown>;
}

/** A field-level problem, pointer into the body; the service renders them all at once. */
export interface KeyProblem {
  pointer: string;
  code: string;
  message: string;
}

export interface AttributeSource {
  attribute: string;
  source: string;
  referenceDate: string | null;
}

export type KeyDefinition = (
  | { kind: 'population'; source: string }
  | { kind: 'composite'; components: Array<{ attribute: string; weight: string }>; sources?: AttributeSource[] }
  | { kind: 'fixed'; shares: Array<{ municipality: string; weight: number }> }
) & { shelterCredit?: { minimumNights: number } };

export type KeyResult =
  | { ok: true; definition: KeyDefinition; weights: Map<string, bigint> }
  | { ok: false; problems: KeyProblem[] };

export const POPULATION_ATTRIBUTE = 'population';
export const POPULATION_SOURCE = 'CBS population on 1 January';
/** Codes named in one "incomplete attribute" message before the rest are only counted. */
const LISTED_CODES = 10;

/** The value of one attribute for one municipality, exactly; undefined when absent or unusable. */
function attributeValue(m: KeyMunicipality, attribute: string): Rational | undefined {
  const raw = attribute === POPULATION_ATTRIBUTE ? m.population : m.attributes[attribute];
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0) return undefined;
  return toRational(raw);
}

function listCodes(codes: string[]): string {
  const shown = codes.slice(0, LISTED_CODES).join(', ');
  return codes.length > LISTED_CODES ? `${shown}, … (${codes.length - LISTED_CODES} more)` : shown;
}

/**
 * Integer weights proportional to exact rational shares: multiply by the least common
 * denominator, then divide by the greatest common divisor, so the smallest exact integers result.
 */
export function integerWeights(shares: ReadonlyMap<string, Rational>): Map<string, bigint> {
  let lcd = 1n;
  for (const s of shares.values()) if (s.num !== 0n) lcd = (lcd / gcd(lcd, s.den)) * s.den;
  const scaled = new Map<string, bigint>();
  let g = 0n;
  for (const [code, s] of shares) {
    const w = s.num === 0n ? 0n : s.num * (lcd / s.den);
    scaled.set(code, w);
    g = gcd(g, w);
  }
  if (g > 1n) for (const [code, w] of scaled) scaled.set(code, w / g);
  return scaled;
}

/**
 * Validates a key body against the active municipalities and computes its weights. Every
 * problem is collected before returning, so a client fixes its body in one round.
 */
export function computeKey(body: KeyBody, active: readonly KeyMunicipality[]): KeyResult {
  const problems: KeyProblem[] = [];
  const problem = (pointer: string, code: string, message: string) => problems.push({ pointer, code, message });
  if (body.kind !== 'composite' && body.components !== undefined) problem('/components', 'not_allowed', `is only allowed with kind composite`);
  if (body.kind !== 'fixed' && body.shares !== undefined) problem('/shares', 'not_allowed', `is only allowed with kind fixed`);

  if (body.kind === 'population') {
    const weights = new Map(active.map((m) => [m.code, BigInt(m.population)]));
    if (![...weights.values()].some((w) => w > 0n)) problem('/kind', 'all_zero', 'every active municipality has population 0');
    return problems.length > 0 ? { ok: false, problems } : { ok: true, definition: { kind: 'population', source: POPULATION_SOURCE }, weights };
  }

  if (body.kind === 'fixed') {
    if (!body.shares || body.shares.length === 0) {
      problem('/shares', 'required', 'a fixed key needs at least one share');
      return { ok: false, problems };
    }
    const known = new Set(active.map((m) => m.code));
    const seen = new Set<string>();
    let total = 0n;
    body.shares.forEach((s, i) => {
      let counts = true;
      if (!known.has(s.municipality)) {
        problem(`/shares/${i}/municipality`, 'unknown_municipality', `${s.municipality} is not an existing (active) municipality`);
        counts = false;
      } else if (seen.has(s.municipality)) {
        problem(`/shares/${i}/municipality`, 'duplicate_municipality', `${s.municipality} is listed more than once`);
        counts = false;
      }
      seen.add(s.municipality);
      if (!Number.isSafeInteger(s.weight) || s.weight < 0) problem(`/shares/${i}/weight`, 'invalid_weight', 'must be a non-negative integer');
      // Only weights that would end up in the key count towards "not all zero".
      else if (counts) total += BigInt(s.weight);
    });
    if (total === 0n) problem('/shares', 'all_zero', 'at least one share must have a positive weight');
    if (problems.length > 0) return { ok: false, problems };
    // Codes left out weigh 0; keeping every active code in the map keeps the stored key explicit.
    const weights = new Map(active.map((m) => [m.code, 0n]));
    for (const s of body.shares) weights.set(s.municipality, BigInt(s.weight));
    const shares = [...body.shares].sort((a, b) => (a.municipality < b.municipality ? -1 : a.municipality > b.municipality ? 1 : 0));
    return { ok: true, definition: { kind: 'fixed', shares }, weights };
  }

  // composite: λ_i = Σ_c weight_c · a_{c,i} / Σ_j a_{c,j}
  if (!body.components || body.components.length === 0) {
    problem('/components', 'required', 'a composite key needs at least one component');
    return { ok: false, problems };
  }
  const knownAttributes = new Set<string>([POPULATION_ATTRIBUTE]);
  for (const m of active) for (const [k, v] of Object.entries(m.attributes ?? {})) if (typeof v === 'number') knownAttributes.add(k);
  const seen = new Set<string>();
  let weightSum: Rational = ZERO;
  const usable: Array<{ weight: Rational; values: Rational[]; total: Rational }> = [];
  body.components.forEach((c, i) => {
    let weight: Rational | undefined;
    try {
      weight = parseRational(c.weight);
    } catch {
      problem(`/components/${i}/weight`, 'invalid_weight', 'must be a decimal such as "0.75"');
    }
    if (weight !== undefined) {
      if (weight.num <= 0n) problem(`/components/${i}/weight`, 'not_positive', 'must be greater than 0');
      else weightSum = add(weightSum, weight);
    }
    if (!knownAttributes.has(c.attribute)) {
      problem(`/components/${i}/attribute`, 'unknown_attribute', `no municipality has a numeric attribute "${c.attribute}"; use population or a key of municipalities.attributes`);
      return;
    }
    if (seen.has(c.attribute)) {
      problem(`/components/${i}/attribute`, 'duplicate_attribute', `${c.attribute} is listed more than once`);
      return;
    }
    seen.add(c.attribute);
    const missing: string[] = [];
    const values = active.map((m) => {
      const v = attributeValue(m, c.attribute);
      if (v === undefined) missing.push(m.code);
      return v ?? ZERO;
    });
    if (missing.length > 0) {
      problem(`/components/${i}/attribute`, 'attribute_incomplete', `${c.attribute} is missing or not a non-negative number for ${missing.length} municipalities: ${listCodes(missing)}`);
      return;
    }
    const total = values.reduce(add, ZERO);
    if (total.num === 0n) {
      problem(`/components/${i}/attribute`, 'all_zero', `${c.attribute} is 0 for every active municipality`);
      return;
    }
    if (weight !== undefined && weight.num > 0n) usable.push({ weight, values, total });
  });
  if (compare(weightSum, rational(1)) !== 0 && !problems.some((p) => p.pointer.endsWith('/weight'))) {
    problem('/components', 'weights_not_one', `the component weights must sum to exactly 1; they sum to ${formatDecimal(weightSum)}`);
  }
  if (problems.length > 0) return { ok: false, problems };

  const shares = new Map<string, Rational>();
  active.forEach((m, i) => {
    let share: Rational = ZERO;
    for (const c of usable) share = add(share, mul(c.weight, div(c.values[i] as Rational, c.total)));
    shares.set(m.code, share);
  });
  return {
    ok: true,
    definition: { kind: 'composite', components: body.components.map((c) => ({ attribute: c.attribute, weight: c.weight })) },
    weights: integerWeights(shares),
  };
}

/** A rational that is a finite decimal, written as one ("0.95"); otherwise "num/den". */
function formatDecimal(r: Rational): string {
  let den = r.den;
  let twos = 0;
  let fives = 0;
  while (den % 2n === 0n) {
    den /= 2n;
    twos++;
  }
  while (den % 5n === 0n) {
    den /= 5n;
    fives++;
  }
  if (den !== 1n) return formatRational(r);
  const places = Math.max(twos, fives);
  const scaled = (r.num * 10n ** BigInt(places)) / r.den;
  const neg = scaled < 0n;
  const digits = (neg ? -scaled : scaled).toString().padStart(places + 1, '0');
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return neg ? `-${text}` : text;
}
