import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OpenSpan, Tracing } from './tracing.js';

const SPAN = Symbol('spreiding.span');
type Traced = FastifyRequest & { [SPAN]?: OpenSpan };

/**
 * A server span per request, named and labelled by the route pattern (never the URL: no ids or
 * personal data in span names or attributes), with the request's trace id; the route handler runs
 * with it active, so the spans the services start are its children. Register before the routes.
 * Off, nothing is registered at all.
 */
export function registerHttpTracing(app: FastifyInstance, tracing: Tracing) {
  if (!tracing.enabled) return;
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function traced(this: FastifyInstance, req, reply) {
      const span = (req as Traced)[SPAN];
      return span ? span.run(() => handler.call(this, req, reply)) : handler.call(this, req, reply);
    };
  });
  app.addHook('onRequest', async (req) => {
    const route = req.routeOptions.url;
    const traceparent = Array.isArray(req.headers.traceparent) ? req.headers.traceparent[0] : req.headers.traceparent;
    (req as Traced)[SPAN] = tracing.startRequest(route ? `${req.method} ${route}` : req.method, req.traceId, traceparent, {
      'http.request.method': req.method,
      ...(route ? { 'http.route': route } : {}),
    });
  });
  app.addHook('onResponse', async (req, reply) => {
    const span = (req as Traced)[SPAN];
    if (!span) return;
    span.setAttributes({ 'http.response.status_code': reply.statusCode });
    span.end(reply.statusCode >= 500);
  });
}
