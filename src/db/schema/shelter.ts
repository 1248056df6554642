import { boolean, date, index, integer, pgTable, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { registrations } from './registrations.js';

export const shelterStays = pgTable(
  'shelter_stays',
  {
    id: uuid('id').primaryKey(),
    registrationId: uuid('registration_id').notNull().references(() => registrations.id),
    municipality: text('municipality').notNull(),
    type: text('type').$type<'hotel' | 'holiday_park' | 'shelter_facility' | 'other'>().notNull(),
    startDate: date('start_date').notNull(),
    endDate: date('end_date'),
    nightlyCostCents: integer('nightly_cost_cents').notNull(),
    locationCiphertext: text('location_ciphertext'),
    closedAutomatically: boolean('closed_automatically').notNull().default(false),
    /** Held by the coordination point at a central facility (CENTRAL_SHELTER): booked nationally. */
    central: boolean('central').notNull().default(false),
    /**
     * This stay is a correction of that one (evidence of a closed period or a closed case is never
     * edited): the corrected stay stays as it was, and every count uses the newest version only.
     */
    correctsId: uuid('corrects_id').references((): AnyPgColumn => shelterStays.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('shelter_stays_registration_idx').on(t.registrationId),
    index('shelter_stays_municipality_idx').on(t.municipality, t.startDate),
    // A stay is corrected at most once; a further correction corrects the correction.
    uniqueIndex('shelter_stays_corrects_idx').on(t.correctsId),
  ],
);
