// Findings 11–15 of the hostile review, against a running app: which proxy hops are believed, what
// the rate limit counts, how it behaves with Redis down or hung, how slow clients are cut off, and
// that an Idempotency-Key is never stored as sent.
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_UI_DIR } from '../../../src/modules/ui/ui-plugin.js';
import { sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody } from '../../support/families.js';
import { startRedisServer, type PrivateRedis } from '../../support/redis-server.js';

const anonymous = (t: TestApp, headers: Record<string, string> = {}) => t.app.inject({ url: '/api/v1/registrations', headers });

describe('TRUST_PROXY with a hop count (finding 11)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: '1', RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('believes only the address our proxy appended: a client that makes up the rest stays in its bucket', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      // What the client sent (made up, different every time), then what our one proxy saw.
      statuses.push((await anonymous(t, { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.7` })).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    // Another client behind the same proxy is another bucket.
    expect((await anonymous(t, { 'x-forwarded-for': '203.0.113.8' })).statusCode).toBe(401);
  });
});

describe('what the rate limit counts (finding 12)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('does not count health, readiness, the UI pages or their assets in the anonymous bucket', async () => {
    const asset = readdirSync(`${DEFAULT_UI_DIR}assets`).find((f) => f.endsWith('.js'))!;
    for (let i = 0; i < 5; i++) {
      for (const url of ['/api/v1/health', '/api/v1/ready', '/', '/aanmelden', `/assets/${asset}`]) {
        const res = await t.app.inject({ url });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['x-ratelimit-remaining'], url).toBeUndefined();
      }
    }
    const api = await anonymous(t);
    expect(api.statusCode).toBe(401);
    expect(api.headers['x-ratelimit-remaining']).toBe('2');
  });

  it('still counts the OpenAPI document and unknown paths', async () => {
    const doc = await t.app.inject({ url: '/api/v1/openapi.json', remoteAddress: '192.0.2.1' });
    expect(doc.headers['x-ratelimit-remaining']).toBe('2');
  });
});

describe('the rate limiter with Redis down or hung (finding 13)', () => {
  let t: TestApp;
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startTestApp({ env: { REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.destroy();
  });

  /** Requests of one client, each with how long it took. */
  async function burst(sub: string, n: number) {
    const headers = await t.auth('coordinator', { sub });
    const out: Array<{ status: number; ms: number }> = [];
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      const res = await t.app.inject({ url: '/api/v1/municipalities?pageSize=1', headers });
      out.push({ status: res.statusCode, ms: performance.now() - started });
    }
    return out;
  }

  it('counts in Redis while it is up', async () => {
    expect((await burst('client:up', 4)).map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(await t.container.redis!.keys(`${t.config.queuePrefix}:rate:*`)).not.toEqual([]);
  });

  it('when Redis hangs, answers without waiting for it and still limits, counting in the process', async () => {
    redis.pause();
    try {
      const results = await burst('client:hung', 6);
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429, 429, 429]);
      // The limiter waits RATE_LIMIT_REDIS_TIMEOUT_MS (100 ms) once, then leaves Redis alone for a
      // second; without the bound every request waited for ioredis's retries (seconds).
      expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(1_000);
    } finally {
      redis.resume();
    }
  });

  it('when Redis is gone, answers at once and still limits', async () => {
    await redis.kill();
    const results = await burst('client:down', 6);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429, 429, 429]);
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(1_000);
  }, 30_000);
});

describe('slow clients (finding 14)', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({
      env: { HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '500', HTTP_MAX_HEADER_BYTES: '4096' },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A raw connection: what it received, and whether (and when) the server closed it. */
  function rawClient() {
    const socket: Socket = connect(port, '127.0.0.1');
    const state = { received: '', closedAfterMs: undefined as number | undefined };
    const opened = performance.now();
    socket.on('data', (d) => (state.received += d.toString()));
    socket.on('close', () => (state.closedAfterMs = performance.now() - opened));
    socket.on('error', () => {});
    return { socket, state };
  }

  /** Trickles `pieces` every 200 ms until the server closes the connection or `giveUpMs` passed. */
  async function trickle(socket: Socket, state: { closedAfterMs: number | undefined }, pieces: () => string, giveUpMs: number) {
    const until = performance.now() + giveUpMs;
    while (state.closedAfterMs === undefined && performance.now() < until) {
      if (!socket.destroyed) socket.write(pieces());
      await new Promise((r) => setTimeout(r, 200));
    }
    socket.destroy();
  }

  it('cuts off a client that sends its headers a line at a time', async () => {
    const { socket, state } = rawClient();
    socket.write('GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n');
    let n = 0;
    await trickle(socket, state, () => `X-Slow-${n++}: a\r\n`, 8_000);
    expect(state.closedAfterMs, 'the server kept the connection open').toBeDefined();
    expect(state.closedAfterMs!).toBeLessThan(8_000);
    expect(state.received).toMatch(/^HTTP\/1\.1 408|^$/);
  }, 15_000);

  it('cuts off a client that sends its body a byte at a time', async () => {
    const { socket, state } = rawClient();
    const token = (await t.auth('municipality', { municipality: 'GM0363' })).authorization;
    socket.write(`POST /api/v1/registrations HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${token}\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{`);
    await trickle(socket, state, () => ' ', 8_000);
    expect(state.closedAfterMs, 'the server kept the connection open').toBeDefined();
    expect(state.closedAfterMs!).toBeLessThan(8_000);
    expect(state.received).toMatch(/^HTTP\/1\.1 408|^$/);
  }, 15_000);

  it('refuses headers over HTTP_MAX_HEADER_BYTES with 431', async () => {
    const { socket, state } = rawClient();
    socket.write(`GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(8_000)}\r\n\r\n`);
    await trickle(socket, state, () => '', 5_000);
    expect(state.received).toMatch(/^HTTP\/1\.1 431/);
  }, 10_000);

  it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const { socket, state } = rawClient();
    socket.write('GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await trickle(socket, state, () => '', 5_000);
    expect(state.received).toMatch(/^HTTP\/1\.1 200/);
    expect(state.closedAfterMs, 'the idle connection stayed open').toBeDefined();
    expect(state.closedAfterMs!).toBeLessThan(5_000);
  }, 10_000);
});

describe('the Idempotency-Key at rest (finding 15)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is stored as a keyed hash, and a retry with the same key is still recognised', async () => {
    const key = `dossier-1234.56.782-${Date.now()}`;
    const headers = { ...(await t.auth('municipality', { municipality: 'GM0363' })), 'idempotency-key': key };
    const body = familyBody();
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers, payload: body });
    expect(first.statusCode, first.body).toBe(202);
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers, payload: body });
    expect(again.statusCode).toBe(202);
    expect(again.json().id).toBe(first.json().id);
    const rows = await sqlRows<{ key: string }>(t.databaseUrl, 'select key from idempotency_keys');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key).not.toContain(key);
    expect(rows[0]!.key).toBe(t.container.pii.keyedHash('idempotency-key', key));
  });
});
