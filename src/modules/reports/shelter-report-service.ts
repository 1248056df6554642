// The shelter report (DESIGN §6): the evidence for financial compensation, per reporting
// municipality and period. Aggregated in one SQL statement; nothing here loops over stays.
import type { Db } from '../../db/client.js';
import { amsterdamDate, type Clock } from '../../clock.js';
import { notFound } from '../../http/errors.js';
import type { CsvColumns } from '../../http/report-format.js';
import type { Principal } from '../auth/auth-tokens.js';
import { periodBounds } from '../allocation/periods.js';
import type { MunicipalitiesRepository } from '../municipalities/municipalities-repository.js';
import { leadTimeColumns } from './lead-times.js';
import type { ShelterReportRepository, ShelterReportRow } from './shelter-report-repository.js';
import type { ShelterReportItemView, ShelterReportView } from './shelter-report-schemas.js';

export interface ShelterReportDeps {
  db: Db;
  repo: ShelterReportRepository;
  municipalities: MunicipalitiesRepository;
  clock: Clock;
  /** SHELTER_LONG_STAY_DAYS: a stay of more nights than this counts as long. */
  longStayDays: number;
}

const figures = (r: ShelterReportRow) => ({
  familiesSheltered: r.familiesSheltered,
  stays: r.stays,
  nights: r.nights,
  costCents: r.costCents,
  longStays: r.longStays,
  registrationsReported: r.registrationsReported,
  daysToProposal: { count: r.toProposalCount, median: r.toProposalMedian, p90: r.toProposalP90 },
  daysToApproval: { count: r.toApprovalCount, median: r.toApprovalMedian, p90: r.toApprovalP90 },
  daysToTransfer: { count: r.toTransferCount, median: r.toTransferMedian, p90: r.toTransferP90 },
});

const NOTHING: Omit<ShelterReportRow, 'municipality' | 'name'> = {
  familiesSheltered: 0, stays: 0, nights: 0, costCents: 0, longStays: 0, registrationsReported: 0,
  toProposalCount: 0, toProposalMedian: null, toProposalP90: null,
  toApprovalCount: 0, toApprovalMedian: null, toApprovalP90: null,
  toTransferCount: 0, toTransferMedian: null, toTransferP90: null,
};

export function createShelterReportService(deps: ShelterReportDeps) {
  const { db } = deps;
  return {
    /**
     * A municipality gets its own row only: asking for another answers 404, as for a code that
     * does not exist, so the answer says nothing about other municipalities.
     */
    async report(principal: Principal, q: { period: string; municipality?: string | undefined }): Promise<ShelterReportView> {
      let only = q.municipality;
      if (principal.role !== 'coordinator') {
        if (!principal.municipality || (only && only !== principal.municipality)) throw notFound(`A shelter report for ${only ?? 'this caller'}`);
        only = principal.municipality;
      }
      const named = only ? await deps.municipalities.get(db, only) : undefined;
      if (only && !named && principal.role === 'coordinator') throw notFound(`Municipality ${only}`);

      const { startsOn, endsOn } = periodBounds(q.period);
      const today = amsterdamDate(deps.clock.now());
      const query = { startsOn, endsOn, today, longStayDays: deps.longStayDays, municipality: only };
      const [rows, central] = await Promise.all([deps.repo.aggregate(db, query), principal.role === 'coordinator' ? deps.repo.central(db, query) : null]);
      const total = rows.find((r) => r.municipality === null) ?? { ...NOTHING, municipality: null, name: null };
      const items: ShelterReportItemView[] = rows.filter((r) => r.municipality !== null).map((r) => ({ municipality: r.municipality!, name: r.name, ...figures(r) }));
      // A municipality with nothing in the period still gets its row, with zeros, rather than an empty report.
      if (only && items.length === 0) items.push({ municipality: only, name: named?.name ?? null, ...figures({ ...NOTHING, municipality: only, name: null }) });
      return { period: q.period, startsOn, endsOn, asOf: today, longStayDays: deps.longStayDays, items, totals: figures(total), centralShelter: central };
    },
  };
}
export type ShelterReportService = ReturnType<typeof createShelterReportService>;

export const SHELTER_REPORT_CSV_COLUMNS: CsvColumns = [
  ['period', 'Periode'], ['municipality', 'Gemeentecode'], ['name', 'Gemeente'], ['familiesSheltered', 'Gezinnen in opvang'], ['stays', 'Verblijven'],
  ['nights', 'Nachten'], ['costCents', 'Kosten (eurocent)'], ['longStays', 'Lange verblijven'], ['registrationsReported', 'Meldingen'],
  ...leadTimeColumns('daysToProposal', 'voorstel'), ...leadTimeColumns('daysToApproval', 'goedkeuring'), ...leadTimeColumns('daysToTransfer', 'verhuizing'),
];

/**
 * One line per municipality and no total line, so a column sum in a spreadsheet is the total.
 * Numbers stay plain JavaScript numbers: integers for cents, a dot before any decimals.
 */
export function shelterReportCsvRows(report: ShelterReportView): Array<Array<string | number | null>> {
  return report.items.map((i) => [
    report.period, i.municipality, i.name, i.familiesSheltered, i.stays, i.nights, i.costCents, i.longStays, i.registrationsReported,
    i.daysToProposal.count, i.daysToProposal.median, i.daysToProposal.p90,
    i.daysToApproval.count, i.daysToApproval.median, i.daysToApproval.p90,
    i.daysToTransfer.count, i.daysToTransfer.median, i.daysToTransfer.p90,
  ]);
}
