// Who may still read a case's personal data (AVG art. 5(1)(c) and (e)): purpose-bound and for a
// limited time after the case closed, then for nobody once the case is pseudonymised.
import type { Clock } from '../../clock.js';
import type { RegistrationStatus } from '../../db/schema/index.js';
import type { Principal } from '../auth/auth-tokens.js';

/**
 * - `available`: names, BSNs, birth dates, notes, reasons, locations and documents are shown.
 * - `withheld`: this caller no longer sees them (a municipality, some time after the case closed);
 *   the case's non-personal summary (status, dates, municipalities, household counts) stays.
 * - `erased`: the case is pseudonymised; nobody sees them, because they are gone.
 */
export type PersonalDataAccess = 'available' | 'withheld' | 'erased';

/** States in which a case is over; the retention rule and the access window count from closed_at. */
export const CLOSED_STATES: readonly RegistrationStatus[] = ['closed', 'housed'];

const DAY_MS = 24 * 60 * 60 * 1000;

export interface CaseTimes {
  readonly status: RegistrationStatus;
  readonly closedAt: Date | null;
  readonly pseudonymisedAt: Date | null;
}

export function createPrivacyPolicy(deps: { clock: Clock; municipalityAccessAfterCloseDays: number }) {
  return {
    /**
     * The coordinator keeps access until the retention rule (or an erasure) removes the data: it
     * answers questions about a case and carries out erasure requests. A municipality, reporting
     * or receiving, needs the data to shelter, move and house the family, and for
     * MUNICIPALITY_ACCESS_AFTER_CLOSE_DAYS after closing (late invoices, a question back).
     */
    access(principal: Principal, reg: CaseTimes): PersonalDataAccess {
      if (reg.pseudonymisedAt) return 'erased';
      if (principal.role === 'coordinator') return 'available';
      if (!CLOSED_STATES.includes(reg.status) || !reg.closedAt) return 'available';
      const until = reg.closedAt.getTime() + deps.municipalityAccessAfterCloseDays * DAY_MS;
      return deps.clock.now().getTime() < until ? 'available' : 'withheld';
    },
  };
}
export type PrivacyPolicy = ReturnType<typeof createPrivacyPolicy>;

/**
 * Removal reasons that say nothing about the family (the municipality's own state, or the case's
 * decisions): their codes stay. Every other reason (the family's exclusions, its region, a need it
 * has) says where the family must not or cannot go: its codes go.
 */
const NOT_ABOUT_THE_FAMILY = new Set(['reporting_municipality', 'suspended', 'at_capacity', 'no_longer_exists', 'declined_before', 'rejected_before']);

type Explained = Record<string, unknown> & { constraints?: Record<string, unknown>; maatwerk?: Record<string, unknown> };

/**
 * The allocation's explanation without what describes the family: the codes of its exclusions,
 * region and needs, its network and work region, the preferences they made, its needs, and the
 * sentences (notes, the Dutch summary) that name them. What stays explains the decision from the
 * ledger: the key, the candidates with their entitlements and balances, the counts, the capacity
 * booked.
 */
export function withoutFamilyDetail(explanation: unknown): unknown {
  if (!explanation || typeof explanation !== 'object') return explanation;
  const e = structuredClone(explanation) as Explained;
  const c = e.constraints;
  if (c && typeof c === 'object') {
    if (Array.isArray(c.removed)) {
      c.removed = c.removed.map((r: { reason?: string; count?: number }) => (r && !NOT_ABOUT_THE_FAMILY.has(r.reason ?? '') ? { ...r, codes: [], codesOmitted: r.count ?? 0 } : r));
    }
    if ('unknownCodes' in c) c.unknownCodes = [];
  }
  if ('network' in e) e.network = null;
  if ('preferences' in e) e.preferences = null;
  if ('notes' in e) e.notes = [];
  delete e.summaryNl;
  if (e.maatwerk && typeof e.maatwerk === 'object') e.maatwerk = { ...e.maatwerk, needs: [], regionRestriction: null, workRegion: null };
  return e;
}
