import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses, IdParams, Page } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import {
  CreateRegistrationBody, HistoryEntry, IdempotencyHeaders, ListRegistrationsQuery, RegistrationDetail, RegistrationSummary,
} from './registrations-schemas.js';
import type { RegistrationsService } from './registrations-service.js';

export const registrationsRoutes: FastifyPluginAsyncTypebox<{ service: RegistrationsService }> = async (app, { service }) => {
  app.post(
    '/registrations',
    {
      config: { roles: ['municipality'] },
      schema: {
        operationId: 'createRegistration',
        tags: ['Registrations'],
        summary: 'Register a family (reporting municipality); it is queued for a proposal',
        description:
          'Answers 202: the family is queued and a worker proposes a receiving municipality. Failed eligibility criteria are ' +
          'listed in one 400 problem of type eligibility_failed. Send an Idempotency-Key to retry safely.',
        headers: IdempotencyHeaders,
        body: CreateRegistrationBody,
        response: {
          202: { description: 'Accepted and queued', ...RegistrationSummary, headers: { Location: { type: 'string', description: 'The registration' } } },
          ...errorResponses(400, 403, 409, 413, 415, 422),
        },
      },
    },
    async (req, reply) => {
      const { registration } = await service.create(actorOf(req.principal, req.traceId), req.principal, req.body, req.headers['idempotency-key']);
      reply.header('Location', `/api/v1/registrations/${registration.id}`);
      return reply.code(202).send(registration);
    },
  );

  app.get(
    '/registrations',
    {
      config: { roles: ['municipality', 'coordinator'] },
      schema: {
        operationId: 'listRegistrations',
        tags: ['Registrations'],
        summary: 'Registrations visible to the caller, newest first (no personal data)',
        querystring: ListRegistrationsQuery,
        response: { 200: Page(RegistrationSummary, 'RegistrationPage'), ...errorResponses(400, 403) },
      },
    },
    async (req) => service.list(req.principal, req.query),
  );

  app.get(
    '/registrations/:id',
    {
      config: { roles: ['municipality', 'coordinator'] },
      schema: {
        operationId: 'getRegistration',
        tags: ['Registrations'],
        summary: 'One registration with its household (personal data; the read is logged)',
        params: IdParams,
        response: { 200: RegistrationDetail, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.detail(actorOf(req.principal, req.traceId), req.principal, req.params.id),
  );

  app.get(
    '/registrations/:id/history',
    {
      config: { roles: ['municipality', 'coordinator'] },
      schema: {
        operationId: 'getRegistrationHistory',
        tags: ['Registrations'],
        summary: 'Every transition with actor, time and reason',
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(HistoryEntry, { maxItems: 1000 }) }), ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.history(actorOf(req.principal, req.traceId), req.principal, req.params.id),
  );
};
