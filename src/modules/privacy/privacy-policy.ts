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
