import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { registrations } from '../../db/schema/index.js';
import { amsterdamDate, type Clock } from '../../clock.js';
import type { AllocationUnit } from '../../config.js';
import { AppError, notFound, type FieldError } from '../../http/errors.js';
import type { JobPayloads } from '../../jobs/jobs.js';
import { allocateJobId, type HandedOutboxRow } from '../../jobs/outbox.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import { createActiveCodes } from '../municipalities/active-codes.js';
import type { MunicipalitiesRepository } from '../municipalities/municipalities-repository.js';
import { bound, isValidBsn, type PiiCrypto } from '../pii/pii-crypto.js';
import { tracingOff, type Tracing } from '../tracing/tracing.js';
import type { PrivacyPolicy } from '../privacy/privacy-policy.js';
import { checkEligibility } from './eligibility.js';
import type { MaatwerkRepository } from '../maatwerk/maatwerk-repository.js';
import { intakeColumns, RECEIVER_VISIBLE, visibleTo, type RegistrationRow, type RegistrationsRepository } from './registrations-repository.js';
import type { CreateRegistration, RegistrationDetailView, RegistrationSummaryView } from './registrations-schemas.js';

const EARLIEST_DATE = '1900-01-01';

/** Parts of the Kingdom have ISO codes of their own; a family from there came from the Caribbean part or from within the Netherlands. */
const KINGDOM_CODES = new Set(['NL', 'AW', 'CW', 'SX', 'BQ']);
/** CLDR region codes that are not countries (unknown, EU, UN, pseudo-regions). */
const NOT_COUNTRIES = new Set(['ZZ', 'EU', 'EZ', 'UN', 'QO', 'XA', 'XB']);
const REGION_NAMES = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** The departure matches arrivedFrom, and a country is an assigned ISO 3166-1 code (CLDR's list through Intl). */
function departureErrors(e: CreateRegistration['eligibility']): FieldError[] {
  const errors: FieldError[] = [];
  const at = '/eligibility/departure';
  if (e.departure?.island && e.arrivedFrom !== 'caribbean_part') {
    errors.push({ in: 'body', pointer: `${at}/island`, code: 'island_needs_caribbean_part', message: 'an island of departure goes with arrivedFrom caribbean_part' });
  }
  const country = e.departure?.country;
  if (country) {
    if (e.arrivedFrom !== 'abroad') errors.push({ in: 'body', pointer: `${at}/country`, code: 'country_needs_abroad', message: 'a country of departure goes with arrivedFrom abroad' });
    else if (KINGDOM_CODES.has(country)) errors.push({ in: 'body', pointer: `${at}/country`, code: 'kingdom_country', message: 'is a part of the Kingdom: use arrivedFrom caribbean_part with an island' });
    else if (NOT_COUNTRIES.has(country) || REGION_NAMES.of(country) === undefined) errors.push({ in: 'body', pointer: `${at}/country`, code: 'unknown_country', message: 'is not an ISO 3166-1 alpha-2 country code' });
  }
  return errors;
}

export interface RegistrationsDeps {
  db: Db;
  repo: RegistrationsRepository;
  municipalities: MunicipalitiesRepository;
  audit: AuditService;
  pii: PiiCrypto;
  privacy: PrivacyPolicy;
  clock: Clock;
  unit: AllocationUnit;
  /** Which regions exist (the municipalities' profiles). */
  regions: Pick<MaatwerkRepository, 'regionExists'>;
  /** Hands the outbox row a commit wrote to the relay, which sends it without reading the table. */
  onOutboxWritten: (rows?: HandedOutboxRow[]) => void;
  /** The intake statement's span; its traceparent goes into the allocate job. */
  tracing?: Tracing;
}

export function summaryView(r: RegistrationRow): RegistrationSummaryView {
  return {
    id: r.id,
    status: r.status,
    reportingMunicipality: r.reportingMunicipality,
    receivingMunicipality: r.receivingMunicipality,
    reportedOn: r.reportedOn,
    subgroup: r.subgroup as RegistrationSummaryView['subgroup'],
    householdSize: r.adults + r.children,
    adults: r.adults,
    children: r.children,
    outcome: (r.outcome as RegistrationSummaryView['outcome']) ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** The birth year of a member: its own column once the birth date is erased, else the date's. */
export const birthYearOf = (m: { birthDate: string | null; birthYear: number | null }): number => m.birthYear ?? Number(m.birthDate!.slice(0, 4));

/** Can this principal see the registration at all? Out of scope is indistinguishable from absent (404). */
export function canSee(p: Principal, r: RegistrationRow): boolean {
  if (p.role === 'coordinator') return true;
  if (p.role !== 'municipality') return false;
  if (r.reportingMunicipality === p.municipality) return true;
  return r.receivingMunicipality === p.municipality && RECEIVER_VISIBLE.includes(r.status);
}

/** Canonical JSON (sorted keys), so the same body in another key order is the same request. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const INTAKE_SPAN = { 'db.system.name': 'postgresql', 'db.operation.name': 'INSERT', 'db.collection.name': 'registrations' };

export function createRegistrationsService(deps: RegistrationsDeps) {
  const { db, repo, pii, clock } = deps;
  const tracing = deps.tracing ?? tracingOff;
  const activeCodes = createActiveCodes(db, deps.municipalities);

  /** Field rules the schema cannot express; all reported at once. */
  async function fieldErrors(body: CreateRegistration, today: string): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    const err = (pointer: string, code: string, message: string) => errors.push({ in: 'body', pointer, code, message });
    if (body.reportedOn > today) err('/reportedOn', 'future_date', 'must not be in the future');
    if (body.reportedOn < '2000-01-01') err('/reportedOn', 'implausible_date', 'must be 2000-01-01 or later');
    const assessed = body.eligibility.selfRelianceAssessment.assessedOn;
    if (assessed > today) err('/eligibility/selfRelianceAssessment/assessedOn', 'future_date', 'must not be in the future');
    if (assessed < EARLIEST_DATE) err('/eligibility/selfRelianceAssessment/assessedOn', 'implausible_date', `must be ${EARLIEST_DATE} or later`);
    errors.push(...departureErrors(body.eligibility));
    const seen = new Map<string, string>();
    for (const group of ['adults', 'children'] as const) {
      body.household[group].forEach((p, i) => {
        const at = `/household/${group}/${i}`;
        if (!isValidBsn(p.bsn)) err(`${at}/bsn`, 'bsn_checksum', 'is not a valid BSN (11-proef)');
        else if (seen.has(p.bsn)) err(`${at}/bsn`, 'bsn_duplicate', `is the same BSN as ${seen.get(p.bsn)}`);
        else seen.set(p.bsn, at);
        if (p.birthDate > body.reportedOn) err(`${at}/birthDate`, 'after_registration', 'must not be after the registration date');
        if (p.birthDate < EARLIEST_DATE) err(`${at}/birthDate`, 'implausible_date', `must be ${EARLIEST_DATE} or later`);
      });
    }
    const network = body.networkMunicipalities ?? [];
    const excluded = body.excludedMunicipalities ?? [];
    const known = await activeCodes.existing([body.reportingMunicipality, ...network, ...excluded]);
    if (!known.has(body.reportingMunicipality)) err('/reportingMunicipality', 'unknown_municipality', 'is not an existing municipality');
    network.forEach((c, i) => {
      if (!known.has(c)) err(`/networkMunicipalities/${i}`, 'unknown_municipality', 'is not an existing municipality');
      if (excluded.includes(c)) err(`/networkMunicipalities/${i}`, 'also_excluded', 'is also in excludedMunicipalities');
    });
    excluded.forEach((c, i) => {
      if (!known.has(c)) err(`/excludedMunicipalities/${i}`, 'unknown_municipality', 'is not an existing municipality');
    });
    // A region nobody belongs to would send the family straight to needs_attention: refuse it now.
    if (body.regionRestriction && !(await deps.regions.regionExists(db, body.regionRestriction.kind, body.regionRestriction.code))) {
      err('/regionRestriction/code', 'unknown_region', `no municipality belongs to this ${body.regionRestriction.kind} region`);
    }
    if (body.workRegion && !(await deps.regions.regionExists(db, 'labour_market', body.workRegion))) {
      err('/workRegion', 'unknown_region', 'no municipality belongs to this labour-market region');
    }
    return errors;
  }

  async function duplicateConflict(actor: Actor, principal: Principal, hmacs: string[]): Promise<AppError> {
    await db.transaction(async (tx) => {
      const claim = await repo.findClaim(tx, hmacs);
      if (!claim) return;
      await repo.recordDuplicateAttempt(tx, {
        existingRegistrationId: claim.registrationId,
        attemptedBy: principal.municipality!,
        attemptedBySub: principal.sub,
        attemptedAt: clock.now(),
      });
      await deps.audit.record(tx, actor, {
        action: 'registration.duplicate_attempt',
        resourceType: 'registration',
        resourceId: claim.registrationId,
        registrationId: claim.registrationId,
        statusCode: 409,
      });
    });
    // Which municipality holds the family is not revealed; the coordinator sees the link.
    return new AppError('duplicate_registration', 'A member of this household is already in an active registration. The coordination point has been notified and will contact you.');
  }

  async function replay(existing: { requestHash: string; registrationId: string }, requestHash: string) {
    if (existing.requestHash !== requestHash) {
      throw new AppError('idempotency_key_reused', 'This Idempotency-Key was used before with a different request body; use a new key.');
    }
    const row = await repo.get(db, existing.registrationId);
    return { registration: summaryView(row!), replayed: true };
  }

  /**
   * The whole write of an intake as one statement (so atomic without BEGIN/COMMIT): the
   * registration, its members, their BSN claims, the 'registered' event, the allocate job's outbox
   * row and the audit line, and the idempotency key when one was sent. The event, outbox and audit
   * rows are the ones repo.addEvent, enqueueInTx and audit.record write for the other callers,
   * with one clock reading for every timestamp. A member already claimed fails the statement on
   * active_bsn_claims_pkey. With a key, every insert hangs off the key's insert: a key taken by an
   * earlier request inserts nothing, and undefined is returned (otherwise the outbox row, for the relay).
   */
  async function insertRegistration(r: {
    id: string;
    now: Date;
    body: CreateRegistration;
    principal: Principal;
    actor: Actor;
    members: Array<{ id: string; role: 'adult' | 'child'; position: number; bsn_hmac: string; bsn_ciphertext: string; name_ciphertext: string; birth_date: string }>;
    idempotency: { key: string; requestHash: string } | undefined;
  }): Promise<HandedOutboxRow | undefined> {
    const { id, body, actor, principal } = r;
    return tracing.inSpan('registration intake statement', async () => {
      const traceparent = tracing.traceparent();
      const job: JobPayloads['allocate'] = {
        v: 1, registrationId: id, round: 1, ...(actor.traceId ? { traceId: actor.traceId } : {}), ...(traceparent ? { traceparent } : {}),
      };
      const outboxRow = { id: randomUUID(), jobName: 'allocate', jobId: allocateJobId(id, 1), payload: job };
      const inserted = await repo.insertIntake(db, {
        id,
        ...intakeColumns(body),
        notesCiphertext: body.notes ? pii.encrypt(body.notes, bound('registrations.notes_ciphertext', id)) : null,
        now: r.now,
        createdBySub: principal.sub,
        members: r.members,
        actor: { sub: actor.sub, role: actor.role, municipality: principal.municipality ?? null, organisation: actor.organisation, traceId: actor.traceId },
        outbox: outboxRow,
        idempotency: r.idempotency,
      });
      return inserted ? outboxRow : undefined;
    }, { attributes: INTAKE_SPAN });
  }

  return {
    async create(actor: Actor, principal: Principal, body: CreateRegistration, idempotencyKey: string | undefined) {
      if (principal.role !== 'municipality' || body.reportingMunicipality !== principal.municipality) {
        throw new AppError('forbidden', 'A municipality registers families it reports itself: reportingMunicipality must be your own.');
      }
      const now = clock.now();
      const today = amsterdamDate(now);
      let requestHash: string | undefined;
      // The key is the client's own text, and clients put anything in it (a case number, a BSN):
      // it is stored and looked up as a keyed hash, never as sent.
      const keyHash = idempotencyKey ? pii.keyedHash('idempotency-key', idempotencyKey) : undefined;
      if (keyHash) {
        // Keyed: the body holds BSNs and names, and an unkeyed hash of it could be confirmed by guessing.
        requestHash = pii.keyedHash('idempotency', canonical(body));
        const existing = await repo.findIdempotencyKey(db, principal.sub, keyHash);
        if (existing) return replay(existing, requestHash);
      }

      const errors = await fieldErrors(body, today);
      if (errors.length > 0) {
        throw new AppError('validation_failed', `The request has ${errors.length} invalid field(s); see errors.`, { errors });
      }
      const failed = checkEligibility(body, today);
      if (failed.length > 0) {
        throw new AppError('eligibility_failed', `${failed.length} eligibility criterion/criteria not met; see criteria.`, { criteria: failed });
      }

      const members = [...body.household.adults.map((p, i) => ({ p, role: 'adult' as const, i })), ...body.household.children.map((p, i) => ({ p, role: 'child' as const, i }))];
      const hmacs = members.map((m) => pii.hmacBsn(m.p.bsn));
      // No check of the BSN claims beforehand: the claims' primary key refuses a member already in
      // an active registration (race-safe), and the duplicate path below runs on that violation.
      const id = randomUUID();
      const adults = body.household.adults.length;
      const children = body.household.children.length;
      let inserted: HandedOutboxRow | undefined;
      try {
        inserted = await insertRegistration({
          id,
          now,
          body,
          principal,
          actor,
          members: members.map((m, k) => {
            const memberId = randomUUID();
            return {
              id: memberId,
              role: m.role,
              position: m.i,
              bsn_hmac: hmacs[k]!,
              bsn_ciphertext: pii.encrypt(m.p.bsn, bound('household_members.bsn_ciphertext', memberId)),
              name_ciphertext: pii.encrypt(m.p.name, bound('household_members.name_ciphertext', memberId)),
              birth_date: m.p.birthDate,
            };
          }),
          idempotency: keyHash ? { key: keyHash, requestHash: requestHash! } : undefined,
        });
      } catch (err) {
        if (isUniqueViolation(err, 'active_bsn_claims_pkey')) throw await duplicateConflict(actor, principal, hmacs);
        throw err;
      }
      if (!inserted) {
        // Another request with this Idempotency-Key committed first: answer as it was answered.
        const existing = await repo.findIdempotencyKey(db, principal.sub, keyHash!);
        return replay(existing!, requestHash!);
      }
      deps.onOutboxWritten([inserted]);
      // The answer from the values just written (what a re-read of the row would give).
      const at = now.toISOString();
      const registration: RegistrationSummaryView = {
        id,
        status: 'queued',
        reportingMunicipality: body.reportingMunicipality,
        receivingMunicipality: null,
        reportedOn: body.reportedOn,
        subgroup: body.subgroup,
        householdSize: adults + children,
        adults,
        children,
        outcome: null,
        createdAt: at,
        updatedAt: at,
      };
      return { registration, replayed: false };
    },

    async list(principal: Principal, q: { status?: string; reportingMunicipality?: string; receivingMunicipality?: string; page: number; pageSize: number }) {
      const where = and(
        visibleTo(principal),
        q.status ? eq(registrations.status, q.status as RegistrationRow['status']) : undefined,
        q.reportingMunicipality ? eq(registrations.reportingMunicipality, q.reportingMunicipality) : undefined,
        q.receivingMunicipality ? eq(registrations.receivingMunicipality, q.receivingMunicipality) : undefined,
      );
      const { rows, total } = await repo.list(db, where, { limit: q.pageSize, offset: (q.page - 1) * q.pageSize });
      return { items: rows.map(summaryView), page: q.page, pageSize: q.pageSize, total };
    },

    /** Loads a registration the caller may see, or 404. */
    async visible(tx: DbOrTx, principal: Principal, id: string, opts: { forUpdate?: boolean } = {}) {
      const row = await repo.get(tx, id, opts);
      if (!row || !canSee(principal, row)) throw notFound('Registration');
      return row;
    },

    async summary(principal: Principal, id: string): Promise<RegistrationSummaryView> {
      return summaryView(await this.visible(db, principal, id));
    },

    /**
     * The case with its personal data while the caller may see it (privacy-policy.ts); once that
     * is withheld or erased, the same shape without it: the status, dates, municipalities and
     * household composition (birth years) stay, names, BSNs, birth dates, notes, needs and the
     * family's municipality preferences do not. Only a read that shows personal data is logged as one.
     */
    async detail(actor: Actor, principal: Principal, id: string): Promise<RegistrationDetailView> {
      const row = await this.visible(db, principal, id);
      const access = deps.privacy.access(principal, row);
      const shown = access === 'available';
      const [members, activeAllocationId] = await Promise.all([repo.members(db, id), repo.activeAllocationId(db, id)]);
      await deps.audit.record(db, actor, { action: shown ? 'registration.read_personal_data' : 'registration.read', resourceType: 'registration', resourceId: id, registrationId: id });
      const person = (m: (typeof members)[number]) => ({
        bsn: shown && m.bsnCiphertext ? pii.decrypt(m.bsnCiphertext, bound('household_members.bsn_ciphertext', m.id)) : null,
        name: shown && m.nameCiphertext ? pii.decrypt(m.nameCiphertext, bound('household_members.name_ciphertext', m.id)) : null,
        birthDate: shown ? m.birthDate : null,
        birthYear: birthYearOf(m),
      });
      return {
        ...summaryView(row),
        eligibility: row.eligibility as RegistrationDetailView['eligibility'],
        household: { adults: members.filter((m) => m.role === 'adult').map(person), children: members.filter((m) => m.role === 'child').map(person) },
        networkMunicipalities: shown ? row.networkMunicipalities : [],
        excludedMunicipalities: shown ? row.excludedMunicipalities : [],
        needs: (shown ? row.needs : {}) as RegistrationDetailView['needs'],
        regionRestriction: shown ? ((row.regionRestriction as RegistrationDetailView['regionRestriction']) ?? null) : null,
        workRegion: shown ? row.workRegion : null,
        notes: shown && row.notesCiphertext ? pii.decrypt(row.notesCiphertext, bound('registrations.notes_ciphertext', row.id)) : null,
        activeAllocationId,
        transferredOn: row.transferredOn,
        personalData: access,
        pseudonymisedAt: row.pseudonymisedAt?.toISOString() ?? null,
        ...(principal.role === 'coordinator' ? { duplicateAttempts: await this.duplicateAttempts(id), earlierCase: await this.earlierCase(id) } : {}),
      };
    },

    async history(actor: Actor, principal: Principal, id: string) {
      const row = await this.visible(db, principal, id);
      const shown = deps.privacy.access(principal, row) === 'available';
      const events = await repo.events(db, id);
      await deps.audit.record(db, actor, { action: 'registration.read_history', resourceType: 'registration', resourceId: id, registrationId: id });
      return {
        items: events.map((e) => ({
          at: e.at.toISOString(),
          action: e.action,
          fromStatus: e.fromStatus as never,
          toStatus: e.toStatus as never,
          allocationId: e.allocationId,
          municipality: e.municipality,
          actor: { sub: e.actorSub, role: e.actorRole, municipality: e.actorMunicipality },
          reason: shown && e.reasonCiphertext ? pii.decrypt(e.reasonCiphertext, bound('registration_events.reason_ciphertext', e.id)) : null,
        })),
      };
    },

    /**
     * Coordinator only: the household's earlier closed case, and whether it used the return
     * scheme before (an earlier case closed as returned_abroad): repeated use is flagged.
     */
    async earlierCase(id: string): Promise<RegistrationDetailView['earlierCase']> {
      const link = await repo.earlierCase(db, id);
      if (!link) return null;
      return {
        registrationId: link.earlierRegistrationId,
        outcome: (link.earlierOutcome as NonNullable<RegistrationDetailView['earlierCase']>['outcome']) ?? null,
        earlierCases: link.earlierCases,
        repeatedReturn: link.earlierReturns > 0,
      };
    },

    async duplicateAttempts(id: string) {
      const rows = await repo.duplicateAttempts(db, id);
      return rows.map((r) => ({ attemptedBy: r.attemptedBy, attemptedAt: r.attemptedAt.toISOString() }));
    },

    unitsOf(r: RegistrationRow): number {
      return deps.unit === 'persons' ? r.adults + r.children : 1;
    },
  };
}
export type RegistrationsService = ReturnType<typeof createRegistrationsService>;

