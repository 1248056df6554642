// The maatwerk deviation report (issue 12): per municipality and period, what it received
// against what the quota rule would have given it without family constraints. Every allocation
// stores the rule's unconstrained choice at that moment (explanation.unconstrainedChoice), so the
// measure is exact per unit placed; it does not replay what an unconstrained run would have done
// to later units (see the engine README, "Maatwerk and the quota").
import { asc, eq, inArray, and } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { CsvColumns } from '../../http/report-format.js';
import { allocations, municipalities, municipalityLedger } from '../../db/schema/index.js';
import type { MaatwerkReportView } from './maatwerk-report-schemas.js';

type Row = MaatwerkReportView['items'][number];
const FIGURES = ['received', 'unconstrained', 'deviation', 'gainedByRemoval', 'gainedByPreference', 'gainedByOverride', 'lostToRemoval', 'lostToPreference', 'lostToOverride'] as const;

export const MAATWERK_REPORT_DEFINITION =
  'Per municipality, over the allocations of the period that still stand (proposed, approved, accepted): received = their units here; ' +
  'unconstrained = their units whose quota-rule choice without any family constraint, at the moment of allocation, was here. ' +
  'A difference is caused by a hard constraint (the reporting municipality, needs, region, exclusions, refusals, suspension, capacity), ' +
  'a preference within the tolerance (network, work region, declared capacity, soft needs) or a coordinator override.';

interface StoredExplanation {
  selection?: string;
  unconstrainedChoice?: string | null;
  unconstrainedRemovedBy?: string | null;
  constraints?: { removed?: Array<{ reason: string; codes: string[] }> };
}

export function createMaatwerkReportService(deps: { db: Db }) {
  const { db } = deps;
  return {
    async report(q: { period: string }): Promise<MaatwerkReportView> {
      return db.transaction(
        async (tx) => {
          const places = await tx
            .select({ code: municipalities.code, name: municipalities.name, province: municipalities.province })
            .from(municipalityLedger)
            .innerJoin(municipalities, eq(municipalities.code, municipalityLedger.municipality))
            .orderBy(asc(municipalities.code));
          const rows = await tx
            .select({ municipality: allocations.municipality, units: allocations.units, kind: allocations.kind, explanation: allocations.explanation })
            .from(allocations)
            .where(and(eq(allocations.period, q.period), inArray(allocations.status, ['proposed', 'approved', 'accepted'])));
          const items = new Map<string, Row & { reasons: Map<string, number> }>(
            places.map((p) => [p.code, { municipality: p.code, name: p.name, province: p.province, ...zero(), lostByReason: [], reasons: new Map() }]),
          );
          const at = (code: string) => items.get(code);
          for (const r of rows) {
            const e = r.explanation as StoredExplanation;
            const here = at(r.municipality);
            if (here) here.received += r.units;
            const free = e.unconstrainedChoice ?? null;
            const there = free ? at(free) : undefined;
            if (there) there.unconstrained += r.units;
            if (free === null || free === r.municipality) continue;
            // Gained: what moved the unit here. Lost: whether a removal took the unconstrained
            // choice out (then its reason), or it stayed allowed and a preference or override went elsewhere.
            const gained = r.kind === 'override' ? 'Override' : e.selection === 'preference' || e.selection === 'network_preference' ? 'Preference' : 'Removal';
            if (here) here[`gainedBy${gained}`] += r.units;
            if (there) {
              const removedBy = e.unconstrainedRemovedBy ?? e.constraints?.removed?.find((x) => x.codes.includes(free))?.reason;
              if (removedBy !== undefined || gained === 'Removal') {
                there.lostToRemoval += r.units;
                const reason = removedBy ?? 'unlisted';
                there.reasons.set(reason, (there.reasons.get(reason) ?? 0) + r.units);
              } else {
                there[`lostTo${gained}`] += r.units;
              }
            }
          }
          const totals = { allocations: rows.length, ...zero() };
          const out: Row[] = [];
          for (const { reasons, ...m } of items.values()) {
            m.deviation = m.received - m.unconstrained;
            m.lostByReason = [...reasons].sort(([a], [b]) => (a < b ? -1 : 1)).map(([reason, units]) => ({ reason, units }));
            for (const f of FIGURES) totals[f] += m[f];
            out.push(m);
          }
          return { period: q.period, definition: MAATWERK_REPORT_DEFINITION, items: out, totals };
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      );
    },
  };
}
export type MaatwerkReportService = ReturnType<typeof createMaatwerkReportService>;

function zero() {
  return { received: 0, unconstrained: 0, deviation: 0, gainedByRemoval: 0, gainedByPreference: 0, gainedByOverride: 0, lostToRemoval: 0, lostToPreference: 0, lostToOverride: 0 };
}

const FIGURES_NL: Record<(typeof FIGURES)[number], string> = {
  received: 'Ontvangen',
  unconstrained: 'Zonder maatwerk',
  deviation: 'Verschil',
  gainedByRemoval: 'Erbij door uitsluiting',
  gainedByPreference: 'Erbij door voorkeur',
  gainedByOverride: 'Erbij door handmatige toewijzing',
  lostToRemoval: 'Minder door uitsluiting',
  lostToPreference: 'Minder door voorkeur',
  lostToOverride: 'Minder door handmatige toewijzing',
};

export const MAATWERK_REPORT_CSV_COLUMNS: CsvColumns = [
  ['period', 'Periode'], ['municipality', 'Gemeentecode'], ['name', 'Gemeente'], ['province', 'Provincie'],
  ...FIGURES.map((f) => [f, FIGURES_NL[f]] as const),
  ['lostByReason', 'Minder door uitsluiting, per reden'],
];

/** One line per municipality; lostByReason as "reason:units" pairs separated by "; ". */
export function maatwerkReportCsvRows(r: MaatwerkReportView): Array<Array<string | number>> {
  return r.items.map((m) => [r.period, m.municipality, m.name, m.province, ...FIGURES.map((f) => m[f]), m.lostByReason.map((x) => `${x.reason}:${x.units}`).join('; ')]);
}
