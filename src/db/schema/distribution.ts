import { bigint, bigserial, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uuid, date, index } from 'drizzle-orm/pg-core';

/** Versioned distribution keys. Weights are exact non-negative integers (as decimal strings). */
export const distributionKeys = pgTable('distribution_keys', {
  version: integer('version').primaryKey(),
  kind: text('kind').$type<'population' | 'composite' | 'fixed'>().notNull(),
  definition: jsonb('definition').notNull(),
  weights: jsonb('weights').$type<Record<string, string>>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  createdBy: text('created_by').notNull(),
});

/**
 * The single row every allocation locks (SELECT … FOR UPDATE): it serialises changes to the
 * ledger across any number of worker processes, and its seq tells a worker whether its cached
 * ledger is still current.
 */
export const ledgerState = pgTable('ledger_state', {
  id: smallint('id').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  keyVersion: integer('key_version').notNull(),
});

/** Append-only: the ledger is the sum of these rows. */
export const ledgerMovements = pgTable(
  'ledger_movements',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    kind: text('kind').$type<'accrual' | 'allocation' | 'release' | 'settlement' | 'merge' | 'shelter_credit'>().notNull(),
    period: text('period').notNull(),
    /** accrual: units under keyVersion, added to every municipality's entitlement (negative = withdrawn). */
    keyVersion: integer('key_version'),
    /** allocation/release/settlement/merge: the municipality concerned; null for accruals (they touch all). */
    municipality: text('municipality'),
    /** allocation (+) and release (−) of units in A. */
    units: integer('units').notNull().default(0),
    /** settlement/merge/shelter_credit: exact change to the municipality's carried entitlement, "num/den". */
    entitlementDelta: text('entitlement_delta'),
    registrationId: uuid('registration_id'),
    allocationId: uuid('allocation_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('ledger_movements_municipality_idx').on(t.municipality), index('ledger_movements_period_idx').on(t.period)],
);

/** Running state per municipality: A and the carried part of E (settlements, merges). */
export const municipalityLedger = pgTable('municipality_ledger', {
  municipality: text('municipality').primaryKey(),
  allocated: integer('allocated').notNull().default(0),
  carried: text('carried').notNull().default('0/1'),
  updatedSeq: bigint('updated_seq', { mode: 'number' }).notNull().default(0),
});

/** Units accrued per period and key version: with the key weights this derives every entitlement. */
export const periodKeyUnits = pgTable(
  'period_key_units',
  {
    period: text('period').notNull(),
    keyVersion: integer('key_version').notNull(),
    units: integer('units').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.period, t.keyVersion] })],
);

/** The three counters per municipality and period, in units. */
export const periodCounters = pgTable(
  'period_counters',
  {
    period: text('period').notNull(),
    municipality: text('municipality').notNull(),
    proposed: integer('proposed').notNull().default(0),
    approved: integer('approved').notNull().default(0),
    realised: integer('realised').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.period, t.municipality] })],
);

export const periods = pgTable('periods', {
  period: text('period').primaryKey(),
  startsOn: date('starts_on').notNull(),
  endsOn: date('ends_on').notNull(),
  status: text('status').$type<'open' | 'closed'>().notNull().default('open'),
  closedAt: timestamp('closed_at', { withTimezone: true }),
  closedBy: text('closed_by'),
  carryFactor: text('carry_factor'),
  carryCap: integer('carry_cap'),
});

/** Balances snapshotted at period close: what was carried out and what went into the next period. */
export const periodSettlements = pgTable(
  'period_settlements',
  {
    period: text('period').notNull(),
    municipality: text('municipality').notNull(),
    entitlement: text('entitlement').notNull(),
    allocated: integer('allocated').notNull(),
    balance: text('balance').notNull(),
    carriedOut: text('carried_out').notNull(),
  },
  (t) => [primaryKey({ columns: [t.period, t.municipality] })],
);
