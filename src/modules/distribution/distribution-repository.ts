import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import {
  attributeSources, distributionKeys, ledgerMovements, registrations, shelterCredits, shelterStays, ledgerState, municipalities, municipalityLedger, periodCounters, periodKeyUnits, periods, periodSettlements,
} from '../../db/schema/index.js';
import { periodBounds } from '../allocation/periods.js';

export type KeyRow = typeof distributionKeys.$inferSelect;
export type PeriodRow = typeof periods.$inferSelect;
export type SettlementRow = typeof periodSettlements.$inferSelect;

export interface LedgerMunicipality {
  code: string;
  name: string;
  province: string;
  active: boolean;
  allocated: number;
  carried: string;
}

export function createDistributionRepository() {
  return {
    async head(db: DbOrTx) {
      const [row] = await db.select().from(ledgerState).where(eq(ledgerState.id, 1));
      if (!row) throw new Error('ledger_state is missing: run npm run migrate');
      return row;
    },
    async setCurrentKeyVersion(tx: DbOrTx, version: number) {
      await tx.update(ledgerState).set({ keyVersion: version }).where(eq(ledgerState.id, 1));
    },
    async setLedgerSeq(tx: DbOrTx, seq: number) {
      // Never backwards: a cache keyed by seq must not meet an old value again.
      await tx.update(ledgerState).set({ seq: sql`greatest(${ledgerState.seq}, ${seq})` }).where(eq(ledgerState.id, 1));
    },
    async key(db: DbOrTx, version: number): Promise<KeyRow | undefined> {
      const [row] = await db.select().from(distributionKeys).where(eq(distributionKeys.version, version));
      return row;
    },
    async keys(db: DbOrTx, versions: number[]): Promise<KeyRow[]> {
      if (versions.length === 0) return [];
      return db.select().from(distributionKeys).where(inArray(distributionKeys.version, versions));
    },
    async nextKeyVersion(tx: DbOrTx): Promise<number> {
      const [row] = await tx.select({ v: sql<number>`coalesce(max(${distributionKeys.version}), 0)::int` }).from(distributionKeys);
      return (row?.v ?? 0) + 1;
    },
    async insertKey(tx: DbOrTx, row: typeof distributionKeys.$inferInsert) {
      const [out] = await tx.insert(distributionKeys).values(row).returning();
      return out!;
    },
    /** What a key may weigh: active municipalities, their population and further attributes. */
    async activeMunicipalities(db: DbOrTx) {
      return db
        .select({ code: municipalities.code, name: municipalities.name, province: municipalities.province, population: municipalities.population, attributes: municipalities.attributes })
        .from(municipalities)
        .where(eq(municipalities.active, true))
        .orderBy(asc(municipalities.code));
    },
    async attributeSources(db: DbOrTx, attributes: string[]) {
      if (attributes.length === 0) return [];
      return db.select().from(attributeSources).where(inArray(attributeSources.attribute, attributes));
    },
    async municipalityNames(db: DbOrTx, codes: string[]) {
      if (codes.length === 0) return [];
      return db.select({ code: municipalities.code, name: municipalities.name, province: municipalities.province, active: municipalities.active }).from(municipalities).where(inArray(municipalities.code, codes));
    },
    /** Every municipality the ledger knows (A and the carried part of E), optionally one province. */
    async ledgerMunicipalities(db: DbOrTx, province?: string): Promise<LedgerMunicipality[]> {
      return db
        .select({
          code: municipalityLedger.municipality,
          name: municipalities.name,
          province: municipalities.province,
          active: municipalities.active,
          allocated: municipalityLedger.allocated,
          carried: municipalityLedger.carried,
        })
        .from(municipalityLedger)
        .innerJoin(municipalities, eq(municipalities.code, municipalityLedger.municipality))
        .where(province ? eq(municipalities.province, province) : undefined)
        .orderBy(asc(municipalityLedger.municipality));
    },
    /** Units accrued per key version: in one period, or over all periods (the running E). */
    async unitsByKeyVersion(db: DbOrTx, period?: string): Promise<Map<number, number>> {
      const rows = await db
        .select({ v: periodKeyUnits.keyVersion, units: sql<number>`sum(${periodKeyUnits.units})::int` })
        .from(periodKeyUnits)
        .where(period ? eq(periodKeyUnits.period, period) : undefined)
        .groupBy(periodKeyUnits.keyVersion);
      return new Map(rows.map((r) => [r.v, r.units]));
    },
    async counters(db: DbOrTx, period: string) {
      const rows = await db.select().from(periodCounters).where(eq(periodCounters.period, period));
      return new Map(rows.map((r) => [r.municipality, r]));
    },
    async settlements(db: DbOrTx, period: string): Promise<Map<string, SettlementRow>> {
      const rows = await db.select().from(periodSettlements).where(eq(periodSettlements.period, period));
      return new Map(rows.map((r) => [r.municipality, r]));
    },
    async period(db: DbOrTx, period: string, opts: { forUpdate?: boolean } = {}): Promise<PeriodRow | undefined> {
      const q = db.select().from(periods).where(eq(periods.period, period));
      const [row] = await (opts.forUpdate ? q.for('update') : q);
      return row;
    },
    async periods(db: DbOrTx): Promise<PeriodRow[]> {
      return db.select().from(periods).orderBy(asc(periods.period));
    },
    async openBefore(db: DbOrTx, period: string): Promise<PeriodRow | undefined> {
      const [row] = await db.select().from(periods).where(and(lt(periods.period, period), eq(periods.status, 'open'))).orderBy(asc(periods.period)).limit(1);
      return row;
    },
    async closedAfter(db: DbOrTx, period: string): Promise<PeriodRow | undefined> {
      const [row] = await db.select().from(periods).where(and(gt(periods.period, period), eq(periods.status, 'closed'))).orderBy(asc(periods.period)).limit(1);
      return row;
    },
    async ensurePeriods(tx: DbOrTx, names: string[]) {
      if (names.length === 0) return;
      await tx
        .insert(periods)
        .values(names.map((period) => ({ period, ...periodBounds(period) })))
        .onConflictDoNothing();
    },
    async markClosed(tx: DbOrTx, period: string, patch: { closedAt: Date; closedBy: string; carryFactor: string; carryCap: number | null }) {
      await tx.update(periods).set({ status: 'closed', ...patch }).where(eq(periods.period, period));
    },
    async insertSettlements(tx: DbOrTx, rows: Array<typeof periodSettlements.$inferInsert>) {
      if (rows.length === 0) return;
      await tx.insert(periodSettlements).values(rows);
    },
    /** Settlement or merge movements: a change of a municipality's carried entitlement each. */
    async appendEntitlementMovements(
      tx: DbOrTx,
      kind: 'settlement' | 'merge' | 'shelter_credit',
      period: string,
      rows: Array<{ municipality: string; delta: string }>,
    ): Promise<Array<{ municipality: string; seq: number }>> {
      if (rows.length === 0) return [];
      const out = await tx
        .insert(ledgerMovements)
        .values(rows.map((r) => ({ kind, period, municipality: r.municipality, units: 0, entitlementDelta: r.delta })))
        .returning({ seq: ledgerMovements.seq, municipality: ledgerMovements.municipality });
      return out.map((r) => ({ municipality: r.municipality!, seq: r.seq }));
    },
    /** Sets carried values computed exactly by the caller, with the seq of the movement behind each. */
    async setCarried(tx: DbOrTx, rows: Array<{ municipality: string; carried: string; seq: number }>) {
      if (rows.length === 0) return;
      await tx.execute(sql`
        update ${municipalityLedger} as m
        set carried = v.carried, updated_seq = v.seq
        from unnest(${sql.param(rows.map((r) => r.municipality))}::text[], ${sql.param(rows.map((r) => r.carried))}::text[], ${sql.param(rows.map((r) => r.seq))}::bigint[]) as v(code, carried, seq)
        where m.municipality = v.code`);
    },
    /**
     * Registrations sheltered for more than `minimumNights` nights within the period (as of
     * `today`), not yet credited for it: nights are counted per stay as in the shelter report,
     * [start, end) clipped to the period and to today.
     */
    async shelterCreditCandidates(db: DbOrTx, q: { period: string; startsOn: string; endsOn: string; today: string; minimumNights: number }) {
      const result = await db.execute(sql`
        select r.id, r.reporting_municipality as municipality, r.adults, r.children,
               sum(greatest(0, least(coalesce(s.end_date, ${q.today}::date), ${q.endsOn}::date + 1, ${q.today}::date) - greatest(s.start_date, ${q.startsOn}::date)))::int as nights
        from ${shelterStays} s
        join ${registrations} r on r.id = s.registration_id
        where s.start_date <= ${q.endsOn}::date and (s.end_date is null or s.end_date > ${q.startsOn}::date)
          and not exists (select 1 from ${shelterCredits} c where c.registration_id = r.id and c.period = ${q.period})
        group by r.id
        having sum(greatest(0, least(coalesce(s.end_date, ${q.today}::date), ${q.endsOn}::date + 1, ${q.today}::date) - greatest(s.start_date, ${q.startsOn}::date))) > ${q.minimumNights}
        order by r.id`);
      return (result as unknown as { rows: Array<{ id: string; municipality: string; adults: number; children: number; nights: number }> }).rows;
    },
    async insertShelterCredits(tx: DbOrTx, rows: Array<typeof shelterCredits.$inferInsert>) {
      if (rows.length === 0) return;
      await tx.insert(shelterCredits).values(rows);
    },
    /** Net shelter-credit movement per municipality booked in a period ("num/den" each, to be summed exactly). */
    async shelterCreditMovements(db: DbOrTx, period: string) {
      return db
        .select({ municipality: ledgerMovements.municipality, delta: ledgerMovements.entitlementDelta })
        .from(ledgerMovements)
        .where(and(eq(ledgerMovements.kind, 'shelter_credit'), eq(ledgerMovements.period, period)));
    },
    async markMerged(tx: DbOrTx, codes: string[], into: string, at: Date) {
      if (codes.length === 0) return;
      await tx.update(municipalities).set({ active: false, mergedInto: into, updatedAt: at }).where(inArray(municipalities.code, codes));
    },
  };
}
export type DistributionRepository = ReturnType<typeof createDistributionRepository>;
