// Rate limits per client (DESIGN §8), shared by every api process through Redis when there is one.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Not counted in the rate limit: health, readiness and the web UI's pages and assets. They
     * cost next to nothing, and a load balancer's probes or a page load with its assets must not
     * use up the anonymous bucket that the API's own requests share.
     */
    unmetered?: boolean;
  }
}

type IncrCallback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/** After Redis failed or was slow, how long the limiter counts locally before it asks Redis again. */
const REDIS_RETRY_AFTER_MS = 1_000;
/** Distinct clients one process keeps counters for while Redis is away; the oldest go first. */
const LOCAL_MAX_KEYS = 10_000;

/** INCR with the window as expiry on the first hit; answers the count and the time left. */
const INCR_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

/** Fixed windows in this process's memory, bounded in the number of clients. */
function localCounter() {
  const windows = new Map<string, { count: number; endsAt: number }>();
  return (key: string, windowMs: number) => {
    const now = Date.now();
    let w = windows.get(key);
    if (!w || w.endsAt <= now) {
      windows.delete(key);
      if (windows.size >= LOCAL_MAX_KEYS) windows.delete(windows.keys().next().value!);
      w = { count: 0, endsAt: now + windowMs };
      windows.set(key, w);
    }
    w.count++;
    return { current: w.count, ttl: w.endsAt - now };
  };
}

/**
 * The store behind @fastify/rate-limit. With Redis, one counter per client shared by all api
 * processes; a Redis call that fails or takes longer than `timeoutMs` is answered from this
 * process's own counters instead (and Redis is left alone for a second), so no request waits
 * for a Redis that is down or hanging, and the limit still holds per process meanwhile.
 */
export function createRateLimitStore(opts: { redis: Redis | undefined; prefix: string; timeoutMs: number; onRedisTrouble: (err: Error) => void }) {
  const local = localCounter();
  const redis = opts.redis;
  let redisSkippedUntil = 0;
  if (redis && !('spreidingRateLimit' in redis)) redis.defineCommand('spreidingRateLimit', { numberOfKeys: 1, lua: INCR_SCRIPT });

  const viaRedis = (key: string, windowMs: number): Promise<{ current: number; ttl: number }> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`rate-limit counter: no answer from redis within ${opts.timeoutMs} ms`)), opts.timeoutMs);
      (redis as unknown as { spreidingRateLimit(k: string, w: number): Promise<[number, number]> })
        .spreidingRateLimit(`${opts.prefix}${key}`, windowMs)
        .then(([current, ttl]) => resolve({ current, ttl }), reject)
        .finally(() => clearTimeout(timer));
    });

  return class RateLimitStore {
    incr(key: string, cb: IncrCallback, timeWindow: number) {
      if (!redis || Date.now() < redisSkippedUntil) {
        cb(null, local(key, timeWindow));
        return;
      }
      viaRedis(key, timeWindow).then(
        (res) => cb(null, res),
        (err: Error) => {
          redisSkippedUntil = Date.now() + REDIS_RETRY_AFTER_MS;
          opts.onRedisTrouble(err);
          cb(null, local(key, timeWindow));
        },
      );
    }

    child() {
      return this;
    }
  };
}

export async function registerRateLimit(
  app: FastifyInstance,
  opts: { perMinute: number; redis: Redis | undefined; prefix: string; redisTimeoutMs: number; onRedisTrouble: (err: Error) => void },
) {
  await app.register(rateLimit, {
    global: true,
    max: opts.perMinute,
    timeWindow: 60_000,
    // Right after authentication, before the body is parsed: the limit is per client (token
    // subject; per address for requests without a valid token), and refused requests cost little.
    hook: 'onRequest',
    keyGenerator: (req) => (req.principal ? `sub:${req.principal.sub}` : `ip:${req.ip}`),
    allowList: (req: FastifyRequest) => req.routeOptions.config.unmetered === true,
    store: createRateLimitStore({ redis: opts.redis, prefix: opts.prefix, timeoutMs: opts.redisTimeoutMs, onRedisTrouble: opts.onRedisTrouble }),
    errorResponseBuilder: (_req, ctx) => Object.assign(new Error('rate limited'), { statusCode: ctx.statusCode }),
  });
}
