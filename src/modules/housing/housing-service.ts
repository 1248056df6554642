import { and, asc, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { householdMembers, registrations } from '../../db/schema/index.js';
import { amsterdamDate, type Clock } from '../../clock.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import { ageOn } from '../review/review-service.js';
import { liveOffersOf } from './housing-offers-repository.js';

/** A housing corporation sees a family from approval until it is housed (then it has a home). */
const VISIBLE = ['approved', 'accepted', 'transferred'] as const;

export function createHousingService(deps: { db: Db; audit: AuditService; clock: Clock }) {
  const { db } = deps;
  return {
    async list(actor: Actor, principal: Principal, q: { municipality?: string; page: number; pageSize: number }) {
      const area = principal.municipalities ?? [];
      // A municipality outside the working area is simply not there: an empty page, not an error.
      const codes = q.municipality ? area.filter((c) => c === q.municipality) : [...area];
      const where = and(inArray(registrations.status, [...VISIBLE]), codes.length ? inArray(registrations.receivingMunicipality, codes) : sql`false`);
      const [rows, [count]] = await Promise.all([
        db
          .select({
            id: registrations.id,
            receivingMunicipality: registrations.receivingMunicipality,
            status: registrations.status,
            adults: registrations.adults,
            children: registrations.children,
            needs: registrations.needs,
            reportedOn: registrations.reportedOn,
            approvedAt: registrations.approvedAt,
            transferredOn: registrations.transferredOn,
            offers: liveOffersOf('registrations'),
            // Qualified by hand: inside a subquery drizzle would leave the columns unqualified.
            childBirthDates: sql<string[]>`coalesce((select array_agg(hm.birth_date::text order by hm.position)
              from ${householdMembers} hm where hm.registration_id = "registrations"."id" and hm.role = 'child'), '{}')`,
          })
          .from(registrations)
          .where(where)
          .orderBy(asc(registrations.approvedAt), asc(registrations.id))
          .limit(q.pageSize)
          .offset((q.page - 1) * q.pageSize),
        db.select({ n: sql<number>`count(*)::int` }).from(registrations).where(where),
      ]);
      const today = amsterdamDate(deps.clock.now());
      if (rows.length > 0) {
        await deps.audit.record(db, actor, rows.map((r) => ({ action: 'assigned_family.read', resourceType: 'registration', resourceId: r.id, registrationId: r.id })));
      }
      return {
        items: rows.map((r) => ({
          registrationId: r.id,
          receivingMunicipality: r.receivingMunicipality!,
          status: r.status as (typeof VISIBLE)[number],
          adults: r.adults,
          childrenAges: r.childBirthDates.map((b) => ageOn(b, today)),
          householdSize: r.adults + r.children,
          needs: r.needs as Record<string, never>,
          reportedOn: r.reportedOn,
          approvedOn: r.approvedAt ? amsterdamDate(r.approvedAt) : null,
          transferredOn: r.transferredOn,
          offers: r.offers,
        })),
        page: q.page,
        pageSize: q.pageSize,
        total: count?.n ?? 0,
      };
    },
  };
}
export type HousingService = ReturnType<typeof createHousingService>;
