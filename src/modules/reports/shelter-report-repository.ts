import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { municipalities, registrations, shelterStays } from '../../db/schema/index.js';
import { currentStay } from '../shelter/shelter-repository.js';
import { leadTimeDays, medianDays, p90Days } from './lead-times.js';

export interface ShelterReportQuery {
  startsOn: string;
  endsOn: string;
  /** Today on the Amsterdam calendar: an open stay counts up to here. */
  today: string;
  longStayDays: number;
  municipality: string | undefined;
}

/** One row per reporting municipality, plus the national total (municipality null). */
export interface ShelterReportRow {
  municipality: string | null;
  name: string | null;
  familiesSheltered: number;
  stays: number;
  nights: number;
  costCents: number;
  longStays: number;
  registrationsReported: number;
  toProposalCount: number;
  toProposalMedian: number | null;
  toProposalP90: number | null;
  toApprovalCount: number;
  toApprovalMedian: number | null;
  toApprovalP90: number | null;
  toTransferCount: number;
  toTransferMedian: number | null;
  toTransferP90: number | null;
}

/**
 * The stays with a night in the window, each clipped to it (an open stay up to today): the
 * municipalities' own, or those held centrally by the coordination point (booked nationally).
 */
function staysIn(q: ShelterReportQuery, central: boolean, filter: SQL) {
  return sql`
        with bounds as (
          select ${q.startsOn}::date as ps, ${q.endsOn}::date + 1 as pe, ${q.today}::date as today
        ),
        stays as (
          select s.municipality, s.registration_id, s.nightly_cost_cents, s.start_date,
                 greatest(s.start_date, b.ps) as counted_from,
                 least(coalesce(s.end_date, b.today), b.pe) as counted_to
          from ${shelterStays} s cross join bounds b
          where s.start_date < b.pe
            and coalesce(s.end_date, b.today) > b.ps
            and s.start_date < coalesce(s.end_date, b.today)
            and ${currentStay('s')}
            and s.central = ${central}
            ${filter}
        )`;
}

export interface CentralShelterRow {
  familiesSheltered: number;
  stays: number;
  nights: number;
  costCents: number;
  longStays: number;
}

export function createShelterReportRepository() {
  return {
    /** Stays held by the coordination point at a central facility (CENTRAL_SHELTER), nationally. */
    async central(db: DbOrTx, q: ShelterReportQuery): Promise<CentralShelterRow> {
      const result = await db.execute(sql`
        ${staysIn(q, true, sql``)}
        select count(distinct registration_id)::int as "familiesSheltered", count(*)::int as stays,
               coalesce(sum(counted_to - counted_from), 0)::text as nights,
               coalesce(sum((counted_to - counted_from)::bigint * nightly_cost_cents), 0)::text as "costCents",
               (count(*) filter (where counted_to - start_date > ${q.longStayDays}))::int as "longStays"
        from stays`);
      const [r] = (result as unknown as { rows: Array<Record<string, unknown>> }).rows;
      return { ...(r as unknown as CentralShelterRow), nights: Number(r!.nights), costCents: Number(r!.costCents) };
    },

    /**
     * The whole report in one statement. Nights are `date - date` (calendar days, so daylight
     * saving cannot change them), each stay clipped to the half-open window [startsOn, endsOn + 1)
     * and an open stay to today. GROUPING SETS gives the national row from the same scan, so its
     * percentiles are true national percentiles rather than an average of municipal ones.
     */
    async aggregate(db: DbOrTx, q: ShelterReportQuery): Promise<ShelterReportRow[]> {
      const only = (col: unknown) => (q.municipality ? sql`and ${col} = ${q.municipality}` : sql``);
      const result = await db.execute(sql`
        ${staysIn(q, false, only(sql`s.municipality`))},
        stay_totals as (
          select coalesce(municipality, '') as k,
                 count(distinct registration_id)::int as families,
                 count(*)::int as stays,
                 sum(counted_to - counted_from)::bigint as nights,
                 sum((counted_to - counted_from)::bigint * nightly_cost_cents)::bigint as cost_cents,
                 count(*) filter (where counted_to - start_date > ${q.longStayDays})::int as long_stays
          from stays
          group by grouping sets ((municipality), ())
        ),
        waits as (
          select r.reporting_municipality as municipality, ${leadTimeDays('r')}
          from ${registrations} r cross join bounds b
          where r.reported_on >= b.ps and r.reported_on < b.pe
            ${only(sql`r.reporting_municipality`)}
        ),
        wait_totals as (
          select coalesce(municipality, '') as k,
                 count(*)::int as registrations,
                 count(to_proposal)::int as to_proposal_n, ${medianDays('to_proposal')} as to_proposal_median, ${p90Days('to_proposal')} as to_proposal_p90,
                 count(to_approval)::int as to_approval_n, ${medianDays('to_approval')} as to_approval_median, ${p90Days('to_approval')} as to_approval_p90,
                 count(to_transfer)::int as to_transfer_n, ${medianDays('to_transfer')} as to_transfer_median, ${p90Days('to_transfer')} as to_transfer_p90
          from waits
          group by grouping sets ((municipality), ())
        )
        select nullif(coalesce(st.k, wt.k), '') as municipality,
               m.name,
               coalesce(st.families, 0) as "familiesSheltered",
               coalesce(st.stays, 0) as stays,
               coalesce(st.nights, 0)::text as nights,
               coalesce(st.cost_cents, 0)::text as "costCents",
               coalesce(st.long_stays, 0) as "longStays",
               coalesce(wt.registrations, 0) as "registrationsReported",
               coalesce(wt.to_proposal_n, 0) as "toProposalCount", wt.to_proposal_median as "toProposalMedian", wt.to_proposal_p90 as "toProposalP90",
               coalesce(wt.to_approval_n, 0) as "toApprovalCount", wt.to_approval_median as "toApprovalMedian", wt.to_approval_p90 as "toApprovalP90",
               coalesce(wt.to_transfer_n, 0) as "toTransferCount", wt.to_transfer_median as "toTransferMedian", wt.to_transfer_p90 as "toTransferP90"
        from stay_totals st
        full join wait_totals wt on wt.k = st.k
        left join ${municipalities} m on m.code = coalesce(st.k, wt.k)
        order by coalesce(st.k, wt.k) = '', coalesce(st.k, wt.k)
      `);
      const rows = (result as unknown as { rows: Array<Record<string, unknown>> }).rows;
      // bigint sums arrive as text; a nation's shelter cost in cents stays far below 2^53.
      return rows.map((r) => ({ ...(r as unknown as ShelterReportRow), nights: Number(r.nights), costCents: Number(r.costCents) }));
    },
  };
}
export type ShelterReportRepository = ReturnType<typeof createShelterReportRepository>;
