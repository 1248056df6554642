import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import {
  allocations, distributionKeys, ledgerMovements, ledgerState, municipalities, municipalityLedger, periodCounters, periodKeyUnits, periods,
  auditEvents, registrationEvents, registrations, capacityDeclarations, municipalityProfileVersions, needsPolicies,
  type AllocationStatus,
} from '../../db/schema/index.js';
import type { AuditRow } from '../audit/audit-service.js';
import { periodBounds } from './periods.js';

export type AllocationRow = typeof allocations.$inferSelect;
export type MovementInsert = typeof ledgerMovements.$inferInsert;
type Counter = 'proposed' | 'approved' | 'realised';

export function createAllocationRepository() {
  return {
    /** The lock that serialises every change of the ledger across processes. */
    async lockLedger(tx: DbOrTx) {
      const [row] = await tx.select().from(ledgerState).where(eq(ledgerState.id, 1)).for('update');
      if (!row) throw new Error('ledger_state is missing: run npm run migrate');
      return row;
    },
    async setLedgerSeq(tx: DbOrTx, seq: number) {
      await tx.update(ledgerState).set({ seq }).where(eq(ledgerState.id, 1));
    },
    async municipalityLedgers(tx: DbOrTx) {
      return tx.select().from(municipalityLedger);
    },
    async unitsByKeyVersion(tx: DbOrTx): Promise<Map<number, number>> {
      const rows = await tx
        .select({ v: periodKeyUnits.keyVersion, units: sql<number>`sum(${periodKeyUnits.units})::int` })
        .from(periodKeyUnits)
        .groupBy(periodKeyUnits.keyVersion);
      return new Map(rows.map((r) => [r.v, r.units]));
    },
    async keys(tx: DbOrTx, versions: number[]) {
      if (versions.length === 0) return [];
      return tx.select().from(distributionKeys).where(inArray(distributionKeys.version, versions));
    },
    /**
     * Movements from `fromSeq` on (inclusive), oldest first, at most `limit`: what a cached engine
     * built at an earlier seq has missed. Under the ledger lock every writer has committed, so
     * this is exactly the set written since (sequence gaps come from rollbacks only).
     */
    async movementsFrom(tx: DbOrTx, fromSeq: number, limit: number) {
      const result = await tx.execute(sql`
        select seq::text as seq, kind, key_version, municipality, units, entitlement_delta
        from ${ledgerMovements} where seq >= ${fromSeq} order by seq limit ${limit}`);
      return (result as unknown as {
        rows: Array<{ seq: string; kind: string; key_version: number | null; municipality: string | null; units: number; entitlement_delta: string | null }>;
      }).rows.map((r) => ({ seq: Number(r.seq), kind: r.kind, keyVersion: r.key_version, municipality: r.municipality, units: r.units, entitlementDelta: r.entitlement_delta }));
    },
    /** Appends movements; returns the highest seq written (sequence values are never reused). */
    async appendMovements(tx: DbOrTx, rows: MovementInsert[]): Promise<number> {
      const out = await tx.insert(ledgerMovements).values(rows).returning({ seq: ledgerMovements.seq });
      return Math.max(...out.map((r) => r.seq));
    },
    async addAllocated(tx: DbOrTx, municipality: string, units: number, seq: number) {
      await tx
        .update(municipalityLedger)
        .set({ allocated: sql`${municipalityLedger.allocated} + ${units}`, updatedSeq: seq })
        .where(eq(municipalityLedger.municipality, municipality));
    },
    async addKeyUnits(tx: DbOrTx, period: string, keyVersion: number, units: number) {
      await tx
        .insert(periodKeyUnits)
        .values({ period, keyVersion, units })
        .onConflictDoUpdate({ target: [periodKeyUnits.period, periodKeyUnits.keyVersion], set: { units: sql`${periodKeyUnits.units} + ${units}` } });
    },
    /**
     * Books an allocation in one statement: its movements (accrual and allocation), the units
     * under the key, A of the chosen municipality and the ledger head's seq. Data-modifying CTEs
     * all run, referenced or not; one round trip instead of four keeps the ledger lock short.
     * Returns the highest seq written.
     */
    async bookAllocationMovements(
      tx: DbOrTx,
      b: { period: string; keyVersion: number; municipality: string; units: number; accrue: boolean; registrationId: string; allocationId: string },
    ): Promise<number> {
      const row = (kind: 'accrual' | 'allocation') =>
        sql`(${kind}, ${b.period}, ${kind === 'accrual' ? b.keyVersion : null}::int, ${kind === 'allocation' ? b.municipality : null}::text, ${b.units}::int, ${b.registrationId}::uuid, ${b.allocationId}::uuid)`;
      const result = await tx.execute(sql`
        with m as (
          insert into ${ledgerMovements} (kind, period, key_version, municipality, units, registration_id, allocation_id)
          values ${b.accrue ? sql`${row('accrual')}, ${row('allocation')}` : row('allocation')}
          returning seq
        ), s as (select max(seq) as seq from m),
        ${b.accrue
          ? sql`k as (
          insert into ${periodKeyUnits} (period, key_version, units) values (${b.period}, ${b.keyVersion}, ${b.units})
          on conflict (period, key_version) do update set units = ${periodKeyUnits}.units + excluded.units
        ),`
          : sql``}
        a as (
          update ${municipalityLedger} set allocated = allocated + ${b.units}, updated_seq = (select seq from s)
          where municipality = ${b.municipality}
        ), h as (
          update ${ledgerState} set seq = greatest(${ledgerState}.seq, (select seq from s)) where id = 1
        )
        select seq::text as seq from s`);
      const seq = (result as unknown as { rows: Array<{ seq: string | null }> }).rows[0]?.seq;
      if (seq === null || seq === undefined) throw new Error('booking an allocation wrote no movement');
      return Number(seq);
    },
    /**
     * Writes a whole batch of engine proposals in one statement: their movements (accrual and
     * allocation, in order), the units under each key, A per municipality, the ledger head's seq,
     * the allocation rows, the proposed counters, and the registrations (proposed or
     * needs_attention, accrual fields set once), their history events and audit rows.
     * Per-municipality and per-key sums are added once
     * each: an ON CONFLICT or UPDATE … FROM may touch a row only once per statement. The inputs go
     * as JSON (jsonb_to_recordset), which node-postgres and PGlite bind alike. Returns the highest
     * movement seq written, or null when no registration was proposed.
     */
    async writeProposals(
      tx: DbOrTx,
      b: {
        period: string;
        now: Date;
        actorSub: string;
        proposals: Array<{
          allocationId: string; registrationId: string; municipality: string; units: number; keyVersion: number; accrue: boolean;
          firstProposal: boolean; explanation: unknown; capacityDeclarationId: string | null;
        }>;
        needsAttention: string[];
        events: Array<typeof registrationEvents.$inferInsert>;
        audit: AuditRow[];
      },
    ): Promise<number | null> {
      const movements: Array<{ kind: string; kv: number | null; mu: string | null; units: number; reg: string; alloc: string; }> = [];
      const byMunicipality = new Map<string, number>();
      const byKey = new Map<number, number>();
      for (const p of b.proposals) {
        if (p.accrue) {
          movements.push({ kind: 'accrual', kv: p.keyVersion, mu: null, units: p.units, reg: p.registrationId, alloc: p.allocationId });
          byKey.set(p.keyVersion, (byKey.get(p.keyVersion) ?? 0) + p.units);
        }
        movements.push({ kind: 'allocation', kv: null, mu: p.municipality, units: p.units, reg: p.registrationId, alloc: p.allocationId });
        byMunicipality.set(p.municipality, (byMunicipality.get(p.municipality) ?? 0) + p.units);
      }
      const byDeclaration = new Map<string, number>();
      for (const p of b.proposals) if (p.capacityDeclarationId) byDeclaration.set(p.capacityDeclarationId, (byDeclaration.get(p.capacityDeclarationId) ?? 0) + 1);
      const json = (v: unknown) => JSON.stringify(v);
      const now = b.now.toISOString();
      const result = await tx.execute(sql`
        with m as (
          insert into ${ledgerMovements} (kind, period, key_version, municipality, units, registration_id, allocation_id)
          select t.kind, ${b.period}, t.kv, t.mu, t.units, t.reg, t.alloc
          from jsonb_to_recordset(${json(movements.map((mv, ord) => ({ ...mv, ord })))}::jsonb) as t(kind text, kv int, mu text, units int, reg uuid, alloc uuid, ord int)
          order by t.ord
          returning seq
        ), s as (select max(seq) as seq from m),
        k as (
          insert into ${periodKeyUnits} (period, key_version, units)
          select ${b.period}, t.kv, t.units from jsonb_to_recordset(${json([...byKey].map(([kv, units]) => ({ kv, units })))}::jsonb) as t(kv int, units int)
          on conflict (period, key_version) do update set units = ${periodKeyUnits}.units + excluded.units
        ), per_municipality as (
          select t.mu, t.units from jsonb_to_recordset(${json([...byMunicipality].map(([mu, units]) => ({ mu, units })))}::jsonb) as t(mu text, units int)
        ), a as (
          update ${municipalityLedger} l set allocated = l.allocated + p.units, updated_seq = (select seq from s)
          from per_municipality p where l.municipality = p.mu
        ), h as (
          update ${ledgerState} set seq = greatest(${ledgerState}.seq, (select seq from s)) where id = 1
        ), al as (
          insert into ${allocations} (id, registration_id, municipality, status, kind, units, key_version, period, explanation, capacity_declaration_id, created_at, created_by_sub)
          select t.id, t.reg, t.mu, 'proposed', 'engine', t.units, t.kv, ${b.period}, t.explanation, t.cd, ${now}::timestamptz, ${b.actorSub}
          from jsonb_to_recordset(${json(b.proposals.map((p) => ({ id: p.allocationId, reg: p.registrationId, mu: p.municipality, units: p.units, kv: p.keyVersion, explanation: p.explanation, cd: p.capacityDeclarationId })))}::jsonb)
            as t(id uuid, reg uuid, mu text, units int, kv int, explanation jsonb, cd uuid)
        ), cd as (
          update ${capacityDeclarations} d set booked = d.booked + t.n
          from jsonb_to_recordset(${json([...byDeclaration].map(([id, n]) => ({ id, n })))}::jsonb) as t(id uuid, n int)
          where d.id = t.id
        ), c as (
          insert into ${periodCounters} (period, municipality, proposed, approved, realised)
          select ${b.period}, p.mu, p.units, 0, 0 from per_municipality p
          on conflict (period, municipality) do update set proposed = ${periodCounters}.proposed + excluded.proposed
        ), r as (
          update ${registrations} g set
            status = t.status,
            updated_at = ${now}::timestamptz,
            first_proposed_at = case when t.first then ${now}::timestamptz else g.first_proposed_at end,
            accrued_key_version = case when t.accrue then t.kv else g.accrued_key_version end,
            accrued_period = case when t.accrue then ${b.period} else g.accrued_period end,
            accrued_units = case when t.accrue then t.units else g.accrued_units end
          from jsonb_to_recordset(${json([
            ...b.proposals.map((p) => ({ id: p.registrationId, status: 'proposed', first: p.firstProposal, accrue: p.accrue, kv: p.keyVersion, units: p.units })),
            ...b.needsAttention.map((id) => ({ id, status: 'needs_attention', first: false, accrue: false })),
          ])}::jsonb) as t(id uuid, status text, first boolean, accrue boolean, kv int, units int)
          where g.id = t.id
        ), e as (
          insert into ${registrationEvents} (id, registration_id, action, from_status, to_status, allocation_id, municipality, actor_sub, actor_role, actor_municipality, reason_ciphertext, at)
          select coalesce(t.id, nextval(pg_get_serial_sequence('registration_events', 'id'))), t.registration_id, t.action, t.from_status, t.to_status, t.allocation_id, t.municipality,
                 t.actor_sub, t.actor_role, t.actor_municipality, t.reason_ciphertext, t.at
          from jsonb_to_recordset(${json(b.events.map((ev, ord) => ({
            id: ev.id ?? null, registration_id: ev.registrationId, action: ev.action, from_status: ev.fromStatus ?? null, to_status: ev.toStatus,
            allocation_id: ev.allocationId ?? null, municipality: ev.municipality ?? null, actor_sub: ev.actorSub, actor_role: ev.actorRole,
            actor_municipality: ev.actorMunicipality ?? null, reason_ciphertext: ev.reasonCiphertext ?? null, at: ev.at, ord,
          })))}::jsonb) as t(id bigint, registration_id uuid, action text, from_status text, to_status text, allocation_id uuid, municipality text,
                             actor_sub text, actor_role text, actor_municipality text, reason_ciphertext text, at timestamptz, ord int)
          order by t.ord
        ), au as (
          insert into ${auditEvents} (at, actor_sub, actor_role, actor_organisation, action, resource_type, resource_id, registration_id, trace_id, status_code)
          select t.at, t.actor_sub, t.actor_role, t.actor_organisation, t.action, t.resource_type, t.resource_id, t.registration_id, t.trace_id, t.status_code
          from jsonb_to_recordset(${json(b.audit.map((a, ord) => ({
            at: a.at, actor_sub: a.actorSub, actor_role: a.actorRole, actor_organisation: a.actorOrganisation ?? null, action: a.action,
            resource_type: a.resourceType, resource_id: a.resourceId ?? null, registration_id: a.registrationId ?? null, trace_id: a.traceId ?? null,
            status_code: a.statusCode ?? null, ord,
          })))}::jsonb) as t(at timestamptz, actor_sub text, actor_role text, actor_organisation text, action text, resource_type text,
                             resource_id text, registration_id uuid, trace_id text, status_code int, ord int)
          order by t.ord
        )
        select seq::text as seq from s`);
      const seq = (result as unknown as { rows: Array<{ seq: string | null }> }).rows[0]?.seq;
      if (b.proposals.length > 0 && (seq === null || seq === undefined)) throw new Error('booking proposals wrote no movement');
      return seq === null || seq === undefined ? null : Number(seq);
    },
    /**
     * Makes sure the period row exists. True when it already existed (committed by someone), so
     * the caller may skip this statement for that period from now on; an insert of our own is
     * not final until our transaction commits.
     */
    async ensurePeriod(tx: DbOrTx, period: string): Promise<boolean> {
      const inserted = await tx.insert(periods).values({ period, ...periodBounds(period) }).onConflictDoNothing().returning({ period: periods.period });
      return inserted.length === 0;
    },
    /** A new allocation and its counter, in one statement. */
    async insertAllocationCounted(tx: DbOrTx, row: typeof allocations.$inferInsert, counter: Counter) {
      const delta = { proposed: 0, approved: 0, realised: 0, [counter]: row.units };
      await tx.execute(sql`
        with a as (
          insert into ${allocations} (id, registration_id, municipality, status, kind, units, key_version, period, explanation,
                                      capacity_declaration_id, reason_ciphertext, created_at, created_by_sub, decided_at, decided_by_sub)
          values (${row.id}, ${row.registrationId}, ${row.municipality}, ${row.status}, ${row.kind}, ${row.units}, ${row.keyVersion}, ${row.period},
                  ${JSON.stringify(row.explanation)}::jsonb, ${row.capacityDeclarationId ?? null}::uuid, ${row.reasonCiphertext ?? null}, ${row.createdAt}, ${row.createdBySub},
                  ${row.decidedAt ?? null}, ${row.decidedBySub ?? null})
        )
        insert into ${periodCounters} (period, municipality, proposed, approved, realised)
        values (${row.period}, ${row.municipality}, ${delta.proposed}, ${delta.approved}, ${delta.realised})
        on conflict (period, municipality) do update set
          proposed = ${periodCounters}.proposed + excluded.proposed,
          approved = ${periodCounters}.approved + excluded.approved,
          realised = ${periodCounters}.realised + excluded.realised`);
    },
    /** Moves units between the three counters of one municipality and period. */
    async addCounters(tx: DbOrTx, period: string, municipality: string, delta: Partial<Record<Counter, number>>) {
      const row = { period, municipality, proposed: delta.proposed ?? 0, approved: delta.approved ?? 0, realised: delta.realised ?? 0 };
      await tx
        .insert(periodCounters)
        .values(row)
        .onConflictDoUpdate({
          target: [periodCounters.period, periodCounters.municipality],
          set: {
            proposed: sql`${periodCounters.proposed} + ${row.proposed}`,
            approved: sql`${periodCounters.approved} + ${row.approved}`,
            realised: sql`${periodCounters.realised} + ${row.realised}`,
          },
        });
    },
    /**
     * Everything an allocate batch needs besides the ledger, in one statement under the lock:
     * the unavailable municipalities (as `unavailable`), the open capacity declarations of the
     * period, and markers that change whenever a profile, the needs policy or the municipality
     * table changes (so a worker reloads its cached profiles exactly then).
     */
    async availability(tx: DbOrTx, period: string) {
      const result = await tx.execute(sql`
        select
          (select coalesce(json_agg(u), '[]'::json) from (
             select m.code, m.suspended, m.active, m.capacity_per_period as capacity, coalesce(c.proposed + c.approved, 0)::int as used
             from ${municipalities} m
             left join ${periodCounters} c on c.municipality = m.code and c.period = ${period}
             where m.suspended or not m.active or m.capacity_per_period is not null) u) as unavailable,
          (select coalesce(json_agg(d order by d.created_at, d.id), '[]'::json) from (
             select id, municipality, kind, units - booked as remaining, bedrooms, accessible, created_at
             from ${capacityDeclarations} where period = ${period} and booked < units) d) as declarations,
          (select coalesce(max(id), 0)::text from ${municipalityProfileVersions})
            || ':' || (select coalesce(max(version), 0)::text from ${needsPolicies})
            || ':' || (select coalesce(extract(epoch from max(updated_at)), 0)::text from ${municipalities}) as mark`);
      const row = (result as unknown as {
        rows: Array<{
          unavailable: Array<{ code: string; suspended: boolean; active: boolean; capacity: number | null; used: number }>;
          declarations: Array<{ id: string; municipality: string; kind: 'dwelling' | 'flex_unit'; remaining: number; bedrooms: number; accessible: boolean; created_at: string }>;
          mark: string;
        }>;
      }).rows[0]!;
      return {
        unavailable: row.unavailable,
        declarations: row.declarations.map((d) => ({ id: d.id, municipality: d.municipality, kind: d.kind, remaining: d.remaining, bedrooms: d.bedrooms, accessible: d.accessible, createdAt: d.created_at })),
        mark: row.mark,
      };
    },
    async insertAllocation(tx: DbOrTx, row: typeof allocations.$inferInsert) {
      await tx.insert(allocations).values(row);
    },
    async getAllocation(tx: DbOrTx, id: string, opts: { forUpdate?: boolean } = {}) {
      const q = tx.select().from(allocations).where(eq(allocations.id, id));
      const [row] = await (opts.forUpdate ? q.for('update') : q);
      return row;
    },
    async activeAllocation(tx: DbOrTx, registrationId: string) {
      const [row] = await tx
        .select()
        .from(allocations)
        .where(and(eq(allocations.registrationId, registrationId), inArray(allocations.status, ['proposed', 'approved', 'accepted'])));
      return row;
    },
    /** Municipalities already rejected or declined for this family: a new proposal skips them. */
    async refusedFor(tx: DbOrTx, registrationId: string) {
      return tx
        .select({ municipality: allocations.municipality, status: allocations.status })
        .from(allocations)
        .where(and(eq(allocations.registrationId, registrationId), inArray(allocations.status, ['rejected', 'declined'])));
    },
    /** A registration's status and allocation round only: what an allocate job checks first. */
    async roundOf(tx: DbOrTx, registrationId: string) {
      const [row] = await tx
        .select({ status: registrations.status, round: registrations.allocationRound })
        .from(registrations)
        .where(eq(registrations.id, registrationId));
      return row;
    },
    /**
     * Other queued registrations, oldest first, row-locked; rows another transaction holds are
     * skipped (never waited for), so a batch cannot deadlock with a job holding its own row.
     */
    async lockQueued(tx: DbOrTx, exceptId: string, limit: number) {
      if (limit <= 0) return [];
      return tx
        .select()
        .from(registrations)
        .where(and(eq(registrations.status, 'queued'), ne(registrations.id, exceptId)))
        .orderBy(asc(registrations.createdAt), asc(registrations.id))
        .limit(limit)
        .for('update', { skipLocked: true });
    },
    /** Refusals of several registrations in one statement (see refusedFor). */
    async refusedForMany(tx: DbOrTx, registrationIds: string[]) {
      const out = new Map<string, Array<{ municipality: string; status: AllocationStatus }>>();
      if (registrationIds.length === 0) return out;
      const rows = await tx
        .select({ registrationId: allocations.registrationId, municipality: allocations.municipality, status: allocations.status })
        .from(allocations)
        .where(and(inArray(allocations.registrationId, registrationIds), inArray(allocations.status, ['rejected', 'declined'])));
      for (const r of rows) {
        const list = out.get(r.registrationId) ?? [];
        list.push({ municipality: r.municipality, status: r.status });
        out.set(r.registrationId, list);
      }
      return out;
    },
    async setAllocationStatus(tx: DbOrTx, id: string, status: AllocationStatus, patch: Partial<typeof allocations.$inferInsert> = {}) {
      await tx.update(allocations).set({ status, ...patch }).where(eq(allocations.id, id));
    },
  };
}
export type AllocationRepository = ReturnType<typeof createAllocationRepository>;
