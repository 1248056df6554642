// What every failure drill sets up and tears down around its own scenario.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { expect, onTestFailed } from 'vitest';
import { municipalityToken, postRegistration, prepareDatabase, serviceEnv } from '../../bench/lib/stack.js';
import { familyBody } from './families.js';
import { uniqueName } from './harness.js';
import type { Proc } from './processes.js';
import { freePort } from './redis-server.js';

export interface DrillStack {
  prefix: string;
  baseUrl: string;
  /** Environment for api and worker processes: this database and Redis, its own queue prefix and port. */
  env: Record<string, string>;
}

/** Migrates and seeds the database, and picks a queue prefix and a free port for the api. */
export async function drillStack(databaseUrl: string, redisUrl: string): Promise<DrillStack> {
  await prepareDatabase(databaseUrl);
  const prefix = uniqueName('drill');
  const port = await freePort();
  // A short outbox poll: the drills wait for rows to reach the queue, not for a timer.
  const env = serviceEnv({ databaseUrl, redisUrl, prefix, port, extra: { OUTBOX_POLL_MS: '50' } });
  return { prefix, baseUrl: `http://127.0.0.1:${port}`, env };
}

/** Kills whatever the drill left running (a failed drill must not leave processes behind). */
export async function killAll(procs: Proc[]): Promise<void> {
  for (const p of procs) await p.stop('SIGKILL');
}

/** Removes the drill's queue keys from a shared Redis. */
export async function clearQueue(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
}

/**
 * Sessions of this database waiting for a lock. Ask on a connection outside any transaction:
 * inside one, pg_stat_activity is a snapshot taken at its first read and misses newer sessions.
 */
export async function lockWaiters(c: pg.Client): Promise<number> {
  const { rows } = await c.query<{ n: number }>(
    `select count(distinct l.pid)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where a.datname = current_database() and not l.granted`,
  );
  return rows[0]!.n;
}

/** Call inside a drill's test: when it fails, the tail of every process's output is printed. */
export function showOutputOnFailure(procs: Proc[], more?: () => Promise<string>): void {
  onTestFailed(async () => {
    for (const p of procs) console.error(`--- ${p.child.spawnargs.slice(-1)[0]} (pid ${p.child.pid}, exit ${p.child.exitCode ?? p.child.signalCode}) ---\n${p.output().slice(-4000)}`);
    if (more) console.error(await more());
  });
}

/** Registers `count` new families as a municipality; every one must be accepted (202). */
export async function registerFamilies(baseUrl: string, count: number): Promise<string[]> {
  const token = await municipalityToken();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await postRegistration(baseUrl, token, familyBody());
    expect(res.status).toBe(202);
    ids.push(res.body.id as string);
  }
  return ids;
}
