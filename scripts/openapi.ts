// `npm run openapi`: writes openapi/openapi.json from the route schemas.
// The document is built by the real app, so it cannot drift from what the API validates; it needs
// no database, Redis or secrets, so it runs anywhere (CI, a fresh clone, a release build).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/logger.js';

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url));

/**
 * An environment that satisfies the config but reaches nothing: pg.Pool connects on the first
 * query, and no query runs while the document is built. Without REDIS_URL the in-process driver
 * is used, which opens no connection either. The secrets are placeholders that sign nothing.
 */
const OFFLINE_ENV = {
  DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
  // Never used (nothing is signed or encrypted), but they must pass the start-up checks for weak keys.
  AUTH_JWT_SECRET: randomBytes(32).toString('base64'),
  PII_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  PII_HMAC_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: 'silent',
};

/** The OpenAPI document as the file holds it: 2-space JSON and a final newline. */
export async function generateOpenApi(): Promise<string> {
  const config = loadConfig(OFFLINE_ENV);
  const container = await createContainer({ config, logger: createLogger(config.logLevel, { role: 'openapi' }) });
  try {
    const app = await buildApp(container);
    try {
      await app.ready();
      return `${JSON.stringify(app.swagger(), null, 2)}\n`;
    } finally {
      await app.close();
    }
  } finally {
    await container.close();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const text = await generateOpenApi();
  mkdirSync(dirname(OPENAPI_FILE), { recursive: true });
  writeFileSync(OPENAPI_FILE, text);
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}
