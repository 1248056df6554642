import { and, asc, desc, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { deadlineSignals, registrations, type RegistrationStatus, type SignalLevel, type SignalStage } from '../../db/schema/index.js';

export type SignalRow = typeof deadlineSignals.$inferSelect;

/** A registration's current stage: which one, since when, and the allocation it is about. */
export interface StageInstance {
  registrationId: string;
  status: RegistrationStatus;
  reportingMunicipality: string;
  receivingMunicipality: string | null;
  stage: SignalStage;
  allocationId: string | null;
  /** The municipality that has to act (decision, transfer), or null for the coordination point. */
  municipality: string | null;
  startedAt: Date;
}

/**
 * Every registration in a stage with a deadline, with the moment that stage began: a proposal
 * is reviewed from its creation, an approval decided from the approval, a transfer made from
 * the acceptance, a registration that needs attention from the event that put it there.
 */
function stagesSql(where: SQL) {
  return sql`
    select * from (
      select r.id as registration_id, r.status, r.reporting_municipality, r.receiving_municipality,
        case r.status when 'proposed' then 'review' when 'approved' then 'decision' when 'accepted' then 'transfer' else 'attention' end as stage,
        a.id as allocation_id,
        case when r.status in ('approved', 'accepted') then a.municipality end as municipality,
        case r.status
          when 'proposed' then a.created_at
          when 'approved' then r.approved_at
          when 'accepted' then a.decided_at
          else (select max(e.at) from registration_events e where e.registration_id = r.id and e.to_status = 'needs_attention')
        end as started_at
      from ${registrations} r
      left join allocations a on a.registration_id = r.id and a.status in ('proposed', 'approved', 'accepted')
      where r.status in ('proposed', 'approved', 'accepted', 'needs_attention')
    ) c
    where c.started_at is not null and ${where}`;
}

type StageRow = {
  registration_id: string; status: RegistrationStatus; reporting_municipality: string; receiving_municipality: string | null; stage: SignalStage;
  allocation_id: string | null; municipality: string | null; started_at: string | Date;
};
const toStage = (r: StageRow): StageInstance => ({
  registrationId: r.registration_id,
  status: r.status,
  reportingMunicipality: r.reporting_municipality,
  receivingMunicipality: r.receiving_municipality,
  stage: r.stage,
  allocationId: r.allocation_id,
  municipality: r.municipality,
  startedAt: new Date(r.started_at),
});
const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

/** Resolves the registration's open signals: its stage ended (called by every transition). */
export async function resolveOpenSignals(tx: DbOrTx, registrationId: string, at: Date): Promise<void> {
  await tx
    .update(deadlineSignals)
    .set({ resolvedAt: at })
    .where(and(eq(deadlineSignals.registrationId, registrationId), isNull(deadlineSignals.resolvedAt)));
}

export function createSignalsRepository() {
  return {
    /** Stage instances that began at or before their stage's cut-off (younger ones cannot be due yet). */
    async stagesStartedBefore(tx: DbOrTx, cutOff: Record<SignalStage, Date>): Promise<StageInstance[]> {
      const result = await tx.execute(stagesSql(sql`c.started_at <= case c.stage
          when 'review' then ${cutOff.review.toISOString()}::timestamptz
          when 'decision' then ${cutOff.decision.toISOString()}::timestamptz
          when 'transfer' then ${cutOff.transfer.toISOString()}::timestamptz
          else ${cutOff.attention.toISOString()}::timestamptz end`));
      return rowsOf<StageRow>(result).map(toStage);
    },

    async stageOf(tx: DbOrTx, registrationId: string): Promise<StageInstance | undefined> {
      const [row] = rowsOf<StageRow>(await tx.execute(stagesSql(sql`c.registration_id = ${registrationId}::uuid`)));
      return row ? toStage(row) : undefined;
    },

    /** Inserts the signals not raised before (the unique index makes a second scan add nothing); returns the new ones. */
    async raise(tx: DbOrTx, rows: Array<typeof deadlineSignals.$inferInsert>): Promise<SignalRow[]> {
      if (rows.length === 0) return [];
      return tx.insert(deadlineSignals).values(rows).onConflictDoNothing().returning();
    },

    /**
     * Open signals whose stage instance is no longer current: a transition resolves its own, but
     * a scan that read a stage just before a transition committed may raise one after it.
     */
    async resolveStale(tx: DbOrTx, at: Date): Promise<number> {
      const result = await tx.execute(sql`
        with open as (select id, registration_id, stage, stage_started_at from ${deadlineSignals} where resolved_at is null),
        cur as (${stagesSql(sql`c.registration_id in (select registration_id from open)`)})
        update ${deadlineSignals} s set resolved_at = ${at.toISOString()}::timestamptz
        from open o
        where s.id = o.id and not exists (
          select 1 from cur c where c.registration_id = o.registration_id and c.stage = o.stage and c.started_at = o.stage_started_at)
        returning s.id`);
      return rowsOf<{ id: string }>(result).length;
    },

    async list(
      tx: DbOrTx,
      where: SQL | undefined,
      q: { status: 'open' | 'resolved' | 'all'; stage?: SignalStage | undefined; level?: SignalLevel | undefined; registrationId?: string | undefined },
      page: { limit: number; offset: number },
    ) {
      const filter = and(
        where,
        q.status === 'open' ? isNull(deadlineSignals.resolvedAt) : q.status === 'resolved' ? isNotNull(deadlineSignals.resolvedAt) : undefined,
        q.stage ? eq(deadlineSignals.stage, q.stage) : undefined,
        q.level ? eq(deadlineSignals.level, q.level) : undefined,
        q.registrationId ? eq(deadlineSignals.registrationId, q.registrationId) : undefined,
      );
      const [rows, [count]] = await Promise.all([
        tx
          .select({ s: deadlineSignals })
          .from(deadlineSignals)
          .innerJoin(registrations, eq(registrations.id, deadlineSignals.registrationId))
          .where(filter)
          // The worklist: escalations first, then the longest overdue.
          .orderBy(desc(sql`${deadlineSignals.level} = 'escalation'`), asc(deadlineSignals.dueAt), asc(deadlineSignals.id))
          .limit(page.limit)
          .offset(page.offset),
        tx.select({ n: sql<number>`count(*)::int` }).from(deadlineSignals).innerJoin(registrations, eq(registrations.id, deadlineSignals.registrationId)).where(filter),
      ]);
      return { rows: rows.map((r) => r.s), total: count?.n ?? 0 };
    },

    async ofRegistration(tx: DbOrTx, registrationId: string, limit: number) {
      return tx.select().from(deadlineSignals).where(eq(deadlineSignals.registrationId, registrationId)).orderBy(asc(deadlineSignals.raisedAt), asc(deadlineSignals.id)).limit(limit);
    },

    /** Open signals per stage and level (the metrics module's `spreiding_deadline_signals_open`). */
    async openCounts(tx: DbOrTx): Promise<Array<{ stage: SignalStage; level: SignalLevel; open: number }>> {
      return tx
        .select({ stage: deadlineSignals.stage, level: deadlineSignals.level, open: sql<number>`count(*)::int` })
        .from(deadlineSignals)
        .where(isNull(deadlineSignals.resolvedAt))
        .groupBy(deadlineSignals.stage, deadlineSignals.level);
    },
  };
}
export type SignalsRepository = ReturnType<typeof createSignalsRepository>;
