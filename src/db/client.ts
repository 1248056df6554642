import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** Both drivers (node-postgres and PGlite) share this interface; services see nothing else. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** A function that may run inside a transaction or on the pool. */
export type DbOrTx = Db | Tx;

/** A node-postgres pool's figures at this moment (for metrics). */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface Database {
  readonly db: Db;
  readonly kind: 'postgres' | 'pglite';
  /** Undefined for PGlite (one connection in this process). */
  poolStats(): PoolStats | undefined;
  ping(): Promise<void>;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** A statement of fixed text: `name` identifies it as a prepared statement where the driver supports that. */
export interface FixedStatement {
  name: string;
  text: string;
  values: unknown[];
}
type RawRunner = (q: FixedStatement) => Promise<{ rows: Record<string, unknown>[] }>;
const rawRunners = new WeakMap<object, RawRunner>();

/**
 * Runs one hand-written statement on the database behind `db`, outside drizzle: on node-postgres
 * as a named prepared statement (parsed and planned once per connection, then only bound and
 * executed), on PGlite as a plain parameterised query. For hot statements of fixed shape only;
 * values go as parameters, never into the text. Not for a transaction's `tx`: it runs on the pool.
 */
export async function runFixed(db: Db, q: FixedStatement): Promise<Record<string, unknown>[]> {
  const run = rawRunners.get(db);
  if (!run) throw new Error('runFixed: this Db was not built by createDatabase');
  return (await run(q)).rows;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  poolMax: number;
  /** Called for pool-level errors (an idle client losing its connection) so they are logged, not thrown. */
  onPoolError?: (err: Error) => void;
}

export async function createDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pg = await import('pg');
    const { drizzle } = await import('drizzle-orm/node-postgres');
    const { migrate } = await import('drizzle-orm/node-postgres/migrator');
    // Dates stay strings ('YYYY-MM-DD'): a calendar date has no time zone to drift in.
    pg.default.types.setTypeParser(1082, (v: string) => v);
    const pool = new pg.default.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolMax,
      connectionTimeoutMillis: 5_000,
      // A statement stuck behind a restarting server must not hold a request forever.
      query_timeout: 30_000,
    });
    pool.on('error', (err) => opts.onPoolError?.(err));
    // The pool listens for errors only on idle clients. A server restart that ends a checked-out
    // client between two statements (inside a transaction) emits 'error' on that client, and
    // with no listener the process dies. The statement that follows fails and is answered
    // (503, job retry); the pool drops the client when it comes back.
    const onCheckedOutError = (err: Error) => opts.onPoolError?.(err);
    pool.on('acquire', (client) => client.on('error', onCheckedOutError));
    pool.on('release', (_err, client) => client.off('error', onCheckedOutError));
    const db = drizzle(pool, { schema });
    rawRunners.set(db, (q) => pool.query({ name: q.name, text: q.text, values: q.values }));
    return {
      db: db as unknown as Db,
      kind: 'postgres',
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: opts.poolMax }),
      async ping() {
        await db.execute(sql`select 1`);
      },
      async migrate() {
        await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
      },
      async close() {
        await pool.end();
      },
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const dir = join(opts.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  makePrivate(dir);
  // Calendar dates stay strings, as with node-postgres above.
  const client = await PGlite.create(dir, { parsers: { 1082: (v: string) => v } });
  const db = drizzle(client, { schema });
  rawRunners.set(db, (q) => client.query(q.text, q.values));
  return {
    db: db as unknown as Db,
    kind: 'pglite',
    poolStats: () => undefined,
    async ping() {
      await db.execute(sql`select 1`);
    },
    async migrate() {
      await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    },
    async close() {
      await client.close();
      makePrivate(dir);
    },
  };
}

/**
 * Emscripten's file system, under PGlite, creates every file with mode 0666 whatever the umask.
 * The directory itself is 0700, so no other user can reach them while the service runs; at start
 * and at a clean stop every file is also made 0600 and every directory 0700.
 */
export function makePrivate(dir: string) {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makePrivate(path);
    else if (entry.isFile()) chmodSync(path, 0o600);
  }
}
