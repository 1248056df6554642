/**
 * Shows what a distribution key would do before a coordinator adopts it: runs the allocation
 * engine on a fresh ledger (no family constraints) with the key definition against the current
 * municipality table, and prints, as CSV on stdout, every active municipality's key share and
 * the units it would hold after N units:
 *
 *   npm run --silent simulate-key -- --key <file.json> --units <N>
 *
 * The file holds the body of PUT /api/v1/distribution/key, e.g.
 *   {"kind":"composite","components":[{"attribute":"population","weight":"0.75"},{"attribute":"socialHousing","weight":"0.25"}]}
 * It is validated exactly as the API does. Nothing is written to the database. Errors go to
 * stderr with exit code 2 (usage, invalid key) or 1 (database).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/boot.js';
import { createDatabase } from '../src/db/client.js';
import { seedReferenceData } from '../src/db/seed.js';
import { toCsv } from '../src/lib/csv.js';
import { createLogger } from '../src/logger.js';
import { toFieldErrors, validatorCompiler } from '../src/http/validation.js';
import { createLedger } from '../src/modules/allocation/engine/index.js';
import { fixedDecimal } from '../src/modules/distribution/distribution-amounts.js';
import { computeKey, type KeyBody } from '../src/modules/distribution/distribution-keys.js';
import { createDistributionRepository } from '../src/modules/distribution/distribution-repository.js';
import { KeyBody as KeyBodySchema } from '../src/modules/distribution/distribution-schemas.js';

const USAGE = 'usage: simulate-key --key <file.json> --units <N>\n';
const EXIT_USAGE = 2;
/** Shares of small municipalities are around 0.00005: eight decimals keep them readable. */
const SHARE_PLACES = 8;
/** A simulation, not a replay of history: bounded so a typo cannot run for hours. */
const MAX_UNITS = 100_000_000;

function fail(message: string, code = EXIT_USAGE): never {
  process.stderr.write(`simulate-key: ${message}\n${code === EXIT_USAGE ? USAGE : ''}`);
  process.exit(code);
}

let values: { key?: string | undefined; units?: string | undefined; help?: boolean | undefined };
try {
  ({ values } = parseArgs({ options: { key: { type: 'string' }, units: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
} catch (err) {
  fail((err as Error).message);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (!values.key) fail('--key <file.json> is required');
if (values.units === undefined || !/^\d+$/.test(values.units.trim()) || Number(values.units) > MAX_UNITS) {
  fail(`--units must be a whole number from 0 to ${MAX_UNITS}`);
}
const units = Number(values.units.trim());

let body: unknown;
try {
  body = JSON.parse(readFileSync(values.key, 'utf8'));
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  fail(e.code === 'ENOENT' ? `file not found: ${values.key}` : `${values.key}: ${e.message}`);
}
// The API's own validator, so the file is judged exactly as a PUT body would be.
const validate = validatorCompiler({ schema: KeyBodySchema, httpPart: 'body', method: 'PUT', url: '/distribution/key' }) as unknown as ((v: unknown) => boolean) & { errors?: never[] };
const describe = (errors: Array<{ pointer: string; message: string }>) => errors.map((e) => `  ${e.pointer} ${e.message}`).join('\n');
if (!validate(body)) fail(`${values.key} is not a valid key definition:\n${describe(toFieldErrors('body', validate.errors ?? []))}`);

const config = loadConfigOrExit();
const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 1 });
let rows: Awaited<ReturnType<ReturnType<typeof createDistributionRepository>['activeMunicipalities']>>;
try {
  if (database.kind === 'pglite') {
    await database.migrate();
    await seedReferenceData(database.db, createLogger('warn', { role: 'simulate-key' }));
  }
  rows = await createDistributionRepository().activeMunicipalities(database.db);
} catch (err) {
  await database.close();
  fail(`cannot read the municipalities: ${(err as Error).message}`, 1);
}
await database.close();

const result = computeKey(body as KeyBody, rows.map((m) => ({ code: m.code, population: m.population, attributes: m.attributes as Record<string, unknown> })));
if (!result.ok) fail(`${values.key} is not a valid key for the current municipalities:\n${describe(result.problems)}`);

const ledger = createLedger({ municipalities: rows.map((m) => ({ code: m.code })), key: { version: 1, weights: result.weights } });
for (let i = 0; i < units; i++) ledger.allocate();
let total = 0n;
for (const w of result.weights.values()) total += w;
const lines = rows.map((m) => [m.code, m.name, fixedDecimal({ num: result.weights.get(m.code) ?? 0n, den: total }, SHARE_PLACES), ledger.allocatedOf(m.code)]);
process.stdout.write(toCsv(['code', 'name', 'share', 'units'], lines));
