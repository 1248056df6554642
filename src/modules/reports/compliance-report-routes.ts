import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CSV_NEGOTIATION, csvContent, isCsv, reportFormat, sendCsv } from '../../http/report-format.js';
import { errorResponses } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { ComplianceReport, ComplianceReportQuery } from './compliance-report-schemas.js';
import { COMPLIANCE_REPORT_CSV_COLUMNS, complianceReportCsvRows, type ComplianceReportService } from './compliance-report-service.js';

export const complianceReportRoutes: FastifyPluginAsyncTypebox<{ service: ComplianceReportService }> = async (app, { service }) => {
  app.get(
    '/reports/compliance',
    {
      config: { roles: ['coordinator', 'municipality', 'policy_viewer'] },
      schema: {
        operationId: 'getComplianceReport',
        tags: ['Reports'],
        summary: 'Per receiving municipality and period: declines and rejections by reason category, acceptances, median days to accept, deadlines missed',
        description:
          'JSON by default; in CSV one line per municipality and a national line (column `level`). ' +
          'A municipality gets its own row and the national totals; a policy_viewer every row. Where a caller may not see the ' +
          'families, counts of 1 to 4 are "<5" and a median over fewer than 5 is null. Reads by a policy_viewer are logged. ' + CSV_NEGOTIATION,
        querystring: ComplianceReportQuery,
        response: {
          200: {
            description: 'The report',
            content: {
              'application/json': { schema: ComplianceReport },
              ...csvContent(1_000_000),
            },
          },
          ...errorResponses(400, 403, 406),
        },
      },
    },
    async (req, reply) => {
      const format = reportFormat(req);
      const report = await service.report(req.query, { actor: actorOf(req.principal, req.traceId), principal: req.principal });
      if (isCsv(format)) return sendCsv(reply, format, `compliance-report-${report.period}`, COMPLIANCE_REPORT_CSV_COLUMNS, complianceReportCsvRows(report));
      return report;
    },
  );
};
