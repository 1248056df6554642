import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses, PAGE_SIZE_MAX, Uuid } from '../../http/schemas.js';
import type { AuditService } from './audit-service.js';

const AuditEvent = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Object({ sub: Type.String(), role: Type.String(), organisation: Type.Union([Type.String(), Type.Null()]) }),
  action: Type.String(),
  resourceType: Type.String(),
  resourceId: Type.Union([Type.String(), Type.Null()]),
  registrationId: Type.Union([Type.String(), Type.Null()]),
  traceId: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Union([
    Type.Object({}, { additionalProperties: true, description: 'What changed (old and new values of a correction, never personal values), or the ground of an erasure' }),
    Type.Null(),
  ]),
});

export const auditRoutes: FastifyPluginAsyncTypebox<{ service: AuditService }> = async (app, { service }) => {
  app.get(
    '/audit-events',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'listAuditEvents',
        tags: ['Audit'],
        summary: 'The processing log, newest first; page backwards with `before`',
        querystring: Type.Object(
          {
            registrationId: Type.Optional(Uuid),
            // Bounded: a larger number would overflow the bigint id column (a 500, not a 400).
            before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Only events with a smaller id' })),
            pageSize: Type.Integer({ minimum: 1, maximum: PAGE_SIZE_MAX, default: 50 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(AuditEvent, { maxItems: PAGE_SIZE_MAX }), pageSize: Type.Integer() }),
          ...errorResponses(400, 403),
        },
      },
    },
    async (req) => ({ items: await service.list(req.query), pageSize: req.query.pageSize }),
  );
};
