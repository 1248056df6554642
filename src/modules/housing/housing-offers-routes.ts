import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { CreateHousingOfferBody, HousingOffer, HousingOfferPage, ListHousingOffersQuery, PatchHousingOfferBody } from './housing-offers-schemas.js';
import type { HousingOffersService } from './housing-offers-service.js';

const SCOPE =
  'A housing corporation sees the offers it made (in its working area), a municipality the offers for the families it receives, ' +
  'the coordinator every offer; any other offer does not exist for the caller (404).';

export const housingOffersRoutes: FastifyPluginAsyncTypebox<{ service: HousingOffersService }> = async (app, { service }) => {
  app.post(
    '/housing-offers',
    {
      config: { roles: ['housing_corporation'] },
      schema: {
        operationId: 'createHousingOffer',
        tags: ['Housing'],
        summary: 'Offer a dwelling to a family approved for a municipality in the working area (dates, bedrooms, accessibility; no address)',
        description:
          'Only for a family that is approved, accepted or transferred, and whose receiving municipality is in the token\'s working area ' +
          '(else 404, as for a family that does not exist). The dwelling is in the receiving municipality; offeredOn is not in the future ' +
          'nor before the approval, moveInDate not before offeredOn. Audited.',
        body: CreateHousingOfferBody,
        response: {
          201: { description: 'Offered', ...HousingOffer, headers: { Location: { type: 'string', description: 'The offer' } } },
          ...errorResponses(400, 403, 404, 413, 415),
        },
      },
    },
    async (req, reply) => {
      const offer = await service.create(actorOf(req.principal, req.traceId), req.principal, req.body);
      reply.header('Location', `/api/v1/housing-offers/${offer.id}`);
      return reply.code(201).send(offer);
    },
  );

  app.get(
    '/housing-offers',
    {
      config: { roles: ['housing_corporation', 'municipality', 'coordinator'] },
      schema: {
        operationId: 'listHousingOffers',
        tags: ['Housing'],
        summary: 'Housing offers, oldest first, optionally of one family',
        description: SCOPE,
        querystring: ListHousingOffersQuery,
        response: { 200: HousingOfferPage, ...errorResponses(400, 403) },
      },
    },
    async (req) => service.list(req.principal, req.query),
  );

  app.get(
    '/housing-offers/:id',
    {
      config: { roles: ['housing_corporation', 'municipality', 'coordinator'] },
      schema: {
        operationId: 'getHousingOffer',
        tags: ['Housing'],
        summary: 'One housing offer',
        description: SCOPE,
        params: IdParams,
        response: { 200: HousingOffer, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.get(req.principal, req.params.id),
  );

  app.patch(
    '/housing-offers/:id',
    {
      config: { roles: ['housing_corporation', 'municipality', 'coordinator'] },
      schema: {
        operationId: 'updateHousingOffer',
        tags: ['Housing'],
        summary: 'Set the move-in date or withdraw (the corporation), accept or decline (the receiving municipality or the coordinator)',
        description:
          'Send application/json or application/merge-patch+json. offered → accepted, declined or withdrawn; accepted → declined or ' +
          'withdrawn; declined and withdrawn are final, and a family holds one accepted offer at a time (409 illegal_transition ' +
          'otherwise). A change that is not the caller\'s to make is 403. ' + SCOPE + ' Audited with the old and new values.',
        params: IdParams,
        body: PatchHousingOfferBody,
        response: { 200: HousingOffer, ...errorResponses(400, 403, 404, 409, 413, 415) },
      },
    },
    async (req) => service.update(actorOf(req.principal, req.traceId), req.principal, req.params.id, req.body),
  );
};
