import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CSV_NEGOTIATION, csvContent, isCsv, reportFormat, sendCsv, type CsvColumns } from '../../http/report-format.js';
import { errorResponses } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { SimulationBody, SimulationView, type SimulationViewOut } from './distribution-simulation-schemas.js';
import type { SimulationService } from './distribution-simulation-service.js';

export const SIMULATION_CSV_COLUMNS: CsvColumns = [
  ['code', 'Gemeentecode'], ['name', 'Gemeente'], ['province', 'Provincie'], ['share', 'Aandeel in de sleutel'],
  ['units', 'Eenheden'], ['baselineUnits', 'Eenheden met de huidige sleutel'], ['difference', 'Verschil'],
];

const csvRows = (s: SimulationViewOut) => s.municipalities.map((m) => [m.code, m.name, m.province, m.share, m.units, m.baselineUnits, m.difference]);

export const simulationRoutes: FastifyPluginAsyncTypebox<{ service: SimulationService }> = async (app, { service }) => {
  app.post(
    '/distribution/simulations',
    {
      config: { roles: ['coordinator', 'policy_viewer'] },
      schema: {
        operationId: 'simulateDistribution',
        tags: ['Distribution'],
        summary: 'What-if: the units each municipality and province would receive under a key, against today\'s key',
        description:
          'Nothing is stored. Both runs distribute the same units one by one from a fresh ledger with the quota rule and no family ' +
          'constraints: `units` of them, or the units accrued in `period` (the real arrivals). The key is today\'s, the population ' +
          'share, a composite of loaded attributes with integer weights, or a fixed table. Every problem is reported at once (400), ' +
          'a period without arrivals too (code no_arrivals). Each simulation is logged. CSV has one line per municipality. ' + CSV_NEGOTIATION,
        body: SimulationBody,
        response: {
          200: { description: 'The simulation', content: { 'application/json': { schema: SimulationView }, ...csvContent(200_000) } },
          ...errorResponses(400, 403, 406, 415),
        },
      },
    },
    async (req, reply) => {
      // Negotiated before the work, so an unacceptable Accept costs no simulation.
      const format = reportFormat(req);
      const out = await service.simulate(actorOf(req.principal, req.traceId), req.body);
      if (isCsv(format)) return sendCsv(reply, format, `distribution-simulation-${out.period ?? `${out.units}-units`}`, SIMULATION_CSV_COLUMNS, csvRows(out));
      return out;
    },
  );
};
