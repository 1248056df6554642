import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, Page } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { ROLES } from '../auth/auth-tokens.js';
import { CodeParams, ListMunicipalitiesQuery, Municipality, PatchMunicipalityBody } from './municipalities-schemas.js';
import type { MunicipalitiesService } from './municipalities-service.js';

export const municipalitiesRoutes: FastifyPluginAsyncTypebox<{ service: MunicipalitiesService }> = async (app, { service }) => {
  app.get(
    '/municipalities',
    {
      config: { roles: ROLES },
      schema: {
        operationId: 'listMunicipalities',
        tags: ['Municipalities'],
        summary: 'All municipalities (CBS reference data), paged; filter by province, search by name',
        querystring: ListMunicipalitiesQuery,
        response: { 200: Page(Municipality, 'MunicipalityPage'), ...errorResponses(400) },
      },
    },
    async (req) => service.list(req.query),
  );

  app.get(
    '/municipalities/:code',
    {
      config: { roles: ROLES },
      schema: {
        operationId: 'getMunicipality',
        tags: ['Municipalities'],
        summary: 'One municipality',
        params: CodeParams,
        response: { 200: Municipality, ...errorResponses(400, 404) },
      },
    },
    async (req) => service.get(req.params.code),
  );

  app.patch(
    '/municipalities/:code',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'updateMunicipality',
        tags: ['Municipalities'],
        summary: 'Suspend a municipality or set its capacity per period (coordinator)',
        params: CodeParams,
        body: PatchMunicipalityBody,
        response: { 200: Municipality, ...errorResponses(400, 403, 404, 415) },
      },
    },
    async (req) => service.update(actorOf(req.principal, req.traceId), req.params.code, req.body),
  );
};
