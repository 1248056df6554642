import { and, asc, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import {
  activeBsnClaims, allocations, householdMembers, housingOffers, idempotencyKeys, registrationDocuments, registrationEvents, registrations, shelterStays,
} from '../../db/schema/index.js';
import { CLOSED_STATES } from './privacy-policy.js';

export function createPrivacyRepository() {
  return {
    /** Closed or housed cases that closed before `closedBefore` and still hold personal data, oldest first, locked. */
    async due(tx: DbOrTx, closedBefore: Date, limit: number) {
      return tx
        .select()
        .from(registrations)
        .where(and(isNull(registrations.pseudonymisedAt), isNotNull(registrations.closedAt), lt(registrations.closedAt, closedBefore), inArray(registrations.status, [...CLOSED_STATES])))
        .orderBy(asc(registrations.closedAt), asc(registrations.id))
        .limit(limit)
        .for('update', { skipLocked: true });
    },

    async allocationsOf(tx: DbOrTx, registrationId: string) {
      return tx.select({ id: allocations.id, explanation: allocations.explanation }).from(allocations).where(eq(allocations.registrationId, registrationId));
    },

    /**
     * Erases the case's personal data and keeps everything else (SECURITY.md, "Retention"): the
     * BSNs' keyed hashes, birth years, the registration's status, dates, municipalities and
     * counts, the history without its reasons, shelter stays without their locations.
     */
    async erase(tx: DbOrTx, registrationId: string, at: Date, explanations: Array<{ id: string; explanation: unknown }>) {
      await tx
        .update(householdMembers)
        .set({ bsnCiphertext: null, nameCiphertext: null, birthYear: sql`coalesce(${householdMembers.birthYear}, extract(year from ${householdMembers.birthDate})::smallint)`, birthDate: null })
        .where(eq(householdMembers.registrationId, registrationId));
      await tx
        .update(registrations)
        .set({
          notesCiphertext: null, needs: {}, networkMunicipalities: [], excludedMunicipalities: [], regionRestriction: null, workRegion: null, pseudonymisedAt: at, updatedAt: at,
        })
        .where(eq(registrations.id, registrationId));
      for (const a of explanations) {
        await tx.update(allocations).set({ reasonCiphertext: null, explanation: a.explanation }).where(eq(allocations.id, a.id));
      }
      // The only change the history table accepts (a trigger refuses every other): reasons to NULL.
      await tx.update(registrationEvents).set({ reasonCiphertext: null }).where(and(eq(registrationEvents.registrationId, registrationId), isNotNull(registrationEvents.reasonCiphertext)));
      await tx.update(shelterStays).set({ locationCiphertext: null }).where(and(eq(shelterStays.registrationId, registrationId), isNotNull(shelterStays.locationCiphertext)));
      await tx.delete(registrationDocuments).where(eq(registrationDocuments.registrationId, registrationId));
      // Housing offers hold no personal data, but an accessible dwelling for this family says something about its needs, which go too.
      await tx.delete(housingOffers).where(eq(housingOffers.registrationId, registrationId));
      // The request hash is a keyed hash of the whole body (names, BSNs): it goes too.
      await tx.delete(idempotencyKeys).where(eq(idempotencyKeys.registrationId, registrationId));
      // Released at closing already; a claim left over would keep the family from registering again.
      await tx.delete(activeBsnClaims).where(eq(activeBsnClaims.registrationId, registrationId));
    },
  };
}
export type PrivacyRepository = ReturnType<typeof createPrivacyRepository>;
