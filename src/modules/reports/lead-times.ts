// Days from registration to proposal, approval and transfer: one definition for the shelter
// report and the lead-times report, so the two cannot come to disagree.
import { sql } from 'drizzle-orm';
import type { CsvColumns } from '../../http/report-format.js';

/**
 * The three waits of the registration aliased `r`, in whole calendar days from its registration
 * date (`reported_on`): to the first proposal and to the approval (their Amsterdam dates), and to
 * the transfer date. Null while the step has not happened.
 */
export const leadTimeDays = (r: string) =>
  sql.raw(`(${r}.first_proposed_at at time zone 'Europe/Amsterdam')::date - ${r}.reported_on as to_proposal,
           (${r}.approved_at at time zone 'Europe/Amsterdam')::date - ${r}.reported_on as to_approval,
           ${r}.transferred_on - ${r}.reported_on as to_transfer`);

/** Ordered-set aggregates of whole days, rounded so binary fractions do not reach a spreadsheet. */
export const medianDays = (col: string) => sql.raw(`round((percentile_cont(0.5) within group (order by ${col}))::numeric, 2)::float8`);
export const p90Days = (col: string) => sql.raw(`round((percentile_cont(0.9) within group (order by ${col}))::numeric, 2)::float8`);

/** The count, median and p90 columns of one wait, e.g. `daysToProposalCount` / "Dagen tot voorstel (aantal)". */
export const leadTimeColumns = (prefix: string, stageNl: string): CsvColumns => [
  [`${prefix}Count`, `Dagen tot ${stageNl} (aantal)`],
  [`${prefix}Median`, `Dagen tot ${stageNl} (mediaan)`],
  [`${prefix}P90`, `Dagen tot ${stageNl} (p90)`],
];
