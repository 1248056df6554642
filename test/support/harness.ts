// Test harness: every test file gets its own PostgreSQL database and BullMQ key prefix, so
// files run in parallel against the one real PostgreSQL and Redis of the machine.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import { createContainer, type Container } from '../../src/container.js';
import { buildApp } from '../../src/app.js';
import { startWorker } from '../../src/boot.js';
import { seedReferenceData } from '../../src/db/seed.js';
import { createLogger } from '../../src/logger.js';
import { signToken, type Role } from '../../src/modules/auth/auth-tokens.js';
import type { Clock } from '../../src/clock.js';

export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Fixed so a failing run can be replayed; random-looking, since the service refuses weak secrets and keys. */
export const TEST_JWT_SECRET = 'xWWkvShlqYbOM5TgladNwZdLLHs/VDTS4BI5kLB0weo=';
export const TEST_PII_KEY = '8+qakfIeCkFsptXEo4l64YoDYJ4B8VrIf4UQHWQ+els=';
export const TEST_HMAC_KEY = 'ikjHDwA3ThtOzQJulyjKcZ+XA9FyIjL0WM6hlY8MwtQ=';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Creates an empty database; returns its URL and a function that drops it. */
export async function createTestDatabase(prefix = 'spreiding_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    LOG_LEVEL: 'silent',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    PII_ENCRYPTION_KEY: TEST_PII_KEY,
    PII_HMAC_KEY: TEST_HMAC_KEY,
    QUEUE_PREFIX: uniqueName('t'),
    OUTBOX_POLL_MS: '50',
    RATE_LIMIT_PER_MINUTE: '100000',
    ...overrides,
  };
}

export interface TestApp {
  app: FastifyInstance;
  container: Container;
  config: Config;
  databaseUrl: string;
  /** What a separate worker or api process needs to join this test's database and queue. */
  env: Record<string, string | undefined>;
  token(role: Role, opts?: { municipality?: string; municipalities?: string[]; sub?: string }): Promise<string>;
  auth(role: Role, opts?: { municipality?: string; municipalities?: string[]; sub?: string }): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

/** A migrated, seeded database and the HTTP app on it (inject only; nothing listens). */
export async function startTestApp(
  opts: {
    redis?: boolean;
    clock?: Clock;
    env?: Record<string, string>;
    /** Run the outbox relay (queued jobs reach the queue). */
    relay?: boolean;
    /** Run a worker in this process (in-process or BullMQ driver, as configured). */
    worker?: boolean;
    /** A database migrated and seeded already (not dropped by close), instead of a fresh one. */
    databaseUrl?: string;
  } = {},
): Promise<TestApp> {
  const database = opts.databaseUrl ? { url: opts.databaseUrl, drop: async () => {} } : await createTestDatabase();
  const env = testEnv({ DATABASE_URL: database.url, REDIS_URL: opts.redis ? REDIS_URL : undefined, ...opts.env });
  const config = loadConfig(env);
  const container = await createContainer({ config, logger: createLogger(config.logLevel), ...(opts.clock ? { clock: opts.clock } : {}) });
  if (!opts.databaseUrl) {
    await container.database.migrate();
    await seedReferenceData(container.db);
  }
  const app = await buildApp(container);
  await app.ready();
  if (opts.relay) container.startRelay();
  const runner = opts.worker ? await startWorker(container) : undefined;
  const token: TestApp['token'] = (role, o = {}) =>
    signToken(TEST_JWT_SECRET, {
      sub: o.sub ?? `test:${role}:${o.municipality ?? 'x'}`,
      role,
      ...(o.municipality ? { municipality: o.municipality } : {}),
      ...(o.municipalities ? { municipalities: o.municipalities } : {}),
      expiresInSeconds: 3600,
    });
  return {
    app,
    container,
    config,
    databaseUrl: database.url,
    token,
    auth: async (role, o) => ({ authorization: `Bearer ${await token(role, o)}` }),
    env,
    async close() {
      await runner?.close();
      await app.close();
      await container.close();
      await database.drop();
    },
  };
}

/** A clock the test moves by hand. */
export function fixedClock(iso: string): Clock & { set(iso: string): void; advance(ms: number): void } {
  let t = new Date(iso).getTime();
  return {
    now: () => new Date(t),
    set: (s) => {
      t = new Date(s).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** One statement on its own connection (outside the app under test): the rows it returns. */
export async function sqlRows<T extends pg.QueryResultRow>(databaseUrl: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** `pg_dump --data-only` of a test database: what a backup or a stolen dump would hold. */
export async function pgDump(databaseUrl: string): Promise<string> {
  const url = new URL(databaseUrl);
  const { stdout } = await promisify(execFile)('pg_dump', ['--data-only', '-h', url.hostname, '-p', url.port || '5432', '-U', url.username || 'postgres', url.pathname.slice(1)], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

/** Row counts of every table, to prove that bad input changed nothing. */
export async function rowCounts(databaseUrl: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
    );
    const out: Record<string, number> = {};
    for (const r of rows) {
      const { rows: n } = await c.query<{ n: number }>(`select count(*)::int as n from "${r.table_name}"`);
      out[r.table_name] = n[0]!.n;
    }
    return out;
  } finally {
    await c.end();
  }
}
