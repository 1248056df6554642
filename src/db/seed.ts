import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db, DbOrTx } from './client.js';
import { distributionKeys, ledgerState, municipalities, municipalityLedger } from './schema/index.js';
import { parseCsvRecords } from '../lib/csv.js';

/** CBS StatLine 70072NED, 1 January 2024, CC BY 4.0 (see reference-data/PROVENANCE.md). */
export const BUNDLED_MUNICIPALITIES = fileURLToPath(new URL('../../reference-data/municipalities-2024.csv', import.meta.url));

export interface MunicipalityRecord {
  code: string;
  name: string;
  province: string;
  population: number;
}

/** Reads a CBS-shaped table (code,name,province,population); refuses a malformed one whole. */
export function readMunicipalityCsv(text: string): MunicipalityRecord[] {
  const { header, records } = parseCsvRecords(text);
  for (const col of ['code', 'name', 'province', 'population']) {
    if (!header.includes(col)) throw new Error(`the CSV has no "${col}" column`);
  }
  const seen = new Set<string>();
  return records.map((r, i) => {
    const line = i + 2;
    if (!/^GM[0-9]{4}$/.test(r.code!)) throw new Error(`line ${line}: "${r.code}" is not a GM code`);
    if (seen.has(r.code!)) throw new Error(`line ${line}: ${r.code} appears twice`);
    seen.add(r.code!);
    if (!/^[0-9]+$/.test(r.population!)) throw new Error(`line ${line}: population "${r.population}" is not a whole number`);
    if (!r.name || !r.province) throw new Error(`line ${line}: name and province are required`);
    return { code: r.code!, name: r.name, province: r.province, population: Number(r.population) };
  });
}

/** Ledger rows for municipalities that have none yet (new codes after an import). */
export async function ensureLedgerRows(tx: DbOrTx) {
  await tx.execute(sql`
    insert into ${municipalityLedger} (municipality)
    select code from ${municipalities}
    on conflict do nothing`);
}

/** The default key: population share, weights = inhabitants (exact integers). */
export async function createPopulationKey(tx: DbOrTx, createdBy: string): Promise<number> {
  const rows = await tx.select({ code: municipalities.code, population: municipalities.population }).from(municipalities).where(sql`${municipalities.active}`);
  const [last] = await tx.select({ v: sql<number>`coalesce(max(${distributionKeys.version}), 0)::int` }).from(distributionKeys);
  const version = (last?.v ?? 0) + 1;
  await tx.insert(distributionKeys).values({
    version,
    kind: 'population',
    definition: { kind: 'population', source: 'CBS population on 1 January' },
    weights: Object.fromEntries(rows.map((r) => [r.code, String(r.population)])),
    createdBy,
  });
  return version;
}

/**
 * Loads the bundled CBS table when the municipality table is empty, then makes sure a key and
 * the ledger head exist. Safe to run any number of times.
 */
export async function seedReferenceData(db: Db, logger?: Logger, file = BUNDLED_MUNICIPALITIES) {
  await db.transaction(async (tx) => {
    await tx.execute(sql`lock table ${municipalities} in exclusive mode`);
    const [count] = await tx.select({ n: sql<number>`count(*)::int` }).from(municipalities);
    if ((count?.n ?? 0) === 0) {
      const records = readMunicipalityCsv(readFileSync(file, 'utf8'));
      await tx.insert(municipalities).values(records);
      logger?.info({ municipalities: records.length }, 'loaded bundled CBS municipality data');
    }
    await ensureLedgerRows(tx);
    const [key] = await tx.select({ v: distributionKeys.version }).from(distributionKeys).limit(1);
    const version = key ? undefined : await createPopulationKey(tx, 'system:seed');
    if (version !== undefined) {
      await tx.insert(ledgerState).values({ id: 1, seq: 0, keyVersion: version }).onConflictDoNothing();
      logger?.info({ keyVersion: version }, 'created the default population key');
    }
  });
}
