import { and, asc, count, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { housingOffers, registrations } from '../../db/schema/index.js';
import type { Principal } from '../auth/auth-tokens.js';
import { RECEIVER_VISIBLE } from '../registrations/registrations-repository.js';
import { LIVE_OFFER_STATUSES } from './housing-offers-schemas.js';

export type HousingOfferRow = typeof housingOffers.$inferSelect;

/**
 * The offers a caller may see: the coordinator every one; a housing corporation those it made, in
 * its working area; a municipality those for the families it receives (while it sees them), in
 * itself. Everyone else none.
 */
export function offersVisibleTo(p: Principal): SQL | undefined {
  if (p.role === 'coordinator') return undefined;
  if (p.role === 'housing_corporation' && p.municipalities && p.municipalities.length > 0) {
    return and(eq(housingOffers.corporationSub, p.sub), inArray(housingOffers.municipality, [...p.municipalities]));
  }
  if (p.role === 'municipality' && p.municipality) {
    return and(
      eq(housingOffers.municipality, p.municipality),
      sql`exists (select 1 from ${registrations} r where r.id = ${housingOffers.registrationId}
                  and r.receiving_municipality = ${p.municipality} and r.status in ${RECEIVER_VISIBLE})`,
    );
  }
  return sql`false`;
}

/** Live offers (offered or accepted) for the family in its receiving municipality; `alias` names the registrations table. */
export const liveOffersOf = (alias: string) =>
  sql<number>`(select count(*)::int from ${housingOffers} o where o.registration_id = ${sql.raw(`"${alias}"`)}.id
               and o.municipality = ${sql.raw(`"${alias}"`)}.receiving_municipality and o.status in ${LIVE_OFFER_STATUSES})`;

export function createHousingOffersRepository() {
  return {
    async insert(tx: DbOrTx, row: HousingOfferRow) {
      await tx.insert(housingOffers).values(row);
    },
    async get(tx: DbOrTx, id: string, where: SQL | undefined, opts: { forUpdate?: boolean } = {}): Promise<HousingOfferRow | undefined> {
      const q = tx.select().from(housingOffers).where(and(eq(housingOffers.id, id), where));
      const [row] = await (opts.forUpdate ? q.for('update') : q);
      return row;
    },
    async update(tx: DbOrTx, id: string, patch: Partial<HousingOfferRow>): Promise<HousingOfferRow> {
      const [row] = await tx.update(housingOffers).set(patch).where(eq(housingOffers.id, id)).returning();
      return row!;
    },
    async list(db: DbOrTx, q: { visible: SQL | undefined; registrationId?: string | undefined }, page: { page: number; pageSize: number }) {
      const where = and(q.visible, q.registrationId ? eq(housingOffers.registrationId, q.registrationId) : undefined);
      const [rows, [total]] = await Promise.all([
        db.select().from(housingOffers).where(where).orderBy(asc(housingOffers.createdAt), asc(housingOffers.id)).limit(page.pageSize).offset((page.page - 1) * page.pageSize),
        db.select({ n: count() }).from(housingOffers).where(where),
      ]);
      return { rows, total: total?.n ?? 0 };
    },
  };
}
export type HousingOffersRepository = ReturnType<typeof createHousingOffersRepository>;
