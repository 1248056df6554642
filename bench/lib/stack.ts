// Running the service as the production layout runs it: one api process and N worker processes
// on a database and a queue prefix of their own. Shared by the end-to-end bench and the drills.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createDatabase } from '../../src/db/client.js';
import { QUEUE_NAME } from '../../src/jobs/bullmq-driver.js';
import { seedReferenceData } from '../../src/db/seed.js';
import { signToken } from '../../src/modules/auth/auth-tokens.js';
import { TEST_HMAC_KEY, TEST_JWT_SECRET, TEST_PII_KEY } from '../../test/support/harness.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  /** The pid of the process that runs the code (signals and RSS go here). */
  readonly pid: number;
  readonly exited: Promise<number | null>;
  output(): string;
  alive(): boolean;
  /** Sends the signal (SIGTERM by default) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const OUTPUT_KEEP_CHARS = 200_000;

/**
 * `node --import tsx <file>`: one process per role, as in production (`node dist/src/worker.js`),
 * so a signal reaches the code itself and RSS is the process's own. (The tsx CLI would put a
 * relaying parent in between, and a SIGKILL to that parent leaves the real process running.)
 */
export function spawnService(name: string, file: string, env: Record<string, string | undefined>, args: string[] = []): Service {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > OUTPUT_KEEP_CHARS) out = out.slice(-OUTPUT_KEEP_CHARS / 2);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    pid: child.pid!,
    exited,
    output: () => out,
    alive,
    async stop(signal = 'SIGTERM') {
      if (alive()) child.kill(signal);
      return exited;
    },
  };
}

/** Resident set size in KiB, from /proc (Linux). */
export function rssKb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Migrations and the bundled reference data (CBS municipalities, key, ledger head). */
export async function prepareDatabase(databaseUrl: string): Promise<void> {
  const database = await createDatabase({ databaseUrl, dataDir: '/nonexistent', poolMax: 2 });
  try {
    await database.migrate();
    await seedReferenceData(database.db);
  } finally {
    await database.close();
  }
}

/**
 * A checkpoint now, before a measured phase: otherwise one (timed, or requested by another
 * database's CREATE or DROP) may land inside a phase, and the full-page writes after it double
 * PostgreSQL's CPU per row for a while (seen on this machine: 0.5 against 1.5 ms per registration
 * in two phases of the same run). Needs a superuser or pg_checkpoint, as the bench's admin URL has.
 */
export async function checkpoint(adminUrl: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query('checkpoint');
  } finally {
    await c.end();
  }
}

/** Creates a database next to `adminUrl` (same server); returns its URL and a drop function. */
export async function createNamedDatabase(adminUrl: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Everything an api or worker process needs, with the keys the tests use. */
export function serviceEnv(o: {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  port?: number;
  logLevel?: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: o.prefix,
    PORT: String(o.port ?? 0),
    HOST: '127.0.0.1',
    LOG_LEVEL: o.logLevel ?? 'warn',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    PII_ENCRYPTION_KEY: TEST_PII_KEY,
    PII_HMAC_KEY: TEST_HMAC_KEY,
    // Load comes from one client; the production limit (600/min per subject) would measure the limiter.
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...o.extra,
  };
}

/** A municipality's token, signed with the test secret the processes are started with. */
export function municipalityToken(code = 'GM0363', sub = `bench:${code}`): Promise<string> {
  return signToken(TEST_JWT_SECRET, { sub, role: 'municipality', municipality: code, expiresInSeconds: 6 * 3600 });
}

export function coordinatorToken(): Promise<string> {
  return signToken(TEST_JWT_SECRET, { sub: 'drill:coordinator', role: 'coordinator', expiresInSeconds: 6 * 3600 });
}

/** Polls until `check` returns a value, or throws with `what` when the time is up. */
export async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until the api answers /ready (database and queue reachable). */
export async function waitReady(baseUrl: string, timeoutMs = 30_000, service?: Service): Promise<void> {
  await until(
    async () => {
      if (service && !service.alive()) throw new Error(`${service.name} exited:\n${service.output().slice(-3000)}`);
      const res = await fetch(`${baseUrl}/api/v1/ready`);
      return res.status === 200 ? true : undefined;
    },
    `${baseUrl} to be ready${service ? `\n${service.output().slice(-2000)}` : ''}`,
    timeoutMs,
    100,
  ).catch((err: Error) => {
    if (service && !service.alive()) throw new Error(`${service.name} exited:\n${service.output().slice(-3000)}`);
    throw err;
  });
}

/** Workers connected to the queue (BullMQ names its worker connections), for "all workers are up". */
export async function connectedWorkers(redisUrl: string, prefix: string): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  connection.on('error', () => {});
  const queue = new Queue(QUEUE_NAME, { connection, prefix });
  try {
    return await queue.getWorkersCount();
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export interface PostResult {
  status: number;
  contentType: string;
  retryAfter: string | null;
  body: Record<string, unknown>;
  ms: number;
}

/** One POST /registrations as a municipality's client would send it. */
export async function postRegistration(baseUrl: string, token: string, body: unknown, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<PostResult> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/api/v1/registrations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text.slice(0, 500) };
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after'), body: json, ms: performance.now() - started };
}

/** Registrations per status, straight from the database. */
export async function statusCounts(databaseUrl: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ status: string; n: number }>('select status, count(*)::int as n from registrations group by status');
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } finally {
    await c.end();
  }
}

const QUIET_FOR_MS = 1_000;

/**
 * Every worker upserts the period-closing scheduler at start, and its first run takes the ledger
 * lock at once. Drills that hold that lock wait for those runs first: nothing active or waiting
 * for a second, and at least one scheduler run completed.
 */
export async function waitQueueQuiet(redis: Redis, prefix: string, timeoutMs = 30_000): Promise<void> {
  const key = (s: string) => `${prefix}:${QUEUE_NAME}:${s}`;
  let quietSince = 0;
  await until(
    async () => {
      const busy = (await redis.llen(key('active'))) + (await redis.llen(key('wait'))) + (await redis.zcard(key('prioritized')));
      const ran = (await redis.zrange(key('completed'), '0', '-1')).some((id) => id.startsWith('repeat:'));
      if (busy > 0 || !ran) {
        quietSince = 0;
        return undefined;
      }
      quietSince ||= Date.now();
      return Date.now() - quietSince >= QUIET_FOR_MS ? true : undefined;
    },
    'the queue to be quiet after the workers started',
    timeoutMs,
    100,
  );
}
