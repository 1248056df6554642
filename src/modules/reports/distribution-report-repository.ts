import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { municipalities, municipalityLedger, periodCounters } from '../../db/schema/index.js';

export interface CounterTotals {
  /** null: the national total. */
  province: string | null;
  municipalities: number;
  proposed: number;
  approved: number;
  realised: number;
}

export function createDistributionReportRepository() {
  return {
    /**
     * The counters per province and nationally in one statement (GROUPING SETS), over the
     * municipalities the ledger knows, so the totals cover the same rows as the items.
     */
    async counterTotals(db: DbOrTx, period: string, province: string | undefined): Promise<CounterTotals[]> {
      const result = await db.execute(sql`
        select m.province as province,
               count(*)::int as municipalities,
               coalesce(sum(c.proposed), 0)::int as proposed,
               coalesce(sum(c.approved), 0)::int as approved,
               coalesce(sum(c.realised), 0)::int as realised
        from ${municipalityLedger} l
        join ${municipalities} m on m.code = l.municipality
        left join ${periodCounters} c on c.municipality = l.municipality and c.period = ${period}
        ${province ? sql`where m.province = ${province}` : sql``}
        group by grouping sets ((m.province), ())
        order by m.province nulls last`);
      return (result as unknown as { rows: CounterTotals[] }).rows;
    },
  };
}
export type DistributionReportRepository = ReturnType<typeof createDistributionReportRepository>;
