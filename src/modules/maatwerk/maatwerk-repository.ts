import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { capacityDeclarations, municipalities, municipalityProfiles, municipalityProfileVersions, needsPolicies } from '../../db/schema/index.js';

export type ProfileRecord = typeof municipalityProfiles.$inferSelect;
export type DeclarationRow = typeof capacityDeclarations.$inferSelect;
export type NeedsPolicyRow = typeof needsPolicies.$inferSelect;

export function createMaatwerkRepository() {
  return {
    async municipality(db: DbOrTx, code: string) {
      const [row] = await db.select({ code: municipalities.code, province: municipalities.province, active: municipalities.active }).from(municipalities).where(eq(municipalities.code, code));
      return row;
    },
    async profile(db: DbOrTx, code: string, opts: { forUpdate?: boolean } = {}) {
      const q = db.select().from(municipalityProfiles).where(eq(municipalityProfiles.municipality, code));
      const [row] = await (opts.forUpdate ? q.for('update') : q);
      return row;
    },
    async profileVersions(db: DbOrTx, code: string, limit: number) {
      return db.select().from(municipalityProfileVersions).where(eq(municipalityProfileVersions.municipality, code)).orderBy(desc(municipalityProfileVersions.version)).limit(limit);
    },
    /** Writes a new version and makes it current, in one statement (the version row is the history). */
    async putProfile(tx: DbOrTx, row: Omit<ProfileRecord, 'version'>): Promise<ProfileRecord> {
      const result = await tx.execute(sql`
        with v as (
          select coalesce(max(version), 0) + 1 as version from ${municipalityProfileVersions} where municipality = ${row.municipality}
        ), h as (
          insert into ${municipalityProfileVersions} (municipality, version, facilities, labour_market_region, wmo_region, note, created_at, created_by_sub, created_by_role)
          select ${row.municipality}, v.version, ${JSON.stringify(row.facilities)}::jsonb, ${row.labourMarketRegion}, ${row.wmoRegion}, ${row.note}, ${row.updatedAt}, ${row.updatedBySub}, ${row.updatedByRole} from v
        )
        insert into ${municipalityProfiles} (municipality, version, facilities, labour_market_region, wmo_region, note, updated_at, updated_by_sub, updated_by_role)
        select ${row.municipality}, v.version, ${JSON.stringify(row.facilities)}::jsonb, ${row.labourMarketRegion}, ${row.wmoRegion}, ${row.note}, ${row.updatedAt}, ${row.updatedBySub}, ${row.updatedByRole} from v
        on conflict (municipality) do update set version = excluded.version, facilities = excluded.facilities,
          labour_market_region = excluded.labour_market_region, wmo_region = excluded.wmo_region, note = excluded.note,
          updated_at = excluded.updated_at, updated_by_sub = excluded.updated_by_sub, updated_by_role = excluded.updated_by_role
        returning version`);
      const version = (result as unknown as { rows: Array<{ version: number }> }).rows[0]!.version;
      return { ...row, version };
    },
    /** Every current profile and every municipality: what the allocation needs to match needs and regions. */
    async allProfiles(db: DbOrTx) {
      return db.select().from(municipalityProfiles);
    },
    async municipalityRefs(db: DbOrTx) {
      return db.select({ code: municipalities.code, name: municipalities.name, province: municipalities.province, active: municipalities.active }).from(municipalities);
    },
    /** Whether any active municipality is in this region (a registration may only ask for one that exists). */
    async regionExists(db: DbOrTx, kind: 'labour_market' | 'wmo' | 'province', code: string): Promise<boolean> {
      const column = kind === 'labour_market' ? municipalityProfiles.labourMarketRegion : municipalityProfiles.wmoRegion;
      const q =
        kind === 'province'
          ? db.select({ one: sql`1` }).from(municipalities).where(and(eq(municipalities.province, code), eq(municipalities.active, true))).limit(1)
          : db.select({ one: sql`1` }).from(municipalityProfiles).innerJoin(municipalities, eq(municipalities.code, municipalityProfiles.municipality))
              .where(and(eq(column, code), eq(municipalities.active, true))).limit(1);
      return (await q).length > 0;
    },
    async insertDeclaration(tx: DbOrTx, row: typeof capacityDeclarations.$inferInsert) {
      const [out] = await tx.insert(capacityDeclarations).values(row).returning();
      return out!;
    },
    async listDeclarations(db: DbOrTx, q: { scope: SQL | undefined; municipality?: string; period?: string; limit: number; offset: number }) {
      const where = and(
        q.scope,
        q.municipality ? eq(capacityDeclarations.municipality, q.municipality) : undefined,
        q.period ? eq(capacityDeclarations.period, q.period) : undefined,
      );
      const [rows, [count]] = await Promise.all([
        db.select().from(capacityDeclarations).where(where).orderBy(asc(capacityDeclarations.createdAt), asc(capacityDeclarations.id)).limit(q.limit).offset(q.offset),
        db.select({ n: sql<number>`count(*)::int` }).from(capacityDeclarations).where(where),
      ]);
      return { rows, total: count?.n ?? 0 };
    },
    scopeToMunicipalities(codes: readonly string[]): SQL {
      return codes.length > 0 ? inArray(capacityDeclarations.municipality, [...codes]) : sql`false`;
    },
    async declarations(db: DbOrTx, ids: string[]) {
      if (ids.length === 0) return [];
      return db.select().from(capacityDeclarations).where(inArray(capacityDeclarations.id, ids));
    },
    /** Gives back the dwelling an allocation had booked (rejection, decline, close). */
    async releaseBooking(tx: DbOrTx, declarationId: string) {
      await tx.update(capacityDeclarations).set({ booked: sql`greatest(${capacityDeclarations.booked} - 1, 0)` }).where(eq(capacityDeclarations.id, declarationId));
    },
    async bookOne(tx: DbOrTx, declarationId: string) {
      await tx.update(capacityDeclarations).set({ booked: sql`${capacityDeclarations.booked} + 1` }).where(eq(capacityDeclarations.id, declarationId));
    },
    async needsPolicy(db: DbOrTx, version?: number): Promise<NeedsPolicyRow | undefined> {
      const q = db.select().from(needsPolicies);
      const [row] = await (version === undefined ? q.orderBy(desc(needsPolicies.version)).limit(1) : q.where(eq(needsPolicies.version, version)));
      return row;
    },
    async insertNeedsPolicy(tx: DbOrTx, row: Omit<NeedsPolicyRow, 'version'>): Promise<NeedsPolicyRow> {
      const [out] = await tx
        .insert(needsPolicies)
        .values({ ...row, version: sql`(select coalesce(max(version), 0) + 1 from ${needsPolicies})` as unknown as number })
        .returning();
      return out!;
    },
  };
}
export type MaatwerkRepository = ReturnType<typeof createMaatwerkRepository>;
