import type { Db } from '../../db/client.js';
import type { Clock } from '../../clock.js';
import { notFound } from '../../http/errors.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { MunicipalitiesRepository, MunicipalityRow } from './municipalities-repository.js';
import type { MunicipalityView, PatchMunicipality } from './municipalities-schemas.js';

const view = (r: MunicipalityRow): MunicipalityView => ({
  code: r.code,
  name: r.name,
  province: r.province,
  population: r.population,
  suspended: r.suspended,
  capacityPerPeriod: r.capacityPerPeriod,
  active: r.active,
});

export function createMunicipalitiesService(deps: { db: Db; repo: MunicipalitiesRepository; audit: AuditService; clock: Clock }) {
  const { db, repo } = deps;
  return {
    async list(q: { province?: string; name?: string; page: number; pageSize: number }) {
      const { rows, total } = await repo.list(db, { ...q, limit: q.pageSize, offset: (q.page - 1) * q.pageSize });
      return { items: rows.map(view), page: q.page, pageSize: q.pageSize, total };
    },
    async get(code: string) {
      const row = await repo.get(db, code);
      if (!row) throw notFound(`Municipality ${code}`);
      return view(row);
    },
    async update(actor: Actor, code: string, patch: PatchMunicipality) {
      return db.transaction(async (tx) => {
        const row = await repo.update(tx, code, patch, deps.clock.now());
        if (!row) throw notFound(`Municipality ${code}`);
        await deps.audit.record(tx, actor, { action: 'municipality.update', resourceType: 'municipality', resourceId: code });
        return view(row);
      });
    },
  };
}
export type MunicipalitiesService = ReturnType<typeof createMunicipalitiesService>;
