import type { DbOrTx } from '../../db/client.js';
import { restoreLedger, type AllocationDecision, type ChoiceRequest, type Decision, type Ledger } from './engine/index.js';
import type { AllocationRepository, MovementInsert } from './allocation-repository.js';

/**
 * The entitlement ledger in PostgreSQL, with the pure engine on top.
 *
 * Every change runs inside the caller's transaction after `lockLedger` (one row, FOR UPDATE), so
 * changes are serialised across any number of processes. Each change appends movements and sets
 * ledger_state.seq to the highest movement seq it wrote. Sequence values are never handed out
 * twice, even after a rollback, so a process whose cached engine was built at seq S can reuse it
 * exactly when the database still says S (and the same key version); otherwise it reloads.
 */
export interface LedgerSession {
  readonly engine: Ledger;
  readonly keyVersion: number;
  choose(request: ChoiceRequest): Decision;
  /** Books an allocation decision: accrual (if any), allocation movement, A, key units. */
  book(decision: AllocationDecision, ctx: { period: string; registrationId: string; allocationId: string }): Promise<void>;
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

export function createLedgerService(deps: { repo: AllocationRepository }) {
  const { repo } = deps;
  let cache: { seq: number; keyVersion: number; engine: Ledger } | undefined;
  // Key versions never change once written, so parsed weights are kept for the process's life.
  const keyCache = new Map<number, { version: number; weights: Map<string, bigint> }>();

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
      const head = await repo.lockLedger(tx);
      let engine: Ledger;
      if (cache && cache.seq === head.seq && cache.keyVersion === head.keyVersion) {
        engine = cache.engine;
      } else {
        cache = undefined;
        engine = await load(tx, head.keyVersion);
      }
      let lastSeq = head.seq;
      const remember = async (seq: number) => {
        lastSeq = Math.max(lastSeq, seq);
        await repo.setLedgerSeq(tx, lastSeq);
        // Valid only once this transaction commits; until then the seq in the database differs.
        cache = { seq: lastSeq, keyVersion: head.keyVersion, engine };
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
          engine.commit(decision);
          lastSeq = Math.max(lastSeq, seq);
          // Valid only once this transaction commits; until then the seq in the database differs.
          cache = { seq: lastSeq, keyVersion: head.keyVersion, engine };
        },
        async release(code, units, ctx) {
          const rows: MovementInsert[] = [];
          if (code) rows.push({ kind: 'release', period: ctx.period, municipality: code, units: -units, registrationId: ctx.registrationId, allocationId: ctx.allocationId });
          if (ctx.withdraw) {
            rows.push({ kind: 'accrual', period: ctx.period, keyVersion: ctx.withdraw.keyVersion, units: -units, registrationId: ctx.registrationId, allocationId: ctx.allocationId });
          }
          if (rows.length === 0) return;
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
  };
}
export type LedgerService = ReturnType<typeof createLedgerService>;
