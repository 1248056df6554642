// Housing offers (issue 15): a housing corporation offers a dwelling to a family approved for a
// municipality in its working area; the receiving municipality (or the coordination point) accepts
// or declines it. Dates, bedrooms and accessibility only: no address, nothing about a person.
import { randomUUID } from 'node:crypto';
import type { Db, Tx } from '../../db/client.js';
import type { HousingOfferStatus, RegistrationStatus } from '../../db/schema/index.js';
import { amsterdamDate, type Clock } from '../../clock.js';
import { AppError, illegalTransition, notFound, type FieldError } from '../../http/errors.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import type { RegistrationRow, RegistrationsRepository } from '../registrations/registrations-repository.js';
import { offersVisibleTo, type HousingOfferRow, type HousingOffersRepository } from './housing-offers-repository.js';
import type { CreateHousingOffer, HousingOfferView, PatchHousingOffer } from './housing-offers-schemas.js';

/** A family can be offered a dwelling from approval until it has moved (as a corporation sees it: assigned-families). */
const OFFERABLE: readonly RegistrationStatus[] = ['approved', 'accepted', 'transferred'];

type Part = 'corporation' | 'receiver';
/** Who sets a status: the corporation that made the offer withdraws it, the receiving side decides on it. */
const SET_BY: Record<Exclude<HousingOfferStatus, 'offered'>, Part> = { accepted: 'receiver', declined: 'receiver', withdrawn: 'corporation' };
/**
 * Where an offer may go. It is final once declined or withdrawn; an accepted offer can still fall
 * through (the corporation withdraws it) or be turned down after all (declined): the dwelling is
 * then free again for another family.
 */
const NEXT: Record<HousingOfferStatus, readonly HousingOfferStatus[]> = {
  offered: ['accepted', 'declined', 'withdrawn'],
  accepted: ['declined', 'withdrawn'],
  declined: [],
  withdrawn: [],
};

const UNIQUE_VIOLATION = '23505';

const view = (o: HousingOfferRow): HousingOfferView => ({
  id: o.id,
  registrationId: o.registrationId,
  municipality: o.municipality,
  offeredOn: o.offeredOn,
  moveInDate: o.moveInDate,
  bedrooms: o.bedrooms,
  accessible: o.accessible,
  status: o.status,
  createdAt: o.createdAt.toISOString(),
  updatedAt: o.updatedAt.toISOString(),
});

/** What an audit line records of an offer: what can change (nothing in an offer is personal data). */
const facts = (o: HousingOfferRow) => ({ status: o.status, moveInDate: o.moveInDate });

export function createHousingOffersService(deps: { db: Db; repo: HousingOffersRepository; registrations: RegistrationsRepository; audit: AuditService; clock: Clock }) {
  const { db, repo, clock } = deps;
  const invalid = (errors: FieldError[]) => new AppError('validation_failed', `The offer has ${errors.length} problem(s); see errors.`, { errors });

  /** The caller's part in an offer it can see: the corporation that made it, or the receiving side. */
  const partOf = (p: Principal): Part => (p.role === 'housing_corporation' ? 'corporation' : 'receiver');

  /** An offer is accepted only while the family can still move: approved, accepted or transferred. */
  async function refuseAcceptanceOfGone(tx: Tx, registrationId: string) {
    const reg: RegistrationRow | undefined = await deps.registrations.get(tx, registrationId);
    if (!reg || !OFFERABLE.includes(reg.status)) throw illegalTransition(`The family's case is ${reg?.status ?? 'gone'}: an offer can no longer be accepted.`);
  }

  return {
    /**
     * Only for a family approved (or later) for a municipality in the corporation's working area;
     * any other family does not exist for it (404). The dwelling is in the receiving municipality.
     */
    async create(actor: Actor, principal: Principal, body: CreateHousingOffer): Promise<HousingOfferView> {
      return db.transaction(async (tx) => {
        // Locked, so the family cannot be closed or re-allocated between the check and the insert.
        const reg = await deps.registrations.get(tx, body.registrationId, { forUpdate: true });
        const area = principal.municipalities ?? [];
        if (!reg || !OFFERABLE.includes(reg.status) || !reg.receivingMunicipality || !area.includes(reg.receivingMunicipality)) throw notFound('Registration');
        const today = amsterdamDate(clock.now());
        const errors: FieldError[] = [];
        const err = (pointer: string, code: string, message: string) => errors.push({ in: 'body', pointer, code, message });
        if (body.municipality !== reg.receivingMunicipality) {
          err('/municipality', 'not_receiving_municipality', `must be the family's receiving municipality (${reg.receivingMunicipality})`);
        }
        if (body.offeredOn > today) err('/offeredOn', 'future_date', 'must not be in the future');
        const approvedOn = reg.approvedAt ? amsterdamDate(reg.approvedAt) : null;
        if (approvedOn && body.offeredOn < approvedOn) err('/offeredOn', 'before_approval', `must not be before the family was approved (${approvedOn})`);
        if (body.moveInDate && body.moveInDate < body.offeredOn) err('/moveInDate', 'before_offer', 'must not be before offeredOn');
        if (errors.length > 0) throw invalid(errors);
        const now = clock.now();
        const row: HousingOfferRow = {
          id: randomUUID(),
          registrationId: reg.id,
          municipality: body.municipality,
          offeredOn: body.offeredOn,
          moveInDate: body.moveInDate,
          bedrooms: body.bedrooms,
          accessible: body.accessible,
          status: 'offered',
          corporationSub: principal.sub,
          createdAt: now,
          updatedAt: now,
          updatedBySub: principal.sub,
          updatedByRole: principal.role,
        };
        await repo.insert(tx, row);
        await deps.audit.record(tx, actor, { action: 'housing-offer.create', resourceType: 'housing-offer', resourceId: row.id, registrationId: reg.id, detail: facts(row) });
        return view(row);
      });
    },

    async get(principal: Principal, id: string): Promise<HousingOfferView> {
      const row = await repo.get(db, id, offersVisibleTo(principal));
      if (!row) throw notFound('Housing offer');
      return view(row);
    },

    async list(principal: Principal, q: { registrationId?: string | undefined; page: number; pageSize: number }) {
      const { rows, total } = await repo.list(db, { visible: offersVisibleTo(principal), registrationId: q.registrationId }, q);
      return { items: rows.map(view), page: q.page, pageSize: q.pageSize, total };
    },

    /**
     * The corporation that made the offer sets the move-in date or withdraws it; the receiving
     * municipality or the coordinator accepts or declines it. Out of scope is 404; a change that
     * is not the caller's to make is 403; one the offer's state does not allow is 409.
     */
    async update(actor: Actor, principal: Principal, id: string, patch: PatchHousingOffer): Promise<HousingOfferView> {
      try {
        return await db.transaction(async (tx) => {
          const offer = await repo.get(tx, id, offersVisibleTo(principal), { forUpdate: true });
          if (!offer) throw notFound('Housing offer');
          const part = partOf(principal);
          if (patch.moveInDate !== undefined && part !== 'corporation') throw new AppError('forbidden', 'Only the housing corporation that made the offer sets its move-in date.');
          if (patch.status !== undefined && SET_BY[patch.status] !== part) {
            throw new AppError('forbidden', part === 'corporation' ? 'A housing corporation withdraws its offer; the receiving municipality accepts or declines it.' : 'Only the housing corporation that made the offer withdraws it.');
          }
          if (patch.status !== undefined && !NEXT[offer.status].includes(patch.status)) throw illegalTransition(`An offer that is ${offer.status} cannot become ${patch.status}.`);
          const next = patch.status ?? offer.status;
          if (patch.moveInDate !== undefined && (next === 'declined' || next === 'withdrawn')) throw illegalTransition(`The move-in date of an offer that is ${next} cannot change.`);
          if (patch.moveInDate && patch.moveInDate < offer.offeredOn) {
            throw invalid([{ in: 'body', pointer: '/moveInDate', code: 'before_offer', message: `must not be before the day of the offer (${offer.offeredOn})` }]);
          }
          if (patch.status === 'accepted') await refuseAcceptanceOfGone(tx, offer.registrationId);
          const after = await repo.update(tx, id, {
            status: next,
            ...(patch.moveInDate !== undefined ? { moveInDate: patch.moveInDate } : {}),
            updatedAt: clock.now(),
            updatedBySub: principal.sub,
            updatedByRole: principal.role,
          });
          await deps.audit.record(tx, actor, {
            action: 'housing-offer.update',
            resourceType: 'housing-offer',
            resourceId: id,
            registrationId: offer.registrationId,
            detail: { old: facts(offer), new: facts(after) },
          });
          return view(after);
        });
      } catch (err) {
        // The index allows one accepted offer per family: a second acceptance, also a concurrent one.
        if ((err as { code?: string }).code === UNIQUE_VIOLATION || (err as { cause?: { code?: string } }).cause?.code === UNIQUE_VIOLATION) {
          throw illegalTransition('The family has accepted another offer already; decline or withdraw that one first.');
        }
        throw err;
      }
    },
  };
}
export type HousingOffersService = ReturnType<typeof createHousingOffersService>;
