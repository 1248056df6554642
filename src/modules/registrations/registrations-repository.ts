import { and, asc, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { makePgArray } from 'drizzle-orm/pg-core';
import { runFixed, type Db, type DbOrTx } from '../../db/client.js';
import {
  activeBsnClaims, allocations, duplicateAttempts, householdMembers, idempotencyKeys, registrationEvents, registrationLinks, registrations,
  type RegistrationStatus,
} from '../../db/schema/index.js';
import type { CreateRegistration } from './registrations-schemas.js';

export type RegistrationRow = typeof registrations.$inferSelect;
export type NewRegistrationRow = typeof registrations.$inferInsert;
export type MemberRow = typeof householdMembers.$inferSelect;
export type EventRow = typeof registrationEvents.$inferSelect;

export const ACTIVE_ALLOCATION_STATUSES = ['proposed', 'approved', 'accepted'] as const;

/**
 * The registration's own columns from a validated request. The intake and the bench's bare
 * intake floor share it, so the floor writes the same row as the service when a field is added.
 */
export function intakeColumns(body: CreateRegistration) {
  return {
    reportingMunicipality: body.reportingMunicipality,
    reportedOn: body.reportedOn,
    subgroup: body.subgroup,
    eligibility: body.eligibility,
    adults: body.household.adults.length,
    children: body.household.children.length,
    needs: body.needs ?? {},
    networkMunicipalities: body.networkMunicipalities ?? [],
    excludedMunicipalities: body.excludedMunicipalities ?? [],
    regionRestriction: body.regionRestriction ?? null,
    workRegion: body.workRegion ?? null,
  };
}

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

    /**
     * A new registration with everything that comes with it, in one statement (see
     * intakeStatement): true when written, false when the idempotency key was taken already.
     * A member already claimed fails the statement on active_bsn_claims_pkey.
     */
    async insertIntake(
      db: Db,
      r: {
        id: string; reportingMunicipality: string; reportedOn: string; subgroup: string; eligibility: unknown; adults: number; children: number;
        needs: unknown; networkMunicipalities: string[]; excludedMunicipalities: string[]; notesCiphertext: string | null; now: Date;
        regionRestriction: { kind: string; code: string } | null; workRegion: string | null;
        createdBySub: string;
        members: Array<{ id: string; role: 'adult' | 'child'; position: number; bsn_hmac: string; bsn_ciphertext: string; name_ciphertext: string; birth_date: string }>;
        actor: { sub: string; role: string; municipality: string | null; organisation: string | null; traceId: string | null };
        outbox: { id: string; jobId: string; payload: unknown };
        idempotency: { key: string; requestHash: string } | undefined;
      },
    ): Promise<boolean> {
      const values: unknown[] = [
        r.id, r.reportingMunicipality, r.reportedOn, r.subgroup, JSON.stringify(r.eligibility), r.adults, r.children, JSON.stringify(r.needs),
        makePgArray(r.networkMunicipalities), makePgArray(r.excludedMunicipalities), r.notesCiphertext, r.now.toISOString(), r.createdBySub,
        JSON.stringify(r.members), r.actor.sub, r.actor.role, r.actor.municipality, r.outbox.id, r.outbox.jobId, JSON.stringify(r.outbox.payload),
        r.actor.organisation, r.actor.traceId, r.regionRestriction ? JSON.stringify(r.regionRestriction) : null, r.workRegion,
      ];
      if (r.idempotency) values.push(r.idempotency.key, r.idempotency.requestHash);
      const rows = await runFixed(db, { ...(r.idempotency ? INSERT_WITH_KEY : INSERT), values });
      return (rows[0] as { inserted: number }).inserted === 1;
    },

    /** The earlier closed case of this household, if the intake linked one (issue 13). */
    async earlierCase(tx: DbOrTx, id: string) {
      const [row] = await tx.select().from(registrationLinks).where(eq(registrationLinks.registrationId, id));
      return row;
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

    /** The id the next history event will get, for binding its encrypted reason to it. */
    async nextEventId(tx: DbOrTx): Promise<number> {
      const result = await tx.execute(sql`select nextval(pg_get_serial_sequence('registration_events', 'id'))::bigint as id`);
      const [row] = (result as unknown as { rows: { id: string | number }[] }).rows;
      return Number(row!.id);
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

/**
 * The intake's single statement (see insertIntake). $1 id, $2 reporting municipality,
 * $3 reported on, $4 subgroup, $5 eligibility (JSON), $6 adults, $7 children, $8 needs (JSON),
 * $9 network and $10 excluded municipalities (array literals), $11 notes ciphertext, $12 now,
 * $13 the client's sub, $14 members (JSON array), $15–$17 actor sub, role and municipality,
 * $18 outbox id, $19 job id, $20 job payload (JSON), $21 actor organisation, $22 trace id,
 * $23 region restriction (JSON or null), $24 work region; with a key also $25 key and $26 request hash. Data-modifying CTEs all run to completion
 * whether or not the final SELECT reads them; the foreign keys are checked at the end of the
 * statement, when the registration row exists. A member who was in a closed or housed case
 * before links the registration to the most recent such case; the household's earlier cases are
 * those of its members and, through their links, the cases before those (a child who came back
 * with its mother carries her earlier return). `earlier` reads the tables as they were before
 * the statement, so the new members are not in it.
 */
function intakeStatement(withKey: boolean): { name: string; text: string } {
  const source = withKey ? 'from ik' : '';
  const text = `
with ${withKey ? `ik as (
  insert into idempotency_keys (client_sub, key, request_hash, registration_id, created_at)
  values ($13::text, $25::text, $26::text, $1::uuid, $12::timestamptz)
  on conflict do nothing
  returning 1
), ` : ''}reg as (
  insert into registrations (id, status, reporting_municipality, reported_on, subgroup, eligibility, adults, children, needs,
    network_municipalities, excluded_municipalities, notes_ciphertext, created_at, updated_at, created_by_sub, region_restriction, work_region)
  select $1::uuid, 'queued', $2::text, $3::date, $4::text, $5::jsonb, $6::smallint, $7::smallint, $8::jsonb,
    $9::text[], $10::text[], $11::text, $12::timestamptz, $12::timestamptz, $13::text, $23::jsonb, $24::text ${source}
  returning id
), m as (
  select * from jsonb_to_recordset($14::jsonb)
    as m(id uuid, "role" text, "position" smallint, bsn_hmac text, bsn_ciphertext text, name_ciphertext text, birth_date date)
), members as (
  insert into household_members (id, registration_id, role, position, bsn_hmac, bsn_ciphertext, name_ciphertext, birth_date)
  select m.id, reg.id, m."role", m."position", m.bsn_hmac, m.bsn_ciphertext, m.name_ciphertext, m.birth_date from reg, m
), claims as (
  insert into active_bsn_claims (bsn_hmac, registration_id)
  select m.bsn_hmac, reg.id from reg, m
), event as (
  insert into registration_events (registration_id, action, from_status, to_status, actor_sub, actor_role, actor_municipality, at)
  select reg.id, 'registered', null, 'queued', $15::text, $16::text, $17::text, $12::timestamptz from reg
), job as (
  insert into outbox (id, job_name, job_id, payload, created_at)
  select $18::uuid, 'allocate', $19::text, $20::jsonb, $12::timestamptz from reg
), audit as (
  insert into audit_events (at, actor_sub, actor_role, actor_organisation, action, resource_type, resource_id, registration_id, trace_id, status_code)
  select $12::timestamptz, $15::text, $16::text, $21::text, 'registration.create', 'registration', reg.id::text, reg.id, $22::text, 202 from reg
), earlier as (
  with recursive chain(id) as (
    select hm.registration_id from household_members hm join registrations r on r.id = hm.registration_id
    where hm.bsn_hmac in (select bsn_hmac from m) and r.status in ('closed', 'housed')
    union
    select l.earlier_registration_id from registration_links l join chain c on l.registration_id = c.id
  )
  select r.id, r.outcome, r.closed_at, r.created_at from registrations r where r.id in (select id from chain)
), link as (
  insert into registration_links (registration_id, earlier_registration_id, earlier_outcome, earlier_cases, earlier_returns, linked_at)
  select reg.id, last.id, last.outcome, counts.cases, counts.returns, $12::timestamptz
  from reg,
    (select id, outcome from earlier order by closed_at desc nulls last, created_at desc limit 1) last,
    (select count(*)::int as cases, (count(*) filter (where outcome = 'returned_abroad'))::int as returns from earlier) counts
)
select count(*)::int as inserted from reg`;
  return { name: withKey ? 'spreiding_intake_with_key_v3' : 'spreiding_intake_v3', text };
}
const INSERT = intakeStatement(false);
const INSERT_WITH_KEY = intakeStatement(true);
