import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { createDocumentBody, DocumentList, DocumentParams, DocumentSummary, DocumentWithContent } from './documents-schemas.js';
import type { DocumentsService } from './documents-service.js';

/** Room for the JSON around the base64 content (kind, title, content type, braces). */
const BODY_OVERHEAD_BYTES = 4 * 1024;

export const documentsRoutes: FastifyPluginAsyncTypebox<{ service: DocumentsService; maxBytes: number }> = async (app, { service, maxBytes }) => {
  app.post(
    '/registrations/:id/documents',
    {
      config: { roles: ['municipality', 'coordinator'] },
      // JSON with the file as base64: the same body parsing, validation and error rules as every
      // other operation, at a third more bytes on the wire; only this route takes a large body.
      bodyLimit: Math.ceil(maxBytes / 3) * 4 + BODY_OVERHEAD_BYTES,
      schema: {
        operationId: 'addRegistrationDocument',
        tags: ['Documents'],
        summary: 'Add a document to a case (e.g. the self-reliance assessment): PDF, PNG or JPEG, base64 in JSON',
        description:
          'The content type is checked against the first bytes of the file (400 content_type_mismatch). Encrypted at rest; ' +
          'erased with the case\'s other personal data by the retention rule or an erasure.',
        params: IdParams,
        body: createDocumentBody(maxBytes),
        response: {
          201: { description: 'Added', ...DocumentSummary, headers: { Location: { type: 'string', description: 'The document' } } },
          ...errorResponses(400, 403, 404, 409, 413, 415),
        },
      },
    },
    async (req, reply) => {
      const doc = await service.add(actorOf(req.principal, req.traceId), req.principal, req.params.id, req.body);
      reply.header('Location', `/api/v1/registrations/${doc.registrationId}/documents/${doc.id}`);
      return reply.code(201).send(doc);
    },
  );

  app.get(
    '/registrations/:id/documents',
    {
      config: { roles: ['municipality', 'coordinator'] },
      schema: {
        operationId: 'listRegistrationDocuments',
        tags: ['Documents'],
        summary: "A case's documents without their content (the titles are personal data; the read is logged)",
        params: IdParams,
        response: { 200: DocumentList, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.list(actorOf(req.principal, req.traceId), req.principal, req.params.id),
  );

  app.get(
    '/registrations/:id/documents/:documentId',
    {
      config: { roles: ['municipality', 'coordinator'] },
      schema: {
        operationId: 'getRegistrationDocument',
        tags: ['Documents'],
        summary: 'One document with its content, base64 (the read is logged)',
        params: DocumentParams,
        response: { 200: DocumentWithContent, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.read(actorOf(req.principal, req.traceId), req.principal, req.params.id, req.params.documentId),
  );
};
