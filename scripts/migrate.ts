// `npm run migrate`: apply the SQL migrations, then load the bundled reference data when empty,
// then (with DATABASE_APP_ROLE) grant the application's role what it needs and no more.
// Run it as the owner of the database; the api and worker log in as DATABASE_APP_ROLE.
import { loadConfigOrExit } from '../src/boot.js';
import { createDatabase } from '../src/db/client.js';
import { GrantError, grantApplicationRole } from '../src/db/grants.js';
import { seedReferenceData } from '../src/db/seed.js';
import { createLogger } from '../src/logger.js';

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel, { role: 'migrate' });
const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
try {
  await database.migrate();
  logger.info({ database: database.kind }, 'migrations applied');
  await seedReferenceData(database.db, logger);
  if (config.databaseAppRole !== undefined) {
    if (database.kind !== 'postgres') throw new GrantError('DATABASE_APP_ROLE needs DATABASE_URL (embedded mode has one role)');
    const granted = await grantApplicationRole(database.db, config.databaseAppRole);
    logger.info({ role: config.databaseAppRole, ...granted }, 'application role granted');
  }
} catch (err) {
  if (!(err instanceof GrantError)) throw err;
  logger.error(err.message);
  process.exitCode = 1;
} finally {
  await database.close();
}
