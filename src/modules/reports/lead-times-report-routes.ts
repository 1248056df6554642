import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CSV_NEGOTIATION, csvContent, isCsv, reportFormat, sendCsv } from '../../http/report-format.js';
import { errorResponses } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { CountSchema } from './aggregate-access.js';
import { LEAD_TIMES_CSV_COLUMNS, leadTimesCsvRows, MAX_MONTHS, type LeadTimesReportService } from './lead-times-report.js';

const Month = (description: string) => Type.String({ pattern: '^20[0-9]{2}-(0[1-9]|1[0-2])$', minLength: 7, maxLength: 7, description });

const LeadTimesQuery = Type.Object(
  { from: Month('First month of registration, YYYY-MM'), to: Month(`Last month of registration, YYYY-MM; at most ${MAX_MONTHS} months in all`) },
  { additionalProperties: false },
);

const Days = (what: string) =>
  Type.Union([Type.Number({ minimum: 0, maximum: 100_000 }), Type.Null()], { description: `${what} in calendar days, two decimals; null when count is 0 or suppressed` });
const Stage = (what: string) =>
  Type.Object(
    { count: CountSchema(`Registrations of the month that reached ${what}`), median: Days('Median'), p90: Days('90th percentile') },
    { additionalProperties: false, description: `Days from the registration date to ${what}` },
  );

const LeadTimesReport = Type.Object(
  {
    from: Month('First month'),
    to: Month('Last month'),
    items: Type.Array(
      Type.Object(
        {
          month: Month('Month of the registration date'),
          registrations: CountSchema('Registrations with a registration date in the month (duplicates left out)'),
          toProposal: Stage('the first proposal'),
          toApproval: Stage('approval'),
          toTransfer: Stage('transfer'),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_MONTHS, description: 'Every month of the range, in order (a month without registrations too)' },
    ),
  },
  { additionalProperties: false, title: 'LeadTimesReport' },
);

export const leadTimesReportRoutes: FastifyPluginAsyncTypebox<{ service: LeadTimesReportService }> = async (app, { service }) => {
  app.get(
    '/reports/lead-times',
    {
      config: { roles: ['coordinator', 'municipality', 'policy_viewer'] },
      schema: {
        operationId: 'getLeadTimesReport',
        tags: ['Reports'],
        summary: 'Per month of registration: days from registration to proposal, approval and transfer (median and p90)',
        description:
          'The coordinator gets every family; a municipality the families it reported; a policy_viewer every family with counts of 1 to 4 ' +
          `as "<5" and medians over fewer than 5 as null (its reads are logged). At most ${MAX_MONTHS} months per request. ` +
          'In CSV one line per month. ' + CSV_NEGOTIATION,
        querystring: LeadTimesQuery,
        response: {
          200: { description: 'The lead times', content: { 'application/json': { schema: LeadTimesReport }, ...csvContent(100_000) } },
          ...errorResponses(400, 403, 406),
        },
      },
    },
    async (req, reply) => {
      const format = reportFormat(req);
      const report = await service.report(req.query, { actor: actorOf(req.principal, req.traceId), principal: req.principal });
      if (isCsv(format)) return sendCsv(reply, format, `lead-times-${report.from}-${report.to}`, LEAD_TIMES_CSV_COLUMNS, leadTimesCsvRows(report.items));
      return report;
    },
  );
};
