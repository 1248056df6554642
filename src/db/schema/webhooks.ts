import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export type SubscriberRole = 'municipality' | 'housing_corporation' | 'coordinator';

/** A receiver of notifications (NL GOV CloudEvents over HTTPS), owned by the organisation that made it. */
export const webhookSubscriptions = pgTable(
  'webhook_subscriptions',
  {
    id: uuid('id').primaryKey(),
    ownerRole: text('owner_role').$type<SubscriberRole>().notNull(),
    /** For a municipality: its GM code (every client of that municipality manages it). */
    ownerMunicipality: text('owner_municipality'),
    /** For a housing corporation: its working area when it subscribed. */
    ownerArea: text('owner_area').array().notNull().default(sql`'{}'::text[]`),
    ownerSub: text('owner_sub').notNull(),
    url: text('url').notNull(),
    /** Empty: every type. */
    eventTypes: text('event_types').array().notNull().default(sql`'{}'::text[]`),
    /** The HMAC secret, shown once at creation; AES-256-GCM bound to this row. */
    secretCiphertext: text('secret_ciphertext').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** The receiver answered 410 Gone: no more deliveries. */
    retiredAt: timestamp('retired_at', { withTimezone: true }),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [index('webhook_subscriptions_active_idx').on(t.ownerRole, t.ownerMunicipality).where(sql`deleted_at is null`)],
);

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';

/** One event for one subscription: the delivery log. Ids and links only, never personal data. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey(),
    subscriptionId: uuid('subscription_id').notNull().references(() => webhookSubscriptions.id),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** The registration the event is about. */
    subject: uuid('subject').notNull(),
    eventTime: timestamp('event_time', { withTimezone: true }).notNull(),
    data: jsonb('data').notNull(),
    status: text('status').$type<DeliveryStatus>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    lastDurationMs: integer('last_duration_ms'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_idx').on(t.eventId, t.subscriptionId),
    index('webhook_deliveries_subscription_idx').on(t.subscriptionId, t.createdAt),
    index('webhook_deliveries_pending_idx').on(t.createdAt).where(sql`status = 'pending'`),
  ],
);
