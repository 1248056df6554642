import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CSV_NEGOTIATION, csvContent, isCsv, reportFormat, sendCsv } from '../../http/report-format.js';
import { errorResponses } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { DistributionReport, DistributionReportQuery } from './distribution-report-schemas.js';
import { DISTRIBUTION_REPORT_CSV_COLUMNS, distributionReportCsvRows, type DistributionReportService } from './distribution-report-service.js';

export const distributionReportRoutes: FastifyPluginAsyncTypebox<{ service: DistributionReportService }> = async (app, { service }) => {
  app.get(
    '/reports/distribution',
    {
      config: { roles: ['coordinator', 'municipality', 'policy_viewer'] },
      schema: {
        operationId: 'getDistributionReport',
        tags: ['Reports'],
        summary: 'Per municipality and period: entitlement, proposed, approved, realised, balance, carried in and out; totals per province',
        description:
          'JSON by default; in CSV, with a header row: one line per municipality, then per province and ' +
          'a national line (column `level`). Fractions have 4 decimals; carriedOut is empty while the period is open. ' +
          'A municipality gets its own row and the national line (no provinces); a policy_viewer everything, with counts of 1 to 4 ' +
          'as "<5" (its reads are logged); a municipality\'s national counts of 1 to 4 are "<5" too. ' + CSV_NEGOTIATION,
        querystring: DistributionReportQuery,
        response: {
          200: {
            description: 'The report',
            content: {
              'application/json': { schema: DistributionReport },
              ...csvContent(1_000_000),
            },
          },
          ...errorResponses(400, 403, 406),
        },
      },
    },
    async (req, reply) => {
      // Negotiated before the work, so an unacceptable Accept costs no query.
      const format = reportFormat(req);
      const { view, exact } = await service.report(req.query, { actor: actorOf(req.principal, req.traceId), principal: req.principal });
      if (isCsv(format)) {
        const suffix = req.query.province ? `-${req.query.province}` : '';
        return sendCsv(reply, format, `distribution-report-${view.period}${suffix}`, DISTRIBUTION_REPORT_CSV_COLUMNS, distributionReportCsvRows(view.period, exact));
      }
      return view;
    },
  );
};
