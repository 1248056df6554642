import { and, asc, eq, ilike, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { municipalities } from '../../db/schema/index.js';

export type MunicipalityRow = typeof municipalities.$inferSelect;

/** LIKE metacharacters in a search term are matched literally. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function createMunicipalitiesRepository() {
  return {
    async list(db: DbOrTx, q: { province?: string; name?: string; limit: number; offset: number }) {
      const where = and(
        q.province ? eq(municipalities.province, q.province) : undefined,
        q.name ? ilike(municipalities.name, `%${likeEscape(q.name)}%`) : undefined,
      );
      const [rows, [count]] = await Promise.all([
        db.select().from(municipalities).where(where).orderBy(asc(municipalities.code)).limit(q.limit).offset(q.offset),
        db.select({ n: sql<number>`count(*)::int` }).from(municipalities).where(where),
      ]);
      return { rows, total: count?.n ?? 0 };
    },
    async get(db: DbOrTx, code: string) {
      const [row] = await db.select().from(municipalities).where(eq(municipalities.code, code));
      return row;
    },
    async update(db: DbOrTx, code: string, patch: { suspended?: boolean; capacityPerPeriod?: number | null }, at: Date) {
      const [row] = await db
        .update(municipalities)
        .set({ ...patch, updatedAt: at })
        .where(eq(municipalities.code, code))
        .returning();
      return row;
    },
    /** Names of these codes (merged-away ones included), for reports. */
    async names(db: DbOrTx, codes: readonly string[]): Promise<Array<{ code: string; name: string }>> {
      if (codes.length === 0) return [];
      return db
        .select({ code: municipalities.code, name: municipalities.name })
        .from(municipalities)
        .where(sql`${municipalities.code} = any(${sql.param([...codes])}::text[])`);
    },
    async existing(db: DbOrTx, codes: readonly string[]): Promise<Set<string>> {
      if (codes.length === 0) return new Set();
      const rows = await db
        .select({ code: municipalities.code })
        .from(municipalities)
        .where(and(sql`${municipalities.code} = any(${sql.param([...codes])}::text[])`, eq(municipalities.active, true)));
      return new Set(rows.map((r) => r.code));
    },
  };
}
export type MunicipalitiesRepository = ReturnType<typeof createMunicipalitiesRepository>;
