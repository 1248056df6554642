import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { registrations } from './registrations.js';

export type SignalStage = 'review' | 'decision' | 'transfer' | 'attention';
export type SignalLevel = 'reminder' | 'escalation';

/**
 * A deadline that passed (issue 13): one row per registration, stage instance and level. The
 * stage instance is its start time, so a stage that begins again (a new proposal, a new
 * approval) gets signals of its own; the unique index makes the periodic scan idempotent.
 * Resolved when the stage ends (every transition of the registration resolves its open signals).
 */
export const deadlineSignals = pgTable(
  'deadline_signals',
  {
    id: uuid('id').primaryKey(),
    registrationId: uuid('registration_id').notNull().references(() => registrations.id),
    allocationId: uuid('allocation_id'),
    stage: text('stage').$type<SignalStage>().notNull(),
    level: text('level').$type<SignalLevel>().notNull(),
    /** Who has to act: the receiving municipality, or null for the coordination point. */
    municipality: text('municipality'),
    stageStartedAt: timestamp('stage_started_at', { withTimezone: true }).notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    raisedAt: timestamp('raised_at', { withTimezone: true }).notNull(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('deadline_signals_stage_idx').on(t.registrationId, t.stage, t.level, t.stageStartedAt),
    index('deadline_signals_open_idx').on(t.dueAt).where(sql`resolved_at is null`),
  ],
);
