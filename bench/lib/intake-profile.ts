// Where one registration's intake time goes: the api's own code (app + outbox relay) in this
// process, registrations posted one at a time through app.inject, every SQL statement timed at
// the pg driver. Env: DATABASE_URL (migrated), REDIS_URL, QUEUE_PREFIX, PROFILE_COUNT.
// Output: one line `PROFILE {…}` (IntakeProfile) on stdout.
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createContainer } from '../../src/container.js';
import { createLogger } from '../../src/logger.js';
import { familyBody } from '../../test/support/families.js';
import { municipalityToken, serviceEnv } from './stack.js';

export interface IntakeProfile {
  count: number;
  /** Wall time per registration, request in and relay done (polled for, ≤ 1 ms late), milliseconds. */
  perRegistrationMs: number;
  /** Of which waiting for PostgreSQL. */
  inStatementsMs: number;
  statements: Array<{ text: string; perRegistration: number; ms: number }>;
}

const WARMUP = 50;

const count = Number(process.env.PROFILE_COUNT ?? 200);
const config = loadConfig(serviceEnv({ databaseUrl: process.env.DATABASE_URL!, redisUrl: process.env.REDIS_URL!, prefix: process.env.QUEUE_PREFIX!, logLevel: 'silent' }));
const container = await createContainer({ config, logger: createLogger('silent') });
const app = await buildApp(container);
await app.ready();
const relay = container.startRelay();
const headers = { authorization: `Bearer ${await municipalityToken('GM0363', 'bench:profile')}` };

/** The profile's own polling connection; its statements are not the service's. */
const watcher = new pg.Client({ connectionString: process.env.DATABASE_URL });
await watcher.connect();

async function register() {
  const res = await app.inject({ method: 'POST', url: '/api/v1/registrations', headers, payload: familyBody() });
  if (res.statusCode !== 202) throw new Error(`intake answered ${res.statusCode}: ${res.body}`);
  // The relay's work for this registration (started by the commit's nudge) belongs to its cost.
  while ((await watcher.query<{ n: number }>('select count(*)::int as n from outbox where sent_at is null')).rows[0]!.n > 0) {
    await new Promise((r) => setTimeout(r, 1));
  }
}

for (let i = 0; i < WARMUP; i++) await register();

const shapes = new Map<string, { n: number; ms: number }>();
const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
const original = proto.query;
proto.query = function (this: unknown, ...a: unknown[]) {
  if (this === watcher) return original.apply(this, a);
  const q = a[0];
  const text = (typeof q === 'string' ? q : ((q as { text?: string })?.text ?? '?')).replace(/\s+/g, ' ').trim().slice(0, 72);
  const t0 = performance.now();
  const done = () => {
    const e = shapes.get(text) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += performance.now() - t0;
    shapes.set(text, e);
  };
  // The pool passes a callback (pool.query); drizzle's transactions use the promise.
  const cb = a.length > 1 && typeof a[a.length - 1] === 'function' ? (a[a.length - 1] as (...r: unknown[]) => void) : undefined;
  if (cb) {
    a[a.length - 1] = (...r: unknown[]) => {
      done();
      cb(...r);
    };
    return original.apply(this, a);
  }
  const r = original.apply(this, a) as Promise<unknown> | undefined;
  if (!r || typeof r.then !== 'function') return r;
  return r.then((v) => {
    done();
    return v;
  });
};
const t0 = performance.now();
for (let i = 0; i < count; i++) await register();
const elapsed = performance.now() - t0;
proto.query = original;

const statements = [...shapes.entries()]
  .map(([text, e]) => ({ text, perRegistration: e.n / count, ms: e.ms / count }))
  .sort((a, b) => b.ms - a.ms);
const out: IntakeProfile = {
  count,
  perRegistrationMs: elapsed / count,
  inStatementsMs: statements.reduce((s, x) => s + x.ms, 0),
  statements,
};
process.stdout.write(`PROFILE ${JSON.stringify(out)}\n`);
await watcher.end();
await relay.stop();
await app.close();
await container.close();
