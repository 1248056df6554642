import { IndexedHeap } from './heap.js';
import {
  type Rational,
  compare,
  formatRational,
  reduce,
  sub,
  toDisplayNumber,
  toNumber,
  toRational,
  add,
  ZERO,
} from './rational.js';
import { NETWORK_PREFERENCE, resolveConstraints, type ResolvedConstraints, type ResolvedPreference } from './constraints.js';
import {
  EngineInputError,
  type AllocationDecision,
  type CandidateView,
  type ChoiceRequest,
  type Decision,
  type DistributionKey,
  type Explanation,
  type Ledger,
  type LedgerInit,
  type LedgerMovementDelta,
  type LedgerSnapshot,
  type NetworkExplanation,
  type OverrideRequest,
  type PreferencesExplanation,
  type PreparedChoice,
  type ReleaseOptions,
  type Selection,
  type StoredLedgerState,
} from './types.js';

/**
 * Float deadlines decide a comparison only when they differ by more than this fraction of the
 * magnitudes involved; the worst rounding error of the computation is below 2^-50 of them, so
 * everything closer is settled exactly with BigInt.
 */
const FLOAT_SLACK = 2 ** -46;
/** Integers whose products stay below 2^53 can be compared exactly as doubles. */
const EXACT_DOUBLE = 2 ** 53;
/** Carried values up to this size are kept as exact doubles for the fast exact path. */
const SMALL_CARRIED = 2n ** 50n;
const SMALL_COUNT = 2 ** 50;
const RUNNERS_UP = 5;
/** Region scan beats walking the rule order when the region is this many times smaller than the ledger. */
const REGION_SCAN_FACTOR = 8;
/** Keeps A and the unit counters far from 2^53. */
const MAX_UNITS_PER_CHOICE = 1_000_000_000;

interface KeyData {
  readonly version: number;
  readonly W: readonly bigint[];
  readonly T: bigint;
}

interface Ranked {
  readonly i: number;
  readonly upper: boolean;
}

/** What `prepare` resolves once; opaque to callers. */
interface Prepared extends PreparedChoice {
  readonly cons: ResolvedConstraints;
  readonly tolerance: Rational;
  readonly toleranceF: number;
  scores?: Uint32Array;
  candidates?: Int32Array;
}

/** Qualifying preferred municipalities listed in an explanation before the rest is only counted. */
const MAX_LISTED_PREFERRED = 10;

interface InternalInit {
  readonly codes: readonly string[];
  readonly carried: readonly Rational[];
  readonly allocated: readonly number[];
  readonly current: KeyData;
  readonly history: ReadonlyMap<number, KeyData>;
  readonly unitsByVersion: ReadonlyMap<number, number>;
}

export function createLedger(init: LedgerInit): Ledger {
  const { codes, order } = sortedCodes(init.municipalities.map((m) => m.code));
  const carried = order.map((k) => toCarried(init.municipalities[k]?.entitlement));
  const allocated = order.map((k) => toAllocated(init.municipalities[k]?.allocated));
  const index = indexOf(codes);
  const current = parseKey(init.key, index);
  return new QuotaLedger({
    codes,
    carried,
    allocated,
    current,
    history: new Map([[current.version, current]]),
    unitsByVersion: new Map(),
  });
}

/**
 * Builds the ledger from what PostgreSQL stores: carried rationals, A, and the units accrued
 * under each key version. Units of earlier versions are folded into the carried values exactly.
 */
export function restoreLedger(state: StoredLedgerState): Ledger {
  const { codes, order } = sortedCodes(state.municipalities.map((m) => m.code));
  const index = indexOf(codes);
  const history = new Map<number, KeyData>();
  for (const key of state.keys) {
    const parsed = parseKey(key, index);
    const seen = history.get(parsed.version);
    if (seen && !sameWeights(seen, parsed)) {
      throw new EngineInputError('invalid_key', `key version ${parsed.version} is given twice with different weights`);
    }
    history.set(parsed.version, parsed);
  }
  const current = history.get(state.currentKeyVersion);
  if (!current) {
    throw new EngineInputError('unknown_key_version', `current key version ${state.currentKeyVersion} is not among the keys`);
  }
  const carried = order.map((k) => toCarried(state.municipalities[k]?.carried));
  const units = new Map<number, number>();
  for (const [version, count] of entriesOf(state.unitsByKeyVersion)) {
    const v = Number(version);
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new EngineInputError('invalid_state', `units for key version ${version} must be a non-negative integer`);
    }
    const key = history.get(v);
    if (!key) {
      if (count === 0) continue;
      throw new EngineInputError('unknown_key_version', `units recorded under unknown key version ${version}`);
    }
    if (v === current.version || count === 0) {
      units.set(v, count);
      continue;
    }
    units.set(v, count);
    const n = BigInt(count);
    for (let i = 0; i < codes.length; i++) {
      const w = key.W[i] as bigint;
      if (w !== 0n) carried[i] = add(carried[i] as Rational, reduce(n * w, key.T));
    }
  }
  return new QuotaLedger({
    codes,
    carried,
    allocated: order.map((k) => toAllocated(state.municipalities[k]?.allocated)),
    current,
    history,
    unitsByVersion: units,
  });
}

class QuotaLedger implements Ledger {
  readonly codes: readonly string[];
  private readonly n: number;
  private readonly index: Map<string, number>;

  // Entitlement carried into the current key segment, c_i = P_i / Q_i; E_i = c_i + tau·w_i/T.
  private readonly P: bigint[];
  private readonly Q: bigint[];
  private readonly cF: Float64Array;
  /** c_i is an integer of modest size, so cF is exact. */
  private readonly cSmall: Uint8Array;
  private readonly A: Float64Array;

  private key: KeyData;
  private TF = 0;
  private TSafe = false;
  private readonly wF: Float64Array;
  private readonly wSafe: Uint8Array;
  /** T / w_i: key-time between two successive deadlines of municipality i. */
  private readonly step: Float64Array;
  /** Units counted under the current key version ("time" of this key). */
  private tau = 0;
  private readonly history: Map<number, KeyData>;
  /** Units of earlier key versions; the current version's count is `tau`. */
  private readonly unitsByVersion: Map<number, number>;

  // Deadline D_i = (A_i + 1 − c_i)·T/w_i and release R_i = (A_i − c_i)·T/w_i in key-time: the
  // municipality is within upper quota once tau > R_i and falls a unit behind at tau ≥ D_i.
  // Both depend only on A_i and c_i, so an allocation re-keys one municipality only.
  private readonly dT: Float64Array;
  private readonly dTol: Float64Array;
  private readonly rT: Float64Array;
  private readonly rTol: Float64Array;
  /** Within upper quota (R_i < tau), ordered by deadline. */
  private readonly ready: IndexedHeap;
  /** Positive weight, not yet within upper quota, ordered by release. */
  private readonly pending: IndexedHeap;

  private rev = 0;

  constructor(init: InternalInit) {
    this.codes = Object.freeze([...init.codes]);
    this.n = init.codes.length;
    this.index = indexOf(init.codes);
    const n = this.n;
    this.P = new Array<bigint>(n);
    this.Q = new Array<bigint>(n);
    this.cF = new Float64Array(n);
    this.cSmall = new Uint8Array(n);
    this.A = new Float64Array(n);
    this.wF = new Float64Array(n);
    this.wSafe = new Uint8Array(n);
    this.step = new Float64Array(n);
    this.dT = new Float64Array(n);
    this.dTol = new Float64Array(n);
    this.rT = new Float64Array(n);
    this.rTol = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.setCarried(i, init.carried[i] as Rational);
      this.A[i] = init.allocated[i] as number;
    }
    this.history = new Map(init.history);
    this.unitsByVersion = new Map(init.unitsByVersion);
    this.key = init.current;
    this.tau = this.unitsByVersion.get(init.current.version) ?? 0;
    this.unitsByVersion.delete(init.current.version);
    this.ready = new IndexedHeap(n, (a, b) => this.beforeD(a, b));
    this.pending = new IndexedHeap(n, (a, b) => this.beforeR(a, b));
    this.installKey(init.current);
    this.rebuild();
  }

  get keyVersion(): number {
    return this.key.version;
  }

  get revision(): number {
    return this.rev;
  }

  setKey(key: DistributionKey): void {
    const parsed = parseKey(key, this.index);
    if (parsed.version === this.key.version) {
      if (sameWeights(parsed, this.key)) return;
      throw new EngineInputError('invalid_key', `key version ${parsed.version} is current with other weights`);
    }
    if (this.history.has(parsed.version)) {
      throw new EngineInputError('invalid_key', `key version ${parsed.version} was used before; versions are never reused`);
    }
    // Fold this key's accrued shares into the carried values, so deadlines can be re-based on the
    // new key with its own time starting at zero.
    if (this.tau > 0) {
      const t = BigInt(this.tau);
      for (let i = 0; i < this.n; i++) {
        const w = this.key.W[i] as bigint;
        if (w !== 0n) this.setCarried(i, add(this.carriedOf(i), reduce(t * w, this.key.T)));
      }
    }
    this.unitsByVersion.set(this.key.version, (this.unitsByVersion.get(this.key.version) ?? 0) + this.tau);
    this.tau = 0;
    this.history.set(parsed.version, parsed);
    this.installKey(parsed);
    this.rebuild();
    this.rev++;
  }

  allocate(units = 1): string {
    const u = checkUnits(units);
    this.tau += u;
    this.migrate();
    const i = this.ready.size > 0 ? this.ready.peek() : this.earliestDeadline(null);
    this.A[i] = (this.A[i] as number) + u;
    this.retime(i);
    this.rev++;
    return this.codes[i] as string;
  }

  choose(request: ChoiceRequest): Decision {
    const u = checkUnits(request.units);
    const accrue = request.accrue ?? true;
    const tauAfter = this.tau + (accrue ? u : 0);
    const cons = resolveConstraints(request, this.index, this.codes, MAX_LISTED_CODES);
    const tolerance = toTolerance(request.networkTolerance);
    const base = { units: u, keyVersion: this.key.version, basedOnRevision: this.rev };
    const unconstrained = this.ruleOrder(tauAfter).next();
    const unconstrainedChoice = unconstrained.done ? null : (this.codes[unconstrained.value.i] as string);
    const unconstrainedRemovedBy = unconstrained.done ? null : cons.reasonOf(unconstrained.value.i);
    if (cons.allowedCount === 0) {
      return {
        kind: 'needs_attention',
        reason: 'no_allowed_municipality',
        ...base,
        explanation: this.explanation({
          u,
          accrue,
          tauAfter,
          selection: 'none',
          fallbackUsed: false,
          networkUsed: false,
          chosen: null,
          runnersUp: [],
          cons,
          upperAllowed: 0,
          network: null,
          preferences: null,
          unconstrainedChoice,
          unconstrainedRemovedBy,
          notes: ['Every municipality was removed by a constraint; the coordinator must decide (needs_attention).'],
        }),
      };
    }
    const ranked = this.rankAllowed(tauAfter, cons, RUNNERS_UP + 1);
    const rule = ranked[0] as Ranked;
    const fallbackUsed = !rule.upper;
    const pick = this.preferred(rule, tauAfter, cons, tolerance, true);
    const chosen = pick.chosen;
    const kinds = cons.preferences.map((p) => p.kind);
    const satisfied = (i: number): string[] => cons.preferences.filter((p) => p.mask[i] === 1).map((p) => p.kind);
    const decidedBy = chosen.i === rule.i ? null : (kinds.find((k, x) => cons.preferences[x]!.mask[chosen.i] === 1 && cons.preferences[x]!.mask[rule.i] === 0) ?? null);
    const ruleBalance = this.balanceAt(rule.i, tauAfter);
    const notes: string[] = [];
    let network: NetworkExplanation | null = null;
    if (cons.networkCodes.length > 0 || cons.networkNotAllowed.length > 0) {
      const floor = sub(ruleBalance, tolerance);
      const qualifying = cons.network
        .filter((j) => compare(this.balanceAt(j, tauAfter), floor) >= 0)
        .map((j) => ({ i: j, upper: this.withinUpperQuota(j, tauAfter) }))
        .sort((x, y) => (this.ruleBefore(x, y) ? -1 : this.ruleBefore(y, x) ? 1 : 0));
      const ruleInNetwork = cons.network.includes(rule.i);
      network = {
        codes: cons.networkCodes,
        tolerance: formatRational(tolerance),
        toleranceDisplay: toDisplayNumber(tolerance),
        ruleChoice: this.codes[rule.i] as string,
        ruleChoiceBalance: formatRational(ruleBalance),
        qualifying: qualifying.map((q) => this.codes[q.i] as string),
        notAllowed: cons.networkNotAllowed,
        used: decidedBy === NETWORK_PREFERENCE,
      };
      if (ruleInNetwork) {
        notes.push(`The rule's choice ${this.codes[rule.i]} is itself a network municipality.`);
      } else if (network.used) {
        notes.push(
          `Network municipality ${this.codes[chosen.i]} has a balance within ${toDisplayNumber(tolerance)} unit(s) of ` +
            `${this.codes[rule.i]}'s balance, so it was chosen instead of ${this.codes[rule.i]}.`,
        );
      } else if (qualifying.length === 0) {
        notes.push(`No allowed network municipality has a balance within ${toDisplayNumber(tolerance)} unit(s) of the rule's choice.`);
      }
    }
    let preferences: PreferencesExplanation | null = null;
    if (cons.preferences.length > 0) {
      const qualifying = pick.qualifying ?? [];
      preferences = {
        order: kinds,
        tolerance: formatRational(tolerance),
        toleranceDisplay: toDisplayNumber(tolerance),
        ruleChoice: this.codes[rule.i] as string,
        ruleChoiceBalance: formatRational(ruleBalance),
        ruleChoiceSatisfies: satisfied(rule.i),
        chosenSatisfies: satisfied(chosen.i),
        decidedBy,
        qualifying: qualifying.slice(0, MAX_LISTED_PREFERRED).map((q) => this.codes[q.i] as string),
        qualifyingCount: qualifying.length,
        used: chosen.i !== rule.i,
      };
      if (decidedBy !== null && decidedBy !== NETWORK_PREFERENCE) {
        notes.push(
          `${this.codes[chosen.i]} satisfies the preference "${decidedBy}" and has a balance within ${toDisplayNumber(tolerance)} unit(s) of ` +
            `${this.codes[rule.i]}'s balance, so it was chosen instead of ${this.codes[rule.i]}.`,
        );
      }
    }
    if (fallbackUsed) {
      notes.unshift(
        'No allowed municipality was within upper quota (entitlement above its allocated count); ' +
          'the earliest deadline among all allowed municipalities was taken (fallback_no_upper_quota_candidate).',
      );
    } else {
      notes.unshift(`${this.codes[rule.i]} has the earliest deadline among the allowed municipalities within upper quota.`);
    }
    const selection: Selection =
      decidedBy === NETWORK_PREFERENCE ? 'network_preference' : decidedBy !== null ? 'preference' : fallbackUsed ? 'fallback_no_upper_quota_candidate' : 'quota_rule';
    const networkSet = new Set(cons.network);
    const view = (r: Ranked, chosenUnits: number): CandidateView => ({
      ...this.view(r.i, tauAfter, chosenUnits, r.upper, networkSet.has(r.i)),
      ...(cons.preferences.length > 0 ? { satisfies: satisfied(r.i) } : {}),
    });
    return {
      kind: 'allocate',
      code: this.codes[chosen.i] as string,
      accrue,
      ...base,
      explanation: this.explanation({
        u,
        accrue,
        tauAfter,
        selection,
        fallbackUsed,
        networkUsed: network?.used ?? false,
        chosen: view(chosen, u),
        runnersUp: ranked
          .filter((r) => r.i !== chosen.i)
          .slice(0, RUNNERS_UP)
          .map((r) => view(r, 0)),
        cons,
        upperAllowed: this.countUpperAllowed(tauAfter, cons),
        network,
        preferences,
        unconstrainedChoice,
        unconstrainedRemovedBy,
        notes,
      }),
    };
  }

  prepare(request: ChoiceRequest): PreparedChoice {
    const prepared: Prepared = {
      units: checkUnits(request.units),
      accrue: request.accrue ?? true,
      codes: this.codes,
      cons: resolveConstraints(request, this.index, this.codes, MAX_LISTED_CODES),
      tolerance: toTolerance(request.networkTolerance),
      toleranceF: toNumber(toTolerance(request.networkTolerance)),
    };
    return prepared;
  }

  allocatePrepared(p: PreparedChoice): string | null {
    const prepared = p as Prepared;
    if (prepared.codes !== this.codes || prepared.cons === undefined) {
      throw new EngineInputError('invalid_decision', 'the prepared choice belongs to another ledger');
    }
    const cons = prepared.cons;
    if (cons.allowedCount === 0) return null;
    const u = prepared.units;
    // The same steps as choose(): the candidates at the time after this family's shares.
    if (prepared.accrue) {
      this.tau += u;
      this.migrate();
    }
    const first = this.ready.firstWhere(cons.allowed);
    let rule: Ranked | undefined = first >= 0 ? { i: first, upper: true } : undefined;
    rule ??= { i: this.earliestDeadline(cons.allowed), upper: false };
    const i = cons.preferences.length > 0 ? this.preferredFast(rule, cons, prepared) : rule.i;
    this.A[i] = (this.A[i] as number) + u;
    this.retime(i);
    this.rev++;
    return this.codes[i] as string;
  }

  /**
   * `preferred` for the prepared path, at the current time (after migrate, so "within upper
   * quota" is membership of the ready heap): the same comparisons in the same order, without
   * allocations or closures in the loop. The property tests hold it equal to choose().
   */
  private preferredFast(rule: Ranked, cons: ResolvedConstraints, prepared: Prepared): number {
    if (!prepared.scores) {
      // Once per prepared request: each municipality's preference score, and every allowed candidate once.
      const prefs = cons.preferences;
      const scores = new Uint32Array(this.n);
      const seen = new Uint8Array(this.n);
      const union: number[] = [];
      for (let i = 0; i < this.n; i++) for (const p of prefs) scores[i] = (scores[i] as number) * 2 + (p.mask[i] as number);
      for (const p of prefs) for (const j of p.members) if (seen[j] === 0) (seen[j] = 1), union.push(j);
      prepared.scores = scores;
      prepared.candidates = Int32Array.from(union);
    }
    const scores = prepared.scores;
    const candidates = prepared.candidates!;
    const r = rule.i;
    let bestScore = scores[r] as number;
    if (bestScore === 2 ** cons.preferences.length - 1) return r;
    const t = this.tau;
    const TF = this.TF;
    const cF = this.cF;
    const A = this.A;
    const wF = this.wF;
    const tolF = prepared.toleranceF;
    const ruleAccrued = wF[r] === 0 ? 0 : (t * (wF[r] as number)) / TF;
    const floorF = (cF[r] as number) + ruleAccrued - (A[r] as number) - tolF;
    const floorMag = Math.abs(cF[r] as number) + ruleAccrued + (A[r] as number) + tolF;
    let floorExact: Rational | undefined;
    let best = r;
    let bestUpper = rule.upper;
    for (let m = 0; m < candidates.length; m++) {
      const j = candidates[m] as number;
      const s = scores[j] as number;
      if (s < bestScore || j === r) continue;
      // Within the tolerance first: plain arithmetic, and most candidates fail it.
      const accrued = wF[j] === 0 ? 0 : (t * (wF[j] as number)) / TF;
      const diff = (cF[j] as number) + accrued - (A[j] as number) - floorF;
      const slack = (Math.abs(cF[j] as number) + accrued + (A[j] as number) + floorMag + 1) * FLOAT_SLACK;
      if (diff < -slack) continue;
      const upper = this.ready.has(j);
      if (s === bestScore && !(upper !== bestUpper ? upper : this.beforeD(j, best))) continue;
      if (diff <= slack) {
        floorExact ??= sub(this.balanceAt(r, t), prepared.tolerance);
        if (compare(this.balanceAt(j, t), floorExact) < 0) continue;
      }
      best = j;
      bestUpper = upper;
      bestScore = s;
    }
    return best;
  }

  /**
   * The preferences' choice: among the allowed municipalities whose balance is at least the
   * rule's choice's balance minus the tolerance, the one satisfying the best preferences
   * (compared lexicographically in the stated order), then the first in the rule's order. The
   * rule's choice always qualifies, so without preferences, or when no candidate satisfies
   * more, it stands. With `all`, every qualifying candidate is returned too (explanations).
   */
  private preferred(rule: Ranked, t: number, cons: ResolvedConstraints, tolerance: Rational, all: boolean): { chosen: Ranked; qualifying?: Ranked[] } {
    const prefs = cons.preferences;
    const k = prefs.length;
    if (k === 0) return { chosen: rule, ...(all ? { qualifying: [] } : {}) };
    const score = (i: number): number => {
      let s = 0;
      for (let x = 0; x < k; x++) s = s * 2 + ((prefs[x] as ResolvedPreference).mask[i] as number);
      return s;
    };
    const full = 2 ** k - 1;
    let best = rule;
    let bestScore = score(rule.i);
    if (bestScore === full && !all) return { chosen: rule };
    const r = rule.i;
    const ruleAccrued = this.wF[r] === 0 ? 0 : (t * (this.wF[r] as number)) / this.TF;
    const tolF = toNumber(tolerance);
    const floorF = (this.cF[r] as number) + ruleAccrued - (this.A[r] as number) - tolF;
    const floorMag = Math.abs(this.cF[r] as number) + ruleAccrued + (this.A[r] as number) + tolF;
    let floorExact: Rational | undefined;
    const qualifies = (j: number): boolean => {
      const accrued = this.wF[j] === 0 ? 0 : (t * (this.wF[j] as number)) / this.TF;
      const diff = (this.cF[j] as number) + accrued - (this.A[j] as number) - floorF;
      const slack = (Math.abs(this.cF[j] as number) + accrued + (this.A[j] as number) + floorMag + 1) * FLOAT_SLACK;
      if (diff > slack) return true;
      if (diff < -slack) return false;
      floorExact ??= sub(this.balanceAt(r, t), tolerance);
      return compare(this.balanceAt(j, t), floorExact) >= 0;
    };
    const qualifying: Ranked[] = [];
    const seen = all ? new Uint8Array(this.n) : undefined;
    for (const p of prefs) {
      for (const j of p.members) {
        if (j === r) continue;
        if (seen) {
          if (seen[j] === 1) continue;
          seen[j] = 1;
        }
        const s = score(j);
        if (!all && s < bestScore) continue;
        const cand: Ranked = { i: j, upper: this.withinUpperQuota(j, t) };
        if (!all && s === bestScore && !this.ruleBefore(cand, best)) continue;
        if (!qualifies(j)) continue;
        if (all) qualifying.push(cand);
        if (s > bestScore || (s === bestScore && this.ruleBefore(cand, best))) {
          best = cand;
          bestScore = s;
        }
      }
    }
    if (!all) return { chosen: best };
    qualifying.sort((x, y) => {
      const d = score(y.i) - score(x.i);
      if (d !== 0) return d;
      return this.ruleBefore(x, y) ? -1 : this.ruleBefore(y, x) ? 1 : 0;
    });
    return { chosen: best, qualifying };
  }

  override(request: OverrideRequest): AllocationDecision {
    const u = checkUnits(request.units);
    const i = this.indexOfCode(request.code);
    const accrue = request.accrue ?? true;
    const tauAfter = this.tau + (accrue ? u : 0);
    const cons = resolveConstraints({}, this.index, this.codes, MAX_LISTED_CODES);
    const ranked = this.rankAllowed(tauAfter, cons, RUNNERS_UP + 1);
    const rule = ranked[0] as Ranked;
    return {
      kind: 'allocate',
      code: this.codes[i] as string,
      units: u,
      accrue,
      keyVersion: this.key.version,
      basedOnRevision: this.rev,
      explanation: this.explanation({
        u,
        accrue,
        tauAfter,
        selection: 'override',
        fallbackUsed: false,
        networkUsed: false,
        chosen: this.view(i, tauAfter, u, this.withinUpperQuota(i, tauAfter), false),
        runnersUp: ranked
          .filter((r) => r.i !== i)
          .slice(0, RUNNERS_UP)
          .map((r) => this.view(r.i, tauAfter, 0, r.upper, false)),
        cons,
        upperAllowed: this.countUpperAllowed(tauAfter, cons),
        network: null,
        preferences: null,
        unconstrainedChoice: this.codes[rule.i] as string,
        unconstrainedRemovedBy: null,
        notes: [
          `Coordinator override to ${this.codes[i]}; without family constraints the rule would have chosen ${this.codes[rule.i]}.`,
        ],
      }),
    };
  }

  commit(decision: AllocationDecision): void {
    if (decision.kind !== 'allocate') {
      throw new EngineInputError('invalid_decision', `a ${String((decision as Decision).kind)} decision cannot be committed`);
    }
    if (decision.basedOnRevision !== this.rev || decision.keyVersion !== this.key.version) {
      throw new EngineInputError(
        'stale_decision',
        `decision was made on revision ${decision.basedOnRevision} (key ${decision.keyVersion}); the ledger is at ${this.rev} (key ${this.key.version})`,
      );
    }
    const i = this.indexOfCode(decision.code);
    const u = checkUnits(decision.units);
    if (decision.accrue) this.tau += u;
    this.A[i] = (this.A[i] as number) + u;
    this.retime(i);
    this.migrate();
    this.rev++;
  }

  release(code: string, units: number, options: ReleaseOptions): void {
    const i = this.indexOfCode(code);
    const u = checkUnits(units);
    if ((this.A[i] as number) < u) {
      throw new EngineInputError('release_exceeds_ledger', `${code} has ${this.A[i]} unit(s) allocated; cannot release ${u}`);
    }
    if (!options.withdrawEntitlement) {
      this.A[i] = (this.A[i] as number) - u;
      this.retime(i);
      this.rev++;
      return;
    }
    const version = options.keyVersion;
    if (version === undefined) {
      throw new EngineInputError('unknown_key_version', 'withdrawing entitlement needs the key version it was added under');
    }
    this.withdrawShares(u, version);
    this.A[i] = (this.A[i] as number) - u;
    this.rebuild();
    this.rev++;
  }

  withdraw(units: number, keyVersion: number): void {
    this.withdrawShares(checkUnits(units), keyVersion);
    this.rebuild();
    this.rev++;
  }

  /** Takes u units' shares under `version` out of every E (a registration closed before transfer). */
  private withdrawShares(u: number, version: number): void {
    const key = this.history.get(version);
    if (!key) throw new EngineInputError('unknown_key_version', `key version ${version} is unknown to this ledger`);
    const accrued = version === this.key.version ? this.tau : (this.unitsByVersion.get(version) ?? 0);
    if (accrued < u) {
      throw new EngineInputError('release_exceeds_ledger', `only ${accrued} unit(s) accrued under key version ${version}; cannot withdraw ${u}`);
    }
    if (version === this.key.version) {
      this.tau -= u;
    } else {
      this.unitsByVersion.set(version, accrued - u);
      const n = BigInt(u);
      for (let k = 0; k < this.n; k++) {
        const w = key.W[k] as bigint;
        if (w !== 0n) this.setCarried(k, sub(this.carriedOf(k), reduce(n * w, key.T)));
      }
    }
  }

  applyMovements(movements: readonly LedgerMovementDelta[]): void {
    if (movements.length === 0) return;
    // Validate and net everything first, so a bad movement leaves the ledger untouched.
    const dA = new Map<number, number>();
    const dUnits = new Map<number, number>();
    const dCarried = new Map<number, Rational>();
    for (const m of movements) {
      if (m.kind === 'allocated') {
        if (!Number.isSafeInteger(m.units)) throw new EngineInputError('invalid_state', `allocated delta must be an integer, got ${String(m.units)}`);
        const i = this.indexOfCode(m.code);
        dA.set(i, (dA.get(i) ?? 0) + m.units);
      } else if (m.kind === 'accrued') {
        if (!Number.isSafeInteger(m.units)) throw new EngineInputError('invalid_state', `accrued units must be an integer, got ${String(m.units)}`);
        if (!this.history.has(m.keyVersion)) throw new EngineInputError('unknown_key_version', `key version ${m.keyVersion} is unknown to this ledger`);
        dUnits.set(m.keyVersion, (dUnits.get(m.keyVersion) ?? 0) + m.units);
      } else {
        const i = this.indexOfCode(m.code);
        dCarried.set(i, add(dCarried.get(i) ?? ZERO, toCarried(m.delta)));
      }
    }
    for (const [i, d] of dA) {
      const next = (this.A[i] as number) + d;
      if (next < 0) throw new EngineInputError('release_exceeds_ledger', `${this.codes[i]} would have ${next} unit(s) allocated`);
    }
    for (const [v, d] of dUnits) {
      const accrued = v === this.key.version ? this.tau : (this.unitsByVersion.get(v) ?? 0);
      if (accrued + d < 0) throw new EngineInputError('release_exceeds_ledger', `key version ${v} would have ${accrued + d} unit(s) accrued`);
    }
    for (const [i, d] of dA) this.A[i] = (this.A[i] as number) + d;
    for (const [v, d] of dUnits) {
      if (d === 0) continue;
      if (v === this.key.version) {
        this.tau += d;
        continue;
      }
      // Units of an earlier key live in the carried values, as restoreLedger folds them.
      this.unitsByVersion.set(v, (this.unitsByVersion.get(v) ?? 0) + d);
      const key = this.history.get(v) as KeyData;
      const n = BigInt(d);
      for (let k = 0; k < this.n; k++) {
        const w = key.W[k] as bigint;
        if (w !== 0n) this.setCarried(k, add(this.carriedOf(k), reduce(n * w, key.T)));
      }
    }
    for (const [i, d] of dCarried) this.setCarried(i, add(this.carriedOf(i), d));
    this.rebuild();
    this.rev++;
  }

  entitlementOf(code: string): Rational {
    return this.entitlementAt(this.indexOfCode(code), this.tau);
  }

  allocatedOf(code: string): number {
    return this.A[this.indexOfCode(code)] as number;
  }

  snapshot(): LedgerSnapshot {
    const units: Record<string, number> = {};
    const versions = [...this.unitsByVersion.keys(), this.key.version].sort((a, b) => a - b);
    for (const v of versions) units[String(v)] = v === this.key.version ? this.tau : (this.unitsByVersion.get(v) as number);
    const municipalities = this.codes.map((code, i) => {
      const e = this.entitlementAt(i, this.tau);
      const a = this.A[i] as number;
      return { code, entitlement: formatRational(e), allocated: a, balance: formatRational(sub(e, { num: BigInt(a), den: 1n })) };
    });
    return { keyVersion: this.key.version, revision: this.rev, unitsByKeyVersion: units, municipalities };
  }

  // ── ordering ────────────────────────────────────────────────────────────────────────────

  /** Rule order on deadlines: earlier deadline first, equal deadlines by code. */
  private beforeD(i: number, j: number): boolean {
    const a = this.dT[i] as number;
    const b = this.dT[j] as number;
    const t = (this.dTol[i] as number) + (this.dTol[j] as number);
    if (a < b - t) return true;
    if (a > b + t) return false;
    const c = this.compareDeadlines(i, j);
    return c < 0 || (c === 0 && i < j);
  }

  private beforeR(i: number, j: number): boolean {
    const a = this.rT[i] as number;
    const b = this.rT[j] as number;
    const t = (this.rTol[i] as number) + (this.rTol[j] as number);
    if (a < b - t) return true;
    if (a > b + t) return false;
    const c = this.compareScaled(i, j, 0);
    return c < 0 || (c === 0 && i < j);
  }

  private ruleBefore(x: Ranked, y: Ranked): boolean {
    return x.upper !== y.upper ? x.upper : this.beforeD(x.i, y.i);
  }

  /** Zero-weight municipalities have no finite deadline: −∞ when already a unit behind, else +∞. */
  private compareDeadlines(i: number, j: number): number {
    const ki = this.deadlineKind(i);
    const kj = this.deadlineKind(j);
    if (ki !== 0 || kj !== 0) return ki < kj ? -1 : ki > kj ? 1 : 0;
    return this.compareScaled(i, j, 1);
  }

  private deadlineKind(i: number): number {
    if (this.wF[i] !== 0) return 0;
    return this.dT[i] === -Infinity ? -1 : 1;
  }

  /**
   * Exact sign of (A_i + off − c_i)/w_i − (A_j + off − c_j)/w_j for positive weights: off = 1
   * compares deadlines, off = 0 releases (the common factor T drops out).
   */
  private compareScaled(i: number, j: number, off: number): number {
    const ai = (this.A[i] as number) + off;
    const aj = (this.A[j] as number) + off;
    if (this.cSmall[i] && this.cSmall[j] && this.wSafe[i] && this.wSafe[j] && ai < SMALL_COUNT && aj < SMALL_COUNT) {
      const xi = ai - (this.cF[i] as number);
      const xj = aj - (this.cF[j] as number);
      const wi = this.wF[i] as number;
      const wj = this.wF[j] as number;
      if (Math.abs(xi) * wj < EXACT_DOUBLE && Math.abs(xj) * wi < EXACT_DOUBLE) {
        const l = xi * wj;
        const r = xj * wi;
        return l < r ? -1 : l > r ? 1 : 0;
      }
    }
    const Qi = this.Q[i] as bigint;
    const Qj = this.Q[j] as bigint;
    const l = (BigInt(ai) * Qi - (this.P[i] as bigint)) * Qj * (this.key.W[j] as bigint);
    const r = (BigInt(aj) * Qj - (this.P[j] as bigint)) * Qi * (this.key.W[i] as bigint);
    return l < r ? -1 : l > r ? 1 : 0;
  }

  /** E_i > A_i at key-time t, i.e. one more unit keeps A_i ≤ ⌈E_i⌉. */
  private releasedAt(i: number, t: number): boolean {
    const r = this.rT[i] as number;
    const tol = this.rTol[i] as number;
    if (r < t - tol) return true;
    if (r > t + tol) return false;
    // Exact: (A_i − c_i)·T < t·w_i.
    const a = this.A[i] as number;
    if (this.cSmall[i] && this.wSafe[i] && this.TSafe && a < SMALL_COUNT) {
      const x = a - (this.cF[i] as number);
      const w = this.wF[i] as number;
      if (Math.abs(x) * this.TF < EXACT_DOUBLE && t * w < EXACT_DOUBLE) return x * this.TF < t * w;
    }
    const Qi = this.Q[i] as bigint;
    return (BigInt(a) * Qi - (this.P[i] as bigint)) * this.key.T < BigInt(t) * (this.key.W[i] as bigint) * Qi;
  }

  private withinUpperQuota(i: number, t: number): boolean {
    if (this.ready.has(i)) return true;
    return this.pending.has(i) && this.releasedAt(i, t);
  }

  // ── heaps ───────────────────────────────────────────────────────────────────────────────

  private installKey(key: KeyData): void {
    this.key = key;
    this.TF = Number(key.T);
    this.TSafe = key.T < BigInt(EXACT_DOUBLE);
    for (let i = 0; i < this.n; i++) {
      const w = key.W[i] as bigint;
      const wf = Number(w);
      this.wF[i] = wf;
      this.wSafe[i] = w < BigInt(EXACT_DOUBLE) ? 1 : 0;
      this.step[i] = wf === 0 ? Infinity : this.TF / wf;
    }
  }

  private setCarried(i: number, c: Rational): void {
    this.P[i] = c.num;
    this.Q[i] = c.den;
    this.cF[i] = toNumber(c);
    this.cSmall[i] = c.den === 1n && c.num < SMALL_CARRIED && c.num > -SMALL_CARRIED ? 1 : 0;
  }

  private carriedOf(i: number): Rational {
    return { num: this.P[i] as bigint, den: this.Q[i] as bigint };
  }

  private time(i: number): void {
    const a = this.A[i] as number;
    const c = this.cF[i] as number;
    if (this.wF[i] === 0) {
      const P = this.P[i] as bigint;
      const Q = this.Q[i] as bigint;
      const A = BigInt(a);
      this.dT[i] = P >= (A + 1n) * Q ? -Infinity : Infinity;
      this.rT[i] = P > A * Q ? -Infinity : Infinity;
      this.dTol[i] = 0;
      this.rTol[i] = 0;
      return;
    }
    const s = this.step[i] as number;
    this.dT[i] = (a + 1 - c) * s;
    this.rT[i] = (a - c) * s;
    const tol = (a + 2 + Math.abs(c)) * s * FLOAT_SLACK;
    this.dTol[i] = tol;
    this.rTol[i] = tol;
  }

  /** After A_i changed: new deadline and release, and the heap that fits them. */
  private retime(i: number): void {
    this.time(i);
    const wantReady = this.wF[i] === 0 ? this.rT[i] === -Infinity : this.releasedAt(i, this.tau);
    const wantPending = !wantReady && this.wF[i] !== 0;
    if (this.ready.has(i)) {
      if (wantReady) this.ready.update(i);
      else this.ready.remove(i);
    } else if (wantReady) {
      this.pending.remove(i);
      this.ready.push(i);
    }
    if (wantPending) {
      if (this.pending.has(i)) this.pending.update(i);
      else this.pending.push(i);
    }
  }

  /** Moves every municipality that tau has brought within upper quota into the ready heap. */
  private migrate(): void {
    const pending = this.pending;
    while (pending.size > 0) {
      const i = pending.peek();
      if (!this.releasedAt(i, this.tau)) return;
      pending.pop();
      this.ready.push(i);
    }
  }

  private rebuild(): void {
    this.ready.clear();
    this.pending.clear();
    const ready: number[] = [];
    const pending: number[] = [];
    for (let i = 0; i < this.n; i++) {
      this.time(i);
      if (this.wF[i] === 0) {
        if (this.rT[i] === -Infinity) ready.push(i);
      } else if (this.releasedAt(i, this.tau)) ready.push(i);
      else pending.push(i);
    }
    this.ready.pushAll(ready);
    this.pending.pushAll(pending);
  }

  /** Earliest deadline among the allowed (all when `allowed` is null): the fallback, O(n). */
  private earliestDeadline(allowed: ((i: number) => boolean) | null): number {
    let best = -1;
    for (let i = 0; i < this.n; i++) {
      if (allowed && !allowed(i)) continue;
      if (best < 0 || this.beforeD(i, best)) best = i;
    }
    return best;
  }

  /**
   * The rule's order at key-time t without changing the heaps: within upper quota by deadline,
   * then the rest by deadline. Lazy, so the first few cost O(log n) each while few
   * municipalities become eligible at t; the second tier costs O(n log n) when reached.
   */
  private *ruleOrder(t: number): Generator<Ranked, void, undefined> {
    const extra: number[] = [];
    if (t > this.tau) {
      for (const i of this.pending.ordered()) {
        if (!this.releasedAt(i, t)) break;
        extra.push(i);
      }
      extra.sort((a, b) => (a === b ? 0 : this.beforeD(a, b) ? -1 : 1));
    }
    const it = this.ready.ordered();
    let r = it.next();
    let e = 0;
    while (!r.done || e < extra.length) {
      if (r.done || (e < extra.length && this.beforeD(extra[e] as number, r.value))) {
        yield { i: extra[e++] as number, upper: true };
      } else {
        yield { i: r.value, upper: true };
        r = it.next();
      }
    }
    const extraSet = new Set(extra);
    const rest: number[] = [];
    for (let i = 0; i < this.n; i++) if (!this.ready.has(i) && !extraSet.has(i)) rest.push(i);
    rest.sort((a, b) => (a === b ? 0 : this.beforeD(a, b) ? -1 : 1));
    for (const i of rest) yield { i, upper: false };
  }

  private rankAllowed(t: number, cons: ResolvedConstraints, k: number): Ranked[] {
    const out: Ranked[] = [];
    if (cons.region && cons.region.size * REGION_SCAN_FACTOR < this.n) {
      const all: Ranked[] = [];
      for (const i of cons.region) if (cons.allowed(i)) all.push({ i, upper: this.withinUpperQuota(i, t) });
      all.sort((x, y) => (x.i === y.i ? 0 : this.ruleBefore(x, y) ? -1 : 1));
      return all.slice(0, k);
    }
    for (const r of this.ruleOrder(t)) {
      if (!cons.allowed(r.i)) continue;
      out.push(r);
      if (out.length >= k) break;
    }
    return out;
  }

  private countUpperAllowed(t: number, cons: ResolvedConstraints): number {
    if (cons.region) {
      let count = 0;
      for (const i of cons.region) if (cons.allowed(i) && this.withinUpperQuota(i, t)) count++;
      return count;
    }
    let count = this.ready.size;
    if (t > this.tau) {
      for (const i of this.pending.ordered()) {
        if (!this.releasedAt(i, t)) break;
        count++;
      }
    }
    for (const i of cons.excludedIndices) if (this.withinUpperQuota(i, t)) count--;
    return count;
  }

  // ── exact values for explanations ───────────────────────────────────────────────────────

  private entitlementAt(i: number, t: number): Rational {
    const P = this.P[i] as bigint;
    const Q = this.Q[i] as bigint;
    const w = this.key.W[i] as bigint;
    if (w === 0n || t === 0) return { num: P, den: Q };
    return reduce(P * this.key.T + BigInt(t) * w * Q, Q * this.key.T);
  }

  private balanceAt(i: number, t: number): Rational {
    return sub(this.entitlementAt(i, t), { num: BigInt(this.A[i] as number), den: 1n });
  }

  private view(i: number, t: number, units: number, upper: boolean, inNetwork: boolean): CandidateView {
    const e = this.entitlementAt(i, t);
    const a = this.A[i] as number;
    const balance = sub(e, { num: BigInt(a), den: 1n });
    const w = this.key.W[i] as bigint;
    const share = reduce(w, this.key.T);
    const deadline = w === 0n ? null : reduce((BigInt(a + 1) * e.den - e.num) * this.key.T, e.den * w);
    return {
      code: this.codes[i] as string,
      keyShare: formatRational(share),
      keyShareDisplay: toDisplayNumber(share, 6),
      entitlement: formatRational(e),
      entitlementDisplay: toDisplayNumber(e),
      allocatedBefore: a,
      allocatedAfter: a + units,
      balance: formatRational(balance),
      balanceDisplay: toDisplayNumber(balance),
      deadline: deadline ? formatRational(deadline) : null,
      deadlineDisplay: deadline ? toDisplayNumber(deadline) : null,
      withinUpperQuota: upper,
      inNetwork,
    };
  }

  private explanation(x: {
    u: number;
    accrue: boolean;
    tauAfter: number;
    selection: Selection;
    fallbackUsed: boolean;
    networkUsed: boolean;
    chosen: CandidateView | null;
    runnersUp: CandidateView[];
    cons: ResolvedConstraints;
    upperAllowed: number;
    network: NetworkExplanation | null;
    preferences: PreferencesExplanation | null;
    unconstrainedChoice: string | null;
    unconstrainedRemovedBy: string | null;
    notes: string[];
  }): Explanation {
    return {
      rule: 'balinski-young-quota-method',
      keyVersion: this.key.version,
      units: x.u,
      entitlementAdded: x.accrue,
      unitsUnderKey: x.tauAfter,
      selection: x.selection,
      fallbackUsed: x.fallbackUsed,
      networkPreferenceUsed: x.networkUsed,
      chosen: x.chosen,
      runnersUp: x.runnersUp,
      constraints: {
        municipalityCount: this.n,
        allowedCount: x.cons.allowedCount,
        withinUpperQuotaAllowedCount: x.upperAllowed,
        removed: x.cons.removed,
        unknownCodes: x.cons.unknownCodes,
      },
      network: x.network,
      preferences: x.preferences,
      unconstrainedChoice: x.unconstrainedChoice,
      unconstrainedRemovedBy: x.unconstrainedRemovedBy,
      notes: x.notes,
    };
  }

  private indexOfCode(code: string): number {
    const i = this.index.get(code);
    if (i === undefined) throw new EngineInputError('unknown_municipality', `unknown municipality ${JSON.stringify(code)}`);
    return i;
  }
}

/** Codes listed per constraint reason in an explanation before the rest is only counted. */
export const MAX_LISTED_CODES = 50;

function checkUnits(units: number): number {
  if (!Number.isSafeInteger(units) || units < 1 || units > MAX_UNITS_PER_CHOICE) {
    throw new EngineInputError('invalid_units', `units must be an integer from 1 to ${MAX_UNITS_PER_CHOICE}, got ${String(units)}`);
  }
  return units;
}

function toTolerance(value: ChoiceRequest['networkTolerance']): Rational {
  if (value === undefined) return ZERO;
  let r: Rational;
  try {
    r = toRational(value);
  } catch (err) {
    throw new EngineInputError('invalid_tolerance', `networkTolerance: ${(err as Error).message}`);
  }
  if (r.num < 0n) throw new EngineInputError('invalid_tolerance', 'networkTolerance must not be negative');
  return r;
}

function sortedCodes(input: readonly string[]): { codes: string[]; order: number[] } {
  const order = input.map((_, k) => k);
  for (const code of input) {
    if (typeof code !== 'string' || code.length === 0) {
      throw new EngineInputError('invalid_state', 'every municipality needs a non-empty code');
    }
  }
  // Plain code-unit order: deterministic and locale-independent, as tie-breaking must be.
  order.sort((a, b) => {
    const x = input[a] as string;
    const y = input[b] as string;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const codes = order.map((k) => input[k] as string);
  for (let k = 1; k < codes.length; k++) {
    if (codes[k] === codes[k - 1]) throw new EngineInputError('duplicate_municipality', `municipality ${codes[k]} is listed twice`);
  }
  if (codes.length === 0) throw new EngineInputError('invalid_state', 'the ledger needs at least one municipality');
  return { codes, order };
}

function indexOf(codes: readonly string[]): Map<string, number> {
  return new Map(codes.map((c, i) => [c, i]));
}

function toCarried(value: Rational | string | number | bigint | undefined): Rational {
  if (value === undefined) return ZERO;
  try {
    return toRational(value);
  } catch (err) {
    throw new EngineInputError('invalid_state', `carried entitlement: ${(err as Error).message}`);
  }
}

function toAllocated(value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_UNITS_PER_CHOICE * 1000) {
    throw new EngineInputError('invalid_state', `allocated must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function entriesOf<V>(m: ReadonlyMap<string | number, V> | Readonly<Record<string, V>>): Array<[string | number, V]> {
  return m instanceof Map ? [...m.entries()] : Object.entries(m as Record<string, V>);
}

function parseKey(key: DistributionKey, index: ReadonlyMap<string, number>): KeyData {
  if (!Number.isSafeInteger(key.version)) {
    throw new EngineInputError('invalid_key', `key version must be an integer, got ${String(key.version)}`);
  }
  const W = new Array<bigint>(index.size).fill(0n);
  let T = 0n;
  for (const [code, raw] of entriesOf(key.weights as ReadonlyMap<string, bigint | number>)) {
    const i = index.get(String(code));
    if (i === undefined) throw new EngineInputError('unknown_municipality', `key names unknown municipality ${JSON.stringify(code)}`);
    let w: bigint;
    if (typeof raw === 'bigint') w = raw;
    else if (typeof raw === 'number' && Number.isSafeInteger(raw)) w = BigInt(raw);
    else throw new EngineInputError('invalid_key', `weight of ${String(code)} must be an integer, got ${String(raw)}`);
    if (w < 0n) throw new EngineInputError('invalid_key', `weight of ${String(code)} must not be negative`);
    T += w - (W[i] as bigint);
    W[i] = w;
  }
  if (T <= 0n) throw new EngineInputError('invalid_key', 'the key weights must not all be zero');
  return { version: key.version, W, T };
}

function sameWeights(a: KeyData, b: KeyData): boolean {
  return a.T === b.T && a.W.every((w, i) => w === b.W[i]);
}
