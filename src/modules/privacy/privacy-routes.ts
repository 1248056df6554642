import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { ErasureBody, ErasureResult } from './privacy-schemas.js';
import type { PrivacyService } from './privacy-service.js';

export const privacyRoutes: FastifyPluginAsyncTypebox<{ service: PrivacyService }> = async (app, { service }) => {
  app.post(
    '/registrations/:id/erasure',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'eraseRegistration',
        tags: ['Privacy'],
        summary: "Erase a closed case's personal data now (coordinator), on a ground; the case is pseudonymised",
        description:
          'As the retention rule does after RETENTION_AFTER_CLOSE_DAYS: names, BSNs, birth dates (the year stays), notes, needs, ' +
          'reasons, locations and documents are erased; the BSNs\' keyed hashes, the status, dates, municipalities, counts, the ' +
          'ledger and the audit log stay. Only a closed or housed case (409 otherwise); it cannot be undone.',
        params: IdParams,
        body: ErasureBody,
        response: { 200: ErasureResult, ...errorResponses(400, 403, 404, 409, 413, 415) },
      },
    },
    async (req) => service.erase(actorOf(req.principal, req.traceId), req.principal, req.params.id, req.body),
  );
};
