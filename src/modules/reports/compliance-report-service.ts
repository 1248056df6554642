// The compliance report (issue 13): per receiving municipality, how it dealt with the families
// allocated to it in a period — declines and rejections with their reason categories,
// acceptances and the median days to accept, deadlines missed. Aggregates only, no registration.
import type { Db } from '../../db/client.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { CsvColumns } from '../../http/report-format.js';
import type { Principal } from '../auth/auth-tokens.js';
import { periodBounds } from '../allocation/periods.js';
import type { MunicipalitiesRepository } from '../municipalities/municipalities-repository.js';
import { aggregateScope, auditAggregateRead, countFor, figureFor, type Count } from './aggregate-access.js';
import type { ComplianceReportRepository } from './compliance-report-repository.js';
import { CATEGORIES, type ComplianceReportView } from './compliance-report-schemas.js';

type Category = (typeof CATEGORIES)[number];

interface Tally {
  declined: number;
  rejected: number;
  accepted: number;
  declinedBy: Map<string, number>;
  rejectedBy: Map<string, number>;
  acceptWaits: number;
  median: number | null;
  missed: Map<string, number>;
}
const empty = (): Tally => ({ declined: 0, rejected: 0, accepted: 0, declinedBy: new Map(), rejectedBy: new Map(), acceptWaits: 0, median: null, missed: new Map() });

export function createComplianceReportService(deps: { db: Db; repo: ComplianceReportRepository; municipalities: MunicipalitiesRepository; audit: AuditService }) {
  const { db, repo } = deps;
  return {
    async report(q: { period: string }, reader: { actor: Actor; principal: Principal }): Promise<ComplianceReportView> {
      const scope = aggregateScope(reader.principal);
      await auditAggregateRead(deps.audit, db, reader.actor, reader.principal, 'compliance_report', q.period);
      const { startsOn, endsOn } = periodBounds(q.period);
      const [decisions, waits, missed] = await Promise.all([
        repo.decisions(db, startsOn, endsOn),
        repo.acceptWaits(db, startsOn, endsOn),
        repo.missedDeadlines(db, startsOn, endsOn),
      ]);
      const national = empty();
      const rows = new Map<string, Tally>();
      const tally = (m: string | null, isNational: boolean): Tally | undefined => {
        if (isNational) return national;
        if (m === null) return undefined; // the coordination point's own deadlines (review, attention): national only
        let t = rows.get(m);
        if (!t) rows.set(m, (t = empty()));
        return t;
      };
      for (const d of decisions) {
        const t = tally(d.municipality, d.national)!;
        t[d.action] += d.n;
        if (d.action !== 'accepted') {
          const by = d.action === 'declined' ? t.declinedBy : t.rejectedBy;
          by.set(d.category, (by.get(d.category) ?? 0) + d.n);
        }
      }
      for (const w of waits) Object.assign(tally(w.municipality, w.national)!, { acceptWaits: w.n, median: w.median });
      for (const m of missed) {
        const t = tally(m.municipality, m.national);
        if (t) t.missed.set(m.stage, (t.missed.get(m.stage) ?? 0) + m.n);
      }
      if (scope.only && !rows.has(scope.only)) rows.set(scope.only, empty());

      const figures = (t: Tally, suppressed: boolean) => {
        const byCategory = (by: Map<string, number>) =>
          CATEGORIES.filter((c) => by.has(c)).map((c: Category) => ({ category: c, count: countFor(by.get(c)!, suppressed) as Count }));
        return {
          declined: countFor(t.declined, suppressed),
          rejected: countFor(t.rejected, suppressed),
          accepted: countFor(t.accepted, suppressed),
          declinedByCategory: byCategory(t.declinedBy),
          rejectedByCategory: byCategory(t.rejectedBy),
          medianDaysToAccept: figureFor(t.median, t.acceptWaits, suppressed),
        };
      };
      const missedCount = (t: Tally, stage: string, suppressed: boolean) => countFor(t.missed.get(stage) ?? 0, suppressed);
      const codes = [...rows.keys()].filter((c) => !scope.only || c === scope.only).sort();
      const names = new Map((await deps.municipalities.names(db, codes)).map((m) => [m.code, m.name]));
      return {
        period: q.period,
        startsOn,
        endsOn,
        items: codes.map((code) => {
          const t = rows.get(code)!;
          return {
            municipality: code,
            name: names.get(code) ?? null,
            ...figures(t, scope.suppressRows),
            deadlinesMissed: { decision: missedCount(t, 'decision', scope.suppressRows), transfer: missedCount(t, 'transfer', scope.suppressRows) },
          };
        }),
        totals: {
          ...figures(national, scope.suppressTotals),
          deadlinesMissed: {
            review: missedCount(national, 'review', scope.suppressTotals),
            decision: missedCount(national, 'decision', scope.suppressTotals),
            transfer: missedCount(national, 'transfer', scope.suppressTotals),
            attention: missedCount(national, 'attention', scope.suppressTotals),
          },
        },
      };
    },
  };
}
export type ComplianceReportService = ReturnType<typeof createComplianceReportService>;

/** Reason categories as a Dutch column name says them. */
const CATEGORY_NL: Record<Category, string> = {
  no_housing_available: 'geen woning beschikbaar',
  capacity_reached: 'capaciteit bereikt',
  needs_not_met: 'behoeften niet te bieden',
  safety: 'veiligheid',
  network_elsewhere: 'netwerk elders',
  other: 'overig',
  unspecified: 'niet opgegeven',
};

export const COMPLIANCE_REPORT_CSV_COLUMNS: CsvColumns = [
  ['level', 'Niveau'], ['period', 'Periode'], ['municipality', 'Gemeentecode'], ['name', 'Gemeente'],
  ['declined', 'Geweigerd'], ['rejected', 'Voorstel afgewezen'], ['accepted', 'Aanvaard'], ['medianDaysToAccept', 'Mediaan dagen tot aanvaarden'],
  ['decisionDeadlinesMissed', 'Beslistermijnen gemist'], ['transferDeadlinesMissed', 'Verhuistermijnen gemist'],
  ...CATEGORIES.map((c) => [`declined_${c}`, `Geweigerd: ${CATEGORY_NL[c]}`] as const),
  ...CATEGORIES.map((c) => [`rejected_${c}`, `Afgewezen: ${CATEGORY_NL[c]}`] as const),
];

/** One line per municipality and a national line (`level`), categories as columns (0 when none). */
export function complianceReportCsvRows(r: ComplianceReportView): Array<Array<string | number | null>> {
  const cat = (list: Array<{ category: string; count: Count }>, c: string) => list.find((x) => x.category === c)?.count ?? 0;
  const line = (level: string, code: string, name: string | null, f: ComplianceReportView['totals'] | ComplianceReportView['items'][number], missed: { decision: Count; transfer: Count }) => [
    level, r.period, code, name, f.declined, f.rejected, f.accepted, f.medianDaysToAccept, missed.decision, missed.transfer,
    ...CATEGORIES.map((c) => cat(f.declinedByCategory, c)), ...CATEGORIES.map((c) => cat(f.rejectedByCategory, c)),
  ];
  return [...r.items.map((i) => line('municipality', i.municipality, i.name, i, i.deadlinesMissed)), line('national', '', null, r.totals, r.totals.deadlinesMissed)];
}
