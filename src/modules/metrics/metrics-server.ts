// /metrics on a port of its own (METRICS_PORT), never on the public API port. Bound like the
// service (METRICS_HOST, default HOST); with METRICS_TOKEN only for `Authorization: Bearer <token>`.
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from './metrics-registry.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function buildMetricsApp(deps: {
  metrics: Metrics;
  logger: Logger;
  token: string | undefined;
  /** Liveness of the process (a worker whose runner stopped is not alive). */
  alive: () => boolean;
}): FastifyInstance {
  // The scraper's requests are not worth a log line each.
  const app = Fastify({ loggerInstance: deps.logger.child({ component: 'metrics' }, { level: 'warn' }) as FastifyBaseLogger });
  const expected = deps.token === undefined ? undefined : digest(`Bearer ${deps.token}`);
  app.get('/metrics', async (req, reply) => {
    reply.header('Cache-Control', 'no-store');
    if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      return reply.code(401).header('WWW-Authenticate', 'Bearer').type('text/plain').send('unauthorized\n');
    }
    const { contentType, body } = await deps.metrics.render();
    return reply.type(contentType).send(body);
  });
  // For the worker's Kubernetes probes: it serves no API of its own.
  app.get('/health', async (_req, reply) => (deps.alive() ? { status: 'ok' } : reply.code(503).send({ status: 'stopped' })));
  return app;
}
