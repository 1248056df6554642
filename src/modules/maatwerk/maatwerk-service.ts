// Profiles (what a municipality can offer), declared capacity and the needs policy (issue 12).
// The allocation service reads them through `snapshot`; every change here is versioned or
// append-only, audited, and picked up by every worker's next allocation (see README.md).
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { municipalities } from '../../db/schema/index.js';
import type { Clock } from '../../clock.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import { periodAt } from '../allocation/periods.js';
import { DEFAULT_NEEDS_POLICY, NEED_KINDS, type NeedsPolicy } from './maatwerk-rules.js';
import type { DeclarationRow, MaatwerkRepository, NeedsPolicyRow, ProfileRecord } from './maatwerk-repository.js';
import type {
  CapacityBodyInput, CapacityViewOut, NeedsPolicyBodyInput, NeedsPolicyViewOut, ProfileBodyInput, ProfileViewOut,
} from './maatwerk-schemas.js';

/** A municipality reads and writes its own profile; the coordinator every one. Others: 404. */
function mayTouchProfile(p: Principal, code: string): boolean {
  return p.role === 'coordinator' || (p.role === 'municipality' && p.municipality === code);
}

/** Where a caller may declare capacity, and whose declarations it reads. */
function capacityArea(p: Principal): readonly string[] | 'all' {
  if (p.role === 'coordinator') return 'all';
  if (p.role === 'municipality') return p.municipality ? [p.municipality] : [];
  if (p.role === 'housing_corporation') return p.municipalities ?? [];
  return [];
}

export function policyOf(row: NeedsPolicyRow | undefined): NeedsPolicy {
  if (!row) return DEFAULT_NEEDS_POLICY;
  return {
    version: row.version,
    needs: { ...DEFAULT_NEEDS_POLICY.needs, ...(row.needs as NeedsPolicy['needs']) },
    unknownProfile: row.unknownProfile,
  };
}

type ProfileContent = Pick<ProfileRecord, 'facilities' | 'labourMarketRegion' | 'wmoRegion' | 'note'>;

/** Whether a PUT would change nothing; no profile at all equals an empty one. */
function sameProfile(current: ProfileContent | undefined, next: ProfileContent): boolean {
  const c = current ?? { facilities: {}, labourMarketRegion: null, wmoRegion: null, note: null };
  const facilityKeys = new Set([...Object.keys(c.facilities), ...Object.keys(next.facilities)]) as Set<keyof ProfileRecord['facilities']>;
  return (
    [...facilityKeys].every((k) => c.facilities[k] === next.facilities[k]) &&
    c.labourMarketRegion === next.labourMarketRegion &&
    c.wmoRegion === next.wmoRegion &&
    c.note === next.note
  );
}

function declarationView(d: DeclarationRow): CapacityViewOut {
  return {
    id: d.id,
    municipality: d.municipality,
    period: d.period,
    kind: d.kind,
    units: d.units,
    booked: d.booked,
    remaining: Math.max(0, d.units - d.booked),
    bedrooms: d.bedrooms,
    accessible: d.accessible,
    note: d.note,
    declaredBy: { sub: d.declaredBySub, role: d.declaredByRole },
    createdAt: d.createdAt.toISOString(),
  };
}

export function createMaatwerkService(deps: { db: Db; repo: MaatwerkRepository; audit: AuditService; clock: Clock }) {
  const { db, repo, clock } = deps;

  function profileView(code: string, province: string, r: Pick<ProfileRecord, 'version' | 'facilities' | 'labourMarketRegion' | 'wmoRegion' | 'note'> & { updatedAt: Date | null; updatedBySub: string | null } | undefined): ProfileViewOut {
    return {
      municipality: code,
      province,
      version: r?.version ?? 0,
      facilities: (r?.facilities ?? {}) as ProfileViewOut['facilities'],
      labourMarketRegion: r?.labourMarketRegion ?? null,
      wmoRegion: r?.wmoRegion ?? null,
      note: r?.note ?? null,
      updatedAt: r?.updatedAt ? r.updatedAt.toISOString() : null,
      updatedBy: r?.updatedBySub ?? null,
    };
  }

  async function visibleMunicipality(principal: Principal, code: string) {
    const m = mayTouchProfile(principal, code) ? await repo.municipality(db, code) : undefined;
    if (!m) throw notFound(`Municipality ${code}`);
    return m;
  }

  return {
    async getProfile(principal: Principal, code: string): Promise<ProfileViewOut> {
      const m = await visibleMunicipality(principal, code);
      return profileView(code, m.province, await repo.profile(db, code));
    },

    async profileVersions(principal: Principal, code: string) {
      const m = await visibleMunicipality(principal, code);
      const rows = await repo.profileVersions(db, code, 200);
      return {
        items: rows.map((r) => {
          const { province: _province, ...v } = profileView(code, m.province, { ...r, updatedAt: r.createdAt, updatedBySub: r.createdBySub });
          return v;
        }),
      };
    },

    /** A new version of the profile; facilities left out of the body are "not stated". */
    async putProfile(actor: Actor, principal: Principal, code: string, body: ProfileBodyInput): Promise<ProfileViewOut> {
      const m = await visibleMunicipality(principal, code);
      if (!m.active) throw new AppError('conflict', `${code} no longer exists (herindeling); its profile cannot change.`);
      const facilities = Object.fromEntries(Object.entries(body.facilities).filter(([, v]) => v !== null && v !== undefined)) as ProfileRecord['facilities'];
      const saved = await db.transaction(async (tx) => {
        // One writer per municipality at a time: the version number is max + 1.
        await tx.execute(sql`select 1 from ${municipalities} where code = ${code} for update`);
        // PUT is idempotent: the same profile again is no new version.
        const current = await repo.profile(tx, code);
        if (sameProfile(current, { facilities, labourMarketRegion: body.labourMarketRegion, wmoRegion: body.wmoRegion, note: body.note })) return current;
        const row = await repo.putProfile(tx, {
          municipality: code,
          facilities,
          labourMarketRegion: body.labourMarketRegion,
          wmoRegion: body.wmoRegion,
          note: body.note,
          updatedAt: clock.now(),
          updatedBySub: actor.sub,
          updatedByRole: actor.role,
        });
        await deps.audit.record(tx, actor, { action: 'municipality-profile.update', resourceType: 'municipality-profile', resourceId: `${code}@${row.version}` });
        return row;
      });
      return profileView(code, m.province, saved);
    },

    async declareCapacity(actor: Actor, principal: Principal, body: CapacityBodyInput): Promise<CapacityViewOut> {
      const area = capacityArea(principal);
      if (area !== 'all' && !area.includes(body.municipality)) {
        throw new AppError('forbidden', 'You may declare capacity only for the municipalities in your token (your own, or your working area).');
      }
      const errors = [];
      const m = await repo.municipality(db, body.municipality);
      if (!m || !m.active) errors.push({ in: 'body' as const, pointer: '/municipality', code: 'unknown_municipality', message: 'is not an existing municipality' });
      const current = periodAt(clock.now());
      if (body.period < current) errors.push({ in: 'body' as const, pointer: '/period', code: 'period_past', message: `must be the current period (${current}) or a later one` });
      if (errors.length > 0) throw new AppError('validation_failed', `The declaration has ${errors.length} problem(s); see errors.`, { errors });
      const row = await db.transaction(async (tx) => {
        const out = await repo.insertDeclaration(tx, {
          id: randomUUID(),
          municipality: body.municipality,
          period: body.period,
          kind: body.kind,
          units: body.units,
          bedrooms: body.bedrooms,
          accessible: body.accessible,
          note: body.note ?? null,
          createdAt: clock.now(),
          declaredBySub: actor.sub,
          declaredByRole: actor.role,
        });
        await deps.audit.record(tx, actor, { action: 'capacity.declare', resourceType: 'capacity-declaration', resourceId: out.id });
        return out;
      });
      return declarationView(row);
    },

    async listCapacity(principal: Principal, q: { municipality?: string; period?: string; page: number; pageSize: number }) {
      const area = capacityArea(principal);
      const { rows, total } = await repo.listDeclarations(db, {
        scope: area === 'all' ? undefined : repo.scopeToMunicipalities(area),
        ...(q.municipality ? { municipality: q.municipality } : {}),
        ...(q.period ? { period: q.period } : {}),
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      return { items: rows.map(declarationView), page: q.page, pageSize: q.pageSize, total };
    },

    async getNeedsPolicy(): Promise<NeedsPolicyViewOut> {
      const row = await repo.needsPolicy(db);
      const p = policyOf(row);
      return { version: p.version, needs: p.needs, unknownProfile: p.unknownProfile, createdAt: row?.createdAt.toISOString() ?? null, createdBy: row?.createdBy ?? null };
    },

    async putNeedsPolicy(actor: Actor, body: NeedsPolicyBodyInput): Promise<NeedsPolicyViewOut> {
      const needs = Object.fromEntries(NEED_KINDS.map((k) => [k, body.needs[k]]));
      let row: NeedsPolicyRow;
      try {
        row = await db.transaction(async (tx) => {
          const out = await repo.insertNeedsPolicy(tx, { needs, unknownProfile: body.unknownProfile, createdAt: clock.now(), createdBy: actor.sub });
          await deps.audit.record(tx, actor, { action: 'needs-policy.create', resourceType: 'needs-policy', resourceId: String(out.version) });
          return out;
        });
      } catch (err) {
        if (isUniqueViolation(err, 'needs_policies_pkey')) throw new AppError('conflict', 'Another needs policy was saved at the same moment; read it and try again.');
        throw err;
      }
      return { version: row.version, needs: row.needs as NeedsPolicyViewOut['needs'], unknownProfile: row.unknownProfile, createdAt: row.createdAt.toISOString(), createdBy: row.createdBy };
    },
  };
}
export type MaatwerkService = ReturnType<typeof createMaatwerkService>;
