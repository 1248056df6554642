// `npm run import-attributes -- <file.csv> --source "<who published it>" --date YYYY-MM-DD`
// Loads numeric attributes per municipality (e.g. socialHousing, vacancies) that a composite
// distribution key may weigh (PUT /api/v1/distribution/key). The CSV has a `code` column and one
// column per attribute; an empty cell leaves that municipality without the attribute. Each
// imported attribute is replaced as a whole (codes not in the file lose it), and its source and
// reference date are recorded: a key adopted later names them in its definition.
// `population` is not an attribute here: it comes with the CBS table (import-municipalities).
// Embedded mode (no DATABASE_URL): stop `npm start` first; PGlite allows one process per data dir.
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { systemClock, type Clock } from '../src/clock.js';
import type { Db } from '../src/db/client.js';
import { runSourcedImport } from './lib/sourced-import.js';
import { attributeSources, ledgerState, municipalities } from '../src/db/schema/index.js';
import { parseCsv } from '../src/lib/csv.js';
import { createAuditService, type Actor } from '../src/modules/audit/audit-service.js';

const ATTRIBUTE = /^[A-Za-z][A-Za-z0-9_]{0,49}$/;
/** Plain decimals with a dot, as CBS exports them; no thousands separators (ambiguous between locales). */
const NUMBER = /^[0-9]{1,15}(\.[0-9]{1,6})?$/;

export interface AttributeTable {
  attributes: string[];
  rows: Array<{ code: string; values: Record<string, number> }>;
}

/** Reads and checks the whole file; every problem is reported at once and nothing is written. */
export function readAttributeCsv(text: string): AttributeTable {
  const [head, ...body] = parseCsv(text);
  if (!head) throw new Error('the file is empty');
  const header = head.map((h) => h.trim());
  const problems: string[] = [];
  const codeAt = header.findIndex((h) => h.toLowerCase() === 'code');
  if (codeAt < 0) problems.push('the CSV has no "code" column');
  const attributes = header.filter((_, i) => i !== codeAt);
  if (attributes.length === 0) problems.push('the CSV has no attribute column besides "code"');
  const seenAttr = new Set<string>();
  for (const a of attributes) {
    if (!ATTRIBUTE.test(a)) problems.push(`column "${a}" is not an attribute name (a letter, then letters, digits or _; at most 50)`);
    else if (a.toLowerCase() === 'population') problems.push('"population" comes with the CBS municipality table (npm run import-municipalities), not as an attribute');
    if (seenAttr.has(a)) problems.push(`column "${a}" appears twice`);
    seenAttr.add(a);
  }
  const seen = new Set<string>();
  const rows = body.map((cells, k) => {
    const line = k + 2;
    const code = (cells[codeAt] ?? '').trim();
    if (!/^GM[0-9]{4}$/.test(code)) problems.push(`line ${line}: "${code}" is not a GM code`);
    else if (seen.has(code)) problems.push(`line ${line}: ${code} appears twice`);
    seen.add(code);
    const values: Record<string, number> = {};
    header.forEach((h, i) => {
      if (i === codeAt) return;
      const raw = (cells[i] ?? '').trim();
      if (raw === '') return;
      if (!NUMBER.test(raw)) problems.push(`line ${line}: ${h} "${raw}" is not a non-negative number (use a dot for decimals)`);
      else values[h] = Number(raw);
    });
    return { code, values };
  });
  if (problems.length > 0) throw new Error(problems.slice(0, 30).join('\n') + (problems.length > 30 ? `\n… and ${problems.length - 30} more` : ''));
  return { attributes, rows };
}

export interface AttributeImportSummary {
  attributes: Array<{ attribute: string; municipalities: number; missingActive: number }>;
}

/** One transaction: the attributes, their provenance and the audit line commit together. */
export async function importAttributes(
  db: Db,
  table: AttributeTable,
  opts: { source: string; referenceDate: string; actor: Actor; clock?: Clock },
): Promise<AttributeImportSummary> {
  const clock = opts.clock ?? systemClock;
  const audit = createAuditService({ db, clock });
  return db.transaction(async (tx) => {
    // The same lock order as an allocation or a key change: ledger first, then the table.
    await tx.execute(sql`select 1 from ${ledgerState} where ${ledgerState.id} = 1 for update`);
    await tx.execute(sql`lock table ${municipalities} in exclusive mode`);
    const known = new Map((await tx.select({ code: municipalities.code, active: municipalities.active, attributes: municipalities.attributes }).from(municipalities)).map((m) => [m.code, m]));
    const unknown = table.rows.filter((r) => !known.has(r.code)).map((r) => r.code);
    if (unknown.length > 0) throw new Error(`unknown municipality codes: ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? ', …' : ''}`);
    const byCode = new Map(table.rows.map((r) => [r.code, r.values]));
    const at = clock.now();
    const updates: Array<{ code: string; attributes: Record<string, number> }> = [];
    for (const [code, m] of known) {
      const next: Record<string, number> = { ...(m.attributes ?? {}) };
      for (const a of table.attributes) delete next[a];
      Object.assign(next, byCode.get(code) ?? {});
      if (JSON.stringify(next) !== JSON.stringify(m.attributes ?? {})) updates.push({ code, attributes: next });
    }
    if (updates.length > 0) {
      await tx.execute(sql`
        update ${municipalities} m set attributes = v.attributes, updated_at = ${at}
        from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as v(code text, attributes jsonb)
        where m.code = v.code`);
    }
    await tx
      .insert(attributeSources)
      .values(table.attributes.map((attribute) => ({ attribute, source: opts.source, referenceDate: opts.referenceDate, importedAt: at, importedBy: opts.actor.sub })))
      .onConflictDoUpdate({
        target: attributeSources.attribute,
        set: { source: sql`excluded.source`, referenceDate: sql`excluded.reference_date`, importedAt: sql`excluded.imported_at`, importedBy: sql`excluded.imported_by` },
      });
    await audit.record(tx, opts.actor, table.attributes.map((a) => ({ action: 'municipality-attribute.import', resourceType: 'municipality-attribute', resourceId: a })));
    const active = [...known.values()].filter((m) => m.active).map((m) => m.code);
    return {
      attributes: table.attributes.map((attribute) => ({
        attribute,
        municipalities: table.rows.filter((r) => r.values[attribute] !== undefined).length,
        missingActive: active.filter((c) => byCode.get(c)?.[attribute] === undefined).length,
      })),
    };
  });
}

export function formatAttributeSummary(s: AttributeImportSummary): string {
  return (
    s.attributes
      .map((a) => `${a.attribute}: ${a.municipalities} municipalities` + (a.missingActive > 0 ? `; missing for ${a.missingActive} active municipalities (a composite key cannot use it until they have it)` : '; complete'))
      .join('\n') + '\n'
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSourcedImport('import-attributes', readAttributeCsv, async (db, table, opts) => formatAttributeSummary(await importAttributes(db, table, opts)));
}
