import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics-registry.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Request latency by method, route pattern (`/api/v1/registrations/:id`, never the URL) and
 * status: the rate comes from its count. Requests that matched no route share `unmatched`.
 */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics) {
  const seconds = metrics.histogram({
    name: 'spreiding_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status, with their duration',
    labelNames: ['method', 'route', 'status_code'] as const,
  });
  app.addHook('onResponse', async (req, reply) => {
    seconds.observe(
      { method: METHODS.has(req.method) ? req.method : 'OTHER', route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}
