// `npm run import-municipalities -- <file.csv> [--adopt-key]`
// Loads a newer CBS municipality table (code,name,province,population), e.g. after the yearly
// herindeling of 1 January. Codes missing from the file are deactivated, never deleted: old
// registrations, allocations and ledger rows still point at them.
// With --adopt-key the distribution key is rebuilt from the new populations and made current.
// Embedded mode (no DATABASE_URL): stop `npm start` first; PGlite allows one process per data dir.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { and, eq, sql } from 'drizzle-orm';
import { loadConfigOrExit } from '../src/boot.js';
import { systemClock, type Clock } from '../src/clock.js';
import { createDatabase, type Db } from '../src/db/client.js';
import { municipalities, ledgerState } from '../src/db/schema/index.js';
import { createPopulationKey, ensureLedgerRows, readMunicipalityCsv, type MunicipalityRecord } from '../src/db/seed.js';
import { createAuditService, type Actor } from '../src/modules/audit/audit-service.js';

export interface ImportSummary {
  added: string[];
  updated: string[];
  deactivated: string[];
  unchanged: number;
  /** The key version made current; undefined without --adopt-key. */
  adoptedKeyVersion: number | undefined;
}

export interface ImportOptions {
  adoptKey: boolean;
  actor: Actor;
  clock?: Clock;
}

/** The whole import is one transaction: a half-applied CBS table would skew every share. */
export async function importMunicipalities(db: Db, records: readonly MunicipalityRecord[], opts: ImportOptions): Promise<ImportSummary> {
  if (records.length === 0) throw new Error('the file lists no municipalities; refusing to deactivate them all');
  const clock = opts.clock ?? systemClock;
  const audit = createAuditService({ db, clock });
  return db.transaction(async (tx) => {
    // Allocations lock ledger_state first and then read municipalities; taking the locks in the
    // same order means an import waits for a running allocation instead of deadlocking with it.
    await tx.execute(sql`select 1 from ${ledgerState} where ${ledgerState.id} = 1 for update`);
    await tx.execute(sql`lock table ${municipalities} in exclusive mode`);

    const before = new Map((await tx.select().from(municipalities)).map((m) => [m.code, m]));
    const added: string[] = [];
    const updated: string[] = [];
    let unchanged = 0;
    const changed: MunicipalityRecord[] = [];
    for (const r of records) {
      const old = before.get(r.code);
      if (!old) added.push(r.code);
      else if (old.name !== r.name || old.province !== r.province || old.population !== r.population || !old.active) updated.push(r.code);
      else {
        unchanged++;
        continue;
      }
      changed.push(r);
    }

    const at = clock.now();
    if (changed.length > 0) {
      await tx
        .insert(municipalities)
        .values(changed.map((r) => ({ ...r, active: true, updatedAt: at })))
        .onConflictDoUpdate({
          target: municipalities.code,
          set: {
            name: sql`excluded.name`,
            province: sql`excluded.province`,
            population: sql`excluded.population`,
            active: true,
            updatedAt: at,
          },
        });
    }
    const listed = records.map((r) => r.code);
    const deactivated = (
      await tx
        .update(municipalities)
        .set({ active: false, updatedAt: at })
        .where(and(eq(municipalities.active, true), sql`${municipalities.code} <> all(${sql.param(listed)}::text[])`))
        .returning({ code: municipalities.code })
    )
      .map((r) => r.code)
      .sort();
    await ensureLedgerRows(tx);

    let adoptedKeyVersion: number | undefined;
    if (opts.adoptKey) {
      adoptedKeyVersion = await createPopulationKey(tx, opts.actor.sub);
      // seq stays: it is the last movement written (ledger-service.ts). Workers key their cached
      // ledger on seq and key version together, so the new version alone makes them reload.
      await tx
        .insert(ledgerState)
        .values({ id: 1, seq: 0, keyVersion: adoptedKeyVersion })
        .onConflictDoUpdate({ target: ledgerState.id, set: { keyVersion: adoptedKeyVersion } });
    }

    await audit.record(tx, opts.actor, [
      { action: 'municipalities.import', resourceType: 'municipality' },
      ...(adoptedKeyVersion === undefined ? [] : [{ action: 'distribution-key.adopt', resourceType: 'distribution-key', resourceId: String(adoptedKeyVersion) }]),
    ]);
    return { added: added.sort(), updated: updated.sort(), deactivated, unchanged, adoptedKeyVersion };
  });
}

const LISTED_CODES_MAX = 20;
const codes = (list: string[]) =>
  list.length === 0 ? '' : `: ${list.slice(0, LISTED_CODES_MAX).join(', ')}${list.length > LISTED_CODES_MAX ? `, … (${list.length - LISTED_CODES_MAX} more)` : ''}`;

export function formatSummary(s: ImportSummary): string {
  const lines = [
    `added ${s.added.length}${codes(s.added)}`,
    `updated ${s.updated.length}${codes(s.updated)}`,
    `deactivated ${s.deactivated.length}${codes(s.deactivated)}`,
    `unchanged ${s.unchanged}`,
  ];
  if (s.adoptedKeyVersion !== undefined) lines.push(`distribution key version ${s.adoptedKeyVersion} (population shares) is now current`);
  else if (s.added.length + s.updated.length + s.deactivated.length > 0) {
    lines.push('the current distribution key is unchanged; run again with --adopt-key to base it on these populations');
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  const usage = 'usage: npm run import-municipalities -- <file.csv> [--adopt-key]';
  const fail = (message: string): never => {
    process.stderr.write(`import-municipalities: ${message}\n`);
    process.exit(2);
  };
  let parsed: { values: { 'adopt-key'?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ options: { 'adopt-key': { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  } catch (err) {
    return fail(`${(err as Error).message}\n${usage}`);
  }
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length > 0) return fail(usage);

  let records: MunicipalityRecord[] = [];
  try {
    records = readMunicipalityCsv(readFileSync(file, 'utf8'));
  } catch (err) {
    return fail(`${file}: ${(err as Error).message}`);
  }

  const config = loadConfigOrExit();
  const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
  try {
    // An embedded database has no separate migrate step (the same rule as the container's).
    if (database.kind === 'pglite') await database.migrate();
    const operator = (() => {
      try {
        return userInfo().username;
      } catch {
        return 'unknown';
      }
    })();
    const summary = await importMunicipalities(database.db, records, {
      adoptKey: parsed.values['adopt-key'] === true,
      actor: { sub: `cli:import-municipalities:${operator}`.slice(0, 200), role: 'operator', organisation: 'LCP', traceId: null },
    });
    process.stdout.write(formatSummary(summary));
  } catch (err) {
    // Nothing was written (one transaction); the message is for the operator, the exit code for scripts.
    process.stderr.write(`import-municipalities: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await database.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
