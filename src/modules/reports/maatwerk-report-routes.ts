import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { reportFormat, sendCsv } from '../../http/report-format.js';
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
        description: 'JSON by default; `Accept: text/csv` gives RFC 4180 CSV with a header row, one line per municipality. The measure is defined in the response (`definition`).',
        querystring: MaatwerkReportQuery,
        response: {
          200: {
            description: 'The report',
            content: {
              'application/json': { schema: MaatwerkReport },
              'text/csv': { schema: Type.String({ maxLength: 1_000_000, description: 'RFC 4180, header row' }) },
            },
          },
          ...errorResponses(400, 403, 406),
        },
      },
    },
    async (req, reply) => {
      const format = reportFormat(req);
      const view = await service.report(req.query);
      if (format === 'csv') return sendCsv(reply, `maatwerk-report-${view.period}.csv`, MAATWERK_REPORT_CSV_COLUMNS, maatwerkReportCsvRows(view));
      return view;
    },
  );
};
