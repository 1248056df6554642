// HTTP conventions of the Dutch API Design Rules, applied to every response in one place.
import { pooledRandomBytes } from '../lib/random-pool.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, problemBody } from './errors.js';
import { MAX_FIELD_ERRORS, toFieldErrors } from './validation.js';

export const API_VERSION = '1.0.0';

const SECURITY_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "frame-ancestors 'none'",
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** W3C trace context: keep the caller's trace id so our logs and audit rows join theirs. */
export function traceIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value ? TRACEPARENT.exec(value) : null;
  if (m && m[1] !== '0'.repeat(32)) return m[1]!;
  return pooledRandomBytes(16).toString('hex');
}

/** Network, PostgreSQL connection and identity-provider key-set failures (see auth-tokens.ts). */
const UNAVAILABLE_CODES = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', 'ERR_JWKS_UNAVAILABLE'];

/** Connection-level database, queue or IdP trouble: the client may retry, so 503 rather than 500. */
function isUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    const message = String((e as { message?: unknown }).message ?? '');
    if (typeof code === 'string' && UNAVAILABLE_CODES.includes(code)) {
      return true;
    }
    if (/Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection/i.test(message)) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function sendProblem(reply: FastifyReply, request: FastifyRequest, err: AppError) {
  for (const [k, v] of Object.entries(err.extra.headers ?? {})) reply.header(k, v);
  return reply.code(err.status).type('application/problem+json').send(problemBody(err, request.url.split('?')[0]!.slice(0, 500)));
}

export function toAppError(error: FastifyError | AppError | Error, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError & { validationContext?: string };
  if (fe.validation) {
    const errors = toFieldErrors(fe.validationContext, fe.validation as never);
    const shown = errors.slice(0, MAX_FIELD_ERRORS);
    const more = errors.length > shown.length ? ` (the first ${shown.length} are listed)` : '';
    return new AppError('validation_failed', `The request has ${errors.length} invalid field(s); see errors${more}.`, { errors: shown });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body exceeds the size limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'Send the request body as application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('validation_failed', 'The Content-Length header does not match the body.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('malformed_json', 'The request body is empty; send a JSON document.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('malformed_json', 'The request body is not valid JSON.');
  }
  if (fe.statusCode === 429) return new AppError('rate_limited', 'Too many requests; slow down and retry later.');
  // A file the static handler could not find.
  if (fe.statusCode === 404) return new AppError('not_found', 'There is no resource at this path.');
  if (error instanceof SyntaxError && fe.statusCode === 400) return new AppError('malformed_json', 'The request body is not valid JSON.');
  if (fe.statusCode === 400 && fe.code?.startsWith('FST_ERR_CTP')) return new AppError('validation_failed', 'The request body could not be read.');
  if (isUnavailable(error)) {
    request.log.warn({ err: { message: error.message, code: fe.code } }, 'dependency unavailable');
    return new AppError('service_unavailable', 'A dependency is temporarily unavailable; retry shortly.', { headers: { 'Retry-After': '2' } });
  }
  // Internals (messages, stacks, SQL) stay in the log; the client gets the trace id to quote.
  request.log.error({ err: error }, 'unhandled error');
  return new AppError('internal_error', `Something went wrong on our side. Quote trace id ${request.traceId} when reporting it.`);
}

/**
 * Errors Fastify raises before any hook runs: a URL that does not decode, a path parameter longer
 * than the router allows. Without this Fastify answers them with its own JSON body, without the
 * ADR headers and echoing the URL. Pass as Fastify's `frameworkErrors` option (src/app.ts).
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  let err: AppError;
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') err = new AppError('not_found', 'There is no resource at this path.');
  else if (error.code === 'FST_ERR_BAD_URL') err = new AppError('validation_failed', 'The URL is not valid: it has a broken percent-encoding.');
  else {
    request.log.error({ err: { message: error.message, code: error.code } }, 'framework error');
    err = new AppError('internal_error', `Something went wrong on our side. Quote trace id ${request.id} when reporting it.`);
  }
  reply.header('traceresponse', `00-${request.id}-${pooledRandomBytes(8).toString('hex')}-00`);
  reply.header('API-Version', API_VERSION);
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
  // No `instance`: the path is what could not be read.
  return reply.code(err.status).type('application/problem+json').send(problemBody(err));
}

/** The query of an operation that takes no query parameters: anything sent is refused (400). */
const NO_QUERY = { type: 'object', properties: {}, additionalProperties: false } as const;

export function registerConventions(app: FastifyInstance) {
  // Unknown parameters are refused everywhere, also where an operation has no query parameters at
  // all: `GET /registrations/{id}?bsn=…` must not be answered as if the BSN were not there.
  // API operations only: pages of the web UI take their own query parameters.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || route.config?.public || !route.schema || route.schema.querystring) return;
    route.schema = { ...route.schema, querystring: NO_QUERY };
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('traceresponse', `00-${request.traceId}-${pooledRandomBytes(8).toString('hex')}-00`);
    // ADR: a trailing slash is another resource, and none exists. The router alone would match
    // `/municipalities/` to `/municipalities/:code` with an empty code.
    const path = request.url.split('?')[0]!;
    if (path.length > 1 && path.endsWith('/') && path.startsWith('/api/')) {
      throw new AppError('not_found', 'There is no resource at this path (paths have no trailing slash).');
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('API-Version', API_VERSION);
    if (request.url.startsWith('/api/')) {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    }
    return payload;
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new AppError('not_found', 'There is no resource at this path (paths have no trailing slash).')),
  );

  app.setErrorHandler((error, request, reply) => sendProblem(reply, request, toAppError(error as FastifyError, request)));
}
