import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Container } from './container.js';
import { enforceAuth, registerAuth } from './http/auth.js';
import { frameworkErrorHandler, registerConventions, traceIdFrom } from './http/conventions.js';
import { registerOpenApi } from './http/openapi.js';
import { registerRateLimit } from './http/rate-limit.js';
import { validatorCompiler } from './http/validation.js';
import { auditRoutes } from './modules/audit/audit-routes.js';
import { municipalitiesRoutes } from './modules/municipalities/municipalities-routes.js';
import { serviceRoutes } from './modules/service/service-routes.js';
import { registrationsRoutes } from './modules/registrations/registrations-routes.js';
import { reviewRoutes } from './modules/review/review-routes.js';
import { housingRoutes } from './modules/housing/housing-routes.js';
import { shelterRoutes } from './modules/shelter/shelter-routes.js';
import { shelterReportRoutes } from './modules/reports/shelter-report-routes.js';
import { distributionRoutes } from './modules/distribution/distribution-routes.js';
import { distributionReportRoutes } from './modules/reports/distribution-report-routes.js';
import { uiPlugin } from './modules/ui/ui-plugin.js';
import { signalsRoutes } from './modules/signals/signals-routes.js';
import { webhookRoutes } from './modules/webhooks/webhook-routes.js';
import { complianceReportRoutes } from './modules/reports/compliance-report-routes.js';
import { arrivalsReportRoutes } from './modules/reports/arrivals-report-routes.js';
import { documentsRoutes } from './modules/documents/documents-routes.js';
import { privacyRoutes } from './modules/privacy/privacy-routes.js';
import { maatwerkRoutes } from './modules/maatwerk/maatwerk-routes.js';
import { maatwerkReportRoutes } from './modules/reports/maatwerk-report-routes.js';
import { simulationRoutes } from './modules/distribution/distribution-simulation-routes.js';
import { leadTimesReportRoutes } from './modules/reports/lead-times-report-routes.js';
import { housingOffersRoutes } from './modules/housing/housing-offers-routes.js';
import { registerHttpMetrics } from './modules/metrics/metrics-http.js';
import { registerHttpTracing } from './modules/tracing/tracing-http.js';

export const API_PREFIX = '/api/v1';

function trustProxyOption(trust: Container['config']['http']['trustProxy']) {
  if (typeof trust === 'number') return (_address: string, hop: number) => hop < trust;
  return trust === false ? false : [...trust];
}

/** Builds the HTTP application; never listens (server.ts does, tests use inject). */
export async function buildApp(container: Container): Promise<FastifyInstance> {
  const { config } = container;
  const app = Fastify({
    loggerInstance: container.logger as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimitBytes,
    // A hop count (the last n addresses are our proxies') or our proxies' addresses; false trusts
    // no X-Forwarded-For at all. Fastify reads a number the same way; its types only lack it.
    trustProxy: trustProxyOption(config.http.trustProxy),
    // Slow clients are cut off: a request (headers and body) that does not arrive in time gets
    // 408, a silent socket is closed, and an idle keep-alive connection does not linger.
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.http.connectionTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      maxHeaderSize: config.http.maxHeaderBytes,
      // Node checks the two timeouts above only this often (default 30 s).
      connectionsCheckingInterval: Math.min(1_000, config.http.headersTimeoutMs),
    },
    // A trailing slash is another path (ADR: 404, no redirect).
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 100 },
    genReqId: (req) => traceIdFrom(req.headers.traceparent),
    logController: new LogController({ requestIdLogLabel: 'traceId' }),
    // Errors the router raises before any hook runs (a broken %-encoding, an over-long id) get the
    // same problem+json and headers as every other error.
    frameworkErrors: frameworkErrorHandler,
    return503OnClosing: true,
    forceCloseConnections: false,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;

  app.setValidatorCompiler(validatorCompiler);
  app.decorateRequest('traceId', '');
  app.addHook('onRequest', async (req) => {
    req.traceId = req.id;
  });
  // Before every route: the span wraps each handler, the histogram sees every response.
  registerHttpTracing(app, container.tracing);
  registerHttpMetrics(app, container.metrics);
  // The process serving the API reports the shared state (registrations, outbox, queue).
  container.metrics.reportState();
  // The API speaks JSON only: a text/plain body is an unsupported media type (415), not bad JSON.
  app.removeContentTypeParser('text/plain');
  // JSON Merge Patch bodies are JSON documents.
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  registerConventions(app);
  registerAuth(app, container.verifier);
  await registerRateLimit(app, {
    perMinute: config.http.rateLimitPerMinute,
    redis: container.redis,
    prefix: `${config.queuePrefix}:rate:`,
    redisTimeoutMs: config.http.rateLimitRedisTimeoutMs,
    onRedisTrouble: container.onRedisError,
  });
  enforceAuth(app);
  await registerOpenApi(app);

  await app.register(
    async (api) => {
      await api.register(serviceRoutes, { probes: container.probes });
      await api.register(municipalitiesRoutes, { service: container.services.municipalities });
      await api.register(auditRoutes, { service: container.services.audit });
      await api.register(registrationsRoutes, { service: container.services.registrations });
      await api.register(reviewRoutes, { service: container.services.review });
      await api.register(housingRoutes, { service: container.services.housing });
      await api.register(shelterRoutes, { service: container.services.shelter });
      await api.register(shelterReportRoutes, { service: container.services.shelterReport });
      await api.register(distributionRoutes, { service: container.services.distribution });
      await api.register(distributionReportRoutes, { service: container.services.distributionReport });
      await api.register(complianceReportRoutes, { service: container.services.complianceReport });
      await api.register(arrivalsReportRoutes, { service: container.services.arrivalsReport });
      await api.register(signalsRoutes, { service: container.services.signals });
      await api.register(webhookRoutes, { service: container.services.webhooks });
      await api.register(documentsRoutes, { service: container.services.documents, maxBytes: config.privacy.documentMaxBytes });
      await api.register(privacyRoutes, { service: container.services.retention });
      await api.register(maatwerkRoutes, { service: container.services.maatwerk });
      await api.register(maatwerkReportRoutes, { service: container.services.maatwerkReport });
      await api.register(simulationRoutes, { service: container.services.simulation });
      await api.register(leadTimesReportRoutes, { service: container.services.leadTimesReport });
      await api.register(housingOffersRoutes, { service: container.services.housingOffers });
    },
    { prefix: API_PREFIX },
  );
  // The review desk's pages and assets under `/`, outside the API prefix.
  const { embedded, uiLocalSignIn, auth } = container.config;
  // The local sign-in's role choice lists the active municipalities (CBS reference data).
  const municipalities = async () => (await container.services.municipalities.list({ page: 1, pageSize: 1000 })).items.filter((m) => m.active);
  await app.register(uiPlugin, {
    session: { enabled: embedded && uiLocalSignIn, jwtSecret: auth.jwtSecret, issuer: auth.issuer, audience: auth.audience, municipalities },
  });
  return app;
}
