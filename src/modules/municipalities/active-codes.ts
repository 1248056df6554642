import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { municipalities } from '../../db/schema/index.js';
import type { MunicipalitiesRepository } from './municipalities-repository.js';

/**
 * How long the set of active codes is trusted. The table changes only through
 * `npm run import-municipalities` (a separate process, about once a year when CBS publishes the
 * new boundaries) and the merge tooling. A code that becomes active is never refused, because a
 * miss asks the database before refusing (below); the staleness left is the other way round: a
 * code deactivated by an import may still be accepted in a registration for up to this long
 * afterwards, exactly as a registration that committed just before the import would have been.
 */
export const ACTIVE_CODES_TTL_MS = 30_000;

/**
 * `MunicipalitiesRepository.existing` (active codes among the given ones) from an in-memory set of
 * the ~350 active codes, refreshed every ACTIVE_CODES_TTL_MS, instead of a query per request. A
 * code not in the set is looked up in the database as before, so an unknown code is reported
 * only when the database agrees; finding one there makes the next call reload the set.
 */
export function createActiveCodes(db: Db, repo: MunicipalitiesRepository, ttlMs = ACTIVE_CODES_TTL_MS) {
  let codes: Set<string> | undefined;
  let loadedAt = 0;
  let loading: Promise<Set<string>> | undefined;

  const load = (): Promise<Set<string>> => {
    loading ??= (async () => {
      try {
        const rows = await db.select({ code: municipalities.code }).from(municipalities).where(eq(municipalities.active, true));
        codes = new Set(rows.map((r) => r.code));
        loadedAt = performance.now();
        return codes;
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  };

  return {
    async existing(wanted: readonly string[]): Promise<Set<string>> {
      const set = codes && performance.now() - loadedAt < ttlMs ? codes : await load();
      const found = new Set<string>();
      const missing: string[] = [];
      for (const c of wanted) {
        if (set.has(c)) found.add(c);
        else missing.push(c);
      }
      if (missing.length === 0) return found;
      const fresh = await repo.existing(db, missing);
      if (fresh.size > 0) loadedAt = -Infinity;
      for (const c of fresh) found.add(c);
      return found;
    },
  };
}
export type ActiveCodes = ReturnType<typeof createActiveCodes>;
