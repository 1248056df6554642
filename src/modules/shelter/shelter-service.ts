// Emergency shelter at the reporting municipality (DESIGN §6): stays, nights and their cost.
import { randomUUID } from 'node:crypto';
import type { Db, Tx } from '../../db/client.js';
import type { RegistrationStatus } from '../../db/schema/index.js';
import { amsterdamDate, type Clock } from '../../clock.js';
import { AppError, illegalTransition, notFound, type FieldError } from '../../http/errors.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import { bound, type PiiCrypto } from '../pii/pii-crypto.js';
import type { RegistrationRow, RegistrationsRepository } from '../registrations/registrations-repository.js';
import { canSee } from '../registrations/registrations-service.js';
import type { ShelterRepository, ShelterStayRow, ShelterStayWithNights } from './shelter-repository.js';
import type { CreateShelterStay, PatchShelterStay, ShelterStayView } from './shelter-schemas.js';

/** Shelter ends with these states (§4: it runs from registration until transfer). */
const SHELTER_ENDED: RegistrationStatus[] = ['transferred', 'housed', 'closed'];

export interface ShelterDeps {
  db: Db;
  repo: ShelterRepository;
  registrations: RegistrationsRepository;
  audit: AuditService;
  pii: PiiCrypto;
  clock: Clock;
}

/** The day the registration's shelter ended (transfer, or the closing day), or null while it runs. */
function shelterEndedOn(reg: RegistrationRow): string | null {
  if (!SHELTER_ENDED.includes(reg.status)) return null;
  return reg.transferredOn ?? (reg.closedAt ? amsterdamDate(reg.closedAt) : null);
}

const spanOf = (s: ShelterStayRow) => `${s.startDate} to ${s.endDate ?? 'now (still open)'}`;

export function createShelterService(deps: ShelterDeps) {
  const { db, repo, pii, clock } = deps;

  const view = ({ stay, nights, costCents }: ShelterStayWithNights): ShelterStayView => ({
    id: stay.id,
    registrationId: stay.registrationId,
    municipality: stay.municipality,
    type: stay.type,
    startDate: stay.startDate,
    endDate: stay.endDate,
    nightlyCostCents: stay.nightlyCostCents,
    location: stay.locationCiphertext ? pii.decrypt(stay.locationCiphertext, bound('shelter_stays.location_ciphertext', stay.id)) : null,
    closedAutomatically: stay.closedAutomatically,
    nights,
    costCents,
    createdAt: stay.createdAt.toISOString(),
    updatedAt: stay.updatedAt.toISOString(),
  });

  /**
   * Locks the registration row (SELECT … FOR UPDATE): every writer of one family's stays queues
   * here, so an overlap check and the write after it cannot interleave with another's.
   * Out of scope is 404; in scope but not the sheltering municipality is 403.
   */
  async function lockForWriting(tx: Tx, principal: Principal, registrationId: string, what: string): Promise<RegistrationRow> {
    const reg = await deps.registrations.get(tx, registrationId, { forUpdate: true });
    if (!reg || !canSee(principal, reg)) throw notFound(what);
    if (principal.role !== 'coordinator' && reg.reportingMunicipality !== principal.municipality) {
      throw new AppError('forbidden', 'Only the reporting municipality, which shelters the family, or the coordination point records shelter stays.');
    }
    return reg;
  }

  function dateErrors(reg: RegistrationRow, start: string, end: string | null | undefined, today: string): FieldError[] {
    const errors: FieldError[] = [];
    const err = (pointer: string, code: string, message: string) => errors.push({ in: 'body', pointer, code, message });
    if (start > today) err('/startDate', 'future_date', 'must not be in the future');
    if (start < reg.reportedOn) err('/startDate', 'before_registration', `must not be before the registration date (${reg.reportedOn})`);
    if (end) {
      // A stay that goes on is recorded open: a planned end date would outlive a transfer that comes sooner.
      if (end > today) err('/endDate', 'future_date', 'must not be in the future; leave the stay open until the family has left');
      if (end < start) err('/endDate', 'before_start', `must not be before the start date (${start})`);
      const ended = shelterEndedOn(reg);
      if (ended && end > ended) err('/endDate', 'after_shelter_end', `must not be after the day the shelter ended (${ended})`);
    }
    return errors;
  }

  const invalid = (errors: FieldError[]) => new AppError('validation_failed', `The request has ${errors.length} invalid field(s); see errors.`, { errors });

  async function refuseOverlap(tx: Tx, registrationId: string, start: string, end: string | null, exceptId?: string) {
    const other = await repo.findOverlap(tx, registrationId, start, end, exceptId);
    if (other) {
      throw new AppError('overlapping_shelter_stay', `The stay ${start} to ${end ?? 'now (open)'} overlaps stay ${other.id} (${spanOf(other)}). End that stay first or correct the dates.`);
    }
  }

  return {
    async create(actor: Actor, principal: Principal, registrationId: string, body: CreateShelterStay): Promise<ShelterStayView> {
      return db.transaction(async (tx) => {
        const reg = await lockForWriting(tx, principal, registrationId, 'Registration');
        const now = clock.now();
        const today = amsterdamDate(now);
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
          locationCiphertext: body.location ? pii.encrypt(body.location, bound('shelter_stays.location_ciphertext', id)) : null,
          closedAutomatically: false,
          createdAt: now,
          updatedAt: now,
        });
        await deps.audit.record(tx, actor, { action: 'shelter_stay.create', resourceType: 'shelter_stay', resourceId: id, registrationId: reg.id, statusCode: 201 });
        return view((await repo.getWithNights(tx, id, today))!);
      });
    },

    async update(actor: Actor, principal: Principal, stayId: string, patch: PatchShelterStay): Promise<ShelterStayView> {
      const found = await repo.get(db, stayId);
      if (!found) throw notFound('Shelter stay');
      return db.transaction(async (tx) => {
        const reg = await lockForWriting(tx, principal, found.registrationId, 'Shelter stay');
        // Read again under the lock: a concurrent update may have changed it meanwhile.
        const stay = (await repo.get(tx, stayId))!;
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
          ...(patch.location !== undefined ? { locationCiphertext: patch.location === null ? null : pii.encrypt(patch.location, bound('shelter_stays.location_ciphertext', stay.id)) } : {}),
          // An end date set by hand is no longer the automatic one.
          ...(endChanges ? { endDate: end, closedAutomatically: false } : {}),
          updatedAt: now,
        });
        await deps.audit.record(tx, actor, { action: 'shelter_stay.update', resourceType: 'shelter_stay', resourceId: stay.id, registrationId: reg.id });
        return view((await repo.getWithNights(tx, stay.id, today))!);
      });
    },

    async list(actor: Actor, principal: Principal, registrationId: string, q: { page: number; pageSize: number }) {
      const reg = await deps.registrations.get(db, registrationId);
      if (!reg || !canSee(principal, reg)) throw notFound('Registration');
      const today = amsterdamDate(clock.now());
      const { rows, total, nights, costCents } = await repo.list(db, reg.id, today, { limit: q.pageSize, offset: (q.page - 1) * q.pageSize });
      // The location says where a family is: personal data, so the read is logged.
      await deps.audit.record(db, actor, { action: 'registration.read_shelter_stays', resourceType: 'registration', resourceId: reg.id, registrationId: reg.id });
      return { items: rows.map(view), page: q.page, pageSize: q.pageSize, total, totalNights: nights, totalCostCents: costCents };
    },
  };
}
export type ShelterService = ReturnType<typeof createShelterService>;
