// POST /distribution/simulations (issue 15): what a key would give each municipality, against
// today's key, for a number of units or for the real arrivals of a period. Nothing is stored but
// the audit line; the figures come from the engine (distribution-simulation.ts).
import type { Db } from '../../db/client.js';
import { AppError, type FieldError } from '../../http/errors.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import { fixedDecimal, keyWeights } from './distribution-amounts.js';
import { computeKey, type KeyDefinition } from './distribution-keys.js';
import type { DistributionRepository } from './distribution-repository.js';
import { asKeyBody, describeKey, distributeUnits } from './distribution-simulation.js';
import { MAX_SIMULATION_UNITS, type SimulationBodyInput, type SimulationViewOut } from './distribution-simulation-schemas.js';

const SHARE_PLACES = 6;

const invalid = (errors: FieldError[]) => new AppError('validation_failed', `The simulation request has ${errors.length} problem(s); see errors.`, { errors });

/** A key problem's pointer in the simulation body: under /key, and a fixed table's share named by its code. */
function keyPointer(pointer: string, tableCodes: readonly string[]): string {
  const share = /^\/shares\/(\d+)(?:\/.*)?$/.exec(pointer);
  if (share) return `/key/weights/${tableCodes[Number(share[1])]}`;
  return `/key${pointer.replace(/^\/shares/, '/weights')}`;
}

export function createSimulationService(deps: { db: Db; repo: Pick<DistributionRepository, 'head' | 'key' | 'activeMunicipalities' | 'unitsByKeyVersion'>; audit: AuditService }) {
  const { db, repo } = deps;
  return {
    /**
     * Both runs distribute the same units from a fresh ledger with the quota rule and no family
     * constraints, one with the simulated key and one with today's. Every problem of the request is
     * reported at once (400), including a period without arrivals.
     */
    async simulate(actor: Actor, body: SimulationBodyInput): Promise<SimulationViewOut> {
      const errors: FieldError[] = [];
      if (body.units === undefined && body.period === undefined) errors.push({ in: 'body', pointer: '/units', code: 'units_or_period', message: 'give either units or period' });
      if (body.units !== undefined && body.period !== undefined) {
        for (const pointer of ['/units', '/period']) errors.push({ in: 'body', pointer, code: 'units_or_period', message: 'give either units or period, not both' });
      }
      // One snapshot: the key, the municipalities and the period's units belong to the same moment.
      const read = await db.transaction(
        async (tx) => {
          const head = await repo.head(tx);
          const current = await repo.key(tx, head.keyVersion);
          const active = await repo.activeMunicipalities(tx);
          const periodUnits = body.period === undefined ? undefined : [...(await repo.unitsByKeyVersion(tx, body.period)).values()].reduce((s, n) => s + n, 0);
          return { head, current, active, periodUnits };
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      );
      if (!read.current) throw new Error(`distribution key version ${read.head.keyVersion} is missing`);
      const codes = read.active.map((m) => m.code);

      const baseline = keyWeights(read.current.version, read.current.weights as Record<string, string>).weights;
      let weights = baseline;
      if (body.key.kind === 'current') {
        if (body.key.components !== undefined) errors.push({ in: 'body', pointer: '/key/components', code: 'not_allowed', message: 'is only allowed with kind composite' });
        if (body.key.weights !== undefined) errors.push({ in: 'body', pointer: '/key/weights', code: 'not_allowed', message: 'is only allowed with kind fixed' });
      } else {
        const tableCodes = Object.keys(body.key.weights ?? {});
        const result = computeKey(asKeyBody({ ...body.key, kind: body.key.kind }), read.active.map((m) => ({ code: m.code, population: m.population, attributes: m.attributes as Record<string, unknown> })));
        if (result.ok) weights = result.weights;
        else for (const p of result.problems) errors.push({ in: 'body', pointer: keyPointer(p.pointer, tableCodes), code: p.code, message: p.message });
      }
      if (read.periodUnits !== undefined && body.units === undefined) {
        if (read.periodUnits <= 0) errors.push({ in: 'body', pointer: '/period', code: 'no_arrivals', message: `no units were allocated in ${body.period}` });
        else if (read.periodUnits > MAX_SIMULATION_UNITS) errors.push({ in: 'body', pointer: '/period', code: 'too_many_units', message: `more than ${MAX_SIMULATION_UNITS} units in ${body.period}` });
      }
      if (errors.length > 0) throw invalid(errors);

      const units = body.units ?? read.periodUnits!;
      const simulated = await distributeUnits(codes, weights, units);
      // Today's key asked for: one run serves both columns.
      const today = weights === baseline ? simulated : await distributeUnits(codes, baseline, units);

      let total = 0n;
      for (const code of codes) total += weights.get(code) ?? 0n;
      const byProvince = new Map<string, { units: number; baselineUnits: number }>();
      const municipalities = read.active.map((m) => {
        const u = simulated.get(m.code)!;
        const b = today.get(m.code)!;
        const p = byProvince.get(m.province) ?? { units: 0, baselineUnits: 0 };
        byProvince.set(m.province, { units: p.units + u, baselineUnits: p.baselineUnits + b });
        return { code: m.code, name: m.name, province: m.province, share: fixedDecimal({ num: weights.get(m.code) ?? 0n, den: total }, SHARE_PLACES), units: u, baselineUnits: b, difference: u - b };
      });
      const provinces = [...byProvince]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([province, p]) => ({ province, ...p, difference: p.units - p.baselineUnits }));

      const currentDescription = `Huidige verdeelsleutel (versie ${read.current.version}): ${describeKey(read.current.definition as KeyDefinition, codes.length)}`;
      await deps.audit.record(db, actor, {
        action: 'distribution.simulation',
        resourceType: 'distribution-simulation',
        resourceId: body.period ?? String(units),
        detail: { kind: body.key.kind, source: body.period ? 'period' : 'units', units, baselineVersion: read.current.version },
      });
      return {
        key: { kind: body.key.kind, description: body.key.kind === 'current' ? currentDescription : describeKey(body.key, codes.length) },
        baseline: { kind: 'current', version: read.current.version, description: currentDescription },
        source: body.period ? 'period' : 'units',
        period: body.period ?? null,
        units,
        municipalities,
        provinces,
      };
    },
  };
}
export type SimulationService = ReturnType<typeof createSimulationService>;
