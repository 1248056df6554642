import type { FastifyInstance, FastifyRequest } from 'fastify';
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
    /** Why authentication or the role check failed; raised after the rate limit has counted it. */
    authFailure: Error | null;
  }
}

/**
 * Authentication in two steps around the rate limit: `authenticate` finds the principal (so the
 * limit counts per token subject) but only records a failure; `enforce`, registered after the
 * rate limiter, refuses the request. So a flood of bad tokens is limited per address too.
 */
export function registerAuth(app: FastifyInstance, verify: TokenVerifier) {
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('authFailure', null);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    // Unknown routes fall through to the 404 handler without a token check, so a probe learns
    // nothing about which paths exist behind authentication that it could not read in the OpenAPI document.
    if (config.public || request.is404) return;
    try {
      request.principal = await verify(parseBearer(request.headers.authorization));
    } catch (err) {
      request.authFailure = err as Error;
      return;
    }
    const roles = config.roles;
    if (!roles || !roles.includes(request.principal.role)) {
      request.authFailure = new AppError('forbidden', `The role ${request.principal.role} may not use this operation.`);
    }
  });
}

export function enforceAuth(app: FastifyInstance) {
  const enforce = async (request: FastifyRequest) => {
    if (request.authFailure) throw request.authFailure;
  };
  // A route-level hook: @fastify/rate-limit counts in a route-level onRequest hook, which runs
  // after every app-level one; adding ours on each route after it keeps the order count → refuse.
  app.addHook('onRoute', (route) => {
    const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
    route.onRequest = [...existing, enforce] as typeof route.onRequest;
  });
}
