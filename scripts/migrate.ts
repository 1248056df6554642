// `npm run migrate`: apply the SQL migrations, then load the bundled reference data when empty.
import { loadConfigOrExit } from '../src/boot.js';
import { createDatabase } from '../src/db/client.js';
import { seedReferenceData } from '../src/db/seed.js';
import { createLogger } from '../src/logger.js';

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel, { role: 'migrate' });
const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
try {
  await database.migrate();
  logger.info({ database: database.kind }, 'migrations applied');
  await seedReferenceData(database.db, logger);
} finally {
  await database.close();
}
