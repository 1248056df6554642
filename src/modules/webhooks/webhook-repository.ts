import { and, asc, count, desc, eq, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { webhookDeliveries, webhookSubscriptions, type DeliveryStatus } from '../../db/schema/index.js';
import type { Principal } from '../auth/auth-tokens.js';
import type { NotifyEvent } from './webhook-events.js';

export type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/**
 * Subscriptions a caller manages: a municipality those of its municipality (any of its clients),
 * a housing corporation its own, the coordinator every one. Deleted ones are gone for everyone.
 */
export function ownedBy(p: Principal): SQL {
  const live = isNull(webhookSubscriptions.deletedAt);
  if (p.role === 'coordinator') return live;
  if (p.role === 'municipality' && p.municipality) {
    return and(live, eq(webhookSubscriptions.ownerRole, 'municipality'), eq(webhookSubscriptions.ownerMunicipality, p.municipality))!;
  }
  if (p.role === 'housing_corporation') return and(live, eq(webhookSubscriptions.ownerRole, 'housing_corporation'), eq(webhookSubscriptions.ownerSub, p.sub))!;
  return sql`false`;
}

/** The subscriptions that count against the caller's limit: its organisation's own (the coordinator's too). */
export function ownerOf(p: Principal): SQL {
  return p.role === 'coordinator' ? and(isNull(webhookSubscriptions.deletedAt), eq(webhookSubscriptions.ownerRole, 'coordinator'))! : ownedBy(p);
}

export function createWebhookRepository() {
  return {
    async lockOwner(tx: DbOrTx, owner: string) {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`webhook-owner:${owner}`}))`);
    },
    async insert(tx: DbOrTx, row: typeof webhookSubscriptions.$inferInsert) {
      await tx.insert(webhookSubscriptions).values(row);
    },
    async countOwned(tx: DbOrTx, where: SQL): Promise<number> {
      const [row] = await tx.select({ n: count() }).from(webhookSubscriptions).where(where);
      return row?.n ?? 0;
    },
    async get(tx: DbOrTx, id: string, where: SQL) {
      const [row] = await tx.select().from(webhookSubscriptions).where(and(eq(webhookSubscriptions.id, id), where));
      return row;
    },
    async list(tx: DbOrTx, where: SQL, page: { limit: number; offset: number }) {
      const [rows, total] = await Promise.all([
        tx.select().from(webhookSubscriptions).where(where).orderBy(asc(webhookSubscriptions.createdAt), asc(webhookSubscriptions.id)).limit(page.limit).offset(page.offset),
        this.countOwned(tx, where),
      ]);
      return { rows, total };
    },
    async markDeleted(tx: DbOrTx, id: string, at: Date) {
      await tx.update(webhookSubscriptions).set({ deletedAt: at }).where(eq(webhookSubscriptions.id, id));
      await tx
        .update(webhookDeliveries)
        .set({ status: 'cancelled' })
        .where(and(eq(webhookDeliveries.subscriptionId, id), eq(webhookDeliveries.status, 'pending')));
    },
    async retire(tx: DbOrTx, id: string, at: Date) {
      await tx.update(webhookSubscriptions).set({ retiredAt: at }).where(and(eq(webhookSubscriptions.id, id), isNull(webhookSubscriptions.retiredAt)));
    },

    /** Live subscriptions that want this event and may see its family now. */
    async matching(tx: DbOrTx, e: NotifyEvent): Promise<Array<{ id: string }>> {
      return tx
        .select({ id: webhookSubscriptions.id })
        .from(webhookSubscriptions)
        .where(
          and(
            isNull(webhookSubscriptions.deletedAt),
            isNull(webhookSubscriptions.retiredAt),
            sql`(cardinality(${webhookSubscriptions.eventTypes}) = 0 or ${e.type} = any(${webhookSubscriptions.eventTypes}))`,
            sql`(${webhookSubscriptions.ownerRole} = 'coordinator'
              or (${webhookSubscriptions.ownerRole} = 'municipality' and ${webhookSubscriptions.ownerMunicipality} = any(${sql.param(e.municipalities)}::text[]))
              or (${webhookSubscriptions.ownerRole} = 'housing_corporation' and ${e.housingMunicipality}::text = any(${webhookSubscriptions.ownerArea})))`,
          ),
        );
    },

    /** New deliveries; an event already fanned out to a subscription (a job run twice) adds nothing. */
    async insertDeliveries(tx: DbOrTx, rows: Array<typeof webhookDeliveries.$inferInsert>) {
      if (rows.length === 0) return;
      await tx.insert(webhookDeliveries).values(rows).onConflictDoNothing();
    },
    async pendingOfEvents(tx: DbOrTx, eventIds: string[]) {
      if (eventIds.length === 0) return [];
      return tx.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(and(inArray(webhookDeliveries.eventId, eventIds), eq(webhookDeliveries.status, 'pending')));
    },
    /** Pending deliveries never tried although old enough: their job was lost (Redis lost data). */
    async neverTried(tx: DbOrTx, before: Date, limit: number) {
      return tx
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.status, 'pending'), eq(webhookDeliveries.attempts, 0), lt(webhookDeliveries.createdAt, before)))
        .orderBy(asc(webhookDeliveries.createdAt))
        .limit(limit);
    },

    async deliveryWithSubscription(tx: DbOrTx, id: string) {
      const [row] = await tx
        .select({ d: webhookDeliveries, s: webhookSubscriptions })
        .from(webhookDeliveries)
        .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
        .where(eq(webhookDeliveries.id, id));
      return row;
    },
    async recordAttempt(
      tx: DbOrTx,
      id: string,
      a: { status: DeliveryStatus; at: Date; statusCode: number | null; error: string | null; durationMs: number | null },
    ) {
      await tx
        .update(webhookDeliveries)
        .set({
          status: a.status,
          attempts: sql`${webhookDeliveries.attempts} + 1`,
          lastStatusCode: a.statusCode,
          lastError: a.error,
          lastDurationMs: a.durationMs,
          lastAttemptAt: a.at,
          ...(a.status === 'delivered' ? { deliveredAt: a.at } : {}),
        })
        // Only a pending delivery changes: a cancelled one stays cancelled, a finished one finished.
        .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'pending')));
    },
    async setStatus(tx: DbOrTx, id: string, status: DeliveryStatus) {
      await tx.update(webhookDeliveries).set({ status }).where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'pending')));
    },
    async deliveries(tx: DbOrTx, subscriptionId: string, page: { limit: number; offset: number }) {
      const where = eq(webhookDeliveries.subscriptionId, subscriptionId);
      const [rows, [total]] = await Promise.all([
        tx.select().from(webhookDeliveries).where(where).orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id)).limit(page.limit).offset(page.offset),
        tx.select({ n: count() }).from(webhookDeliveries).where(where),
      ]);
      return { rows, total: total?.n ?? 0 };
    },
  };
}
export type WebhookRepository = ReturnType<typeof createWebhookRepository>;
