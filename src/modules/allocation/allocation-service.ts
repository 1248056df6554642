import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db, Tx } from '../../db/client.js';
import type { Clock } from '../../clock.js';
import type { AllocationUnit } from '../../config.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import { systemActor } from '../audit/audit-service.js';
import type { RegistrationRow, RegistrationsRepository } from '../registrations/registrations-repository.js';
import type { AllocationRepository } from './allocation-repository.js';
import type { Exclusion } from './engine/index.js';
import type { LedgerService, LedgerSession } from './ledger-service.js';
import { periodAt } from './periods.js';

export interface AllocationSettings {
  unit: AllocationUnit;
  excludeReportingMunicipality: boolean;
  networkTolerance: number;
}

export function createAllocationService(deps: {
  db: Db;
  repo: AllocationRepository;
  registrations: RegistrationsRepository;
  ledger: LedgerService;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  settings: AllocationSettings;
}) {
  const { db, repo, clock, settings } = deps;

  const unitsOf = (r: RegistrationRow) => (settings.unit === 'persons' ? r.adults + r.children : 1);
  // Period rows are never deleted: once one is seen committed, its insert can be skipped.
  const knownPeriods = new Set<string>();

  /** Hard exclusions for this family now, each with its reason (the explanation lists them). */
  async function exclusions(tx: Tx, reg: RegistrationRow, period: string, refused?: Awaited<ReturnType<AllocationRepository['refusedFor']>>): Promise<Exclusion[]> {
    const out: Exclusion[] = [];
    if (settings.excludeReportingMunicipality) out.push({ code: reg.reportingMunicipality, reason: 'reporting_municipality' });
    for (const code of reg.excludedMunicipalities) out.push({ code, reason: 'family_exclusion' });
    for (const r of refused ?? (await repo.refusedFor(tx, reg.id))) out.push({ code: r.municipality, reason: r.status === 'declined' ? 'declined_before' : 'rejected_before' });
    const units = unitsOf(reg);
    for (const m of await repo.unavailable(tx, period)) {
      if (!m.active) out.push({ code: m.code, reason: 'no_longer_exists' });
      else if (m.suspended) out.push({ code: m.code, reason: 'suspended' });
      else if (m.capacity !== null && m.used + units > m.capacity) out.push({ code: m.code, reason: 'at_capacity' });
    }
    return out;
  }

  /** Counters and ledger for a new allocation (engine proposal or override), booked in `period`. */
  async function bookAllocation(
    tx: Tx,
    session: LedgerSession,
    reg: RegistrationRow,
    decision: Parameters<LedgerSession['book']>[0],
    opts: {
      kind: 'engine' | 'override';
      status: 'proposed' | 'approved';
      period: string;
      actor: Actor;
      reasonCiphertext?: string | null;
      explanation: unknown;
      /** Further changes to the registration, written with the accrual fields in one update. */
      registrationPatch?: Parameters<RegistrationsRepository['update']>[2];
    },
  ): Promise<string> {
    const allocationId = randomUUID();
    const now = clock.now();
    if (!knownPeriods.has(opts.period) && (await repo.ensurePeriod(tx, opts.period))) knownPeriods.add(opts.period);
    await session.book(decision, { period: opts.period, registrationId: reg.id, allocationId });
    await repo.insertAllocationCounted(tx, {
      id: allocationId,
      registrationId: reg.id,
      municipality: decision.code,
      status: opts.status,
      kind: opts.kind,
      units: decision.units,
      keyVersion: decision.keyVersion,
      period: opts.period,
      explanation: opts.explanation,
      reasonCiphertext: opts.reasonCiphertext ?? null,
      createdAt: now,
      createdBySub: opts.actor.sub,
      ...(opts.status === 'approved' ? { decidedAt: now, decidedBySub: opts.actor.sub } : {}),
    }, opts.status);
    const patch = {
      ...opts.registrationPatch,
      ...(decision.accrue ? { accruedKeyVersion: decision.keyVersion, accruedPeriod: opts.period, accruedUnits: decision.units } : {}),
    };
    if (Object.keys(patch).length > 0) await deps.registrations.update(tx, reg.id, patch);
    return allocationId;
  }

  return {
    unitsOf,
    exclusions,
    bookAllocation,

    /**
     * The allocate job. Idempotent: it acts only on a registration still queued for this round,
     * under the registration's row lock, so a job delivered twice allocates once.
     */
    async propose(payload: { registrationId: string; round: number }, traceId: string | null = null): Promise<'proposed' | 'needs_attention' | 'skipped'> {
      const actor = systemActor(traceId);
      return db.transaction(async (tx) => {
        const reg = await deps.registrations.get(tx, payload.registrationId, { forUpdate: true });
        if (!reg || reg.status !== 'queued' || reg.allocationRound !== payload.round) return 'skipped';
        const now = clock.now();
        const period = periodAt(now);
        // This family's refusals change only under its row lock, held already: read them before
        // the ledger lock, so the lock is held for one statement less.
        const refused = await repo.refusedFor(tx, reg.id);
        const session = await deps.ledger.lock(tx);
        const excluded = await exclusions(tx, reg, period, refused);
        const decision = session.choose({
          units: unitsOf(reg),
          excluded,
          network: reg.networkMunicipalities,
          networkTolerance: settings.networkTolerance,
          accrue: reg.accruedKeyVersion === null,
        });
        if (decision.kind === 'needs_attention') {
          await deps.registrations.update(tx, reg.id, { status: 'needs_attention', updatedAt: now });
          await deps.registrations.addEvent(tx, {
            registrationId: reg.id, action: 'no_allowed_municipality', fromStatus: 'queued', toStatus: 'needs_attention',
            actorSub: actor.sub, actorRole: actor.role, actorMunicipality: null, at: now,
          });
          await deps.audit.record(tx, actor, { action: 'registration.needs_attention', resourceType: 'registration', resourceId: reg.id, registrationId: reg.id });
          return 'needs_attention';
        }
        const allocationId = await bookAllocation(tx, session, reg, decision, {
          kind: 'engine',
          status: 'proposed',
          period,
          actor,
          explanation: decision.explanation,
          registrationPatch: { status: 'proposed', updatedAt: now, ...(reg.firstProposedAt ? {} : { firstProposedAt: now }) },
        });
        await deps.registrations.addEvent(tx, {
          registrationId: reg.id, action: 'proposed', fromStatus: 'queued', toStatus: 'proposed', allocationId, municipality: decision.code,
          actorSub: actor.sub, actorRole: actor.role, actorMunicipality: null, at: now,
        });
        await deps.audit.record(tx, actor, { action: 'allocation.propose', resourceType: 'allocation', resourceId: allocationId, registrationId: reg.id });
        return 'proposed';
      });
    },
  };
}
export type AllocationService = ReturnType<typeof createAllocationService>;
