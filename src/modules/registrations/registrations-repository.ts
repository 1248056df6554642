import { and, asc, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import {
  activeBsnClaims, allocations, duplicateAttempts, householdMembers, idempotencyKeys, registrationEvents, registrations,
  type RegistrationStatus,
} from '../../db/schema/index.js';

export type RegistrationRow = typeof registrations.$inferSelect;
export type NewRegistrationRow = typeof registrations.$inferInsert;
export type MemberRow = typeof householdMembers.$inferSelect;
export type EventRow = typeof registrationEvents.$inferSelect;

export const ACTIVE_ALLOCATION_STATUSES = ['proposed', 'approved', 'accepted'] as const;

export function createRegistrationsRepository() {
  return {
    async releaseBsns(tx: DbOrTx, registrationId: string) {
      await tx.delete(activeBsnClaims).where(eq(activeBsnClaims.registrationId, registrationId));
    },

    async findClaim(tx: DbOrTx, hmacs: readonly string[]) {
      const [row] = await tx.select().from(activeBsnClaims).where(inArray(activeBsnClaims.bsnHmac, [...hmacs])).limit(1);
      return row;
    },

    async recordDuplicateAttempt(tx: DbOrTx, row: typeof duplicateAttempts.$inferInsert) {
      await tx.insert(duplicateAttempts).values(row);
    },

    async duplicateAttempts(tx: DbOrTx, registrationId: string) {
      return tx.select().from(duplicateAttempts).where(eq(duplicateAttempts.existingRegistrationId, registrationId)).orderBy(asc(duplicateAttempts.attemptedAt));
    },

    async get(tx: DbOrTx, id: string, opts: { forUpdate?: boolean } = {}) {
      const q = tx.select().from(registrations).where(eq(registrations.id, id));
      const [row] = await (opts.forUpdate ? q.for('update') : q);
      return row;
    },

    async members(tx: DbOrTx, id: string) {
      return tx.select().from(householdMembers).where(eq(householdMembers.registrationId, id)).orderBy(asc(householdMembers.role), asc(householdMembers.position));
    },

    async activeAllocationId(tx: DbOrTx, id: string): Promise<string | null> {
      const [row] = await tx
        .select({ id: allocations.id })
        .from(allocations)
        .where(and(eq(allocations.registrationId, id), inArray(allocations.status, [...ACTIVE_ALLOCATION_STATUSES])));
      return row?.id ?? null;
    },

    async list(tx: DbOrTx, where: SQL | undefined, page: { limit: number; offset: number }) {
      const [rows, [count]] = await Promise.all([
        tx.select().from(registrations).where(where).orderBy(desc(registrations.createdAt), desc(registrations.id)).limit(page.limit).offset(page.offset),
        tx.select({ n: sql<number>`count(*)::int` }).from(registrations).where(where),
      ]);
      return { rows, total: count?.n ?? 0 };
    },

    async update(tx: DbOrTx, id: string, patch: Partial<NewRegistrationRow>) {
      await tx.update(registrations).set(patch).where(eq(registrations.id, id));
    },

    async addEvent(tx: DbOrTx, row: typeof registrationEvents.$inferInsert) {
      await tx.insert(registrationEvents).values(row);
    },

    async events(tx: DbOrTx, id: string) {
      return tx.select().from(registrationEvents).where(eq(registrationEvents.registrationId, id)).orderBy(asc(registrationEvents.id));
    },

    async findIdempotencyKey(tx: DbOrTx, clientSub: string, key: string) {
      const [row] = await tx.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.clientSub, clientSub), eq(idempotencyKeys.key, key)));
      return row;
    },
  };
}
export type RegistrationsRepository = ReturnType<typeof createRegistrationsRepository>;

/** What a caller may see (DESIGN §8), as a WHERE clause; the coordinator sees everything. */
export function visibleTo(principal: { role: string; municipality?: string }): SQL | undefined {
  if (principal.role === 'coordinator') return undefined;
  if (principal.role === 'municipality' && principal.municipality) {
    return or(
      eq(registrations.reportingMunicipality, principal.municipality),
      and(eq(registrations.receivingMunicipality, principal.municipality), inArray(registrations.status, RECEIVER_VISIBLE)),
    );
  }
  return sql`false`;
}

/** A receiving municipality sees the family from approval on. */
export const RECEIVER_VISIBLE: RegistrationStatus[] = ['approved', 'accepted', 'transferred', 'housed'];
