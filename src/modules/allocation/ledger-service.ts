import type { DbOrTx } from '../../db/client.js';
import { restoreLedger, type AllocationDecision, type LedgerMovementDelta, type ChoiceRequest, type Decision, type Ledger } from './engine/index.js';
import type { AllocationRepository, MovementInsert } from './allocation-repository.js';

/**
 * The entitlement ledger in PostgreSQL, with the pure engine on top.
 *
 * Every change runs inside the caller's transaction after `lockLedger` (one row, FOR UPDATE), so
 * changes are serialised across any number of processes. Each change appends movements and sets
 * ledger_state.seq to the highest movement seq it wrote. Sequence values are never handed out
 * twice, even after a rollback, so a process whose cached engine was built at seq S can reuse it
 * exactly when the database still says S (and the same key version). When the seq moved on under
 * the same key version, it replays the movements after S (under the lock, exactly the missing
 * ones); on a key change or anything unexpected it rebuilds the engine from the stored ledger.
 */
export interface LedgerSession {
  readonly engine: Ledger;
  readonly keyVersion: number;
  choose(request: ChoiceRequest): Decision;
  /** Books an allocation decision: accrual (if any), allocation movement, A, key units. */
  book(decision: AllocationDecision, ctx: { period: string; registrationId: string; allocationId: string }): Promise<void>;
  /**
   * Applies a decision to the engine now, so the next choice in this transaction sees it; the
   * caller writes its movements (with others, in one statement) and then calls `booked`.
   */
  take(decision: AllocationDecision): void;
  /** The movements of every decision taken are written; the highest seq among them is `seq`. */
  booked(seq: number): void;
  /**
   * Releases units from A (code given); with `withdraw`, also takes the registration's shares
   * out of E. A registration closed with no active allocation (code null) only withdraws.
   */
  release(
    code: string | null,
    units: number,
    ctx: { period: string; registrationId: string; allocationId: string | null; withdraw?: { keyVersion: number } },
  ): Promise<void>;
}

/** Past this many movements behind, a cached engine is rebuilt rather than brought up to date. */
const MAX_CATCH_UP = 2000;

export function createLedgerService(deps: {
  repo: AllocationRepository;
  /** Told how long each transaction waited for the ledger lock, in seconds (a metric). */
  onLockWait?: (seconds: number) => void;
}) {
  const { repo } = deps;
  /**
   * The engine as of `seq`. `committed`: its state was read from the database under the lock
   * (committed whatever becomes of the transaction that read it). Otherwise it includes this
   * process's own writes up to `seq`, valid only if that transaction committed, which the
   * movement row numbered `seq` shows (numbers are never reused, so it exists only then).
   */
  let cache: { seq: number; keyVersion: number; engine: Ledger; committed: boolean } | undefined;
  // Key versions never change once written, so parsed weights are kept for the process's life.
  const keyCache = new Map<number, { version: number; weights: Map<string, bigint> }>();
  const stats = { reused: 0, caughtUp: 0, loaded: 0 };

  /**
   * Brings the cached engine from its seq to `headSeq` by replaying the movements in between;
   * false (engine untouched or to be discarded) when that is not certain to be exact.
   */
  async function catchUp(tx: DbOrTx, c: NonNullable<typeof cache>, headSeq: number): Promise<boolean> {
    if (headSeq <= c.seq) return false;
    const from = c.committed ? c.seq + 1 : c.seq;
    const rows = await repo.movementsFrom(tx, from, MAX_CATCH_UP + 1);
    if (!c.committed) {
      // Our own last movement must be there: else our transaction rolled back.
      if (rows[0]?.seq !== c.seq) return false;
      rows.shift();
    }
    if (rows.length === 0 || rows.length > MAX_CATCH_UP || rows[rows.length - 1]!.seq !== headSeq) return false;
    const deltas: LedgerMovementDelta[] = [];
    for (const r of rows) {
      if ((r.kind === 'allocation' || r.kind === 'release') && r.municipality !== null && r.keyVersion === null && r.entitlementDelta === null) {
        deltas.push({ kind: 'allocated', code: r.municipality, units: r.units });
      } else if (r.kind === 'accrual' && r.keyVersion !== null && r.municipality === null && r.entitlementDelta === null) {
        deltas.push({ kind: 'accrued', keyVersion: r.keyVersion, units: r.units });
      } else if ((r.kind === 'settlement' || r.kind === 'merge' || r.kind === 'shelter_credit') && r.municipality !== null && r.entitlementDelta !== null && r.units === 0) {
        deltas.push({ kind: 'carried', code: r.municipality, delta: r.entitlementDelta });
      } else {
        return false;
      }
    }
    try {
      c.engine.applyMovements(deltas);
    } catch {
      return false;
    }
    return true;
  }

  async function load(tx: DbOrTx, keyVersion: number): Promise<Ledger> {
    // In turn: both run on the transaction's one connection (pg deprecates queued concurrent queries).
    const rows = await repo.municipalityLedgers(tx);
    const units = await repo.unitsByKeyVersion(tx);
    const versions = [...new Set([...units.keys(), keyVersion])];
    const missing = versions.filter((v) => !keyCache.has(v));
    for (const k of await repo.keys(tx, missing)) {
      keyCache.set(k.version, { version: k.version, weights: new Map(Object.entries(k.weights).map(([code, w]) => [code, BigInt(w)])) });
    }
    return restoreLedger({
      municipalities: rows.map((r) => ({ code: r.municipality, carried: r.carried, allocated: r.allocated })),
      keys: versions.map((v) => {
        const k = keyCache.get(v);
        if (!k) throw new Error(`distribution key version ${v} is missing`);
        return { version: k.version, weights: k.weights };
      }),
      currentKeyVersion: keyVersion,
      unitsByKeyVersion: units,
    });
  }

  return {
    /** Locks the ledger for this transaction and hands out a session on it. */
    async lock(tx: DbOrTx): Promise<LedgerSession> {
      const asked = performance.now();
      const head = await repo.lockLedger(tx);
      deps.onLockWait?.((performance.now() - asked) / 1000);
      let engine: Ledger;
      const c = cache;
      cache = undefined;
      if (c && c.keyVersion === head.keyVersion && c.seq === head.seq) {
        engine = c.engine;
        stats.reused++;
      } else if (c && c.keyVersion === head.keyVersion && (await catchUp(tx, c, head.seq))) {
        engine = c.engine;
        stats.caughtUp++;
      } else {
        engine = await load(tx, head.keyVersion);
        stats.loaded++;
      }
      // The state as of head.seq is committed: valid for the next transaction until we change it.
      cache = { seq: head.seq, keyVersion: head.keyVersion, engine, committed: true };
      let lastSeq = head.seq;
      const remember = async (seq: number) => {
        lastSeq = Math.max(lastSeq, seq);
        await repo.setLedgerSeq(tx, lastSeq);
        // Valid only once this transaction commits, which catchUp checks.
        cache = { seq: lastSeq, keyVersion: head.keyVersion, engine, committed: false };
      };
      const write = async (rows: MovementInsert[]) => {
        try {
          return await repo.appendMovements(tx, rows);
        } catch (err) {
          cache = undefined;
          throw err;
        }
      };
      return {
        engine,
        keyVersion: head.keyVersion,
        choose: (request) => engine.choose(request),
        async book(decision, ctx) {
          // Movements, key units, A and the head's seq in one statement: it runs under the lock.
          let seq: number;
          try {
            seq = await repo.bookAllocationMovements(tx, {
              period: ctx.period,
              keyVersion: decision.keyVersion,
              municipality: decision.code,
              units: decision.units,
              accrue: decision.accrue,
              registrationId: ctx.registrationId,
              allocationId: ctx.allocationId,
            });
          } catch (err) {
            cache = undefined;
            throw err;
          }
          cache = undefined;
          engine.commit(decision);
          lastSeq = Math.max(lastSeq, seq);
          // Valid only once this transaction commits, which catchUp checks.
          cache = { seq: lastSeq, keyVersion: head.keyVersion, engine, committed: false };
        },
        take(decision) {
          // Until `booked`, the engine is ahead of the database: a failed write must not leave it cached.
          cache = undefined;
          engine.commit(decision);
        },
        booked(seq) {
          lastSeq = Math.max(lastSeq, seq);
          // Valid only once this transaction commits, which catchUp checks.
          cache = { seq: lastSeq, keyVersion: head.keyVersion, engine, committed: false };
        },
        async release(code, units, ctx) {
          const rows: MovementInsert[] = [];
          if (code) rows.push({ kind: 'release', period: ctx.period, municipality: code, units: -units, registrationId: ctx.registrationId, allocationId: ctx.allocationId });
          if (ctx.withdraw) {
            rows.push({ kind: 'accrual', period: ctx.period, keyVersion: ctx.withdraw.keyVersion, units: -units, registrationId: ctx.registrationId, allocationId: ctx.allocationId });
          }
          if (rows.length === 0) return;
          cache = undefined;
          const seq = await write(rows);
          if (ctx.withdraw) await repo.addKeyUnits(tx, ctx.period, ctx.withdraw.keyVersion, -units);
          if (code) {
            await repo.addAllocated(tx, code, -units, seq);
            engine.release(code, units, { withdrawEntitlement: !!ctx.withdraw, ...(ctx.withdraw ? { keyVersion: ctx.withdraw.keyVersion } : {}) });
          } else if (ctx.withdraw) {
            engine.withdraw(units, ctx.withdraw.keyVersion);
          }
          await remember(seq);
        },
      };
    },
    /** Forget the cached engine (after a key change or a settlement done elsewhere). */
    invalidate() {
      cache = undefined;
    },
    /** How each lock found its engine: reused as cached, brought up to date, or rebuilt. */
    cacheStats() {
      return { ...stats };
    },
  };
}
export type LedgerService = ReturnType<typeof createLedgerService>;
