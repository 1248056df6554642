import type { Rational } from './rational.js';

/** Integer weights per municipality code; codes left out weigh 0. */
export interface DistributionKey {
  readonly version: number;
  readonly weights: ReadonlyMap<string, bigint | number> | Readonly<Record<string, bigint | number>>;
}

export interface MunicipalityInit {
  readonly code: string;
  /** Carried entitlement E at the start (default 0). A string is read as "num/den" or a decimal. */
  readonly entitlement?: Rational | string | number | bigint;
  /** Units allocated so far, A (default 0). */
  readonly allocated?: number;
}

export interface LedgerInit {
  readonly municipalities: readonly MunicipalityInit[];
  readonly key: DistributionKey;
}

/**
 * The ledger as PostgreSQL keeps it: per municipality a carried rational (balances brought in,
 * e.g. from a closed period) and A; and, per key version, how many units accrued under it.
 * E_i = carried_i + Σ_v units_v · w_{i,v} / T_v.
 */
export interface StoredLedgerState {
  readonly municipalities: ReadonlyArray<{
    readonly code: string;
    readonly carried?: Rational | string | number | bigint;
    readonly allocated?: number;
  }>;
  /** Every key version that has units, plus the current one. */
  readonly keys: readonly DistributionKey[];
  readonly currentKeyVersion: number;
  readonly unitsByKeyVersion: ReadonlyMap<number, number> | Readonly<Record<string, number>>;
}

/** Known reason tags; callers may add their own. */
export type ExclusionReason =
  | 'reporting_municipality'
  | 'family_exclusion'
  | 'rejected_before'
  | 'suspended'
  | 'at_capacity'
  | `need_unmet:${string}`
  | (string & {});

export interface Exclusion {
  readonly code: string;
  readonly reason: ExclusionReason;
}

export interface ChoiceRequest {
  /** Positive integer: 1 per household, or the number of persons. */
  readonly units: number;
  readonly excluded?: readonly Exclusion[];
  /** When given, only these codes are allowed; the rest are removed as `outside_region`. */
  readonly region?: Iterable<string>;
  /** Codes where the family has a network (soft preference). */
  readonly network?: Iterable<string>;
  /**
   * Further soft preferences, in priority order after the network (e.g. the work region, declared
   * matching capacity, soft needs). Each names the codes that satisfy it.
   */
  readonly preferences?: readonly Preference[];
  /**
   * Units of balance a preferred municipality (network or any other preference) may lag behind
   * the rule's choice; default 0.
   */
  readonly networkTolerance?: Rational | string | number;
  /**
   * Whether this choice adds the family's shares to every entitlement (default true). A
   * re-proposal after a rejection or decline passes false: its shares were added when it was
   * first proposed.
   */
  readonly accrue?: boolean;
}

/** A soft preference: the codes that satisfy it. `kind` names it in the explanation. */
export interface Preference {
  readonly kind: string;
  readonly codes: Iterable<string>;
}

export interface OverrideRequest {
  readonly code: string;
  readonly units: number;
  readonly accrue?: boolean;
}

export interface ReleaseOptions {
  /**
   * true for a registration closed before transfer: its shares leave E and its units leave A.
   * false for a rejection or decline: only A is released (the shares stay; the unit moves on).
   */
  readonly withdrawEntitlement: boolean;
  /** Key version the shares were added under; required when withdrawEntitlement is true. */
  readonly keyVersion?: number;
}

export type Selection =
  | 'quota_rule'
  | 'fallback_no_upper_quota_candidate'
  | 'network_preference'
  | 'preference'
  | 'override'
  | 'none';

export interface CandidateView {
  readonly code: string;
  /** w_i / T under the current key. */
  readonly keyShare: string;
  readonly keyShareDisplay: number;
  /** E_i after this family's shares, exact ("num/den") and rounded for display. */
  readonly entitlement: string;
  readonly entitlementDisplay: number;
  readonly allocatedBefore: number;
  readonly allocatedAfter: number;
  /** E_i − A_i before the allocation: positive is a backlog (achterstand). */
  readonly balance: string;
  readonly balanceDisplay: number;
  /**
   * (A_i + 1 − E_i) / λ_i: units of future allocations until this municipality would fall a
   * full unit behind (negative: already behind). null when its key share is zero.
   */
  readonly deadline: string | null;
  readonly deadlineDisplay: number | null;
  /** E_i > A_i, so one more unit keeps A_i within ⌈E_i⌉. */
  readonly withinUpperQuota: boolean;
  readonly inNetwork: boolean;
  /** Kinds of the request's preferences (network included) this municipality satisfies. */
  readonly satisfies?: readonly string[];
}

export interface RemovedByConstraint {
  readonly reason: string;
  readonly count: number;
  /** Sorted; at most MAX_LISTED_CODES of them. */
  readonly codes: readonly string[];
  readonly codesOmitted: number;
}

export interface NetworkExplanation {
  readonly codes: readonly string[];
  readonly tolerance: string;
  readonly toleranceDisplay: number;
  readonly ruleChoice: string;
  readonly ruleChoiceBalance: string;
  /** Allowed network municipalities whose balance ≥ ruleChoiceBalance − tolerance. */
  readonly qualifying: readonly string[];
  /** Network codes that constraints had removed. */
  readonly notAllowed: readonly string[];
  readonly used: boolean;
}

/**
 * How the preferences (network first, then the request's preferences in order) chose among the
 * allowed municipalities whose balance is at least the rule's choice's balance minus the
 * tolerance. Candidates are compared by the preferences they satisfy, lexicographically in the
 * stated order, and then by the rule's order.
 */
export interface PreferencesExplanation {
  /** Preference kinds in priority order ('network' first when the family has one). */
  readonly order: readonly string[];
  readonly tolerance: string;
  readonly toleranceDisplay: number;
  readonly ruleChoice: string;
  readonly ruleChoiceBalance: string;
  /** Preferences the rule's choice satisfies already. */
  readonly ruleChoiceSatisfies: readonly string[];
  /** Preferences the chosen municipality satisfies. */
  readonly chosenSatisfies: readonly string[];
  /** The first preference (in order) the chosen municipality satisfies and the rule's choice does not; null when the rule's choice stands. */
  readonly decidedBy: string | null;
  /** Allowed municipalities satisfying some preference within the tolerance, best first (at most 10). */
  readonly qualifying: readonly string[];
  readonly qualifyingCount: number;
  readonly used: boolean;
}

export interface Explanation {
  readonly rule: 'balinski-young-quota-method';
  readonly keyVersion: number;
  readonly units: number;
  readonly entitlementAdded: boolean;
  /** Units counted under the current key version after this family (this key's "time"). */
  readonly unitsUnderKey: number;
  readonly selection: Selection;
  readonly fallbackUsed: boolean;
  readonly networkPreferenceUsed: boolean;
  readonly chosen: CandidateView | null;
  /** Next allowed candidates in the rule's order (within upper quota first, then by deadline). */
  readonly runnersUp: readonly CandidateView[];
  readonly constraints: {
    readonly municipalityCount: number;
    readonly allowedCount: number;
    readonly withinUpperQuotaAllowedCount: number | null;
    readonly removed: readonly RemovedByConstraint[];
    /** Codes named in the request that the ledger does not know (ignored). */
    readonly unknownCodes: readonly string[];
  };
  readonly network: NetworkExplanation | null;
  /** Null when the request has no preference at all. */
  readonly preferences: PreferencesExplanation | null;
  /**
   * What the rule alone would have chosen with no family constraint at all (only the allowed
   * municipalities differ): when `chosen` differs, a removal (constraints) or a preference
   * (selection) explains why. For an override, the rule's choice without any constraint.
   */
  readonly unconstrainedChoice: string | null;
  /** The reason that removed the unconstrained choice for this family; null when it was allowed. */
  readonly unconstrainedRemovedBy: string | null;
  readonly notes: readonly string[];
}

export interface AllocationDecision {
  readonly kind: 'allocate';
  readonly code: string;
  readonly units: number;
  readonly accrue: boolean;
  readonly keyVersion: number;
  /** The ledger revision this was computed on; commit refuses a stale decision. */
  readonly basedOnRevision: number;
  readonly explanation: Explanation;
}

export interface NeedsAttentionDecision {
  readonly kind: 'needs_attention';
  readonly reason: 'no_allowed_municipality';
  readonly units: number;
  readonly keyVersion: number;
  readonly basedOnRevision: number;
  readonly explanation: Explanation;
}

export type Decision = AllocationDecision | NeedsAttentionDecision;

/** A request resolved against one ledger's municipalities (opaque; see Ledger.prepare). */
export interface PreparedChoice {
  readonly units: number;
  readonly accrue: boolean;
  /** The ledger's code list it was resolved against. */
  readonly codes: readonly string[];
}

export interface MunicipalitySnapshot {
  readonly code: string;
  readonly entitlement: string;
  readonly allocated: number;
  readonly balance: string;
}

export interface LedgerSnapshot {
  readonly keyVersion: number;
  readonly revision: number;
  readonly unitsByKeyVersion: Readonly<Record<string, number>>;
  readonly municipalities: readonly MunicipalitySnapshot[];
}

/** One stored ledger movement, as `Ledger.applyMovements` replays it. */
export type LedgerMovementDelta =
  | { readonly kind: 'allocated'; readonly code: string; readonly units: number }
  | { readonly kind: 'accrued'; readonly keyVersion: number; readonly units: number }
  | { readonly kind: 'carried'; readonly code: string; readonly delta: Rational | string };

export interface Ledger {
  readonly keyVersion: number;
  /** Increases with every state change. */
  readonly revision: number;
  readonly codes: readonly string[];
  setKey(key: DistributionKey): void;
  /** Pure: the decision and its explanation; the ledger does not change. */
  choose(request: ChoiceRequest): Decision;
  /** Pure: a decision for a coordinator's override to a named municipality. */
  override(request: OverrideRequest): AllocationDecision;
  commit(decision: AllocationDecision): void;
  /** Fast path (simulations, the CLI): choose without constraints and commit; returns the code. */
  allocate(units?: number): string;
  /**
   * Resolves a request's constraints once against this ledger's municipalities, for
   * `allocatePrepared` (benchmarks, simulations of many similar families).
   */
  prepare(request: ChoiceRequest): PreparedChoice;
  /**
   * Fast path with constraints: exactly the municipality `choose(request)` would choose, committed,
   * without building an explanation. Returns the code, or null (nothing changes) when no
   * municipality is allowed.
   */
  allocatePrepared(prepared: PreparedChoice): string | null;
  release(code: string, units: number, options: ReleaseOptions): void;
  /**
   * Takes a registration's shares out of every E without touching A: a registration closed
   * before transfer whose proposal had already been rejected holds no unit any more.
   */
  withdraw(units: number, keyVersion: number): void;
  /**
   * Replays stored movements written elsewhere (another process's allocations, releases,
   * accruals, settlements), all or none: a cached ledger catches up without a rebuild from the
   * stored state. Throws (and changes nothing) on an unknown code or key version, or when A or
   * the units under a key version would go negative.
   */
  applyMovements(movements: readonly LedgerMovementDelta[]): void;
  entitlementOf(code: string): Rational;
  allocatedOf(code: string): number;
  snapshot(): LedgerSnapshot;
}

export class EngineInputError extends Error {
  override readonly name = 'EngineInputError';
  constructor(
    readonly code:
      | 'invalid_units'
      | 'invalid_key'
      | 'unknown_municipality'
      | 'duplicate_municipality'
      | 'invalid_state'
      | 'stale_decision'
      | 'invalid_decision'
      | 'invalid_tolerance'
      | 'unknown_key_version'
      | 'release_exceeds_ledger',
    message: string,
  ) {
    super(message);
  }
}
