// The command line of an import that names its source: `<file.csv> --source "…" --date YYYY-MM-DD`.
// Shared by import-attributes and import-regions: arguments, the file read and checked whole
// before anything connects, the database (embedded: migrated first), the operator as actor.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../../src/boot.js';
import { createDatabase, type Db } from '../../src/db/client.js';
import type { Actor } from '../../src/modules/audit/audit-service.js';

export interface SourcedImportOptions {
  source: string;
  referenceDate: string;
  actor: Actor;
}

export async function runSourcedImport<T>(
  tool: string,
  read: (text: string) => T,
  run: (db: Db, table: T, opts: SourcedImportOptions) => Promise<string>,
): Promise<void> {
  const usage = `usage: npm run ${tool} -- <file.csv> --source "<publisher, table>" --date YYYY-MM-DD`;
  const fail = (message: string): never => {
    process.stderr.write(`${tool}: ${message}\n`);
    process.exit(2);
  };
  let parsed: { values: { source?: string; date?: string }; positionals: string[] };
  try {
    parsed = parseArgs({ options: { source: { type: 'string' }, date: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (err) {
    return fail(`${(err as Error).message}\n${usage}`);
  }
  const [file, ...extra] = parsed.positionals;
  const source = parsed.values.source?.trim();
  const date = parsed.values.date;
  if (!file || extra.length > 0 || !source || !date) return fail(usage);
  if (source.length > 200) return fail('--source is at most 200 characters');
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) return fail('--date must be a date, YYYY-MM-DD');
  let table: T;
  try {
    table = read(readFileSync(file, 'utf8'));
  } catch (err) {
    return fail(`${file}:\n${(err as Error).message}`);
  }
  const config = loadConfigOrExit();
  const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
  try {
    if (database.kind === 'pglite') await database.migrate();
    const operator = (() => {
      try {
        return userInfo().username;
      } catch {
        return 'unknown';
      }
    })();
    const actor: Actor = { sub: `cli:${tool}:${operator}`.slice(0, 120), role: 'operator', organisation: 'LCP', traceId: null };
    process.stdout.write(await run(database.db, table, { source, referenceDate: date, actor }));
  } catch (err) {
    // Nothing was written (one transaction); the message is for the operator, the exit code for scripts.
    process.stderr.write(`${tool}: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await database.close();
  }
}
