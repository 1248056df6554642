import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CalendarDate, errorResponses, MunicipalityCode, Page, PagingQuery, StringEnum, Uuid } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { Needs } from '../registrations/registrations-schemas.js';
import type { HousingService } from './housing-service.js';

/** What a housing corporation needs to find a home, and nothing that identifies a person. */
export const AssignedFamily = Type.Object(
  {
    registrationId: Uuid,
    receivingMunicipality: MunicipalityCode,
    status: StringEnum(['approved', 'accepted', 'transferred'] as const),
    adults: Type.Integer({ minimum: 0 }),
    childrenAges: Type.Array(Type.Integer({ minimum: 0, maximum: 30 }), { maxItems: 20 }),
    householdSize: Type.Integer({ minimum: 1 }),
    needs: Needs,
    reportedOn: CalendarDate,
    approvedOn: Type.Union([CalendarDate, Type.Null()]),
    transferredOn: Type.Union([CalendarDate, Type.Null()]),
    offers: Type.Integer({ minimum: 0, maximum: 10_000, description: 'Live housing offers for the family (offered or accepted), from any corporation' }),
  },
  { additionalProperties: false },
);

export const housingRoutes: FastifyPluginAsyncTypebox<{ service: HousingService }> = async (app, { service }) => {
  app.get(
    '/assigned-families',
    {
      config: { roles: ['housing_corporation'] },
      schema: {
        operationId: 'listAssignedFamilies',
        tags: ['Housing'],
        summary: 'Families approved for, accepted by or moved to a municipality in the working area (no names, BSNs or notes)',
        querystring: Type.Object({ municipality: Type.Optional(MunicipalityCode), ...PagingQuery }, { additionalProperties: false }),
        response: { 200: Page(AssignedFamily, 'AssignedFamilyPage'), ...errorResponses(400, 403) },
      },
    },
    async (req) => service.list(actorOf(req.principal, req.traceId), req.principal, req.query),
  );
};
