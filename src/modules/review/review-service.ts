// Every transition of a registration after intake (DESIGN §4), with its ledger effect (§5).
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { allocations, householdMembers, registrations, type AllocationStatus, type RegistrationStatus } from '../../db/schema/index.js';
import { amsterdamDate, type Clock } from '../../clock.js';
import { AppError, illegalTransition, notFound } from '../../http/errors.js';
import { allocateJobId, enqueueInTx } from '../../jobs/outbox.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import type { AllocationRepository, AllocationRow } from '../allocation/allocation-repository.js';
import type { AllocationService } from '../allocation/allocation-service.js';
import type { LedgerService } from '../allocation/ledger-service.js';
import { periodAt } from '../allocation/periods.js';
import type { MunicipalitiesRepository } from '../municipalities/municipalities-repository.js';
import { bound, type PiiCrypto } from '../pii/pii-crypto.js';
import type { MaatwerkRepository } from '../maatwerk/maatwerk-repository.js';
import type { RegistrationRow, RegistrationsRepository } from '../registrations/registrations-repository.js';
import { birthYearOf, canSee, summaryView } from '../registrations/registrations-service.js';
import { withoutFamilyDetail, type PrivacyPolicy } from '../privacy/privacy-policy.js';
import { isMinorOn } from '../registrations/eligibility.js';
import { closeOpenStays } from '../shelter/shelter-closing.js';
import { resolveOpenSignals } from '../signals/signals-repository.js';
import { transitionEvent, writeEventsInTx } from '../webhooks/webhook-events.js';
import type { Static } from 'typebox';
import type { ExplanationSchema, ReasonCategory } from './review-schemas.js';

export type Outcome = 'housed' | 'returned_abroad' | 'own_network' | 'wmo_eligible' | 'withdrawn' | 'duplicate' | 'refused_placement';

/** States from which a registration may close without being housed (§4: any state before transferred). */
const OPEN_STATES: RegistrationStatus[] = ['queued', 'proposed', 'approved', 'accepted', 'needs_attention'];
const OVERRIDABLE: RegistrationStatus[] = ['queued', 'proposed', 'approved', 'needs_attention'];
/** States in which a receiving (not reporting) municipality may record an outcome: the family is its own. */
const RECEIVER_MAY_CLOSE: RegistrationStatus[] = ['accepted', 'transferred'];
/** Allocation states in which the receiving municipality reads an allocation made to it. */
const RECEIVER_ALLOCATION_VISIBLE: AllocationStatus[] = ['approved', 'accepted'];

/** Whole years between two calendar dates. */
export function ageOn(birthDate: string, on: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [y, m, d] = on.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

export interface ReviewDeps {
  db: Db;
  repo: AllocationRepository;
  registrations: RegistrationsRepository;
  municipalities: MunicipalitiesRepository;
  allocation: AllocationService;
  ledger: LedgerService;
  maatwerk: Pick<MaatwerkRepository, 'releaseBooking'>;
  audit: AuditService;
  pii: PiiCrypto;
  privacy: PrivacyPolicy;
  clock: Clock;
  onOutboxWritten: () => void;
}

export function createReviewService(deps: ReviewDeps) {
  const { db, repo, clock, pii } = deps;

  async function move(
    tx: Tx,
    actor: Actor,
    principal: Principal | null,
    reg: RegistrationRow,
    to: RegistrationStatus,
    action: string,
    opts: { allocationId?: string | null; municipality?: string | null; reason?: string; patch?: Partial<typeof registrations.$inferInsert> } = {},
  ) {
    const now = clock.now();
    await deps.registrations.update(tx, reg.id, { status: to, updatedAt: now, ...opts.patch });
    // A reason is bound to its event row, so the row's id is taken before the insert.
    const eventId = opts.reason ? await deps.registrations.nextEventId(tx) : undefined;
    await deps.registrations.addEvent(tx, {
      ...(eventId !== undefined ? { id: eventId } : {}),
      registrationId: reg.id,
      action,
      fromStatus: reg.status,
      toStatus: to,
      allocationId: opts.allocationId ?? null,
      municipality: opts.municipality ?? null,
      actorSub: actor.sub,
      actorRole: actor.role,
      actorMunicipality: principal?.municipality ?? null,
      reasonCiphertext: opts.reason && eventId !== undefined ? pii.encrypt(opts.reason, bound('registration_events.reason_ciphertext', eventId)) : null,
      at: now,
    });
    await deps.audit.record(tx, actor, { action: `registration.${action}`, resourceType: 'registration', resourceId: reg.id, registrationId: reg.id });
    // Every transition ends the stage the registration was in, and with it that stage's deadline.
    await resolveOpenSignals(tx, reg.id, now);
    const receivingMunicipality = opts.patch && 'receivingMunicipality' in opts.patch ? (opts.patch.receivingMunicipality ?? null) : reg.receivingMunicipality;
    await writeEventsInTx(tx, clock, [transitionEvent(action, { ...reg, status: to, receivingMunicipality }, opts.allocationId ?? null, now)]);
  }

  /** Releases the registration's active allocation from the ledger and the counters. */
  async function releaseActive(
    tx: Tx, reg: RegistrationRow, alloc: AllocationRow, newStatus: AllocationStatus, actor: Actor, reason: string | undefined, withdraw: boolean, category?: ReasonCategory,
  ) {
    const session = await deps.ledger.lock(tx);
    const now = clock.now();
    await session.release(alloc.municipality, alloc.units, {
      period: periodAt(now),
      registrationId: reg.id,
      allocationId: alloc.id,
      ...(withdraw && reg.accruedKeyVersion !== null ? { withdraw: { keyVersion: reg.accruedKeyVersion } } : {}),
    });
    const counter = alloc.status === 'proposed' ? 'proposed' : 'approved';
    await repo.addCounters(tx, alloc.period, alloc.municipality, { [counter]: -alloc.units });
    // The dwelling it was booked against is free again for the next family.
    if (alloc.capacityDeclarationId) await deps.maatwerk.releaseBooking(tx, alloc.capacityDeclarationId);
    await repo.setAllocationStatus(tx, alloc.id, newStatus, {
      decidedAt: now,
      decidedBySub: actor.sub,
      reasonCiphertext: reason ? pii.encrypt(reason, bound('allocations.reason_ciphertext', alloc.id)) : null,
      ...(category ? { reasonCategory: category } : {}),
    });
  }

  function requeue(tx: Tx, reg: RegistrationRow, actor: Actor) {
    const round = reg.allocationRound + 1;
    const payload = { v: 1 as const, registrationId: reg.id, round, ...(actor.traceId ? { traceId: actor.traceId } : {}) };
    return { round, write: () => enqueueInTx(tx, clock, 'allocate', payload, allocateJobId(reg.id, round)) };
  }

  /** Loads an allocation and its registration, locked, if the caller may see it; else 404. */
  async function lockAllocation(tx: Tx, principal: Principal, id: string) {
    const alloc = await repo.getAllocation(tx, id);
    if (!alloc) throw notFound('Allocation');
    const reg = await deps.registrations.get(tx, alloc.registrationId, { forUpdate: true });
    const fresh = await repo.getAllocation(tx, id, { forUpdate: true });
    if (!reg || !fresh || !allocationVisible(principal, fresh, reg)) throw notFound('Allocation');
    return { alloc: fresh, reg };
  }

  /** A receiving municipality reads an allocation to it while it is approved or accepted; once it declined, no longer. */
  function allocationVisible(p: Principal, a: AllocationRow, reg: RegistrationRow): boolean {
    if (p.role === 'coordinator') return true;
    if (p.role !== 'municipality') return false;
    if (reg.reportingMunicipality === p.municipality) return true;
    return a.municipality === p.municipality && RECEIVER_ALLOCATION_VISIBLE.includes(a.status);
  }

  /**
   * Reasons are for the coordinator and the reporting municipality; like the family's needs,
   * network and the family's part of the explanation, only while the caller may still see the
   * case's personal data (privacy-policy.ts).
   */
  const personalTo = (p: Principal, reg: RegistrationRow) => deps.privacy.access(p, reg) === 'available';
  const showReasonTo = (p: Principal, reg: RegistrationRow) => (p.role === 'coordinator' || reg.reportingMunicipality === p.municipality) && personalTo(p, reg);

  /**
   * The answer to a decision that committed: the allocation as it now is, read without the
   * visibility check. A caller whose own decision took the allocation out of its sight (a
   * decline) still gets its 200, never a 404 for a change that happened.
   */
  async function decided(actor: Actor, principal: Principal, allocationId: string) {
    const alloc = (await repo.getAllocation(db, allocationId))!;
    const reg = (await deps.registrations.get(db, alloc.registrationId))!;
    await deps.audit.record(db, actor, { action: 'allocation.read', resourceType: 'allocation', resourceId: alloc.id, registrationId: reg.id });
    return allocationView(alloc, reg, principal);
  }

  async function lockRegistration(tx: Tx, principal: Principal, id: string) {
    const reg = await deps.registrations.get(tx, id, { forUpdate: true });
    if (!reg || !canSee(principal, reg)) throw notFound('Registration');
    return reg;
  }

  /** Every transition may have written outbox rows (a job, or events for subscribers): the relay is nudged after commit. */
  const commit = async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    const result = await db.transaction(fn);
    deps.onOutboxWritten();
    return result;
  };

  /** A transition's answer: the registration as committed, whether or not the caller still sees it. */
  async function committedSummary(tx: Tx, id: string) {
    return summaryView((await deps.registrations.get(tx, id))!);
  }

  async function allocationView(a: AllocationRow, reg: RegistrationRow, principal: Principal) {
    const showReason = showReasonTo(principal, reg);
    const personal = personalTo(principal, reg);
    const today = amsterdamDate(clock.now());
    const children = await db
      .select({ birthDate: householdMembers.birthDate, birthYear: householdMembers.birthYear })
      .from(householdMembers)
      .where(and(eq(householdMembers.registrationId, reg.id), eq(householdMembers.role, 'child')))
      .orderBy(asc(householdMembers.position));
    return {
      id: a.id,
      registrationId: a.registrationId,
      municipality: a.municipality,
      status: a.status,
      kind: a.kind,
      units: a.units,
      keyVersion: a.keyVersion,
      period: a.period,
      createdAt: a.createdAt.toISOString(),
      decidedAt: a.decidedAt?.toISOString() ?? null,
      reason: showReason && a.reasonCiphertext ? pii.decrypt(a.reasonCiphertext, bound('allocations.reason_ciphertext', a.id)) : null,
      explanation: (personal ? a.explanation : withoutFamilyDetail(a.explanation)) as Static<typeof ExplanationSchema>,
      family: {
        reportingMunicipality: reg.reportingMunicipality,
        registrationStatus: reg.status,
        reportedOn: reg.reportedOn,
        adults: reg.adults,
        children: reg.children,
        householdSize: reg.adults + reg.children,
        // After pseudonymisation only the birth year is left: the age reached this calendar year.
        childrenAges: children.map((c) => (c.birthDate ? ageOn(c.birthDate, today) : Number(today.slice(0, 4)) - birthYearOf(c))),
        needs: (personal ? reg.needs : {}) as Record<string, never>,
        networkMunicipalities: personal ? reg.networkMunicipalities : [],
        daysWaiting: Math.max(0, Math.round((Date.parse(today) - Date.parse(reg.reportedOn)) / 86_400_000)),
      },
    };
  }

  return {
    async list(actor: Actor, principal: Principal, q: { status?: AllocationStatus; municipality?: string; page: number; pageSize: number }) {
      // The same rule as allocationVisible: a municipality sees the allocations of families it
      // reported, and those made to it from approval on.
      const scope: SQL | undefined =
        principal.role === 'coordinator'
          ? undefined
          : or(
              eq(registrations.reportingMunicipality, principal.municipality ?? '-'),
              and(eq(allocations.municipality, principal.municipality ?? '-'), inArray(allocations.status, [...RECEIVER_ALLOCATION_VISIBLE])),
            );
      const where = and(scope, q.status ? eq(allocations.status, q.status) : undefined, q.municipality ? eq(allocations.municipality, q.municipality) : undefined);
      const [rows, [count]] = await Promise.all([
        db
          .select({ a: allocations, r: registrations })
          .from(allocations)
          .innerJoin(registrations, eq(registrations.id, allocations.registrationId))
          .where(where)
          // The review queue works oldest family first: by when the family was reported and
          // registered, not when it was last proposed (a family proposed again after a rejection
          // keeps its place).
          .orderBy(asc(registrations.reportedOn), asc(registrations.createdAt), asc(allocations.createdAt), asc(allocations.id))
          .limit(q.pageSize)
          .offset((q.page - 1) * q.pageSize),
        db
          .select({ n: sql<number>`count(*)::int` })
          .from(allocations)
          .innerJoin(registrations, eq(registrations.id, allocations.registrationId))
          .where(where),
      ]);
      const items = await Promise.all(
        rows.map((row) => allocationView(row.a, row.r, principal)),
      );
      // Family summaries and decrypted reasons are personal data: each one shown is logged.
      await deps.audit.record(
        db,
        actor,
        rows.map((row) => ({ action: 'allocation.read', resourceType: 'allocation', resourceId: row.a.id, registrationId: row.r.id })),
      );
      return { items, page: q.page, pageSize: q.pageSize, total: count?.n ?? 0 };
    },

    async get(actor: Actor, principal: Principal, id: string) {
      const alloc = await repo.getAllocation(db, id);
      const reg = alloc ? await deps.registrations.get(db, alloc.registrationId) : undefined;
      if (!alloc || !reg || !allocationVisible(principal, alloc, reg)) throw notFound('Allocation');
      await deps.audit.record(db, actor, { action: 'allocation.read', resourceType: 'allocation', resourceId: id, registrationId: reg.id });
      return allocationView(alloc, reg, principal);
    },

    async approve(actor: Actor, principal: Principal, id: string) {
      const out = await commit(async (tx) => {
        const { alloc, reg } = await lockAllocation(tx, principal, id);
        if (alloc.status !== 'proposed' || reg.status !== 'proposed') throw illegalTransition(`Only a proposed allocation can be approved; this one is ${alloc.status}.`);
        const now = clock.now();
        await repo.setAllocationStatus(tx, alloc.id, 'approved', { decidedAt: now, decidedBySub: actor.sub });
        await repo.addCounters(tx, alloc.period, alloc.municipality, { proposed: -alloc.units, approved: alloc.units });
        await move(tx, actor, principal, reg, 'approved', 'approved', { allocationId: alloc.id, municipality: alloc.municipality, patch: { receivingMunicipality: alloc.municipality, approvedAt: now } });
        return alloc.id;
      });
      return decided(actor, principal, out);
    },

    async reject(actor: Actor, principal: Principal, id: string, reason: string, category?: ReasonCategory) {
      const out = await commit(async (tx) => {
        const { alloc, reg } = await lockAllocation(tx, principal, id);
        if (alloc.status !== 'proposed' || reg.status !== 'proposed') throw illegalTransition(`Only a proposed allocation can be rejected; this one is ${alloc.status}.`);
        await releaseActive(tx, reg, alloc, 'rejected', actor, reason, false, category);
        const next = requeue(tx, reg, actor);
        await move(tx, actor, principal, reg, 'queued', 'rejected', { allocationId: alloc.id, municipality: alloc.municipality, reason, patch: { allocationRound: next.round } });
        await next.write();
        return alloc.id;
      });
      return decided(actor, principal, out);
    },

    async accept(actor: Actor, principal: Principal, id: string) {
      const out = await commit(async (tx) => {
        const { alloc, reg } = await lockAllocation(tx, principal, id);
        if (alloc.municipality !== principal.municipality) throw notFound('Allocation');
        if (alloc.status !== 'approved' || reg.status !== 'approved') throw illegalTransition(`Only an approved allocation can be accepted; this one is ${alloc.status}.`);
        await repo.setAllocationStatus(tx, alloc.id, 'accepted', { decidedAt: clock.now(), decidedBySub: actor.sub });
        await move(tx, actor, principal, reg, 'accepted', 'accepted', { allocationId: alloc.id, municipality: alloc.municipality });
        return alloc.id;
      });
      return decided(actor, principal, out);
    },

    async decline(actor: Actor, principal: Principal, id: string, reason: string, category?: ReasonCategory) {
      const out = await commit(async (tx) => {
        const { alloc, reg } = await lockAllocation(tx, principal, id);
        if (alloc.municipality !== principal.municipality) throw notFound('Allocation');
        if (alloc.status !== 'approved' || reg.status !== 'approved') throw illegalTransition(`Only an approved allocation can be declined; this one is ${alloc.status}.`);
        await releaseActive(tx, reg, alloc, 'declined', actor, reason, false, category);
        await move(tx, actor, principal, reg, 'needs_attention', 'declined', { allocationId: alloc.id, municipality: alloc.municipality, reason, patch: { receivingMunicipality: null, approvedAt: null } });
        return alloc.id;
      });
      return decided(actor, principal, out);
    },

    /** Coordinator: allocate to a named municipality, with a reason; it counts as approved. */
    async override(actor: Actor, principal: Principal, registrationId: string, municipality: string, reason: string) {
      const out = await commit(async (tx) => {
        const reg = await lockRegistration(tx, principal, registrationId);
        if (!OVERRIDABLE.includes(reg.status)) throw illegalTransition(`A registration that is ${reg.status} cannot be allocated anew.`);
        const target = await deps.municipalities.get(tx, municipality);
        if (!target || !target.active) {
          throw new AppError('validation_failed', 'The municipality does not exist.', { errors: [{ in: 'body', pointer: '/municipality', code: 'unknown_municipality', message: 'is not an existing municipality' }] });
        }
        if (reg.excludedMunicipalities.includes(municipality)) {
          throw new AppError('conflict', `${municipality} is excluded for this family (for example for its safety); it cannot receive it.`);
        }
        const active = await repo.activeAllocation(tx, reg.id);
        if (active) await releaseActive(tx, reg, active, 'withdrawn', actor, reason, false);
        const session = await deps.ledger.lock(tx);
        const units = deps.allocation.unitsOf(reg);
        const decision = session.engine.override({ code: municipality, units, accrue: reg.accruedKeyVersion === null });
        const now = clock.now();
        const details = await deps.allocation.overrideDetails(tx, reg, decision, periodAt(now));
        const allocationId = randomUUID();
        await deps.allocation.bookAllocation(tx, session, reg, decision, {
          id: allocationId,
          kind: 'override',
          status: 'approved',
          period: periodAt(now),
          actor,
          reasonCiphertext: pii.encrypt(reason, bound('allocations.reason_ciphertext', allocationId)),
          capacityDeclarationId: details.capacityDeclarationId,
          explanation: { ...details.explanation, override: { by: actor.sub, replaced: active?.municipality ?? null } },
        });
        await move(tx, actor, principal, reg, 'approved', 'overridden', {
          allocationId,
          municipality,
          reason,
          patch: { receivingMunicipality: municipality, approvedAt: now, allocationRound: reg.allocationRound + 1, ...(reg.firstProposedAt ? {} : { firstProposedAt: now }) },
        });
        return allocationId;
      });
      return decided(actor, principal, out);
    },

    /** Coordinator: a registration that needs attention gets a new engine proposal. */
    async repropose(actor: Actor, principal: Principal, registrationId: string, reason: string | undefined) {
      return commit(async (tx) => {
        const reg = await lockRegistration(tx, principal, registrationId);
        if (reg.status !== 'needs_attention') throw illegalTransition(`Only a registration that needs attention can be proposed again; this one is ${reg.status}.`);
        const next = requeue(tx, reg, actor);
        await move(tx, actor, principal, reg, 'queued', 'requeued', { ...(reason ? { reason } : {}), patch: { allocationRound: next.round } });
        await next.write();
        return committedSummary(tx, reg.id);
      });
    },

    async transfer(actor: Actor, principal: Principal, registrationId: string, transferredOn: string) {
      return commit(async (tx) => {
        const reg = await lockRegistration(tx, principal, registrationId);
        if (reg.status !== 'accepted') throw illegalTransition(`Only an accepted family can move; this registration is ${reg.status}.`);
        const today = amsterdamDate(clock.now());
        if (transferredOn > today || transferredOn < reg.reportedOn) {
          throw new AppError('validation_failed', 'The transfer date is not possible.', {
            errors: [{ in: 'body', pointer: '/transferredOn', code: 'date_out_of_range', message: `must be between the registration date (${reg.reportedOn}) and today` }],
          });
        }
        const alloc = await repo.activeAllocation(tx, reg.id);
        if (!alloc) throw illegalTransition('The registration has no accepted allocation.');
        await repo.addCounters(tx, alloc.period, alloc.municipality, { realised: alloc.units });
        await closeOpenStays(tx, reg.id, transferredOn, clock.now());
        await move(tx, actor, principal, reg, 'transferred', 'transferred', { allocationId: alloc.id, municipality: alloc.municipality, patch: { transferredOn } });
        return committedSummary(tx, reg.id);
      });
    },

    async outcome(actor: Actor, principal: Principal, registrationId: string, type: Outcome, reason: string | undefined) {
      return commit(async (tx) => {
        const reg = await lockRegistration(tx, principal, registrationId);
        // The receiving municipality sees the family from approval on, but the case is not yet its
        // own: until it accepted, only the reporting municipality or the coordinator may close it.
        if (principal.role === 'municipality' && reg.reportingMunicipality !== principal.municipality && !RECEIVER_MAY_CLOSE.includes(reg.status)) {
          throw illegalTransition('Only a receiving municipality that accepted the family can record its outcome; decline the family instead, or ask the coordination point.');
        }
        const now = clock.now();
        const today = amsterdamDate(now);
        if (type === 'housed') {
          if (reg.status !== 'transferred') throw illegalTransition(`Only a transferred family can be recorded as housed; this registration is ${reg.status}.`);
          await deps.registrations.releaseBsns(tx, reg.id);
          await move(tx, actor, principal, reg, 'housed', 'housed', { ...(reason ? { reason } : {}), patch: { outcome: 'housed', closedAt: now } });
          return committedSummary(tx, reg.id);
        }
        if (!OPEN_STATES.includes(reg.status)) throw illegalTransition(`A registration that is ${reg.status} cannot be closed with ${type}.`);
        const active = await repo.activeAllocation(tx, reg.id);
        if (active) {
          await releaseActive(tx, reg, active, 'withdrawn', actor, reason, true);
        } else if (reg.accruedKeyVersion !== null) {
          // Proposed once, rejected since: only its shares are still in the entitlements.
          const session = await deps.ledger.lock(tx);
          await session.release(null, reg.accruedUnits ?? deps.allocation.unitsOf(reg), { period: periodAt(now), registrationId: reg.id, allocationId: null, withdraw: { keyVersion: reg.accruedKeyVersion } });
        }
        await deps.registrations.releaseBsns(tx, reg.id);
        await closeOpenStays(tx, reg.id, today, now);
        await move(tx, actor, principal, reg, 'closed', 'closed', {
          allocationId: active?.id ?? null,
          ...(reason ? { reason } : {}),
          patch: { outcome: type, closedAt: now, receivingMunicipality: null, allocationRound: reg.allocationRound + 1 },
        });
        return committedSummary(tx, reg.id);
      });
    },
  };
}
export type ReviewService = ReturnType<typeof createReviewService>;
