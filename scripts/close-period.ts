/**
 * Closes a distribution period from the command line, through the same service as
 * POST /api/v1/distribution/periods/{period}/close (same checks, same settlement, audited as a
 * system actor named after the operator):
 *
 *   npm run close-period -- 2026-H1 [--force]
 *
 * --force closes the current period before its last day has passed (see
 * src/modules/distribution/README.md). Exit codes: 0 closed, 1 refused (already closed, not
 * ended, out of order) or failed, 2 usage. Embedded mode (no DATABASE_URL): stop `npm start`
 * first; PGlite allows one process per data directory.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/boot.js';
import { systemClock } from '../src/clock.js';
import { createDatabase } from '../src/db/client.js';
import { seedReferenceData } from '../src/db/seed.js';
import { AppError } from '../src/http/errors.js';
import { createLogger } from '../src/logger.js';
import { createAllocationRepository } from '../src/modules/allocation/allocation-repository.js';
import { PERIOD_PATTERN } from '../src/modules/allocation/periods.js';
import { createAuditService, type Actor } from '../src/modules/audit/audit-service.js';
import { createDistributionRepository } from '../src/modules/distribution/distribution-repository.js';
import { createDistributionService } from '../src/modules/distribution/distribution-service.js';

const USAGE = 'usage: close-period <period, e.g. 2026-H1> [--force]\n';

function usage(message: string): never {
  process.stderr.write(`close-period: ${message}\n${USAGE}`);
  process.exit(2);
}

function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

let parsed;
try {
  parsed = parseArgs({ options: { force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
} catch (err) {
  usage((err as Error).message);
}
if (parsed.values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const [period, ...rest] = parsed.positionals;
if (period === undefined || rest.length > 0) usage('give exactly one period');
if (!PERIOD_PATTERN.test(period)) usage(`"${period}" is not a period like 2026-H1`);

const config = loadConfigOrExit();
// Info lines would mix with the summary on stdout; warnings and errors still reach stderr.
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { role: 'close-period' });
const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
try {
  if (database.kind === 'pglite') {
    await database.migrate();
    await seedReferenceData(database.db, logger);
  }
  const db = database.db;
  const distribution = createDistributionService({
    db,
    repo: createDistributionRepository(),
    ledgerLock: createAllocationRepository(),
    // Workers in other processes see the settlement through the ledger seq; this process keeps no engine.
    ledger: { invalidate: () => {} },
    audit: createAuditService({ db, clock: systemClock }),
    clock: systemClock,
    logger,
    settings: config.periods,
    unit: config.allocation.unit,
  });
  const actor: Actor = { sub: `system:close-period:${operator()}`.slice(0, 200), role: 'system', organisation: 'LCP', traceId: null };
  const out = await distribution.closePeriod(actor, period, { force: parsed.values.force === true });
  process.stdout.write(
    `closed ${out.period} (${out.startsOn} – ${out.endsOn}) at ${out.closedAt}\n` +
      `  ${out.municipalities} balances snapshotted; carry factor ${out.carryFactor}, cap ${out.carryCap ?? 'none'}\n` +
      `  ${out.adjusted} carried balances changed by factor or cap (one settlement movement each, booked in ${out.nextPeriod})\n` +
      `  sum of balances ${out.balanceTotal}, carried into ${out.nextPeriod} ${out.carriedOutTotal}\n`,
  );
} catch (err) {
  // One transaction: a refusal or failure wrote nothing.
  process.stderr.write(`close-period: ${err instanceof AppError ? err.detail : (err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
