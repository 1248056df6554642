// Emergency shelter at the reporting municipality (DESIGN §6): stays, nights and their cost.
import { randomUUID } from 'node:crypto';
import type { Db, Tx } from '../../db/client.js';
import type { RegistrationStatus } from '../../db/schema/index.js';
import { amsterdamDate, type Clock } from '../../clock.js';
import { AppError, illegalTransition, notFound, type FieldError } from '../../http/errors.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import { bound, type PiiCrypto } from '../pii/pii-crypto.js';
import type { PrivacyPolicy } from '../privacy/privacy-policy.js';
import { CLOSED_STATES } from '../privacy/privacy-policy.js';
import type { RegistrationRow, RegistrationsRepository } from '../registrations/registrations-repository.js';
import { canSee } from '../registrations/registrations-service.js';
import { closedPeriodsTouching, type ClosedPeriod, type ShelterRepository, type ShelterStayRow, type ShelterStayWithNights } from './shelter-repository.js';
import { EARLIEST_SHELTER_DATE, type CorrectShelterStay, type CreateShelterStay, type PatchShelterStay, type ShelterStayView } from './shelter-schemas.js';

/** Shelter ends with these states (§4: it runs from registration until transfer). */
const SHELTER_ENDED: RegistrationStatus[] = ['transferred', 'housed', 'closed'];

export interface ShelterDeps {
  db: Db;
  repo: ShelterRepository;
  registrations: RegistrationsRepository;
  audit: AuditService;
  pii: PiiCrypto;
  privacy: PrivacyPolicy;
  clock: Clock;
  /** CENTRAL_SHELTER: the coordination point may hold stays at a central facility. */
  centralShelter: boolean;
}

/** The values of a stay that an audit line may hold: everything but the location (personal data). */
const evidence = (s: ShelterStayRow) => ({ type: s.type, startDate: s.startDate, endDate: s.endDate, nightlyCostCents: s.nightlyCostCents });

/** Old and new values of what changed, for the audit line; of the location only that it changed. */
function changes(before: ShelterStayRow, after: ShelterStayRow): Record<string, unknown> {
  const old = evidence(before);
  const now = evidence(after);
  const changed = (Object.keys(old) as Array<keyof typeof old>).filter((k) => old[k] !== now[k]);
  return {
    old: Object.fromEntries(changed.map((k) => [k, old[k]])),
    new: Object.fromEntries(changed.map((k) => [k, now[k]])),
    locationChanged: before.locationCiphertext !== after.locationCiphertext,
  };
}

/** The day the registration's shelter ended (transfer, or the closing day), or null while it runs. */
function shelterEndedOn(reg: RegistrationRow): string | null {
  if (!SHELTER_ENDED.includes(reg.status)) return null;
  return reg.transferredOn ?? (reg.closedAt ? amsterdamDate(reg.closedAt) : null);
}

const spanOf = (s: ShelterStayRow) => `${s.startDate} to ${s.endDate ?? 'now (still open)'}`;

export function createShelterService(deps: ShelterDeps) {
  const { db, repo, pii, clock } = deps;

  /**
   * Why a stay can no longer be edited in place, or null: it has nights in a closed period (the
   * period's figures are settled evidence), or its case is closed or housed.
   */
  function lockedBecause(stay: ShelterStayRow, reg: RegistrationRow, closed: readonly ClosedPeriod[]): string | null {
    if (CLOSED_STATES.includes(reg.status)) return `its case is ${reg.status}`;
    const periods = closedPeriodsTouching(stay, closed);
    return periods.length > 0 ? `it has nights in the closed period ${periods.join(', ')}` : null;
  }

  const view = ({ stay, nights, costCents }: ShelterStayWithNights, reg: RegistrationRow, closed: readonly ClosedPeriod[], showLocation: boolean): ShelterStayView => ({
    id: stay.id,
    registrationId: stay.registrationId,
    municipality: stay.municipality,
    type: stay.type,
    startDate: stay.startDate,
    endDate: stay.endDate,
    nightlyCostCents: stay.nightlyCostCents,
    location: showLocation && stay.locationCiphertext ? pii.decrypt(stay.locationCiphertext, bound('shelter_stays.location_ciphertext', stay.id)) : null,
    closedAutomatically: stay.closedAutomatically,
    central: stay.central,
    corrects: stay.correctsId,
    locked: lockedBecause(stay, reg, closed) !== null,
    nights,
    costCents,
    createdAt: stay.createdAt.toISOString(),
    updatedAt: stay.updatedAt.toISOString(),
  });

  /** A stay as just written, for the caller that wrote it. */
  async function written(tx: Tx, principal: Principal, id: string, reg: RegistrationRow, today: string) {
    return view((await repo.getWithNights(tx, id, today))!, reg, await repo.closedPeriods(tx), deps.privacy.access(principal, reg) === 'available');
  }

  /**
   * Locks the registration row (SELECT … FOR UPDATE): every writer of one family's stays queues
   * here, so an overlap check and the write after it cannot interleave with another's.
   * Out of scope is 404; in scope but not the sheltering municipality is 403.
   */
  async function lockForWriting(tx: Tx, principal: Principal, registrationId: string, what: string): Promise<RegistrationRow> {
    const reg = await deps.registrations.get(tx, registrationId, { forUpdate: true });
    if (!reg || !canSee(principal, reg) || deps.privacy.access(principal, reg) === 'withheld') throw notFound(what);
    if (principal.role !== 'coordinator' && reg.reportingMunicipality !== principal.municipality) {
      throw new AppError('forbidden', 'Only the reporting municipality, which shelters the family, or the coordination point records shelter stays.');
    }
    return reg;
  }

  /** A stay and its registration, locked, for a change: the newest version only. */
  async function lockStay(tx: Tx, principal: Principal, stayId: string, found: ShelterStayRow) {
    const reg = await lockForWriting(tx, principal, found.registrationId, 'Shelter stay');
    // Read again under the lock: a concurrent update may have changed it meanwhile.
    const stay = (await repo.get(tx, stayId))!;
    const newer = await repo.correctionOf(tx, stay.id);
    if (newer) throw new AppError('conflict', `Stay ${stay.id} has been corrected by stay ${newer.id}; change that one instead.`);
    return { reg, stay };
  }

  function dateErrors(reg: RegistrationRow, start: string, end: string | null | undefined, today: string): FieldError[] {
    const errors: FieldError[] = [];
    const err = (pointer: string, code: string, message: string) => errors.push({ in: 'body', pointer, code, message });
    if (start > today) err('/startDate', 'future_date', 'must not be in the future');
    if (start < EARLIEST_SHELTER_DATE) err('/startDate', 'implausible_date', `must be ${EARLIEST_SHELTER_DATE} or later`);
    else if (start < reg.reportedOn) err('/startDate', 'before_registration', `must not be before the registration date (${reg.reportedOn})`);
    if (end) {
      // A stay that goes on is recorded open: a planned end date would outlive a transfer that comes sooner.
      if (end > today) err('/endDate', 'future_date', 'must not be in the future; leave the stay open until the family has left');
      if (end < EARLIEST_SHELTER_DATE) err('/endDate', 'implausible_date', `must be ${EARLIEST_SHELTER_DATE} or later`);
      else if (end < start) err('/endDate', 'before_start', `must not be before the start date (${start})`);
      const ended = shelterEndedOn(reg);
      if (ended && end > ended) err('/endDate', 'after_shelter_end', `must not be after the day the shelter ended (${ended})`);
    }
    return errors;
  }

  /** Direction B (central shelter) is a mode: off, no central stays; on, only the coordination point holds them. */
  function refuseCentral(principal: Principal) {
    if (!deps.centralShelter) {
      throw new AppError('validation_failed', 'The central shelter is not in use (CENTRAL_SHELTER).', {
        errors: [{ in: 'body', pointer: '/central', code: 'central_shelter_disabled', message: 'central shelter is not in use in this service' }],
      });
    }
    if (principal.role !== 'coordinator') throw new AppError('forbidden', 'Only the coordination point holds stays at the central facility.');
  }

  const invalid = (errors: FieldError[]) => new AppError('validation_failed', `The request has ${errors.length} invalid field(s); see errors.`, { errors });

  async function refuseOverlap(tx: Tx, registrationId: string, start: string, end: string | null, exceptId?: string) {
    const other = await repo.findOverlap(tx, registrationId, start, end, exceptId);
    if (other) {
      throw new AppError('overlapping_shelter_stay', `The stay ${start} to ${end ?? 'now (open)'} overlaps stay ${other.id} (${spanOf(other)}). End that stay first or correct the dates.`);
    }
  }

  const encryptLocation = (location: string | null, id: string) => (location === null ? null : pii.encrypt(location, bound('shelter_stays.location_ciphertext', id)));

  return {
    async create(actor: Actor, principal: Principal, registrationId: string, body: CreateShelterStay): Promise<ShelterStayView> {
      return db.transaction(async (tx) => {
        const reg = await lockForWriting(tx, principal, registrationId, 'Registration');
        const now = clock.now();
        const today = amsterdamDate(now);
        if (body.central) refuseCentral(principal);
        const errors = dateErrors(reg, body.startDate, body.endDate, today);
        if (errors.length > 0) throw invalid(errors);
        if (SHELTER_ENDED.includes(reg.status)) {
          throw illegalTransition(`The registration is ${reg.status}: its shelter has ended, so no new stay can be added.`);
        }
        const end = body.endDate ?? null;
        await refuseOverlap(tx, reg.id, body.startDate, end);
        const id = randomUUID();
        await repo.insert(tx, {
          id,
          registrationId: reg.id,
          // Shelter is the reporting municipality's, also when the coordinator records it.
          municipality: reg.reportingMunicipality,
          type: body.type,
          startDate: body.startDate,
          endDate: end,
          nightlyCostCents: body.nightlyCostCents,
          locationCiphertext: encryptLocation(body.location ?? null, id),
          closedAutomatically: false,
          central: body.central === true,
          createdAt: now,
          updatedAt: now,
        });
        await deps.audit.record(tx, actor, { action: 'shelter_stay.create', resourceType: 'shelter_stay', resourceId: id, registrationId: reg.id, statusCode: 201 });
        return written(tx, principal, id, reg, today);
      });
    },

    /** An edit in place, while the stay is not yet evidence of a closed period or case; the audit line holds old and new values. */
    async update(actor: Actor, principal: Principal, stayId: string, patch: PatchShelterStay): Promise<ShelterStayView> {
      const found = await repo.get(db, stayId);
      if (!found) throw notFound('Shelter stay');
      return db.transaction(async (tx) => {
        const { reg, stay } = await lockStay(tx, principal, stayId, found);
        const locked = lockedBecause(stay, reg, await repo.closedPeriods(tx));
        if (locked) {
          throw new AppError('shelter_stay_locked', `This stay can no longer be changed because ${locked}. Record a correction instead: POST /api/v1/shelter-stays/${stay.id}/corrections.`);
        }
        if (stay.central && principal.role !== 'coordinator') {
          throw new AppError('forbidden', 'A stay at the central facility is the coordination point\'s: only it changes it.');
        }
        const now = clock.now();
        const today = amsterdamDate(now);
        const endChanges = patch.endDate !== undefined && patch.endDate !== stay.endDate;
        const end = patch.endDate === undefined ? stay.endDate : patch.endDate;
        if (endChanges) {
          const errors = dateErrors(reg, stay.startDate, end, today).filter((e) => e.pointer === '/endDate');
          if (errors.length > 0) throw invalid(errors);
          if (end === null && SHELTER_ENDED.includes(reg.status)) {
            throw illegalTransition(`The registration is ${reg.status}: its shelter has ended, so the stay cannot be reopened.`);
          }
          await refuseOverlap(tx, reg.id, stay.startDate, end, stay.id);
        }
        await repo.update(tx, stay.id, {
          ...(patch.type !== undefined ? { type: patch.type } : {}),
          ...(patch.nightlyCostCents !== undefined ? { nightlyCostCents: patch.nightlyCostCents } : {}),
          ...(patch.location !== undefined ? { locationCiphertext: encryptLocation(patch.location, stay.id) } : {}),
          // An end date set by hand is no longer the automatic one.
          ...(endChanges ? { endDate: end, closedAutomatically: false } : {}),
          updatedAt: now,
        });
        const after = (await repo.get(tx, stay.id))!;
        await deps.audit.record(tx, actor, { action: 'shelter_stay.update', resourceType: 'shelter_stay', resourceId: stay.id, registrationId: reg.id, detail: changes(stay, after) });
        return written(tx, principal, stay.id, reg, today);
      });
    },

    /**
     * A correction: a new stay that references the corrected one, which stays as it was and no
     * longer counts. The only way to change the evidence of a closed period or a closed case, and
     * allowed for any stay. Absent members are copied from the corrected stay.
     */
    async correct(actor: Actor, principal: Principal, stayId: string, body: CorrectShelterStay): Promise<ShelterStayView> {
      const found = await repo.get(db, stayId);
      if (!found) throw notFound('Shelter stay');
      return db.transaction(async (tx) => {
        const { reg, stay } = await lockStay(tx, principal, stayId, found);
        const now = clock.now();
        const today = amsterdamDate(now);
        const start = body.startDate ?? stay.startDate;
        const end = body.endDate === undefined ? stay.endDate : body.endDate;
        const errors = dateErrors(reg, start, end, today);
        if (errors.length > 0) throw invalid(errors);
        if (end === null && stay.endDate !== null && SHELTER_ENDED.includes(reg.status)) {
          throw illegalTransition(`The registration is ${reg.status}: its shelter has ended, so the stay cannot be reopened.`);
        }
        await refuseOverlap(tx, reg.id, start, end, stay.id);
        const id = randomUUID();
        const location = body.location;
        await repo.insert(tx, {
          id,
          registrationId: reg.id,
          municipality: stay.municipality,
          type: body.type ?? stay.type,
          startDate: start,
          endDate: end,
          nightlyCostCents: body.nightlyCostCents ?? stay.nightlyCostCents,
          // An unchanged location is encrypted anew: a ciphertext is bound to its row.
          locationCiphertext:
            location !== undefined
              ? encryptLocation(location, id)
              : stay.locationCiphertext
                ? encryptLocation(pii.decrypt(stay.locationCiphertext, bound('shelter_stays.location_ciphertext', stay.id)), id)
                : null,
          closedAutomatically: body.endDate === undefined ? stay.closedAutomatically : false,
          correctsId: stay.id,
          createdAt: now,
          updatedAt: now,
        });
        const after = (await repo.get(tx, id))!;
        await deps.audit.record(tx, actor, {
          action: 'shelter_stay.correct',
          resourceType: 'shelter_stay',
          resourceId: id,
          registrationId: reg.id,
          statusCode: 201,
          detail: { corrects: stay.id, ...changes(stay, { ...after, locationCiphertext: location === undefined ? stay.locationCiphertext : after.locationCiphertext }) },
        });
        return written(tx, principal, id, reg, today);
      });
    },

    async list(actor: Actor, principal: Principal, registrationId: string, q: { page: number; pageSize: number }) {
      const reg = await deps.registrations.get(db, registrationId);
      if (!reg || !canSee(principal, reg)) throw notFound('Registration');
      const today = amsterdamDate(clock.now());
      const [{ rows, total, nights, costCents }, closed] = await Promise.all([
        repo.list(db, reg.id, today, { limit: q.pageSize, offset: (q.page - 1) * q.pageSize }),
        repo.closedPeriods(db),
      ]);
      const showLocation = deps.privacy.access(principal, reg) === 'available';
      // The location says where a family is: personal data, so the read is logged.
      await deps.audit.record(db, actor, { action: showLocation ? 'registration.read_shelter_stays' : 'registration.read_shelter_costs', resourceType: 'registration', resourceId: reg.id, registrationId: reg.id });
      return { items: rows.map((r) => view(r, reg, closed, showLocation)), page: q.page, pageSize: q.pageSize, total, totalNights: nights, totalCostCents: costCents };
    },
  };
}
export type ShelterService = ReturnType<typeof createShelterService>;
