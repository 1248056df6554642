/**
 * The pure allocation engine: an in-memory entitlement ledger and the Balinski–Young quota
 * method. No database, clock or randomness; see README.md for the rule and its guarantees.
 */
export { createLedger, restoreLedger, MAX_LISTED_CODES } from './ledger.js';
export { NETWORK_PREFERENCE, OUTSIDE_REGION } from './constraints.js';
export { parseWeightsCsv, WeightsCsvError, type WeightRow } from './weights-csv.js';
export {
  type Rational,
  RationalFormatError,
  rational,
  parseRational,
  formatRational,
  toRational,
  toNumber,
  toDisplayNumber,
  add,
  sub,
  mul,
  div,
  neg,
  compare,
  floor,
  ceil,
  isZero,
  ZERO,
} from './rational.js';
export {
  EngineInputError,
  type AllocationDecision,
  type CandidateView,
  type ChoiceRequest,
  type Decision,
  type DistributionKey,
  type Exclusion,
  type ExclusionReason,
  type Explanation,
  type Ledger,
  type LedgerInit,
  type LedgerMovementDelta,
  type LedgerSnapshot,
  type MunicipalitySnapshot,
  type MunicipalityInit,
  type NeedsAttentionDecision,
  type NetworkExplanation,
  type OverrideRequest,
  type Preference,
  type PreferencesExplanation,
  type PreparedChoice,
  type ReleaseOptions,
  type RemovedByConstraint,
  type Selection,
  type StoredLedgerState,
} from './types.js';
