import type { FastifyInstance } from 'fastify';
import { AppError } from './errors.js';
import { parseBearer, type Principal, type Role, type TokenVerifier } from '../modules/auth/auth-tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No token needed (health, ready, the OpenAPI document, the UI's static files). */
    public?: boolean;
    /** Roles allowed on this route; every non-public route names them. */
    roles?: readonly Role[];
  }
  interface FastifyRequest {
    principal: Principal;
    traceId: string;
  }
}

export function registerAuth(app: FastifyInstance, verify: TokenVerifier) {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    // Unknown routes fall through to the 404 handler without a token check, so a probe learns
    // nothing about which paths exist behind authentication that it could not read in the OpenAPI document.
    if (config.public || request.is404) return;
    request.principal = await verify(parseBearer(request.headers.authorization));
    const roles = config.roles;
    if (!roles || !roles.includes(request.principal.role)) {
      throw new AppError('forbidden', `The role ${request.principal.role} may not use this operation.`);
    }
  });
}
