// Arrivals statistics (issue 13, prevention — direction F): registrations by month of the
// registration date × subgroup × where the family came from × reporting municipality. A cell
// of 1 to 4 families is "<5" for every caller: these figures are made to be passed on, and a
// small cell with a month, an island and a municipality points at a family. No marginal totals
// are given either, since a total minus the exact cells would give the suppressed ones back.
import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { registrations } from '../../db/schema/index.js';
import { AppError } from '../../http/errors.js';
import type { CsvColumns } from '../../http/report-format.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import type { SUBGROUPS } from '../registrations/registrations-schemas.js';
import { addDays } from '../signals/working-days.js';
import { auditAggregateRead, suppress, type Count } from './aggregate-access.js';

/** The longest range one request may cover (bounds the answer). */
export const MAX_RANGE_DAYS = 3 * 366;

export interface ArrivalsCell {
  month: string;
  subgroup: (typeof SUBGROUPS)[number];
  arrivedFrom: 'abroad' | 'caribbean_part' | 'within_netherlands';
  /** An island, an ISO country code, or `unknown` when the registration did not say. */
  origin: string;
  reportingMunicipality: string;
  registrations: Count;
}

export function createArrivalsRepository() {
  return {
    /** Registrations with a registration date in [from, to], duplicates left out (they are not arrivals). */
    async cells(db: DbOrTx, from: string, to: string) {
      const result = await db.execute(sql`
        select to_char(reported_on, 'YYYY-MM') as month, subgroup, eligibility->>'arrivedFrom' as "arrivedFrom",
               coalesce(eligibility->'departure'->>'island', eligibility->'departure'->>'country', 'unknown') as origin,
               reporting_municipality as "reportingMunicipality", count(*)::int as n
        from ${registrations}
        where reported_on between ${from}::date and ${to}::date and outcome is distinct from 'duplicate'
        group by 1, 2, 3, 4, 5
        order by 1, 5, 2, 3, 4`);
      return (result as unknown as { rows: Array<Omit<ArrivalsCell, 'registrations'> & { n: number }> }).rows;
    },
  };
}
export type ArrivalsRepository = ReturnType<typeof createArrivalsRepository>;

export function createArrivalsReportService(deps: { db: Db; repo: ArrivalsRepository; audit: AuditService }) {
  return {
    async report(q: { from: string; to: string }, reader: { actor: Actor; principal: Principal }) {
      const errors = [];
      if (q.from > q.to) errors.push({ in: 'query' as const, pointer: '/to', code: 'before_from', message: 'must not be before from' });
      else if (addDays(q.from, MAX_RANGE_DAYS) < q.to) errors.push({ in: 'query' as const, pointer: '/to', code: 'range_too_long', message: `at most ${MAX_RANGE_DAYS} days after from` });
      if (errors.length > 0) throw new AppError('validation_failed', 'The range is not valid; see errors.', { errors });
      await auditAggregateRead(deps.audit, deps.db, reader.actor, reader.principal, 'arrivals_report', `${q.from}/${q.to}`);
      const rows = await deps.repo.cells(deps.db, q.from, q.to);
      const items: ArrivalsCell[] = rows.map(({ n, ...cell }) => ({ ...cell, registrations: suppress(n) }));
      return { from: q.from, to: q.to, items };
    },
  };
}
export type ArrivalsReportService = ReturnType<typeof createArrivalsReportService>;

export const ARRIVALS_CSV_COLUMNS: CsvColumns = [
  ['month', 'Maand'], ['subgroup', 'Deelgroep'], ['arrivedFrom', 'Gekomen uit'], ['origin', 'Herkomst'], ['reportingMunicipality', 'Meldende gemeente'], ['registrations', 'Meldingen'],
];
export const arrivalsCsvRows = (items: ArrivalsCell[]) => items.map((i) => [i.month, i.subgroup, i.arrivedFrom, i.origin, i.reportingMunicipality, i.registrations]);
