import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, Page } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { CodeParams } from '../municipalities/municipalities-schemas.js';
import {
  CapacityBody, CapacityListQuery, CapacityView, NeedsPolicyBody, NeedsPolicyView, ProfileBody, ProfileVersions, ProfileView,
} from './maatwerk-schemas.js';
import type { MaatwerkService } from './maatwerk-service.js';

export const maatwerkRoutes: FastifyPluginAsyncTypebox<{ service: MaatwerkService }> = async (app, { service }) => {
  app.get(
    '/municipalities/:code/profile',
    {
      config: { roles: ['coordinator', 'municipality'] },
      schema: {
        operationId: 'getMunicipalityProfile',
        tags: ['Maatwerk'],
        summary: 'What a municipality can offer (facilities, regions, note); the coordinator, or the municipality itself',
        params: CodeParams,
        response: { 200: ProfileView, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.getProfile(req.principal, req.params.code),
  );

  app.put(
    '/municipalities/:code/profile',
    {
      config: { roles: ['coordinator', 'municipality'] },
      schema: {
        operationId: 'putMunicipalityProfile',
        tags: ['Maatwerk'],
        summary: 'State what a municipality can offer: a new profile version, used from the next allocation',
        description: 'Every PUT is a new version (GET …/profile/versions lists them). A facility that is null or absent is "not stated".',
        params: CodeParams,
        body: ProfileBody,
        response: { 200: ProfileView, ...errorResponses(400, 403, 404, 409, 415) },
      },
    },
    async (req) => service.putProfile(actorOf(req.principal, req.traceId), req.principal, req.params.code, req.body),
  );

  app.get(
    '/municipalities/:code/profile/versions',
    {
      config: { roles: ['coordinator', 'municipality'] },
      schema: {
        operationId: 'listMunicipalityProfileVersions',
        tags: ['Maatwerk'],
        summary: 'Every version of a municipality\'s profile, newest first (the last 200)',
        params: CodeParams,
        response: { 200: ProfileVersions, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.profileVersions(req.principal, req.params.code),
  );

  app.post(
    '/capacity-declarations',
    {
      config: { roles: ['housing_corporation', 'municipality', 'coordinator'] },
      schema: {
        operationId: 'declareCapacity',
        tags: ['Maatwerk'],
        summary: 'Declare dwellings or flex units available in a municipality for a period',
        description:
          'A housing corporation declares only for the municipalities of its working area, a municipality only for itself (403 otherwise). ' +
          'Among municipalities within the tolerance of the quota rule\'s choice, one with matching declared capacity is preferred, and the ' +
          'family allocated there is booked against the declaration (given back on rejection, decline or close).',
        body: CapacityBody,
        response: { 201: CapacityView, ...errorResponses(400, 403, 415) },
      },
    },
    async (req, reply) => {
      const out = await service.declareCapacity(actorOf(req.principal, req.traceId), req.principal, req.body);
      return reply.code(201).header('Location', `/api/v1/capacity-declarations?municipality=${out.municipality}&period=${out.period}`).send(out);
    },
  );

  app.get(
    '/capacity-declarations',
    {
      config: { roles: ['housing_corporation', 'municipality', 'coordinator'] },
      schema: {
        operationId: 'listCapacityDeclarations',
        tags: ['Maatwerk'],
        summary: 'Declared capacity with what is booked and what remains; scoped to the caller\'s municipalities',
        querystring: CapacityListQuery,
        response: { 200: Page(CapacityView, 'CapacityDeclarationPage'), ...errorResponses(400, 403) },
      },
    },
    async (req) => service.listCapacity(req.principal, req.query),
  );

  app.get(
    '/distribution/needs-policy',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'getNeedsPolicy',
        tags: ['Distribution'],
        summary: 'Per need kind: hard (removes municipalities that cannot offer it) or soft (preferred within the tolerance)',
        response: { 200: NeedsPolicyView, ...errorResponses(403) },
      },
    },
    async () => service.getNeedsPolicy(),
  );

  app.put(
    '/distribution/needs-policy',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'setNeedsPolicy',
        tags: ['Distribution'],
        summary: 'A new version of the needs policy, used from the next allocation',
        body: NeedsPolicyBody,
        response: { 200: NeedsPolicyView, ...errorResponses(400, 403, 409, 415) },
      },
    },
    async (req) => service.putNeedsPolicy(actorOf(req.principal, req.traceId), req.body),
  );
};
