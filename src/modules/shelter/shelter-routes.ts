import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { CorrectShelterStayBody, CreateShelterStayBody, ListShelterStaysQuery, PatchShelterStayBody, ShelterStay, ShelterStayPage } from './shelter-schemas.js';
import type { ShelterService } from './shelter-service.js';

export const shelterRoutes: FastifyPluginAsyncTypebox<{ service: ShelterService }> = async (app, { service }) => {
  app.post(
    '/registrations/:id/shelter-stays',
    {
      config: { roles: ['municipality', 'coordinator'] },
      schema: {
        operationId: 'createShelterStay',
        tags: ['Shelter'],
        summary: 'Record an emergency shelter stay (reporting municipality or coordinator)',
        description:
          'A stay is end-exclusive: from 1 to 3 March is 2 nights. Leave endDate out while the family still stays; the open stay ' +
          'ends automatically at transfer or at a closing outcome. Stays of one family must not overlap (409 overlapping_shelter_stay).',
        params: IdParams,
        body: CreateShelterStayBody,
        response: {
          201: { description: 'Recorded', ...ShelterStay, headers: { Location: { type: 'string', description: 'The shelter stay' } } },
          ...errorResponses(400, 403, 404, 409, 413, 415),
        },
      },
    },
    async (req, reply) => {
      const stay = await service.create(actorOf(req.principal, req.traceId), req.principal, req.params.id, req.body);
      reply.header('Location', `/api/v1/shelter-stays/${stay.id}`);
      return reply.code(201).send(stay);
    },
  );

  app.get(
    '/registrations/:id/shelter-stays',
    {
      config: { roles: ['municipality', 'coordinator'] },
      schema: {
        operationId: 'listShelterStays',
        tags: ['Shelter'],
        summary: "A family's shelter stays with nights and cost so far (the location is personal data; the read is logged)",
        params: IdParams,
        querystring: ListShelterStaysQuery,
        response: { 200: ShelterStayPage, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.list(actorOf(req.principal, req.traceId), req.principal, req.params.id, req.query),
  );

  app.patch(
    '/shelter-stays/:id',
    {
      config: { roles: ['municipality', 'coordinator'] },
      schema: {
        operationId: 'updateShelterStay',
        tags: ['Shelter'],
        summary: 'End a stay or correct its type, cost or location (JSON Merge Patch; null clears)',
        description:
          'Send application/json or application/merge-patch+json. endDate: null reopens a stay while the shelter still runs. ' +
          'A stay with nights in a closed period, or of a closed or housed case, is evidence and cannot be edited (409 ' +
          'shelter_stay_locked): record a correction instead. The audit line holds the old and new values (of the location only that it changed).',
        params: IdParams,
        body: PatchShelterStayBody,
        response: { 200: ShelterStay, ...errorResponses(400, 403, 404, 409, 413, 415) },
      },
    },
    async (req) => service.update(actorOf(req.principal, req.traceId), req.principal, req.params.id, req.body),
  );

  app.post(
    '/shelter-stays/:id/corrections',
    {
      config: { roles: ['municipality', 'coordinator'] },
      schema: {
        operationId: 'correctShelterStay',
        tags: ['Shelter'],
        summary: 'Correct a stay: a new stay that references it; the corrected stay stays as it was and no longer counts',
        description:
          'Send what differs; the rest is copied from the corrected stay. Only the newest version of a stay can be corrected (409 ' +
          'conflict otherwise). The audit line (shelter_stay.correct) holds the old and new values, of the location only that it changed.',
        params: IdParams,
        body: CorrectShelterStayBody,
        response: {
          201: { description: 'The correcting stay', ...ShelterStay, headers: { Location: { type: 'string', description: 'The correcting stay' } } },
          ...errorResponses(400, 403, 404, 409, 413, 415),
        },
      },
    },
    async (req, reply) => {
      const stay = await service.correct(actorOf(req.principal, req.traceId), req.principal, req.params.id, req.body);
      reply.header('Location', `/api/v1/shelter-stays/${stay.id}`);
      return reply.code(201).send(stay);
    },
  );
};
