import { sql } from 'drizzle-orm';
import {
  bigserial, boolean, date, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';

export type RegistrationStatus =
  | 'queued' | 'proposed' | 'approved' | 'accepted' | 'transferred' | 'housed' | 'closed' | 'needs_attention';

export const registrations = pgTable(
  'registrations',
  {
    id: uuid('id').primaryKey(),
    status: text('status').$type<RegistrationStatus>().notNull(),
    reportingMunicipality: text('reporting_municipality').notNull(),
    receivingMunicipality: text('receiving_municipality'),
    reportedOn: date('reported_on').notNull(),
    subgroup: text('subgroup').notNull(),
    /** Eligibility answers (booleans, enums and the assessment date; no names or numbers). */
    eligibility: jsonb('eligibility').notNull(),
    adults: smallint('adults').notNull(),
    children: smallint('children').notNull(),
    needs: jsonb('needs').$type<Record<string, unknown>>().notNull().default({}),
    networkMunicipalities: text('network_municipalities').array().notNull().default(sql`'{}'::text[]`),
    excludedMunicipalities: text('excluded_municipalities').array().notNull().default(sql`'{}'::text[]`),
    /** Hard restriction to one region (DESIGN §5): only its municipalities may receive the family. */
    regionRestriction: jsonb('region_restriction').$type<{ kind: 'labour_market' | 'wmo' | 'province'; code: string }>(),
    /** Labour-market region where an adult works or has an offer: a preference within the tolerance. */
    workRegion: text('work_region'),
    notesCiphertext: text('notes_ciphertext'),
    /** Bumped each time a new proposal is wanted; the allocate job carries it (idempotency). */
    allocationRound: integer('allocation_round').notNull().default(1),
    /** Set once, when the registration's shares were first added to the entitlements. */
    accruedKeyVersion: integer('accrued_key_version'),
    accruedPeriod: text('accrued_period'),
    accruedUnits: integer('accrued_units'),
    firstProposedAt: timestamp('first_proposed_at', { withTimezone: true }),
    approvedAt: timestamp('approved_at', { withTimezone: true }),
    transferredOn: date('transferred_on'),
    outcome: text('outcome'),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    /**
     * When the personal data was erased (retention rule or erasure on request): names, BSNs, full
     * birth dates, notes, reasons, locations and documents are gone; the BSNs' keyed hashes stay.
     */
    pseudonymisedAt: timestamp('pseudonymised_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    createdBySub: text('created_by_sub').notNull(),
  },
  (t) => [
    index('registrations_reporting_idx').on(t.reportingMunicipality),
    index('registrations_receiving_idx').on(t.receivingMunicipality),
    index('registrations_status_idx').on(t.status),
    index('registrations_created_idx').on(t.createdAt),
    // The allocate job's batch takes the oldest queued registrations: without this, every batch
    // sorts the whole queue.
    index('registrations_queued_idx').on(t.createdAt, t.id).where(sql`status = 'queued'`),
    // The daily retention job looks for closed cases not yet pseudonymised.
    index('registrations_retention_idx').on(t.closedAt).where(sql`pseudonymised_at is null and closed_at is not null`),
  ],
);

export const householdMembers = pgTable(
  'household_members',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    registrationId: uuid('registration_id').notNull().references(() => registrations.id),
    role: text('role').$type<'adult' | 'child'>().notNull(),
    position: smallint('position').notNull(),
    /** Keyed hash of the BSN: kept after pseudonymisation, so a later registration of the family can be linked. */
    bsnHmac: text('bsn_hmac').notNull(),
    /** Null once the case is pseudonymised; so are name_ciphertext and birth_date. */
    bsnCiphertext: text('bsn_ciphertext'),
    nameCiphertext: text('name_ciphertext'),
    birthDate: date('birth_date'),
    /** Set when birth_date is erased; until then the year is the birth date's. */
    birthYear: smallint('birth_year'),
  },
  (t) => [index('household_members_registration_idx').on(t.registrationId), index('household_members_bsn_idx').on(t.bsnHmac)],
);

/**
 * One row per person in an active registration: the primary key makes a concurrent duplicate
 * intake fail in the database, not only in a racy check.
 */
export const activeBsnClaims = pgTable('active_bsn_claims', {
  bsnHmac: text('bsn_hmac').primaryKey(),
  registrationId: uuid('registration_id').notNull().references(() => registrations.id),
});

export const duplicateAttempts = pgTable('duplicate_attempts', {
  id: uuid('id').primaryKey().defaultRandom(),
  existingRegistrationId: uuid('existing_registration_id').notNull().references(() => registrations.id),
  attemptedBy: text('attempted_by').notNull(),
  attemptedBySub: text('attempted_by_sub').notNull(),
  attemptedAt: timestamp('attempted_at', { withTimezone: true }).notNull(),
});

export type AllocationStatus = 'proposed' | 'approved' | 'rejected' | 'accepted' | 'declined' | 'withdrawn';

export const allocations = pgTable(
  'allocations',
  {
    id: uuid('id').primaryKey(),
    registrationId: uuid('registration_id').notNull().references(() => registrations.id),
    municipality: text('municipality').notNull(),
    status: text('status').$type<AllocationStatus>().notNull(),
    kind: text('kind').$type<'engine' | 'override'>().notNull(),
    units: integer('units').notNull(),
    keyVersion: integer('key_version').notNull(),
    period: text('period').notNull(),
    explanation: jsonb('explanation').notNull(),
    /** The declared capacity this allocation is booked against (one dwelling), if any. */
    capacityDeclarationId: uuid('capacity_declaration_id'),
    reasonCiphertext: text('reason_ciphertext'),
    /** Why rejected or declined, as a category the compliance report counts (the reason itself is free text). */
    reasonCategory: text('reason_category'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    createdBySub: text('created_by_sub').notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decidedBySub: text('decided_by_sub'),
  },
  (t) => [
    index('allocations_registration_idx').on(t.registrationId),
    index('allocations_status_idx').on(t.status, t.createdAt),
    index('allocations_municipality_idx').on(t.municipality),
    // Exactly one active allocation per registration, enforced by the database.
    uniqueIndex('allocations_one_active_idx')
      .on(t.registrationId)
      .where(sql`status in ('proposed', 'approved', 'accepted')`),
  ],
);

export const registrationEvents = pgTable(
  'registration_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    registrationId: uuid('registration_id').notNull().references(() => registrations.id),
    action: text('action').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    allocationId: uuid('allocation_id'),
    municipality: text('municipality'),
    actorSub: text('actor_sub').notNull(),
    actorRole: text('actor_role').notNull(),
    actorMunicipality: text('actor_municipality'),
    reasonCiphertext: text('reason_ciphertext'),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [index('registration_events_registration_idx').on(t.registrationId, t.id)],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    clientSub: text('client_sub').notNull(),
    /** Keyed hash (PII_HMAC_KEY) of the Idempotency-Key header, never the key as sent. */
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    registrationId: uuid('registration_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.clientSub, t.key] })],
);

/**
 * A registration whose household was in a closed (or housed) case before (issue 13): linked to
 * the most recent earlier case through a member's keyed BSN hash, written by the intake
 * statement. `earlierReturns` counts earlier cases closed as returned_abroad (the return scheme).
 */
export const registrationLinks = pgTable('registration_links', {
  registrationId: uuid('registration_id').primaryKey().references(() => registrations.id),
  earlierRegistrationId: uuid('earlier_registration_id').notNull().references(() => registrations.id),
  earlierOutcome: text('earlier_outcome'),
  earlierCases: integer('earlier_cases').notNull(),
  earlierReturns: integer('earlier_returns').notNull(),
  linkedAt: timestamp('linked_at', { withTimezone: true }).notNull(),
});
