// `npm run import-regions -- <file.csv> --source "<publisher, table>" --date YYYY-MM-DD`
// Sets the labour-market region and/or the Wmo centre-municipality region in the profiles of the
// municipalities listed, e.g. from CBS "Gebieden in Nederland" (columns code, labourMarketRegion,
// wmoRegion; either region column may be absent, an empty cell clears that region). Every
// municipality whose regions change gets a new profile version, attributed to the operator and
// the source; its facilities and note stay as they were. One transaction: all or nothing.
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { systemClock, type Clock } from '../src/clock.js';
import type { Db } from '../src/db/client.js';
import { runSourcedImport } from './lib/sourced-import.js';
import { ledgerState, municipalities } from '../src/db/schema/index.js';
import { parseCsvRecords } from '../src/lib/csv.js';
import { createAuditService, type Actor } from '../src/modules/audit/audit-service.js';
import { createMaatwerkRepository } from '../src/modules/maatwerk/maatwerk-repository.js';

const REGION = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,59}$/;
const COLUMNS = { labourmarketregion: 'labourMarketRegion', wmoregion: 'wmoRegion' } as const;

export interface RegionRow {
  code: string;
  labourMarketRegion?: string | null;
  wmoRegion?: string | null;
}

export function readRegionCsv(text: string): RegionRow[] {
  const { header, records } = parseCsvRecords(text);
  const problems: string[] = [];
  if (!header.includes('code')) problems.push('the CSV has no "code" column');
  const present = (Object.keys(COLUMNS) as Array<keyof typeof COLUMNS>).filter((c) => header.includes(c));
  if (present.length === 0) problems.push('the CSV has neither a "labourMarketRegion" nor a "wmoRegion" column');
  const seen = new Set<string>();
  const rows = records.map((r, k) => {
    const line = k + 2;
    const code = r.code ?? '';
    if (!/^GM[0-9]{4}$/.test(code)) problems.push(`line ${line}: "${code}" is not a GM code`);
    else if (seen.has(code)) problems.push(`line ${line}: ${code} appears twice`);
    seen.add(code);
    const row: RegionRow = { code };
    for (const c of present) {
      const v = r[c] ?? '';
      if (v !== '' && !REGION.test(v)) problems.push(`line ${line}: ${COLUMNS[c]} "${v}" is not a region code (letters, digits, space, _ . -; at most 60)`);
      row[COLUMNS[c]] = v === '' ? null : v;
    }
    return row;
  });
  if (problems.length > 0) throw new Error(problems.slice(0, 30).join('\n') + (problems.length > 30 ? `\n… and ${problems.length - 30} more` : ''));
  return rows;
}

export async function importRegions(db: Db, rows: readonly RegionRow[], opts: { source: string; referenceDate: string; actor: Actor; clock?: Clock }) {
  const clock = opts.clock ?? systemClock;
  const audit = createAuditService({ db, clock });
  const repo = createMaatwerkRepository();
  return db.transaction(async (tx) => {
    // The lock order of every writer: ledger, then the municipality rows (profiles are written under them).
    await tx.execute(sql`select 1 from ${ledgerState} where ${ledgerState.id} = 1 for update`);
    await tx.execute(sql`lock table ${municipalities} in share row exclusive mode`);
    const known = new Set((await tx.select({ code: municipalities.code }).from(municipalities)).map((m) => m.code));
    const unknown = rows.filter((r) => !known.has(r.code)).map((r) => r.code);
    if (unknown.length > 0) throw new Error(`unknown municipality codes: ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? ', …' : ''}`);
    const current = new Map((await repo.allProfiles(tx)).map((p) => [p.municipality, p]));
    const at = clock.now();
    const changed: string[] = [];
    for (const r of rows) {
      const p = current.get(r.code);
      const next = {
        labourMarketRegion: r.labourMarketRegion === undefined ? (p?.labourMarketRegion ?? null) : r.labourMarketRegion,
        wmoRegion: r.wmoRegion === undefined ? (p?.wmoRegion ?? null) : r.wmoRegion,
      };
      if (p && p.labourMarketRegion === next.labourMarketRegion && p.wmoRegion === next.wmoRegion) continue;
      if (!p && next.labourMarketRegion === null && next.wmoRegion === null) continue;
      const saved = await repo.putProfile(tx, {
        municipality: r.code,
        facilities: p?.facilities ?? {},
        note: p?.note ?? null,
        ...next,
        updatedAt: at,
        updatedBySub: `${opts.actor.sub} (${opts.source}, ${opts.referenceDate})`.slice(0, 200),
        updatedByRole: opts.actor.role,
      });
      changed.push(`${r.code}@${saved.version}`);
    }
    await audit.record(tx, opts.actor, changed.map((c) => ({ action: 'municipality-profile.update', resourceType: 'municipality-profile', resourceId: c })));
    return { changed: changed.length, unchanged: rows.length - changed.length };
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSourcedImport('import-regions', readRegionCsv, async (db, rows, opts) => {
    const out = await importRegions(db, rows, opts);
    return `profiles changed ${out.changed}, unchanged ${out.unchanged}\n`;
  });
}
