import { boolean, date, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
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
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('shelter_stays_registration_idx').on(t.registrationId), index('shelter_stays_municipality_idx').on(t.municipality, t.startDate)],
);
