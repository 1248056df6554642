import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { periods, shelterStays } from '../../db/schema/index.js';

export type ShelterStayRow = typeof shelterStays.$inferSelect;
export type NewShelterStayRow = typeof shelterStays.$inferInsert;

/**
 * Nights are counted by PostgreSQL's `date - date`, which is whole calendar days: a change to or
 * from daylight saving time cannot add or lose a night. An open stay runs up to `today`.
 */
const nightsUpTo = (today: string) => sql<number>`greatest(0, coalesce(${shelterStays.endDate}, ${today}::date) - ${shelterStays.startDate})`;

function withNights(today: string) {
  const nights = nightsUpTo(today);
  return {
    stay: shelterStays,
    nights: sql<number>`${nights}`.mapWith(Number),
    // bigint: a year of stays at the maximum rate does not fit an int4.
    costCents: sql<number>`(${nights})::bigint * ${shelterStays.nightlyCostCents}`.mapWith(Number),
  };
}
export type ShelterStayWithNights = { stay: ShelterStayRow; nights: number; costCents: number };
export type ClosedPeriod = { period: string; startsOn: string; endsOn: string };

/** The closed periods that share a night with the stay [start, end) (end null: still open). */
export function closedPeriodsTouching(stay: { startDate: string; endDate: string | null }, closed: readonly ClosedPeriod[]): string[] {
  return closed.filter((p) => p.startsOn < (stay.endDate ?? '9999-12-31') && p.endsOn >= stay.startDate).map((p) => p.period);
}

/**
 * The stay has not been corrected: a correction is a newer row that references it, and every
 * count, check and list uses the newest version only. `alias` is how the stays table is named
 * in the surrounding query.
 */
export const currentStay = (alias = 'shelter_stays') =>
  sql`not exists (select 1 from ${shelterStays} newer where newer.corrects_id = ${sql.raw(`"${alias}"`)}.id)`;

export function createShelterRepository() {
  return {
    async insert(tx: DbOrTx, row: NewShelterStayRow) {
      await tx.insert(shelterStays).values(row);
    },

    async get(tx: DbOrTx, id: string): Promise<ShelterStayRow | undefined> {
      const [row] = await tx.select().from(shelterStays).where(eq(shelterStays.id, id));
      return row;
    },

    async getWithNights(tx: DbOrTx, id: string, today: string): Promise<ShelterStayWithNights | undefined> {
      const [row] = await tx.select(withNights(today)).from(shelterStays).where(eq(shelterStays.id, id));
      return row;
    },

    async update(tx: DbOrTx, id: string, patch: Partial<NewShelterStayRow>) {
      await tx.update(shelterStays).set(patch).where(eq(shelterStays.id, id));
    },

    /** The correction of this stay, if it has one. */
    async correctionOf(tx: DbOrTx, id: string): Promise<ShelterStayRow | undefined> {
      const [row] = await tx.select().from(shelterStays).where(eq(shelterStays.correctsId, id));
      return row;
    },

    /** Every closed period (two a year: a short list). */
    async closedPeriods(tx: DbOrTx): Promise<ClosedPeriod[]> {
      return tx.select({ period: periods.period, startsOn: periods.startsOn, endsOn: periods.endsOn }).from(periods).where(eq(periods.status, 'closed')).orderBy(asc(periods.period));
    },

    /**
     * A stay of this family whose nights meet [start, end) — end null is open-ended. Correct only
     * while the caller holds the registration's row lock, which serialises writers of one family.
     */
    async findOverlap(tx: DbOrTx, registrationId: string, start: string, end: string | null, exceptId?: string): Promise<ShelterStayRow | undefined> {
      const [row] = await tx
        .select()
        .from(shelterStays)
        .where(
          and(
            eq(shelterStays.registrationId, registrationId),
            currentStay(),
            exceptId ? ne(shelterStays.id, exceptId) : undefined,
            sql`${shelterStays.startDate} < coalesce(${end}::date, 'infinity'::date)`,
            sql`coalesce(${shelterStays.endDate}, 'infinity'::date) > ${start}::date`,
          ),
        )
        .orderBy(asc(shelterStays.startDate))
        .limit(1);
      return row;
    },

    async list(tx: DbOrTx, registrationId: string, today: string, page: { limit: number; offset: number }) {
      const where = and(eq(shelterStays.registrationId, registrationId), currentStay());
      const nights = nightsUpTo(today);
      const [rows, [totals]] = await Promise.all([
        tx
          .select(withNights(today))
          .from(shelterStays)
          .where(where)
          .orderBy(asc(shelterStays.startDate), asc(shelterStays.createdAt), asc(shelterStays.id))
          .limit(page.limit)
          .offset(page.offset),
        tx
          .select({
            n: sql<number>`count(*)::int`,
            nights: sql<number>`coalesce(sum(${nights}), 0)::bigint`.mapWith(Number),
            costCents: sql<number>`coalesce(sum((${nights})::bigint * ${shelterStays.nightlyCostCents}), 0)::bigint`.mapWith(Number),
          })
          .from(shelterStays)
          .where(where),
      ]);
      return { rows, total: totals?.n ?? 0, nights: totals?.nights ?? 0, costCents: totals?.costCents ?? 0 };
    },
  };
}
export type ShelterRepository = ReturnType<typeof createShelterRepository>;
