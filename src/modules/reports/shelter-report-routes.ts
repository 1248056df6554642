import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CSV_NEGOTIATION, csvContent, isCsv, reportFormat, sendCsv } from '../../http/report-format.js';
import { errorResponses } from '../../http/schemas.js';
import { ShelterReport, ShelterReportQuery } from './shelter-report-schemas.js';
import { SHELTER_REPORT_CSV_COLUMNS, shelterReportCsvRows, type ShelterReportService } from './shelter-report-service.js';

export const shelterReportRoutes: FastifyPluginAsyncTypebox<{ service: ShelterReportService }> = async (app, { service }) => {
  app.get(
    '/reports/shelter',
    {
      config: { roles: ['municipality', 'coordinator'] },
      schema: {
        operationId: 'getShelterReport',
        tags: ['Reports'],
        summary: 'Shelter per reporting municipality and period: families, nights, cost, long stays, days to proposal/approval/transfer',
        description:
          'JSON by default; in CSV one line per municipality. A municipality ' +
          'sees only its own row; asking for another municipality answers 404. ' + CSV_NEGOTIATION,
        querystring: ShelterReportQuery,
        response: {
          200: {
            description: 'The report',
            content: {
              'application/json': { schema: ShelterReport },
              ...csvContent(1_000_000),
            },
          },
          ...errorResponses(400, 403, 404, 406),
        },
      },
    },
    async (req, reply) => {
      // Negotiated before the work, so an unacceptable Accept costs no query.
      const format = reportFormat(req);
      const report = await service.report(req.principal, req.query);
      if (isCsv(format)) {
        const suffix = req.principal.role === 'coordinator' && !req.query.municipality ? '' : `-${report.items[0]?.municipality ?? ''}`;
        return sendCsv(reply, format, `shelter-report-${report.period}${suffix}`, SHELTER_REPORT_CSV_COLUMNS, shelterReportCsvRows(report));
      }
      return report;
    },
  );
};
