// Maatwerk (DESIGN §5, §10): what municipalities can offer, declared housing capacity, the
// coordinator's needs policy, attribute provenance and shelter credits.
import { bigserial, boolean, date, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** Facilities a municipality states it can (true) or cannot (false) offer; absent = not stated. */
export interface Facilities {
  medicalCare?: boolean;
  specialEducation?: boolean;
  accessibleDwellings?: boolean;
  largeDwellings?: boolean;
  languageSupport?: boolean;
}

/** The current profile of each municipality that has one (the latest row of the versions below). */
export const municipalityProfiles = pgTable('municipality_profiles', {
  municipality: text('municipality').primaryKey(),
  version: integer('version').notNull(),
  facilities: jsonb('facilities').$type<Facilities>().notNull().default({}),
  labourMarketRegion: text('labour_market_region'),
  wmoRegion: text('wmo_region'),
  note: text('note'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  updatedBySub: text('updated_by_sub').notNull(),
  updatedByRole: text('updated_by_role').notNull(),
}, (t) => [index('municipality_profiles_lmr_idx').on(t.labourMarketRegion), index('municipality_profiles_wmo_idx').on(t.wmoRegion)]);

/**
 * Every version of every profile, append-only. `id` only grows, so its maximum tells a worker
 * whether any profile changed since it cached them.
 */
export const municipalityProfileVersions = pgTable(
  'municipality_profile_versions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    municipality: text('municipality').notNull(),
    version: integer('version').notNull(),
    facilities: jsonb('facilities').$type<Facilities>().notNull(),
    labourMarketRegion: text('labour_market_region'),
    wmoRegion: text('wmo_region'),
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    createdBySub: text('created_by_sub').notNull(),
    createdByRole: text('created_by_role').notNull(),
  },
  (t) => [uniqueIndex('municipality_profile_versions_code_idx').on(t.municipality, t.version)],
);

/**
 * Dwellings or flex units a housing corporation or municipality declares available in a
 * municipality for a period. `booked` counts the families allocated against it (one each), kept
 * in the same statement as the allocation and given back on rejection, decline or close.
 */
export const capacityDeclarations = pgTable(
  'capacity_declarations',
  {
    id: uuid('id').primaryKey(),
    municipality: text('municipality').notNull(),
    period: text('period').notNull(),
    kind: text('kind').$type<'dwelling' | 'flex_unit'>().notNull(),
    units: integer('units').notNull(),
    bedrooms: smallint('bedrooms').notNull(),
    accessible: boolean('accessible').notNull(),
    booked: integer('booked').notNull().default(0),
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    declaredBySub: text('declared_by_sub').notNull(),
    declaredByRole: text('declared_by_role').notNull(),
  },
  (t) => [index('capacity_declarations_period_idx').on(t.period, t.municipality)],
);

/** The coordinator's needs policy, versioned; the highest version is in force. */
export const needsPolicies = pgTable('needs_policies', {
  version: integer('version').primaryKey(),
  needs: jsonb('needs').$type<Record<string, 'hard' | 'soft'>>().notNull(),
  unknownProfile: text('unknown_profile').$type<'available' | 'unavailable'>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  createdBy: text('created_by').notNull(),
});

/** Where each loaded municipality attribute comes from (import-attributes). */
export const attributeSources = pgTable('municipality_attribute_sources', {
  attribute: text('attribute').primaryKey(),
  source: text('source').notNull(),
  referenceDate: date('reference_date').notNull(),
  importedAt: timestamp('imported_at', { withTimezone: true }).notNull(),
  importedBy: text('imported_by').notNull(),
});

/**
 * One row per registration and period credited to its reporting municipality (shelter longer
 * than the key's minimum nights): the primary key makes the credit happen once.
 */
export const shelterCredits = pgTable(
  'shelter_credits',
  {
    registrationId: uuid('registration_id').notNull(),
    period: text('period').notNull(),
    municipality: text('municipality').notNull(),
    units: integer('units').notNull(),
    minimumNights: integer('minimum_nights').notNull(),
    keyVersion: integer('key_version').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.registrationId, t.period] }), index('shelter_credits_period_idx').on(t.period, t.municipality)],
);
