import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { allocations, deadlineSignals, registrationEvents } from '../../db/schema/index.js';

/** Rows with `national` true are the national total of the same figure (GROUPING SETS). */
export interface DecisionCount { municipality: string | null; national: boolean; action: 'declined' | 'rejected' | 'accepted'; category: string; n: number }
export interface AcceptWait { municipality: string | null; national: boolean; n: number; median: number | null }
export interface MissedDeadline { municipality: string | null; national: boolean; stage: string; n: number }

const rowsOf = <T>(r: unknown) => (r as { rows: T[] }).rows;
/** An instant's calendar date in Amsterdam, where the period's days are. */
const localDate = (col: unknown) => sql`(${col} at time zone 'Europe/Amsterdam')::date`;

export function createComplianceReportRepository() {
  return {
    /** Declines, rejections and acceptances in the period per municipality (the one the allocation was to) and category. */
    async decisions(db: DbOrTx, startsOn: string, endsOn: string): Promise<DecisionCount[]> {
      return rowsOf<DecisionCount>(await db.execute(sql`
        select d.municipality, grouping(d.municipality) = 1 as national, d.action, d.category, count(*)::int as n
        from (
          select e.municipality, e.action, coalesce(a.reason_category, 'unspecified') as category
          from ${registrationEvents} e
          left join ${allocations} a on a.id = e.allocation_id
          where e.action in ('declined', 'rejected', 'accepted') and e.municipality is not null
            and ${localDate(sql`e.at`)} between ${startsOn}::date and ${endsOn}::date
        ) d
        group by grouping sets ((d.municipality, d.action, d.category), (d.action, d.category))`));
    },

    /** Days from the approval (or override) of an allocation to its acceptance, for acceptances in the period. */
    async acceptWaits(db: DbOrTx, startsOn: string, endsOn: string): Promise<AcceptWait[]> {
      return rowsOf<AcceptWait>(await db.execute(sql`
        with waits as (
          select e.municipality, extract(epoch from e.at - ap.at) / 86400.0 as days
          from ${registrationEvents} e
          join lateral (
            select max(x.at) as at from ${registrationEvents} x
            where x.allocation_id = e.allocation_id and x.action in ('approved', 'overridden') and x.at <= e.at
          ) ap on ap.at is not null
          where e.action = 'accepted' and ${localDate(sql`e.at`)} between ${startsOn}::date and ${endsOn}::date
        )
        select municipality, grouping(municipality) = 1 as national, count(*)::int as n,
               round((percentile_cont(0.5) within group (order by days))::numeric, 2)::float8 as median
        from waits group by grouping sets ((municipality), ())`));
    },

    /** Deadlines that passed in the period (their reminder), per responsible municipality and stage. */
    async missedDeadlines(db: DbOrTx, startsOn: string, endsOn: string): Promise<MissedDeadline[]> {
      return rowsOf<MissedDeadline>(await db.execute(sql`
        select municipality, grouping(municipality) = 1 as national, stage, count(*)::int as n
        from ${deadlineSignals}
        -- A registration that needs attention is in the worklist at once: it missed its deadline only when it escalated.
        where ((level = 'reminder' and stage <> 'attention') or (level = 'escalation' and stage = 'attention'))
          and ${localDate(sql`due_at`)} between ${startsOn}::date and ${endsOn}::date
        group by grouping sets ((municipality, stage), (stage))`));
    },
  };
}
export type ComplianceReportRepository = ReturnType<typeof createComplianceReportRepository>;
