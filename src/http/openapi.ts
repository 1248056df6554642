import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { API_VERSION } from './conventions.js';

type Obj = Record<string, any>;

/**
 * OpenAPI 3.0 schemas know `example`, not JSON Schema's `examples` array. @fastify/swagger
 * converts it for plain response schemas but not inside an explicit `content` map (a route that
 * answers JSON or CSV), where the ADR linter then rejects the document. An array is never a valid
 * OpenAPI `examples` (that one is a map of Example Objects), so only arrays are rewritten.
 */
function exampleArraysToExample(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) exampleArraysToExample(item);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as Obj;
  if (Array.isArray(obj.examples)) {
    if (obj.example === undefined && obj.examples.length > 0) obj.example = obj.examples[0];
    delete obj.examples;
  }
  for (const value of Object.values(obj)) exampleArraysToExample(value);
}

/**
 * The OpenAPI document is generated from the route schemas. ADR rules the route schemas cannot
 * express (the API-Version header on every success, the security scheme) are added here once.
 */
export async function registerOpenApi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Spreiding — landelijk coördinatiepunt',
        description:
          'Distribution of homeless, self-reliant remigrant families with minor children over all Dutch municipalities. ' +
          'Resource names are English (a documented deviation from the ADR advice to use Dutch names; see the glossary in the README).',
        version: API_VERSION,
        contact: { name: 'Landelijk coördinatiepunt — Spreiding', url: 'https://github.com/spreiding/spreiding', email: 'spreiding@example.nl' },
        license: { name: 'EUPL-1.2', url: 'https://eupl.eu/1.2/en/' },
      },
      servers: [{ url: '/api/v1', description: 'This deployment' }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        headers: {
          'API-Version': { description: 'The full version of the API (ADR).', schema: { type: 'string', example: API_VERSION } },
        },
      },
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'Service', description: 'Health, readiness and this document' },
        { name: 'Municipalities', description: 'Reference data, suspension and capacity' },
        { name: 'Registrations', description: 'Intake and the life of a registration' },
        { name: 'Allocations', description: 'Proposals, review and acceptance' },
        { name: 'Distribution', description: 'Key, balances and periods' },
        { name: 'Shelter', description: 'Emergency shelter stays and costs' },
        { name: 'Reports', description: 'Shelter and distribution reports' },
        { name: 'Housing', description: 'Families for housing corporations' },
        { name: 'Audit', description: 'The processing log' },
      ],
    },
    hideUntagged: true,
    transformObject: (documentObject) => {
      const doc = (documentObject as { openapiObject: Obj }).openapiObject;
      for (const path of Object.values(doc.paths ?? {}) as Obj[]) {
        for (const op of Object.values(path) as Obj[]) {
          for (const [status, response] of Object.entries(op.responses ?? {}) as [string, Obj][]) {
            if (/^[23]/.test(status)) {
              response.headers = { ...(response.headers ?? {}), 'API-Version': { $ref: '#/components/headers/API-Version' } };
            }
          }
        }
      }
      exampleArraysToExample(doc.paths);
      return doc;
    },
  });
}
