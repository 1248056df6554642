import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../http/errors.js';
import { errorResponses } from '../../http/schemas.js';

export interface ReadinessProbe {
  name: string;
  check(): Promise<void>;
}

const Health = Type.Object({ status: Type.Literal('ok') });
const Ready = Type.Object({
  status: Type.Literal('ready'),
  checks: Type.Array(Type.Object({ name: Type.String({ maxLength: 50 }), status: Type.Literal('ok') }), { maxItems: 10 }),
});

/** How long a readiness check may take before the dependency counts as down. */
const READY_TIMEOUT_MS = 2_000;

export const serviceRoutes: FastifyPluginAsyncTypebox<{ probes: ReadinessProbe[] }> = async (app, { probes }) => {
  // Probes are not counted in the rate limit: a load balancer polls them from one address.
  app.get(
    '/health',
    {
      config: { public: true, unmetered: true },
      schema: { operationId: 'getHealth', tags: ['Service'], summary: 'The process is alive', security: [], response: { 200: Health } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      config: { public: true, unmetered: true },
      schema: {
        operationId: 'getReadiness',
        tags: ['Service'],
        summary: 'The database and the queue are reachable',
        security: [],
        response: { 200: Ready, 503: errorResponses(503)[503] },
      },
    },
    async () => {
      const results = await Promise.allSettled(
        probes.map((p) =>
          Promise.race([
            p.check(),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS).unref()),
          ]),
        ),
      );
      const down = probes.filter((_, i) => results[i]!.status === 'rejected').map((p) => p.name);
      if (down.length > 0) {
        throw new AppError('service_unavailable', `Not ready: ${down.join(', ')} unreachable.`, { headers: { 'Retry-After': '5' } });
      }
      return { status: 'ready' as const, checks: probes.map((p) => ({ name: p.name, status: 'ok' as const })) };
    },
  );

  app.get(
    '/openapi.json',
    {
      config: { public: true },
      schema: { hide: true },
    },
    async (_req, reply) => {
      reply.header('Access-Control-Allow-Origin', '*');
      return app.swagger();
    },
  );
};
