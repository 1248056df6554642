import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db, Tx } from '../../db/client.js';
import type { Clock } from '../../clock.js';
import type { AllocationUnit } from '../../config.js';
import type { Actor } from '../audit/audit-service.js';
import { auditRows, systemActor } from '../audit/audit-service.js';
import type { RegistrationRow, RegistrationsRepository } from '../registrations/registrations-repository.js';
import type { AllocationRepository } from './allocation-repository.js';
import type { Exclusion, Explanation } from './engine/index.js';
import type { MaatwerkRepository } from '../maatwerk/maatwerk-repository.js';
import { policyOf } from '../maatwerk/maatwerk-service.js';
import { buildProfileIndex, pickDeclaration, planFor, type NeedsPolicy, type OpenDeclaration, type ProfileIndex, type RegionKind } from '../maatwerk/maatwerk-rules.js';
import { explainInDutch, type CapacityUsed } from '../maatwerk/maatwerk-explanation-nl.js';
import { bound, type PiiCrypto } from '../pii/pii-crypto.js';
import type { LedgerService, LedgerSession } from './ledger-service.js';
import { periodAt } from './periods.js';
import { notifyOutboxRow, transitionEvent, type NotifyEvent } from '../webhooks/webhook-events.js';
import { tracingOff, type Tracing } from '../tracing/tracing.js';

export interface AllocationSettings {
  unit: AllocationUnit;
  excludeReportingMunicipality: boolean;
  networkTolerance: number;
}

/** Registrations one allocate job proposes at most, its own included (bounds the transaction). */
const BATCH = 25;

export function createAllocationService(deps: {
  db: Db;
  repo: AllocationRepository;
  registrations: RegistrationsRepository;
  ledger: LedgerService;
  maatwerk: MaatwerkRepository;
  pii: PiiCrypto;
  clock: Clock;
  logger: Logger;
  settings: AllocationSettings;
  /** The batch statement's span (a child of the job's). */
  tracing?: Tracing;
  /** Told, after commit, how many seconds each proposed registration waited since it was queued. */
  onProposed?: (lagSeconds: number) => void;
}) {
  const { db, repo, clock, settings } = deps;
  const tracing = deps.tracing ?? tracingOff;

  /**
   * Profiles, the needs policy and municipality names, as of the `mark` the availability
   * statement read under the ledger lock. Every change of a profile, the policy or the
   * municipality table changes the mark, so a batch never uses an older state than the one
   * committed before it took the lock (see README.md, "Maatwerk").
   */
  let maatwerkCache: { mark: string; index: ProfileIndex; policy: NeedsPolicy } | undefined;
  async function maatwerkAt(tx: Tx, mark: string) {
    if (maatwerkCache?.mark === mark) return maatwerkCache;
    const policy = policyOf(await deps.maatwerk.needsPolicy(tx));
    const refs = await deps.maatwerk.municipalityRefs(tx);
    const profiles = await deps.maatwerk.allProfiles(tx);
    maatwerkCache = { mark, policy, index: buildProfileIndex(refs, profiles, policy) };
    return maatwerkCache;
  }
  /** Key versions never change, so their shelter-credit option is kept for the process's life. */
  const shelterNightsByKey = new Map<number, number | null>();
  async function shelterCreditNights(tx: Tx, version: number): Promise<number | null> {
    if (!shelterNightsByKey.has(version)) {
      const [key] = await repo.keys(tx, [version]);
      const option = (key?.definition as { shelterCredit?: { minimumNights: number } } | undefined)?.shelterCredit;
      shelterNightsByKey.set(version, option ? option.minimumNights : null);
    }
    return shelterNightsByKey.get(version)!;
  }

  /**
   * The explanation as stored: the engine's, plus what maatwerk added (the needs and how they
   * counted, the region, the work region, the capacity booked) and the Dutch sentences.
   */
  function storedExplanation(e: Explanation, m: { index: ProfileIndex; policy: NeedsPolicy }, r: RegistrationRow, plan: ReturnType<typeof planFor> | null, capacity: (OpenDeclaration & { id: string }) | null, creditNights: number | null) {
    const used: CapacityUsed | null = capacity ? { bedrooms: capacity.bedrooms, accessible: capacity.accessible, kind: capacity.kind } : null;
    return {
      ...e,
      maatwerk: {
        needs: plan?.needs ?? [],
        needsPolicyVersion: m.policy.version,
        regionRestriction: r.regionRestriction ?? null,
        workRegion: r.workRegion ?? null,
        capacity: capacity ? { declarationId: capacity.id, municipality: capacity.municipality, kind: capacity.kind, bedrooms: capacity.bedrooms, accessible: capacity.accessible } : null,
        shelterCreditMinimumNights: creditNights,
      },
      summaryNl: explainInDutch(e, { name: (code) => m.index.names.get(code) ?? code, capacity: used, shelterCreditNights: creditNights }),
    };
  }

  const unitsOf = (r: RegistrationRow) => (settings.unit === 'persons' ? r.adults + r.children : 1);
  // Period rows are never deleted: once one is seen committed, its insert can be skipped.
  const knownPeriods = new Set<string>();
  /**
   * Registration rounds this process proposed (or sent to the coordinator) in a committed batch.
   * Nothing moves a registration back into a round it left, so their jobs may skip without a read.
   * Bounded: past the limit the oldest are forgotten, and their jobs fall back to the read.
   */
  const settledRounds = new Set<string>();
  const SETTLED_ROUNDS_KEPT = 10_000;
  const roundKey = (registrationId: string, round: number) => `${registrationId}:${round}`;
  function rememberSettled(keys: string[]) {
    for (const k of keys) settledRounds.add(k);
    for (const k of settledRounds) {
      if (settledRounds.size <= SETTLED_ROUNDS_KEPT) break;
      settledRounds.delete(k);
    }
  }

  type Unavailable = Awaited<ReturnType<AllocationRepository['availability']>>['unavailable'];
  type Refused = Awaited<ReturnType<AllocationRepository['refusedFor']>>;

  /** Hard exclusions for this family, given its refusals and the municipalities unavailable now. */
  function exclusionsFrom(reg: RegistrationRow, refused: Refused, unavailable: Unavailable): Exclusion[] {
    const out: Exclusion[] = [];
    if (settings.excludeReportingMunicipality) out.push({ code: reg.reportingMunicipality, reason: 'reporting_municipality' });
    for (const code of reg.excludedMunicipalities) out.push({ code, reason: 'family_exclusion' });
    for (const r of refused) out.push({ code: r.municipality, reason: r.status === 'declined' ? 'declined_before' : 'rejected_before' });
    const units = unitsOf(reg);
    for (const m of unavailable) {
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
      /** The allocation's id when the caller needs it beforehand (e.g. to bind an encrypted reason to it). */
      id?: string;
      kind: 'engine' | 'override';
      status: 'proposed' | 'approved';
      period: string;
      actor: Actor;
      reasonCiphertext?: string | null;
      explanation: unknown;
      capacityDeclarationId?: string | null;
      /** Further changes to the registration, written with the accrual fields in one update. */
      registrationPatch?: Parameters<RegistrationsRepository['update']>[2];
    },
  ): Promise<string> {
    const allocationId = opts.id ?? randomUUID();
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
      capacityDeclarationId: opts.capacityDeclarationId ?? null,
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

  /**
   * An override (under the ledger lock): the explanation as stored, with the Dutch sentences,
   * and a fitting declared dwelling in the chosen municipality booked, as for an engine proposal.
   */
  async function overrideDetails(tx: Tx, reg: RegistrationRow, decision: { code: string; keyVersion: number; explanation: Explanation }, period: string) {
    const { declarations, mark } = await repo.availability(tx, period);
    const m = await maatwerkAt(tx, mark);
    const declaration = pickDeclaration(declarations, decision.code, reg.needs) ?? null;
    if (declaration) await deps.maatwerk.bookOne(tx, declaration.id);
    const explanation = storedExplanation(decision.explanation, m, reg, null, declaration, await shelterCreditNights(tx, decision.keyVersion));
    return { explanation, capacityDeclarationId: declaration?.id ?? null };
  }

  return {
    unitsOf,
    bookAllocation,
    overrideDetails,

    /**
     * The allocate job. Idempotent: it acts only on a registration still queued for this round,
     * under the registration's row lock, so a job delivered twice allocates once.
     *
     * Once it holds the ledger lock it also allocates up to BATCH − 1 other queued registrations
     * (oldest first, rows another transaction holds skipped), in the same transaction: lock,
     * commit and the unavailable municipalities are shared, and the batch's writes (history
     * events and audit rows included) go out as one statement. Their own jobs then find them no
     * longer queued and skip. Each allocation keeps its explanation, event, audit row, counters
     * and movements exactly as if it had run alone.
     */
    async propose(payload: { registrationId: string; round: number }, traceId: string | null = null): Promise<'proposed' | 'needs_attention' | 'skipped'> {
      const actor = systemActor(traceId);
      // Most jobs find their registration proposed already by an earlier job's batch: this
      // process's own batches are remembered, and a plain read outside a transaction settles the
      // rest in one statement. Only a registration queued for this round when read goes on to
      // the locked check below; nothing moves a registration back into an earlier round, and
      // every move into 'queued' sends a job of its own.
      if (settledRounds.has(roundKey(payload.registrationId, payload.round))) return 'skipped';
      const peek = await repo.roundOf(db, payload.registrationId);
      if (!peek || peek.status !== 'queued' || peek.round !== payload.round) return 'skipped';
      let settled: string[] = [];
      /** When each proposed registration was queued (its last status change), for the lag metric. */
      const queuedAt: Date[] = [];
      let proposedAt = clock.now();
      const outcome = await db.transaction(async (tx) => {
        const reg = await deps.registrations.get(tx, payload.registrationId, { forUpdate: true });
        if (!reg || reg.status !== 'queued' || reg.allocationRound !== payload.round) return 'skipped';
        const now = clock.now();
        proposedAt = now;
        const period = periodAt(now);
        // This family's refusals change only under its row lock, held already: read them before
        // the ledger lock, so the lock is held for one statement less.
        const refused = await repo.refusedFor(tx, reg.id);
        // The rest of the batch is locked before the ledger lock too (rows are skipped, never
        // waited for, and every path locks registrations before the ledger): the ledger lock is
        // then held only for the lock itself, the unavailable municipalities and the write.
        const others = await repo.lockQueued(tx, reg.id, BATCH - 1);
        const refusedOf = await repo.refusedForMany(tx, others.map((o) => o.id));
        const session = await deps.ledger.lock(tx);
        const { unavailable, declarations: open, mark } = await repo.availability(tx, period);
        const m = await maatwerkAt(tx, mark);
        const creditNights = await shelterCreditNights(tx, session.keyVersion);
        const events: Array<Parameters<RegistrationsRepository['addEvent']>[1]> = [];
        const audits: Array<{ action: string; resourceType: string; resourceId: string; registrationId: string }> = [];
        const proposals: Parameters<AllocationRepository['writeProposals']>[1]['proposals'] = [];
        const needsAttention: string[] = [];
        const notify: NotifyEvent[] = [];
        const reasons: Array<{ event: (typeof events)[number]; text: string }> = [];

        // Every choice is made in memory first (each sees the ones before it); the batch is then
        // written in one statement, so the ledger lock is held for a constant number of statements.
        const one = (r: RegistrationRow, rRefused: Refused): 'proposed' | 'needs_attention' => {
          const plan = planFor({ needs: r.needs, regionRestriction: (r.regionRestriction as { kind: RegionKind; code: string } | null) ?? null, workRegion: r.workRegion }, m.index, m.policy, open);
          const decision = session.choose({
            units: unitsOf(r),
            excluded: [...exclusionsFrom(r, rRefused, unavailable), ...plan.excluded],
            ...(plan.region ? { region: plan.region } : {}),
            network: r.networkMunicipalities,
            networkTolerance: settings.networkTolerance,
            preferences: plan.preferences,
            accrue: r.accruedKeyVersion === null,
          });
          if (decision.kind === 'needs_attention') {
            needsAttention.push(r.id);
            // The reason goes into the history, so the coordinator sees why nothing was allowed; it
            // is encrypted (bound to its event row) once the batch's choices are made.
            const event = {
              registrationId: r.id, action: 'no_allowed_municipality', fromStatus: 'queued' as const, toStatus: 'needs_attention' as const,
              actorSub: actor.sub, actorRole: actor.role, actorMunicipality: null, at: now,
            };
            events.push(event);
            reasons.push({ event, text: storedExplanation(decision.explanation, m, r, plan, null, creditNights).summaryNl });
            audits.push({ action: 'registration.needs_attention', resourceType: 'registration', resourceId: r.id, registrationId: r.id });
            notify.push(transitionEvent('no_allowed_municipality', { ...r, status: 'needs_attention' }, null, now)!);
            return 'needs_attention';
          }
          session.take(decision);
          queuedAt.push(r.updatedAt);
          const allocationId = randomUUID();
          // A dwelling declared there that fits is booked; later families in the batch see it taken.
          const declaration = pickDeclaration(open, decision.code, r.needs) ?? null;
          if (declaration) declaration.remaining--;
          proposals.push({
            allocationId, registrationId: r.id, municipality: decision.code, units: decision.units, keyVersion: decision.keyVersion,
            accrue: decision.accrue, firstProposal: r.firstProposedAt === null,
            explanation: storedExplanation(decision.explanation, m, r, plan, declaration, creditNights),
            capacityDeclarationId: declaration?.id ?? null,
          });
          // Capacity counts proposals: later families in this batch see this one's units.
          const full = unavailable.find((u) => u.code === decision.code);
          if (full) full.used += decision.units;
          events.push({
            registrationId: r.id, action: 'proposed', fromStatus: 'queued', toStatus: 'proposed', allocationId, municipality: decision.code,
            actorSub: actor.sub, actorRole: actor.role, actorMunicipality: null, at: now,
          });
          audits.push({ action: 'allocation.propose', resourceType: 'allocation', resourceId: allocationId, registrationId: r.id });
          notify.push(transitionEvent('proposed', { ...r, status: 'proposed' }, allocationId, now)!);
          return 'proposed';
        };

        const result = one(reg, refused);
        for (const o of others) one(o, refusedOf.get(o.id) ?? []);
        // Rare (nothing allowed): each reason's event id is taken first, to bind the ciphertext to that row.
        for (const { event, text } of reasons) {
          event.id = await deps.registrations.nextEventId(tx);
          event.reasonCiphertext = deps.pii.encrypt(text, bound('registration_events.reason_ciphertext', event.id));
        }
        if (proposals.length > 0 && !knownPeriods.has(period) && (await repo.ensurePeriod(tx, period))) knownPeriods.add(period);
        const seq = await tracing.inSpan(
          'allocation batch statement',
          () =>
            repo.writeProposals(tx, {
              period, now, actorSub: actor.sub, proposals, needsAttention, events, audit: auditRows(actor, audits, now),
              notify: notify.length > 0 ? notifyOutboxRow(notify, now) : null,
            }),
          { attributes: { 'db.system.name': 'postgresql', 'db.collection.name': 'allocations', 'spreiding.batch.proposals': proposals.length, 'spreiding.batch.needs_attention': needsAttention.length } },
        );
        if (seq !== null) session.booked(seq);
        settled = [reg, ...others].map((r) => roundKey(r.id, r.allocationRound));
        return result;
      });
      rememberSettled(settled);
      for (const at of queuedAt) deps.onProposed?.((proposedAt.getTime() - at.getTime()) / 1000);
      return outcome;
    },
  };
}
export type AllocationService = ReturnType<typeof createAllocationService>;
