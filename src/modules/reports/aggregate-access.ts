// Who reads which aggregate figures (issue 13), and the small-count rule for those who may not
// see families. A count of families below SMALL_COUNT (1 to 4) is shown as "<5" to every caller
// who could otherwise single out a family it has no business with: a policy_viewer (ministries,
// VNG) everywhere, a municipality in national figures and in other municipalities' cells.
// A municipality's own row is its own families: it sees exact numbers there. 0 stays 0.
import { Type } from 'typebox';
import type { Db } from '../../db/client.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';

export const SMALL_COUNT = 5;
export const SUPPRESSED = '<5' as const;
export type Count = number | typeof SUPPRESSED;

export const suppress = (n: number): Count => (n > 0 && n < SMALL_COUNT ? SUPPRESSED : n);
/** A count, suppressed when asked. */
export const countFor = (n: number, suppressed: boolean): Count => (suppressed ? suppress(n) : n);
/** A figure computed from fewer than SMALL_COUNT families (a median, one family's nights) is withheld. */
export const figureFor = <T>(value: T, basis: number, suppressed: boolean): T | null => (suppressed && basis > 0 && basis < SMALL_COUNT ? null : value);

export const CountSchema = (description: string) =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.Literal(SUPPRESSED)], { description: `${description}; "<5" for 1 to 4 where the caller may not see those families` });

/** What a caller gets of per-municipality figures. */
export interface AggregateScope {
  /** Only this municipality's row (a municipality reads its own). */
  only: string | null;
  /** Counts in the rows it gets are suppressed (policy_viewer). */
  suppressRows: boolean;
  /** Counts in national and province totals are suppressed (everyone but the coordinator). */
  suppressTotals: boolean;
  /** Province totals are given (a province minus one's own row is one's neighbours: not to a municipality). */
  provinces: boolean;
}

export function aggregateScope(p: Principal): AggregateScope {
  if (p.role === 'coordinator') return { only: null, suppressRows: false, suppressTotals: false, provinces: true };
  if (p.role === 'municipality') return { only: p.municipality ?? '-', suppressRows: false, suppressTotals: true, provinces: false };
  return { only: null, suppressRows: true, suppressTotals: true, provinces: true };
}

/** Every read by a policy_viewer is logged (issue 13), in its own statement: nothing else changes. */
export async function auditAggregateRead(audit: AuditService, db: Db, actor: Actor, principal: Principal, report: string, resourceId: string): Promise<void> {
  if (principal.role !== 'policy_viewer') return;
  await audit.record(db, actor, { action: `report.read`, resourceType: report, resourceId });
}
