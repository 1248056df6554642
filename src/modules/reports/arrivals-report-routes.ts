import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CSV_NEGOTIATION, csvContent, isCsv, reportFormat, sendCsv } from '../../http/report-format.js';
import { CalendarDate, errorResponses, StringEnum } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { CARIBBEAN_ISLANDS, SUBGROUPS } from '../registrations/registrations-schemas.js';
import { CountSchema } from './aggregate-access.js';
import { ARRIVALS_CSV_COLUMNS, arrivalsCsvRows, type ArrivalsReportService } from './arrivals-report.js';

const ArrivalsQuery = Type.Object({ from: CalendarDate, to: CalendarDate }, { additionalProperties: false });

const ArrivalsReport = Type.Object(
  {
    from: Type.String({ format: 'date', maxLength: 10 }),
    to: Type.String({ format: 'date', maxLength: 10 }),
    items: Type.Array(
      Type.Object(
        {
          month: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$', maxLength: 7, description: 'Month of the registration date' }),
          subgroup: StringEnum(SUBGROUPS),
          arrivedFrom: StringEnum(['abroad', 'caribbean_part', 'within_netherlands'] as const),
          origin: Type.String({
            maxLength: 20,
            description: `An island (${CARIBBEAN_ISLANDS.join(', ')}), an ISO 3166-1 alpha-2 country code, or unknown`,
          }),
          reportingMunicipality: Type.String({ pattern: '^GM[0-9]{4}$', minLength: 6, maxLength: 6 }),
          registrations: CountSchema('Registrations in this cell'),
        },
        { additionalProperties: false },
      ),
      { maxItems: 100_000 },
    ),
  },
  { additionalProperties: false, title: 'ArrivalsReport' },
);

export const arrivalsReportRoutes: FastifyPluginAsyncTypebox<{ service: ArrivalsReportService }> = async (app, { service }) => {
  app.get(
    '/reports/arrivals',
    {
      config: { roles: ['coordinator', 'municipality', 'policy_viewer'] },
      schema: {
        operationId: 'getArrivalsReport',
        tags: ['Reports'],
        summary: 'Registrations by month × subgroup × origin (island or country of departure) × reporting municipality',
        description:
          'Cells with registrations only; a cell of 1 to 4 is "<5" for every caller, and no totals are given (they would give ' +
          'suppressed cells back). At most about three years per request. Reads by a policy_viewer are logged. ' + CSV_NEGOTIATION,
        querystring: ArrivalsQuery,
        response: {
          200: {
            description: 'The statistics',
            content: {
              'application/json': { schema: ArrivalsReport },
              ...csvContent(10_000_000),
            },
          },
          ...errorResponses(400, 403, 406),
        },
      },
    },
    async (req, reply) => {
      const format = reportFormat(req);
      const report = await service.report(req.query, { actor: actorOf(req.principal, req.traceId), principal: req.principal });
      if (isCsv(format)) return sendCsv(reply, format, `arrivals-${report.from}-${report.to}`, ARRIVALS_CSV_COLUMNS, arrivalsCsvRows(report.items));
      return report;
    },
  );
};
