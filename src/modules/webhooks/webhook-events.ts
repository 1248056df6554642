// The events a subscriber can receive, who may receive each, and how a transition writes them:
// as one outbox row in its own transaction (never a network call there). The relay sends the row
// as a `notify` job after commit; the job matches subscriptions and queues the deliveries.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { outbox, webhookSubscriptions, type RegistrationStatus, type SignalLevel, type SignalStage } from '../../db/schema/index.js';
import type { Clock } from '../../clock.js';

/** Reverse-DNS types (NL GOV profile); the producer's domain, not an organisation name. */
export const EVENT_TYPES = [
  'nl.spreiding.registration.proposed',
  'nl.spreiding.registration.needs-attention',
  'nl.spreiding.registration.approved',
  'nl.spreiding.registration.rejected',
  'nl.spreiding.registration.accepted',
  'nl.spreiding.registration.declined',
  'nl.spreiding.registration.requeued',
  'nl.spreiding.registration.transferred',
  'nl.spreiding.registration.housed',
  'nl.spreiding.registration.closed',
  'nl.spreiding.deadline.reminder',
  'nl.spreiding.deadline.escalation',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What a `notify` job carries: ids, codes and times, never a name, BSN or reason. */
export interface NotifyEvent {
  id: string;
  type: EventType;
  registrationId: string;
  allocationId: string | null;
  time: string;
  /** Municipalities that may see the family at the moment of the event (reporting; receiving from approval on). */
  municipalities: string[];
  /** The receiving municipality, when housing corporations with it in their working area may see the family. */
  housingMunicipality: string | null;
  deadline?: { stage: SignalStage; level: SignalLevel; dueAt: string };
}

/** The receiving municipality sees the family from approval on (registrations-repository RECEIVER_VISIBLE). */
const RECEIVER_SEES: RegistrationStatus[] = ['approved', 'accepted', 'transferred', 'housed'];
/** A housing corporation sees it from approval until it is housed (housing-service VISIBLE). */
const CORPORATION_SEES: RegistrationStatus[] = ['approved', 'accepted', 'transferred'];

/** Who may see a registration in this state: the same rules as the API's reads. */
export function audienceOf(reg: { reportingMunicipality: string; receivingMunicipality: string | null; status: RegistrationStatus }) {
  const receiving = reg.receivingMunicipality && RECEIVER_SEES.includes(reg.status) ? reg.receivingMunicipality : null;
  return {
    municipalities: receiving && receiving !== reg.reportingMunicipality ? [reg.reportingMunicipality, receiving] : [reg.reportingMunicipality],
    housingMunicipality: reg.receivingMunicipality && CORPORATION_SEES.includes(reg.status) ? reg.receivingMunicipality : null,
  };
}

/** The event of a transition of the review module (its `action`), if subscribers hear of it. */
const TRANSITION_TYPES: Record<string, EventType> = {
  approved: 'nl.spreiding.registration.approved',
  overridden: 'nl.spreiding.registration.approved',
  rejected: 'nl.spreiding.registration.rejected',
  accepted: 'nl.spreiding.registration.accepted',
  declined: 'nl.spreiding.registration.declined',
  requeued: 'nl.spreiding.registration.requeued',
  transferred: 'nl.spreiding.registration.transferred',
  housed: 'nl.spreiding.registration.housed',
  closed: 'nl.spreiding.registration.closed',
  proposed: 'nl.spreiding.registration.proposed',
  no_allowed_municipality: 'nl.spreiding.registration.needs-attention',
};

export function transitionEvent(
  action: string,
  after: { id: string; reportingMunicipality: string; receivingMunicipality: string | null; status: RegistrationStatus },
  allocationId: string | null,
  at: Date,
): NotifyEvent | null {
  const type = TRANSITION_TYPES[action];
  if (!type) return null;
  return { id: randomUUID(), type, registrationId: after.id, allocationId, time: at.toISOString(), ...audienceOf(after) };
}

/** The outbox row of a batch of events; its job id is the first event's id. */
export function notifyOutboxRow(events: NotifyEvent[], at: Date) {
  return { id: randomUUID(), jobName: 'notify' as const, jobId: events[0]!.id, payload: { v: 1 as const, events }, createdAt: at };
}

/**
 * Only when someone subscribes at all: without subscriptions a transition writes nothing more
 * than before (the statement's EXISTS is one index probe).
 */
export const ANY_SUBSCRIPTION = sql`exists (select 1 from ${webhookSubscriptions} where deleted_at is null and retired_at is null)`;

/** Writes the events into the caller's transaction, to be sent after commit. */
export async function writeEventsInTx(tx: DbOrTx, clock: Clock, events: Array<NotifyEvent | null>): Promise<void> {
  const list = events.filter((e): e is NotifyEvent => e !== null);
  if (list.length === 0) return;
  const row = notifyOutboxRow(list, clock.now());
  await tx.execute(sql`
    insert into ${outbox} (id, job_name, job_id, payload, created_at)
    select ${row.id}::uuid, ${row.jobName}, ${row.jobId}, ${JSON.stringify(row.payload)}::jsonb, ${row.createdAt.toISOString()}::timestamptz
    where ${ANY_SUBSCRIPTION}`);
}
