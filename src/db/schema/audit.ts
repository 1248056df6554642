import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Append-only (a trigger refuses UPDATE and DELETE): who did or read what, when, and in which request. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    actorSub: text('actor_sub').notNull(),
    actorRole: text('actor_role').notNull(),
    actorOrganisation: text('actor_organisation'),
    action: text('action').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: text('resource_id'),
    registrationId: uuid('registration_id'),
    traceId: text('trace_id'),
    statusCode: integer('status_code'),
    /**
     * What changed, where the action needs it: old and new values of a correction (never personal
     * values: for those only that they changed), the ground of an erasure.
     */
    detail: jsonb('detail'),
  },
  (t) => [index('audit_events_registration_idx').on(t.registrationId, t.id), index('audit_events_at_idx').on(t.at)],
);
