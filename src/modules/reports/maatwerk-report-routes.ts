import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CSV_NEGOTIATION, csvContent, isCsv, reportFormat, sendCsv } from '../../http/report-format.js';
import { errorResponses } from '../../http/schemas.js';
import { MaatwerkReport, MaatwerkReportQuery } from './maatwerk-report-schemas.js';
import { MAATWERK_REPORT_CSV_COLUMNS, maatwerkReportCsvRows, type MaatwerkReportService } from './maatwerk-report-service.js';
import { AGGREGATE_REPORT_ROLES } from './report-roles.js';

export const maatwerkReportRoutes: FastifyPluginAsyncTypebox<{ service: MaatwerkReportService }> = async (app, { service }) => {
  app.get(
    '/reports/maatwerk',
    {
      config: { roles: AGGREGATE_REPORT_ROLES },
      schema: {
        operationId: 'getMaatwerkReport',
        tags: ['Reports'],
        summary: 'Per municipality and period: units received against what the quota rule would have given without family constraints, and why they differ',
        description: 'JSON by default; in CSV one line per municipality. The measure is defined in the response (`definition`). ' + CSV_NEGOTIATION,
        querystring: MaatwerkReportQuery,
        response: {
          200: {
            description: 'The report',
            content: {
              'application/json': { schema: MaatwerkReport },
              ...csvContent(1_000_000),
            },
          },
          ...errorResponses(400, 403, 406),
        },
      },
    },
    async (req, reply) => {
      const format = reportFormat(req);
      const view = await service.report(req.query);
      if (isCsv(format)) return sendCsv(reply, format, `maatwerk-report-${view.period}`, MAATWERK_REPORT_CSV_COLUMNS, maatwerkReportCsvRows(view));
      return view;
    },
  );
};
