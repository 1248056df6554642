import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams, Page } from '../../http/schemas.js';
import { ListSignalsQuery, RegistrationSignals, SignalSchema } from './signals-schemas.js';
import type { SignalsService } from './signals-service.js';

export const signalsRoutes: FastifyPluginAsyncTypebox<{ service: SignalsService }> = async (app, { service }) => {
  app.get(
    '/signals',
    {
      config: { roles: ['coordinator', 'municipality'] },
      schema: {
        operationId: 'listSignals',
        tags: ['Signals'],
        summary: 'Deadlines that passed (the worklist): escalations first, then the longest overdue',
        description:
          'A signal is raised when a stage\'s deadline passes (reminder) and again after the escalation period (escalation); ' +
          'it is resolved when the stage ends. Registrations that need attention are in the list at once (stage attention). ' +
          'A municipality sees the signals of families it may see now.',
        querystring: ListSignalsQuery,
        response: { 200: Page(SignalSchema, 'SignalPage'), ...errorResponses(400, 403) },
      },
    },
    async (req) => service.list(req.principal, { ...req.query, status: req.query.status ?? 'open' }),
  );

  app.get(
    '/registrations/:id/signals',
    {
      config: { roles: ['coordinator', 'municipality'] },
      schema: {
        operationId: 'getRegistrationSignals',
        tags: ['Signals'],
        summary: 'A registration\'s current deadline and every signal it raised',
        params: IdParams,
        response: { 200: RegistrationSignals, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.forRegistration(req.principal, req.params.id),
  );
};
