// Lead times per month of registration (issue 15): days from the registration date to the first
// proposal, to approval and to transfer (median and p90), for charts over time. Aggregates only.
// The coordinator sees every family, a municipality the families it reported (exact: they are its
// own), a policy_viewer every family with counts of 1 to 4 as "<5" and figures over fewer than 5
// withheld. Duplicates are left out: they are not arrivals (as in the arrivals statistics).
import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { registrations } from '../../db/schema/index.js';
import { AppError, type FieldError } from '../../http/errors.js';
import type { CsvColumns } from '../../http/report-format.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import { aggregateScope, auditAggregateRead, countFor, figureFor, type Count } from './aggregate-access.js';
import { leadTimeColumns, leadTimeDays, medianDays, p90Days } from './lead-times.js';

/** The longest range one request may cover, in months (both ends included). */
export const MAX_MONTHS = 36;
const STAGES = ['toProposal', 'toApproval', 'toTransfer'] as const;
type Stage = (typeof STAGES)[number];
const COLUMN: Record<Stage, string> = { toProposal: 'to_proposal', toApproval: 'to_approval', toTransfer: 'to_transfer' };

export interface LeadTime {
  count: Count;
  median: number | null;
  p90: number | null;
}
export type LeadTimesMonth = { month: string; registrations: Count } & Record<Stage, LeadTime>;

interface Row extends Record<string, unknown> {
  month: string;
  registrations: number;
}

/** Months since year 0, so a range is a subtraction. */
const monthIndex = (month: string) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;

export function createLeadTimesRepository() {
  return {
    /**
     * One row per month of [from, to], a month without registrations included (zeros, null
     * figures), so a chart has no holes. `reportedBy`: only the registrations of that
     * reporting municipality.
     */
    async months(db: DbOrTx, q: { from: string; to: string; reportedBy: string | null }): Promise<Row[]> {
      const figures = STAGES.map((s) => {
        const c = `w.${COLUMN[s]}`;
        return sql`count(${sql.raw(c)})::int as ${sql.identifier(`${s}Count`)}, ${medianDays(c)} as ${sql.identifier(`${s}Median`)}, ${p90Days(c)} as ${sql.identifier(`${s}P90`)}`;
      });
      const result = await db.execute(sql`
        with months as (
          select to_char(m, 'YYYY-MM') as month from generate_series(${`${q.from}-01`}::date, ${`${q.to}-01`}::date, interval '1 month') m
        ),
        waits as (
          select to_char(r.reported_on, 'YYYY-MM') as month, ${leadTimeDays('r')}
          from ${registrations} r
          where r.reported_on >= ${`${q.from}-01`}::date and r.reported_on < ${`${q.to}-01`}::date + interval '1 month'
            and r.outcome is distinct from 'duplicate'
            ${q.reportedBy ? sql`and r.reporting_municipality = ${q.reportedBy}` : sql``}
        )
        select m.month, count(w.month)::int as registrations, ${sql.join(figures, sql`, `)}
        from months m left join waits w on w.month = m.month
        group by m.month
        order by m.month`);
      return (result as unknown as { rows: Row[] }).rows;
    },
  };
}
export type LeadTimesRepository = ReturnType<typeof createLeadTimesRepository>;

export function createLeadTimesReportService(deps: { db: Db; repo: LeadTimesRepository; audit: AuditService }) {
  return {
    async report(q: { from: string; to: string }, reader: { actor: Actor; principal: Principal }) {
      const errors: FieldError[] = [];
      const span = monthIndex(q.to) - monthIndex(q.from) + 1;
      if (span < 1) errors.push({ in: 'query', pointer: '/to', code: 'before_from', message: 'must not be before from' });
      else if (span > MAX_MONTHS) errors.push({ in: 'query', pointer: '/to', code: 'range_too_long', message: `at most ${MAX_MONTHS} months from from, both included` });
      if (errors.length > 0) throw new AppError('validation_failed', 'The range is not valid; see errors.', { errors });
      const scope = aggregateScope(reader.principal);
      await auditAggregateRead(deps.audit, deps.db, reader.actor, reader.principal, 'lead_times_report', `${q.from}/${q.to}`);
      const rows = await deps.repo.months(deps.db, { ...q, reportedBy: scope.only });
      const suppressed = scope.suppressRows;
      const items: LeadTimesMonth[] = rows.map((r) => {
        const stage = (s: Stage): LeadTime => {
          const n = r[`${s}Count`] as number;
          return {
            count: countFor(n, suppressed),
            median: n === 0 ? null : figureFor(r[`${s}Median`] as number, n, suppressed),
            p90: n === 0 ? null : figureFor(r[`${s}P90`] as number, n, suppressed),
          };
        };
        return { month: r.month, registrations: countFor(r.registrations, suppressed), toProposal: stage('toProposal'), toApproval: stage('toApproval'), toTransfer: stage('toTransfer') };
      });
      return { from: q.from, to: q.to, items };
    },
  };
}
export type LeadTimesReportService = ReturnType<typeof createLeadTimesReportService>;

export const LEAD_TIMES_CSV_COLUMNS: CsvColumns = [
  ['month', 'Maand'], ['registrations', 'Meldingen'],
  ...leadTimeColumns('toProposal', 'voorstel'), ...leadTimeColumns('toApproval', 'goedkeuring'), ...leadTimeColumns('toTransfer', 'verhuizing'),
];
export const leadTimesCsvRows = (items: LeadTimesMonth[]) =>
  items.map((i) => [i.month, i.registrations, ...STAGES.flatMap((s) => [i[s].count, i[s].median, i[s].p90])]);
