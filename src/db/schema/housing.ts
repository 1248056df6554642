import { sql } from 'drizzle-orm';
import { boolean, date, index, pgTable, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { registrations } from './registrations.js';

export type HousingOfferStatus = 'offered' | 'accepted' | 'declined' | 'withdrawn';

/**
 * A dwelling a housing corporation offers a family (issue 15): dates, size and accessibility, no
 * address and nothing about a person. Made by the corporation (`corporation_sub`, its token's
 * subject), accepted or declined by the receiving municipality or the coordination point. A
 * family holds at most one accepted offer. Deleted with the rest of a case when it is pseudonymised.
 */
export const housingOffers = pgTable(
  'housing_offers',
  {
    id: uuid('id').primaryKey(),
    registrationId: uuid('registration_id').notNull().references(() => registrations.id),
    /** Where the dwelling is: the family's receiving municipality. */
    municipality: text('municipality').notNull(),
    offeredOn: date('offered_on').notNull(),
    moveInDate: date('move_in_date'),
    bedrooms: smallint('bedrooms').notNull(),
    accessible: boolean('accessible').notNull(),
    status: text('status').$type<HousingOfferStatus>().notNull(),
    corporationSub: text('corporation_sub').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    /** Who changed it last (a corporation, a municipality, the coordinator) and in which role. */
    updatedBySub: text('updated_by_sub').notNull(),
    updatedByRole: text('updated_by_role').notNull(),
  },
  (t) => [
    index('housing_offers_registration_idx').on(t.registrationId, t.createdAt),
    index('housing_offers_corporation_idx').on(t.corporationSub, t.createdAt),
    // One accepted offer per family, enforced by the database (two acceptances at once cannot both win).
    uniqueIndex('housing_offers_one_accepted_idx').on(t.registrationId).where(sql`status = 'accepted'`),
  ],
);
