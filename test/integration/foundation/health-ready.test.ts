// Liveness and readiness, as a load balancer and an orchestrator see them.
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { createContainer } from '../../../src/container.js';
import { API_VERSION } from '../../../src/http/conventions.js';
import { createLogger } from '../../../src/logger.js';
import { startTestApp, testEnv, type TestApp } from '../../support/harness.js';

const opened: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const o of opened.reverse()) await o.close();
});

async function appOn(env: Record<string, string | undefined>) {
  const config = loadConfig(testEnv(env));
  const container = await createContainer({ config, logger: createLogger(config.logLevel) });
  const app = await buildApp(container);
  await app.ready();
  opened.push({
    close: async () => {
      await app.close();
      await container.close();
    },
  });
  return app;
}

describe('health and readiness', () => {
  it.each([
    ['in-process jobs (no REDIS_URL)', false],
    ['BullMQ on Redis', true],
  ])('is ready when PostgreSQL and the queue are reachable: %s', async (_name, redis) => {
    const t: TestApp = await startTestApp({ redis });
    opened.push(t);
    expect(t.container.jobs.kind).toBe(redis ? 'bullmq' : 'in-process');
    const health = await t.app.inject({ url: '/api/v1/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ url: '/api/v1/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.headers['api-version']).toBe(API_VERSION);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'database', status: 'ok' },
        { name: 'queue', status: 'ok' },
      ],
    });
  });

  it('answers 503 problem+json naming the database when PostgreSQL is unreachable, and stays alive', async () => {
    // Port 1 on loopback: nothing listens, so every connection is refused at once.
    const app = await appOn({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/unreachable' });
    const ready = await app.inject({ url: '/api/v1/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(ready.headers['api-version']).toBe(API_VERSION);
    expect(ready.headers['retry-after']).toBeDefined();
    expect(ready.json()).toMatchObject({ status: 503, code: 'service_unavailable', title: expect.any(String) });
    expect(ready.json().detail).toMatch(/database/);
    expect(ready.json().detail).not.toMatch(/queue/);
    expect(ready.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    // The process itself is fine: liveness must not make an orchestrator restart it for this.
    expect((await app.inject({ url: '/api/v1/health' })).statusCode).toBe(200);
  });

  it('answers 503 naming the queue when Redis is unreachable', async () => {
    const t: TestApp = await startTestApp();
    opened.push(t);
    const app = await appOn({ DATABASE_URL: t.databaseUrl, REDIS_URL: 'redis://127.0.0.1:1' });
    const ready = await app.inject({ url: '/api/v1/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(ready.json().detail).toMatch(/queue/);
    expect(ready.json().detail).not.toMatch(/database/);
  });
});
