import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { shelterStays } from '../../db/schema/index.js';
import { currentStay } from './shelter-repository.js';

/**
 * Shelter at the reporting municipality ends when the family moves (transfer) or the
 * registration closes: the open stay ends that day (never before it started). A stay already
 * ended by hand after that day is cut back too, since a transfer may be recorded late and the
 * nights after it are no longer the reporting municipality's shelter.
 */
export async function closeOpenStays(tx: DbOrTx, registrationId: string, endDate: string, at: Date) {
  await tx
    .update(shelterStays)
    .set({ endDate: sql`greatest(${shelterStays.startDate}, ${endDate}::date)`, closedAutomatically: true, updatedAt: at })
    .where(and(eq(shelterStays.registrationId, registrationId), currentStay(), or(isNull(shelterStays.endDate), gt(shelterStays.endDate, endDate))));
}
