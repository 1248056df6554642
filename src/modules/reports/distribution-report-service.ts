// The distribution report (DESIGN §5, issue 6): per municipality entitlement, proposed,
// approved, realised, balance and carry-over, with totals per province. Counters are summed in
// SQL; entitlements and balances are exact fractions, summed exactly and rounded only at the end.
import type { Db } from '../../db/client.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { CsvColumns } from '../../http/report-format.js';
import type { Principal } from '../auth/auth-tokens.js';
import { aggregateScope, auditAggregateRead, countFor, type AggregateScope } from './aggregate-access.js';
import { add, toDisplayNumber, type Rational, ZERO } from '../allocation/engine/index.js';
import { fixedDecimal } from '../distribution/distribution-amounts.js';
import type { DistributionService, MunicipalityFigures } from '../distribution/distribution-service.js';
import type { CounterTotals, DistributionReportRepository } from './distribution-report-repository.js';
import type { DistributionReportView } from './distribution-report-schemas.js';

/** Exact sums of one group of municipalities. */
interface ExactTotals {
  entitlement: Rational;
  balance: Rational;
  carriedIn: Rational;
  carriedOut: Rational;
}

const round = (r: Rational) => toDisplayNumber(r);

export function createDistributionReportService(deps: { db: Db; repo: DistributionReportRepository; distribution: Pick<DistributionService, 'periodFigures'>; audit: AuditService }) {
  return {
    /**
     * Also returns the exact figures, so the CSV can print fixed decimals from the exact values.
     * What the caller gets follows its scope (aggregate-access.ts): a municipality its own row and
     * national totals, a policy_viewer everything with small counts suppressed.
     */
    async report(q: { period: string; province?: string | undefined }, reader: { actor: Actor; principal: Principal }): Promise<{ view: DistributionReportView; exact: ExactReport }> {
      const scope = aggregateScope(reader.principal);
      await auditAggregateRead(deps.audit, deps.db, reader.actor, reader.principal, 'distribution_report', q.period);
      const province = scope.only ? undefined : q.province;
      const f = await deps.distribution.periodFigures(q.period, province, (tx) => deps.repo.counterTotals(tx, q.period, province));
      const closed = f.period.status === 'closed';
      const counters = f.extra ?? [];
      const groups = new Map<string | null, ExactTotals>();
      const bump = (key: string | null, m: MunicipalityFigures) => {
        const t = groups.get(key) ?? { entitlement: ZERO, balance: ZERO, carriedIn: ZERO, carriedOut: ZERO };
        groups.set(key, {
          entitlement: add(t.entitlement, m.entitlement),
          balance: add(t.balance, m.balance),
          carriedIn: add(t.carriedIn, m.carriedIn),
          carriedOut: add(t.carriedOut, m.carriedOut ?? ZERO),
        });
      };
      for (const m of f.items) {
        bump(m.province, m);
        bump(null, m);
      }
      const totalsOf = (c: CounterTotals) => {
        const t = groups.get(c.province) ?? { entitlement: ZERO, balance: ZERO, carriedIn: ZERO, carriedOut: ZERO };
        return { counters: c, exact: t };
      };
      const provinces = counters.filter((c) => c.province !== null).map(totalsOf);
      const national = totalsOf(counters.find((c) => c.province === null) ?? { province: null, municipalities: 0, proposed: 0, approved: 0, realised: 0 });
      const items = scope.only ? f.items.filter((m) => m.municipality === scope.only && (!q.province || m.province === q.province)) : f.items;
      const shownProvinces = scope.provinces ? provinces : [];
      const figures = (c: Pick<CounterTotals, 'proposed' | 'approved' | 'realised'>, t: ExactTotals, suppressed: boolean) => ({
        entitlement: round(t.entitlement),
        proposed: countFor(c.proposed, suppressed),
        approved: countFor(c.approved, suppressed),
        realised: countFor(c.realised, suppressed),
        balance: round(t.balance),
        carriedIn: round(t.carriedIn),
        carriedOut: closed ? round(t.carriedOut) : null,
      });
      const view: DistributionReportView = {
        period: f.period.period,
        status: f.period.status,
        startsOn: f.period.startsOn,
        endsOn: f.period.endsOn,
        closedAt: f.period.closedAt ? f.period.closedAt.toISOString() : null,
        keyVersion: f.keyVersion,
        items: items.map((m) => ({
          municipality: m.municipality,
          name: m.name,
          province: m.province,
          ...figures(m, { entitlement: m.entitlement, balance: m.balance, carriedIn: m.carriedIn, carriedOut: m.carriedOut ?? ZERO }, scope.suppressRows),
        })),
        provinces: shownProvinces.map((p) => ({ province: p.counters.province!, municipalities: p.counters.municipalities, ...figures(p.counters, p.exact, scope.suppressTotals) })),
        totals: { municipalities: national.counters.municipalities, ...figures(national.counters, national.exact, scope.suppressTotals) },
      };
      return { view, exact: { closed, items, provinces: shownProvinces, national, scope } };
    },
  };
}
export type DistributionReportService = ReturnType<typeof createDistributionReportService>;

export interface ExactReport {
  closed: boolean;
  scope: AggregateScope;
  items: MunicipalityFigures[];
  provinces: Array<{ counters: CounterTotals; exact: ExactTotals }>;
  national: { counters: CounterTotals; exact: ExactTotals };
}

export const DISTRIBUTION_REPORT_CSV_COLUMNS: CsvColumns = [
  ['level', 'Niveau'], ['period', 'Periode'], ['municipality', 'Gemeentecode'], ['name', 'Gemeente'], ['province', 'Provincie'],
  ['entitlement', 'Aanspraak'], ['proposed', 'Voorgesteld'], ['approved', 'Goedgekeurd'], ['realised', 'Gerealiseerd'],
  ['balance', 'Saldo'], ['carriedIn', 'Meegenomen'], ['carriedOut', 'Doorgeschoven'],
];

/**
 * One line per municipality, then one per province and one national line; the `level` column
 * tells them apart, so a spreadsheet filter on level=municipality gives a table whose column sums
 * are the national line. Fractions are fixed 4-decimal numbers with a dot, computed from the
 * exact values; carriedOut stays empty while the period is open.
 */
export function distributionReportCsvRows(period: string, r: ExactReport): Array<Array<string | number>> {
  const line = (level: string, code: string, name: string, province: string, c: { proposed: number; approved: number; realised: number }, t: ExactTotals, suppressed: boolean) => [
    level, period, code, name, province,
    fixedDecimal(t.entitlement), countFor(c.proposed, suppressed), countFor(c.approved, suppressed), countFor(c.realised, suppressed),
    fixedDecimal(t.balance), fixedDecimal(t.carriedIn),
    r.closed ? fixedDecimal(t.carriedOut) : '',
  ];
  const { suppressRows, suppressTotals } = r.scope;
  return [
    ...r.items.map((m) => line('municipality', m.municipality, m.name, m.province, m, { entitlement: m.entitlement, balance: m.balance, carriedIn: m.carriedIn, carriedOut: m.carriedOut ?? ZERO }, suppressRows)),
    ...r.provinces.map((p) => line('province', '', '', p.counters.province!, p.counters, p.exact, suppressTotals)),
    line('national', '', '', '', r.national.counters, r.national.exact, suppressTotals),
  ];
}
