// Distribution keys, balances per period, period settlement and municipality mergers
// (DESIGN §5). The ledger itself (allocations, releases) belongs to the allocation module; this
// module changes it only under the same lock, by appending settlement and merge movements.
import type { Logger } from 'pino';
import type { AllocationUnit } from '../../config.js';
import type { Db, DbOrTx, Tx } from '../../db/client.js';
import { amsterdamDate, type Clock } from '../../clock.js';
import { AppError, notFound, type FieldError } from '../../http/errors.js';
import { ensureLedgerRows } from '../../db/seed.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { AllocationRepository } from '../allocation/allocation-repository.js';
import type { LedgerService } from '../allocation/ledger-service.js';
import { add, formatRational, neg, parseRational, sub, toDisplayNumber, type Rational, ZERO } from '../allocation/engine/index.js';
import { nextPeriod, periodAt, periodBounds, periodOfDate, previousPeriod } from '../allocation/periods.js';
import { accruedShares, carriedAmount, keyWeights, shelterCreditDeltas, type KeyWeights } from './distribution-amounts.js';
import { computeKey, POPULATION_ATTRIBUTE, POPULATION_SOURCE, type KeyBody, type KeyDefinition } from './distribution-keys.js';
import type { DistributionRepository, LedgerMunicipality, PeriodRow } from './distribution-repository.js';
import type { BalancesViewOut, CloseViewOut, KeyViewOut, MergeViewOut } from './distribution-schemas.js';

export interface PeriodSettings {
  /** PERIOD_CARRY_FACTOR, a decimal string between 0 and 1. */
  carryFactor: string;
  /** PERIOD_CARRY_CAP; undefined = no cap. */
  carryCap: number | undefined;
}

export interface ShelterCreditRun {
  period: string;
  /** null: the current key has no shelter credit. */
  minimumNights: number | null;
  credited: Array<{ municipality: string; registrations: number; units: number }>;
}

export interface DistributionDeps {
  db: Db;
  repo: DistributionRepository;
  /** Only for the ledger lock: every change of the ledger is serialised on the same row. */
  ledgerLock: Pick<AllocationRepository, 'lockLedger'>;
  ledger: Pick<LedgerService, 'invalidate'>;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  settings: PeriodSettings;
  /** Units per family (households: 1, persons: its size), for shelter credits. */
  unit: AllocationUnit;
}

/** Exact figures of one municipality in one period; the views round them. */
export interface MunicipalityFigures {
  municipality: string;
  name: string;
  province: string;
  active: boolean;
  entitlement: Rational;
  proposed: number;
  approved: number;
  realised: number;
  balance: Rational;
  carriedIn: Rational;
  settlementDelta: Rational;
  /** Net shelter-credit movements booked in this period (negative: credited for shelter given). */
  shelterCredit: Rational;
  /** Closed periods only. */
  carriedOut: Rational | null;
}

export interface PeriodFigures {
  period: PeriodRow & { exists: boolean };
  keyVersion: number;
  items: MunicipalityFigures[];
}

const SHARE_PLACES = 8;
const conflict = (detail: string) => new AppError('conflict', detail);
const rationalOf = (text: string | null | undefined): Rational => (text ? parseRational(text) : ZERO);
const fraction = (r: Rational) => formatRational(r);

/** Every period from `first` to `last`, both included. */
function periodsBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let p = first; p <= last; p = nextPeriod(p)) out.push(p);
  return out;
}

export function createDistributionService(deps: DistributionDeps) {
  const { db, repo, clock } = deps;
  // Key versions never change once written, so their parsed weights live as long as the process.
  const keyCache = new Map<number, KeyWeights>();

  async function weightsOf(tx: DbOrTx, versions: Iterable<number>): Promise<Map<number, KeyWeights>> {
    const wanted = [...new Set(versions)];
    const missing = wanted.filter((v) => !keyCache.has(v));
    for (const row of await repo.keys(tx, missing)) keyCache.set(row.version, keyWeights(row.version, row.weights));
    return new Map(wanted.map((v) => {
      const k = keyCache.get(v);
      if (!k) throw new Error(`distribution key version ${v} is missing`);
      return [v, k] as const;
    }));
  }

  /** E_i (carried plus every accrued share, all periods) and A_i for every ledger municipality. */
  async function runningBalances(tx: DbOrTx, rows: LedgerMunicipality[]) {
    const units = await repo.unitsByKeyVersion(tx);
    const shares = accruedShares(rows.map((r) => r.code), units, await weightsOf(tx, units.keys()));
    return new Map(
      rows.map((r) => {
        const entitlement = add(rationalOf(r.carried), shares.get(r.code) ?? ZERO);
        return [r.code, { entitlement, allocated: r.allocated, balance: sub(entitlement, { num: BigInt(r.allocated), den: 1n }) }] as const;
      }),
    );
  }

  async function keyView(tx: DbOrTx, version: number, current: number): Promise<KeyViewOut> {
    const row = await repo.key(tx, version);
    if (!row) throw notFound(`Distribution key version ${version}`);
    const weights = (await weightsOf(tx, [version])).get(version)!;
    const named = new Map((await repo.municipalityNames(tx, [...weights.weights.keys()])).map((m) => [m.code, m]));
    const items = [...weights.weights.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([code, w]) => ({
        municipality: code,
        name: named.get(code)?.name ?? code,
        province: named.get(code)?.province ?? '',
        weight: w.toString(),
        share: weights.total === 0n ? 0 : toDisplayNumber({ num: w, den: weights.total }, SHARE_PLACES),
      }));
    return {
      version: row.version,
      current: row.version === current,
      kind: row.kind,
      definition: row.definition as KeyViewOut['definition'],
      createdAt: row.createdAt.toISOString(),
      createdBy: row.createdBy,
      totalWeight: weights.total.toString(),
      municipalities: items,
    };
  }

  /**
   * The exact figures of one period, read in one snapshot (REPEATABLE READ), so counters,
   * units and balances belong to the same moment even while workers allocate. `within` runs
   * further queries in the same snapshot (the report's SQL totals).
   */
  async function periodFigures<T = undefined>(period: string, province?: string, within?: (tx: DbOrTx) => Promise<T>): Promise<PeriodFigures & { extra: T | undefined }> {
    return db.transaction(
      async (tx) => {
        const head = await repo.head(tx);
        const row = await repo.period(tx, period);
        const bounds = periodBounds(period);
        const periodRow = row
          ? { ...row, exists: true }
          : { period, ...bounds, status: 'open' as const, closedAt: null, closedBy: null, carryFactor: null, carryCap: null, exists: false };
        const closed = periodRow.status === 'closed';
        // One after another: a transaction is one connection, and pg will stop queueing
        // concurrent queries on a client.
        const rows = await repo.ledgerMunicipalities(tx, province);
        const units = await repo.unitsByKeyVersion(tx, period);
        const counters = await repo.counters(tx, period);
        const settlements = closed ? await repo.settlements(tx, period) : undefined;
        const previous = await repo.settlements(tx, previousPeriod(period));
        const credits = new Map<string, Rational>();
        for (const m of await repo.shelterCreditMovements(tx, period)) credits.set(m.municipality!, add(credits.get(m.municipality!) ?? ZERO, rationalOf(m.delta)));
        const extra = within ? await within(tx) : undefined;
        const codes = rows.map((r) => r.code);
        const accrued = accruedShares(codes, units, await weightsOf(tx, units.keys()));
        const running = closed ? undefined : await runningBalances(tx, rows);
        const items = rows.map((r): MunicipalityFigures => {
          const c = counters.get(r.code);
          const prev = previous.get(r.code);
          const carriedIn = rationalOf(prev?.carriedOut);
          const snap = settlements?.get(r.code);
          return {
            municipality: r.code,
            name: r.name,
            province: r.province,
            active: r.active,
            entitlement: accrued.get(r.code) ?? ZERO,
            proposed: c?.proposed ?? 0,
            approved: c?.approved ?? 0,
            realised: c?.realised ?? 0,
            // A municipality added after the closing had no ledger then: its balance was nothing.
            balance: closed ? rationalOf(snap?.balance) : running!.get(r.code)!.balance,
            carriedIn,
            settlementDelta: prev ? sub(carriedIn, rationalOf(prev.balance)) : ZERO,
            shelterCredit: credits.get(r.code) ?? ZERO,
            carriedOut: closed ? rationalOf(snap?.carriedOut) : null,
          };
        });
        return { period: periodRow, keyVersion: head.keyVersion, items, extra };
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
  }

  const display = (r: Rational) => toDisplayNumber(r);

  function figuresView(f: Pick<MunicipalityFigures, 'entitlement' | 'proposed' | 'approved' | 'realised' | 'balance' | 'carriedIn' | 'settlementDelta' | 'shelterCredit'>) {
    return {
      entitlement: fraction(f.entitlement),
      entitlementDisplay: display(f.entitlement),
      proposed: f.proposed,
      approved: f.approved,
      realised: f.realised,
      balance: fraction(f.balance),
      balanceDisplay: display(f.balance),
      carriedIn: fraction(f.carriedIn),
      carriedInDisplay: display(f.carriedIn),
      settlementDelta: fraction(f.settlementDelta),
      settlementDeltaDisplay: display(f.settlementDelta),
      shelterCredit: fraction(f.shelterCredit),
      shelterCreditDisplay: display(f.shelterCredit),
    };
  }

  function periodFields(p: PeriodRow) {
    return {
      period: p.period,
      status: p.status,
      startsOn: p.startsOn,
      endsOn: p.endsOn,
      closedAt: p.closedAt ? p.closedAt.toISOString() : null,
      carryFactor: p.carryFactor,
      carryCap: p.carryCap,
    };
  }

  /**
   * Books the shelter credits of `period` as of `today` (caller holds the ledger lock): every
   * registration sheltered for more than the current key's minimum nights in the period, not yet
   * credited, moves its units of entitlement from its reporting municipality to the others
   * (shelterCreditDeltas). Once per registration and period (primary key of shelter_credits).
   */
  async function creditShelter(tx: Tx, actor: Actor, period: string, today: string, head: { seq: number; keyVersion: number }): Promise<ShelterCreditRun> {
    const key = await repo.key(tx, head.keyVersion);
    const minimumNights = (key?.definition as KeyDefinition | undefined)?.shelterCredit?.minimumNights ?? null;
    if (minimumNights === null) return { period, minimumNights, credited: [] };
    const { startsOn, endsOn } = periodBounds(period);
    const candidates = await repo.shelterCreditCandidates(tx, { period, startsOn, endsOn, today: today < endsOn ? today : endsOn, minimumNights });
    if (candidates.length === 0) return { period, minimumNights, credited: [] };
    const unitsOf = (c: { adults: number; children: number }) => (deps.unit === 'persons' ? c.adults + c.children : 1);
    const byReporter = new Map<string, { registrations: number; units: number }>();
    for (const c of candidates) {
      const b = byReporter.get(c.municipality) ?? { registrations: 0, units: 0 };
      byReporter.set(c.municipality, { registrations: b.registrations + 1, units: b.units + unitsOf(c) });
    }
    const weights = (await weightsOf(tx, [head.keyVersion])).get(head.keyVersion)!;
    const deltas = shelterCreditDeltas(new Map([...byReporter].map(([code, b]) => [code, b.units])), weights);
    const rows = await repo.ledgerMunicipalities(tx);
    const carriedNow = new Map(rows.map((r) => [r.code, rationalOf(r.carried)]));
    const changed = [...deltas].filter(([code]) => carriedNow.has(code)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const written = await repo.appendEntitlementMovements(tx, 'shelter_credit', period, changed.map(([code, d]) => ({ municipality: code, delta: fraction(d) })));
    const seqOf = new Map(written.map((w) => [w.municipality, w.seq]));
    await repo.setCarried(tx, changed.map(([code, d]) => ({ municipality: code, carried: fraction(add(carriedNow.get(code)!, d)), seq: seqOf.get(code)! })));
    // Every process's cached engine is keyed by seq: a higher seq makes it catch up or reload.
    if (written.length > 0) await repo.setLedgerSeq(tx, Math.max(head.seq, ...written.map((w) => w.seq)));
    const now = clock.now();
    await repo.insertShelterCredits(tx, candidates.map((c) => ({ registrationId: c.id, period, municipality: c.municipality, units: unitsOf(c), minimumNights, keyVersion: head.keyVersion, createdAt: now })));
    await deps.audit.record(tx, actor, [...byReporter.keys()].sort().map((code) => ({ action: 'shelter-credit.book', resourceType: 'municipality', resourceId: `${code}@${period}` })));
    return { period, minimumNights, credited: [...byReporter].sort(([a], [b]) => (a < b ? -1 : 1)).map(([municipality, b]) => ({ municipality, ...b })) };
  }

  /** Books the current period's shelter credits now (the hourly job, or the coordinator). */
  async function bookShelterCredits(actor: Actor): Promise<ShelterCreditRun> {
    const now = clock.now();
    const out = await db.transaction(async (tx) => {
      const head = await deps.ledgerLock.lockLedger(tx);
      return creditShelter(tx, actor, periodAt(now), amsterdamDate(now), head);
    });
    if (out.credited.length > 0) {
      deps.ledger.invalidate();
      deps.logger.info({ period: out.period, municipalities: out.credited.length }, 'shelter credits booked');
    }
    return out;
  }

  /** Applies a closing: snapshot, carry-over movements, carried values, seq, period row. */
  async function settle(tx: Tx, actor: Actor, period: string, head: { seq: number }): Promise<CloseViewOut> {
    const rows = await repo.ledgerMunicipalities(tx);
    const balances = await runningBalances(tx, rows);
    const factor = parseRational(deps.settings.carryFactor);
    const cap = deps.settings.carryCap;
    const next = nextPeriod(period);
    const snapshot: Array<{ code: string; carried: Rational; delta: Rational }> = [];
    let balanceTotal = ZERO;
    let carriedTotal = ZERO;
    const settlementRows = rows.map((r) => {
      const b = balances.get(r.code)!;
      const carried = carriedAmount(b.balance, factor, cap);
      snapshot.push({ code: r.code, carried: rationalOf(r.carried), delta: sub(carried, b.balance) });
      balanceTotal = add(balanceTotal, b.balance);
      carriedTotal = add(carriedTotal, carried);
      return { period, municipality: r.code, entitlement: fraction(b.entitlement), allocated: b.allocated, balance: fraction(b.balance), carriedOut: fraction(carried) };
    });
    await repo.insertSettlements(tx, settlementRows);
    // The movement shifts E by carried − balance, so the running balance becomes the carried one;
    // it is booked in the next period, the one it is carried into.
    const changed = snapshot.filter((s) => s.delta.num !== 0n);
    const written = await repo.appendEntitlementMovements(tx, 'settlement', next, changed.map((s) => ({ municipality: s.code, delta: fraction(s.delta) })));
    const seqOf = new Map(written.map((w) => [w.municipality, w.seq]));
    await repo.setCarried(tx, changed.map((s) => ({ municipality: s.code, carried: fraction(add(s.carried, s.delta)), seq: seqOf.get(s.code)! })));
    // Other processes keep the engine cached by seq: a higher seq makes each of them reload it.
    if (written.length > 0) await repo.setLedgerSeq(tx, Math.max(head.seq, ...written.map((w) => w.seq)));
    const now = clock.now();
    await repo.markClosed(tx, period, { closedAt: now, closedBy: actor.sub, carryFactor: deps.settings.carryFactor, carryCap: cap ?? null });
    await repo.ensurePeriods(tx, [next]);
    await deps.audit.record(tx, actor, { action: 'period.close', resourceType: 'period', resourceId: period });
    const closed = (await repo.period(tx, period))!;
    return {
      ...periodFields(closed),
      municipalities: rows.length,
      adjusted: changed.length,
      balanceTotal: fraction(balanceTotal),
      carriedOutTotal: fraction(carriedTotal),
      nextPeriod: next,
    };
  }

  /**
   * Closes a period: snapshots every balance, carries clamp(factor × balance, ±cap) into the
   * next one. Periods close in order, once, and only after their last day (Europe/Amsterdam)
   * unless forced; see README.md for what an early close means.
   */
  async function closePeriod(actor: Actor, period: string, opts: { force?: boolean } = {}): Promise<CloseViewOut> {
    const out = await db.transaction(async (tx) => {
      // The ledger lock before the period row. Every path locks registration rows (if any)
      // before the ledger and only ledger, period and counter rows after it: no deadlock, and
      // no allocation can land between the snapshot and the carry-over.
      const head = await deps.ledgerLock.lockLedger(tx);
      const today = amsterdamDate(clock.now());
      const { startsOn, endsOn } = periodBounds(period);
      if (startsOn > today) throw conflict(`Period ${period} has not started yet (it starts on ${startsOn}).`);
      if (endsOn >= today && !opts.force) {
        throw conflict(`Period ${period} has not ended yet (its last day is ${endsOn}). Close it early only on purpose, with force=true.`);
      }
      const all = await repo.periods(tx);
      const first = all[0]?.period;
      await repo.ensurePeriods(tx, first !== undefined && first < period ? periodsBetween(first, period) : [period]);
      const row = (await repo.period(tx, period, { forUpdate: true }))!;
      if (row.status === 'closed') throw conflict(`Period ${period} was already closed on ${row.closedAt?.toISOString() ?? 'an earlier date'}.`);
      const before = await repo.openBefore(tx, period);
      if (before) throw conflict(`Periods close in order: close ${before.period} first.`);
      const after = await repo.closedAfter(tx, period);
      if (after) throw conflict(`Periods close in order: the later period ${after.period} is already closed.`);
      // The period's shelter credits count in its settlement.
      const credit = await creditShelter(tx, actor, period, today, head);
      const headNow = credit.credited.length > 0 ? await deps.ledgerLock.lockLedger(tx) : head;
      return settle(tx, actor, period, headNow);
    });
    deps.ledger.invalidate();
    deps.logger.info({ period, adjusted: out.adjusted, by: actor.sub }, 'period closed');
    return out;
  }

  return {
    periodFigures,
    bookShelterCredits,

    async getKey(version?: number): Promise<KeyViewOut> {
      const head = await repo.head(db);
      return keyView(db, version ?? head.keyVersion, head.keyVersion);
    },

    /**
     * A new key version, current from the next allocation. Written under the ledger lock, so no
     * allocation runs half on the old key and half on the new; workers see the new version in
     * ledger_state and rebuild their cached engine.
     */
    async putKey(actor: Actor, body: KeyBody): Promise<KeyViewOut> {
      const version = await db.transaction(async (tx) => {
        await deps.ledgerLock.lockLedger(tx);
        // A key must not name a code the ledger has no row for; new codes from an import get one here.
        await ensureLedgerRows(tx);
        const active = await repo.activeMunicipalities(tx);
        const result = computeKey(body, active.map((m) => ({ code: m.code, population: m.population, attributes: m.attributes as Record<string, unknown> })));
        if (!result.ok) {
          const errors: FieldError[] = result.problems.map((p) => ({ in: 'body', ...p }));
          throw new AppError('validation_failed', `The key definition has ${errors.length} problem(s); see errors.`, { errors });
        }
        const v = await repo.nextKeyVersion(tx);
        // The definition names where each weighed attribute came from, as loaded now, and the key options.
        const definition: KeyDefinition = { ...result.definition };
        if (definition.kind === 'composite') {
          const loaded = new Map((await repo.attributeSources(tx, definition.components.map((c) => c.attribute))).map((a) => [a.attribute, a]));
          definition.sources = definition.components.map((c) =>
            c.attribute === POPULATION_ATTRIBUTE
              ? { attribute: c.attribute, source: POPULATION_SOURCE, referenceDate: null }
              : { attribute: c.attribute, source: loaded.get(c.attribute)?.source ?? 'unknown (not loaded with import-attributes)', referenceDate: loaded.get(c.attribute)?.referenceDate ?? null },
          );
        }
        if (body.shelterCredit) definition.shelterCredit = { minimumNights: body.shelterCredit.minimumNights };
        await repo.insertKey(tx, {
          version: v,
          kind: result.definition.kind,
          definition,
          weights: Object.fromEntries([...result.weights].map(([code, w]) => [code, w.toString()])),
          createdAt: clock.now(),
          createdBy: actor.sub,
        });
        await repo.setCurrentKeyVersion(tx, v);
        await deps.audit.record(tx, actor, { action: 'distribution-key.create', resourceType: 'distribution-key', resourceId: String(v) });
        return v;
      });
      deps.ledger.invalidate();
      return keyView(db, version, version);
    },

    async balances(q: { period: string; province?: string | undefined }): Promise<BalancesViewOut> {
      const f = await periodFigures(q.period, q.province);
      const sum = (pick: (m: MunicipalityFigures) => Rational) => f.items.reduce((s, m) => add(s, pick(m)), ZERO);
      const count = (pick: (m: MunicipalityFigures) => number) => f.items.reduce((s, m) => s + pick(m), 0);
      return {
        ...periodFields(f.period),
        keyVersion: f.keyVersion,
        items: f.items.map((m) => ({ municipality: m.municipality, name: m.name, province: m.province, active: m.active, ...figuresView(m) })),
        totals: figuresView({
          entitlement: sum((m) => m.entitlement),
          proposed: count((m) => m.proposed),
          approved: count((m) => m.approved),
          realised: count((m) => m.realised),
          balance: sum((m) => m.balance),
          carriedIn: sum((m) => m.carriedIn),
          settlementDelta: sum((m) => m.settlementDelta),
          shelterCredit: sum((m) => m.shelterCredit),
        }),
      };
    },

    closePeriod,

    /**
     * The scheduled job: closes, oldest first, every period whose last day has passed on the
     * Amsterdam calendar. Idempotent: a period closed meanwhile (by a coordinator or another
     * worker) is skipped. Quiet half-years between active ones are closed too, so the factor
     * applies once per half-year whatever happened in it.
     */
    async closeDuePeriods(actor: Actor): Promise<string[]> {
      const today = amsterdamDate(clock.now());
      const lastEnded = previousPeriod(periodOfDate(today));
      const rows = await repo.periods(db);
      const first = rows[0]?.period;
      if (first === undefined || first > lastEnded) return [];
      const status = new Map(rows.map((r) => [r.period, r.status]));
      const closed: string[] = [];
      for (const p of periodsBetween(first, lastEnded)) {
        if (status.get(p) === 'closed') continue;
        try {
          await closePeriod(actor, p);
          closed.push(p);
        } catch (err) {
          // Closed meanwhile by a coordinator or another worker: that is the outcome wanted.
          if (err instanceof AppError && err.code === 'conflict' && (await repo.period(db, p))?.status === 'closed') continue;
          throw err;
        }
      }
      return closed;
    },

    /**
     * Herindeling: moves the balances of the codes that ceased to exist to the new municipality
     * (their sum), deactivates them and records the merger. The current key must already give
     * them weight 0, else they would go on accruing entitlement. Repeatable: a second run moves
     * whatever balance later withdrawals left on an old code.
     */
    async merge(actor: Actor, body: { into: string; from: string[] }): Promise<MergeViewOut> {
      const out = await db.transaction(async (tx) => {
        const head = await deps.ledgerLock.lockLedger(tx);
        const rows = await repo.ledgerMunicipalities(tx);
        const byCode = new Map(rows.map((r) => [r.code, r]));
        const errors: FieldError[] = [];
        const target = byCode.get(body.into);
        if (!target || !target.active) errors.push({ in: 'body', pointer: '/into', code: 'unknown_municipality', message: `${body.into} is not an existing (active) municipality` });
        body.from.forEach((code, i) => {
          if (!byCode.has(code)) errors.push({ in: 'body', pointer: `/from/${i}`, code: 'unknown_municipality', message: `${code} is not a known municipality` });
          else if (code === body.into) errors.push({ in: 'body', pointer: `/from/${i}`, code: 'same_as_into', message: 'cannot merge a municipality into itself' });
        });
        if (errors.length > 0) throw new AppError('validation_failed', `The merger has ${errors.length} problem(s); see errors.`, { errors });
        const key = (await weightsOf(tx, [head.keyVersion])).get(head.keyVersion)!;
        const weighted = body.from.filter((c) => (key.weights.get(c) ?? 0n) > 0n);
        if (weighted.length > 0) {
          throw conflict(`The current key (version ${head.keyVersion}) still gives weight to ${weighted.join(', ')}; adopt a key without them first (e.g. import the new CBS table with --adopt-key).`);
        }
        const balances = await runningBalances(tx, rows);
        const now = clock.now();
        const period = periodAt(now);
        const moved = body.from.map((code) => ({ code, balance: balances.get(code)!.balance })).filter((m) => m.balance.num !== 0n);
        const movements = moved.flatMap((m) => [
          { municipality: m.code, delta: fraction(neg(m.balance)) },
          { municipality: body.into, delta: fraction(m.balance) },
        ]);
        const written = await repo.appendEntitlementMovements(tx, 'merge', period, movements);
        const lastSeq = new Map<string, number>();
        for (const w of written) lastSeq.set(w.municipality, Math.max(lastSeq.get(w.municipality) ?? 0, w.seq));
        const total = moved.reduce((s, m) => add(s, m.balance), ZERO);
        const carried = [
          ...moved.map((m) => ({ municipality: m.code, carried: fraction(sub(rationalOf(byCode.get(m.code)!.carried), m.balance)), seq: lastSeq.get(m.code)! })),
          ...(moved.length > 0 ? [{ municipality: body.into, carried: fraction(add(rationalOf(target!.carried), total)), seq: lastSeq.get(body.into)! }] : []),
        ];
        await repo.setCarried(tx, carried);
        if (written.length > 0) await repo.setLedgerSeq(tx, Math.max(head.seq, ...written.map((w) => w.seq)));
        await repo.markMerged(tx, body.from, body.into, now);
        await deps.audit.record(tx, actor, { action: 'municipality.merge', resourceType: 'municipality', resourceId: body.into });
        const after = add(balances.get(body.into)!.balance, total);
        return {
          into: body.into,
          period,
          moved: moved.map((m) => ({ municipality: m.code, balance: fraction(m.balance), balanceDisplay: display(m.balance) })),
          balance: fraction(after),
          balanceDisplay: display(after),
        };
      });
      deps.ledger.invalidate();
      return out;
    },
  };
}
export type DistributionService = ReturnType<typeof createDistributionService>;
