// What-if simulation of a distribution key (issue 15): how many units each municipality would
// receive if `units` families were distributed one by one from a fresh ledger by the quota method,
// with no family constraints. Pure apart from yielding to the event loop between chunks.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { createLedger } from '../allocation/engine/index.js';
import type { KeyBody, KeyDefinition } from './distribution-keys.js';
import { POPULATION_ATTRIBUTE } from './distribution-keys.js';

/**
 * Units distributed between two yields to the event loop: about 10 ms of work at the engine's
 * speed, so one large simulation does not hold up every other request of the process.
 */
const UNITS_PER_SLICE = 25_000;

/**
 * The units each code holds after `units` single-unit allocations from a fresh ledger: the
 * engine's own fast path (`allocate()`, the quota rule without constraints), so the result is
 * exactly a sequential quota run. One shortcut, exact too: after T = Σ w_i units every
 * municipality holds exactly w_i and every balance is 0 again, the state of a fresh ledger, so the
 * sequence repeats with period T; whole periods are added as multiples of the weights.
 */
export async function distributeUnits(codes: readonly string[], weights: ReadonlyMap<string, bigint>, units: number): Promise<Map<string, number>> {
  let total = 0n;
  for (const code of codes) total += weights.get(code) ?? 0n;
  if (total <= 0n) throw new Error('a key without weight cannot distribute anything');
  const cycles = BigInt(units) / total;
  const rest = Number(BigInt(units) % total);
  const ledger = createLedger({ municipalities: codes.map((code) => ({ code })), key: { version: 1, weights: new Map(codes.map((c) => [c, weights.get(c) ?? 0n])) } });
  for (let done = 0; done < rest; ) {
    const slice = Math.min(UNITS_PER_SLICE, rest - done);
    for (let i = 0; i < slice; i++) ledger.allocate();
    done += slice;
    if (done < rest) await yieldToEventLoop();
  }
  return new Map(codes.map((code) => [code, Number(cycles * (weights.get(code) ?? 0n)) + ledger.allocatedOf(code)]));
}

/** The simulation's key, as the request gives it. */
export interface SimulationKey {
  kind: 'current' | 'population' | 'composite' | 'fixed';
  components?: Array<{ attribute: string; weight: number }> | undefined;
  weights?: Record<string, string> | undefined;
}

/**
 * The request's key as the body of a key version, so it is validated and weighed exactly as
 * `PUT /distribution/key` would: composite integer weights become exact fractions of their sum
 * ("3/4", which the key's rational parser reads), a fixed table becomes its list of shares (in
 * the order of `Object.entries`, which maps a share's field error back to its code).
 */
export function asKeyBody(key: SimulationKey & { kind: KeyBody['kind'] }): KeyBody {
  const body: KeyBody = { kind: key.kind };
  if (key.components) {
    const sum = key.components.reduce((s, c) => s + c.weight, 0);
    body.components = key.components.map((c) => ({ attribute: c.attribute, weight: `${c.weight}/${sum}` }));
  }
  if (key.weights) body.shares = Object.entries(key.weights).map(([municipality, w]) => ({ municipality, weight: Number(w) }));
  return body;
}

const nlNumber = (n: number, places: number) => n.toLocaleString('nl-NL', { maximumFractionDigits: places });
const attributeNl = (a: string) => (a === POPULATION_ATTRIBUTE ? 'inwonertal' : a);

/** A key in one Dutch line that names its attributes and their weights. */
export function describeKey(key: SimulationKey | KeyDefinition, activeCount: number): string {
  if (key.kind === 'population') return 'Aandeel in het inwonertal (CBS, 1 januari)';
  if (key.kind === 'composite' && key.components) {
    const weights = key.components.map((c) => Number(c.weight));
    const sum = weights.reduce((s, w) => s + w, 0);
    const integral = key.components.every((c) => typeof c.weight === 'number');
    const parts = key.components.map((c, i) => {
      const percent = `${nlNumber((weights[i]! / sum) * 100, 1)} %`;
      return integral ? `${attributeNl(c.attribute)} (gewicht ${c.weight}, ${percent})` : `${attributeNl(c.attribute)} ${percent}`;
    });
    return `Samengesteld: ${parts.join(', ')}`;
  }
  if (key.kind === 'fixed') {
    const listed = 'weights' in key && key.weights ? Object.values(key.weights) : 'shares' in key ? key.shares.map((s) => String(s.weight)) : [];
    const weighed = listed.filter((w) => BigInt(w) > 0n).length;
    return `Vaste tabel: ${weighed} van de ${activeCount} gemeenten met een gewicht, de andere wegen 0`;
  }
  return 'Huidige verdeelsleutel';
}
