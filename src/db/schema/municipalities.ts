import { boolean, integer, jsonb, pgTable, text, timestamp, index } from 'drizzle-orm/pg-core';

export const municipalities = pgTable(
  'municipalities',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    province: text('province').notNull(),
    population: integer('population').notNull(),
    /** Further numeric attributes a composite key may weigh (e.g. socialHousing). */
    attributes: jsonb('attributes').$type<Record<string, number>>().notNull().default({}),
    suspended: boolean('suspended').notNull().default(false),
    capacityPerPeriod: integer('capacity_per_period'),
    /** False once a newer CBS table no longer lists the code (herindeling). */
    active: boolean('active').notNull().default(true),
    mergedInto: text('merged_into'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('municipalities_province_idx').on(t.province)],
);
