// Composition root: builds every module from its dependencies, in one place.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { systemClock, type Clock } from './clock.js';
import { createDatabase, type Database } from './db/client.js';
import { seedReferenceData } from './db/seed.js';
import type { FastifyInstance } from 'fastify';
import { createBullmqDriver, QUEUE_NAME } from './jobs/bullmq-driver.js';
import { createMetrics } from './modules/metrics/metrics-registry.js';
import { buildMetricsApp } from './modules/metrics/metrics-server.js';
import { createServiceMetrics } from './modules/metrics/service-metrics.js';
import { createTracing } from './modules/tracing/tracing.js';
import { createInProcessDriver } from './jobs/in-process-driver.js';
import type { JobDriver, JobHandlers } from './jobs/jobs.js';
import { createAuditService, systemActor } from './modules/audit/audit-service.js';
import { createTokenVerifier, type TokenVerifier } from './modules/auth/auth-tokens.js';
import { createMunicipalitiesRepository } from './modules/municipalities/municipalities-repository.js';
import { createMunicipalitiesService } from './modules/municipalities/municipalities-service.js';
import type { ReadinessProbe } from './modules/service/service-routes.js';
import { createPiiCrypto } from './modules/pii/pii-crypto.js';
import { createPrivacyPolicy } from './modules/privacy/privacy-policy.js';
import { createRegistrationsRepository } from './modules/registrations/registrations-repository.js';
import { createRegistrationsService } from './modules/registrations/registrations-service.js';
import { createOutboxRelay, type HandedOutboxRow, type OutboxRelay } from './jobs/outbox.js';
import { createAllocationRepository } from './modules/allocation/allocation-repository.js';
import { createAllocationService } from './modules/allocation/allocation-service.js';
import { createLedgerService } from './modules/allocation/ledger-service.js';
import { createReviewService } from './modules/review/review-service.js';
import { createHousingService } from './modules/housing/housing-service.js';
import { createShelterRepository } from './modules/shelter/shelter-repository.js';
import { createShelterService } from './modules/shelter/shelter-service.js';
import { createShelterReportRepository } from './modules/reports/shelter-report-repository.js';
import { createShelterReportService } from './modules/reports/shelter-report-service.js';
import { createDistributionRepository } from './modules/distribution/distribution-repository.js';
import { createDistributionService } from './modules/distribution/distribution-service.js';
import { createDistributionReportRepository } from './modules/reports/distribution-report-repository.js';
import { createDistributionReportService } from './modules/reports/distribution-report-service.js';
import { createSignalsRepository } from './modules/signals/signals-repository.js';
import { createSignalsService } from './modules/signals/signals-service.js';
import { createWebhookRepository } from './modules/webhooks/webhook-repository.js';
import { createWebhooksService } from './modules/webhooks/webhook-service.js';
import { WEBHOOK_QUEUE_NAME } from './jobs/bullmq-driver.js';
import { createComplianceReportRepository } from './modules/reports/compliance-report-repository.js';
import { createComplianceReportService } from './modules/reports/compliance-report-service.js';
import { createArrivalsReportService, createArrivalsRepository } from './modules/reports/arrivals-report.js';
import { createDocumentsRepository } from './modules/documents/documents-repository.js';
import { createDocumentsService } from './modules/documents/documents-service.js';
import { createPrivacyRepository } from './modules/privacy/privacy-repository.js';
import { createPrivacyService } from './modules/privacy/privacy-service.js';
import { createMaatwerkRepository } from './modules/maatwerk/maatwerk-repository.js';
import { createMaatwerkService } from './modules/maatwerk/maatwerk-service.js';
import { createMaatwerkReportService } from './modules/reports/maatwerk-report-service.js';
import { createSimulationService } from './modules/distribution/distribution-simulation-service.js';
import { createLeadTimesReportService, createLeadTimesRepository } from './modules/reports/lead-times-report.js';
import { createHousingOffersRepository } from './modules/housing/housing-offers-repository.js';
import { createHousingOffersService } from './modules/housing/housing-offers-service.js';

/** How long start-up waits for the rate limiter's Redis connection; an absent Redis does not block it. */
const REDIS_CONNECT_WAIT_MS = 2_000;

function connectedOrGivenUp(redis: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
    redis.once('error', done);
  });
}

export interface ContainerOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** api, worker or all: named on the process's spans. */
  role?: string;
}

export async function createContainer({ config, logger, clock = systemClock, role }: ContainerOptions) {
  const database: Database = await createDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolMax: config.databasePoolMax,
    onPoolError: (err) => logger.warn({ err: { message: err.message } }, 'database connection lost'),
  });
  if (database.kind === 'pglite') {
    // Embedded mode has no separate migrate step to forget.
    await database.migrate();
    await seedReferenceData(database.db, logger);
  }
  let lastRedisError = 0;
  const onRedisError = (err: Error) => {
    // A Redis outage produces an error per reconnect attempt; one line a few seconds is enough.
    const now = Date.now();
    if (now - lastRedisError > 5_000) logger.warn({ err: { message: err.message } }, 'redis unavailable');
    lastRedisError = now;
  };
  const jobs: JobDriver = config.redisUrl
    ? createBullmqDriver({
        redisUrl: config.redisUrl,
        prefix: config.queuePrefix,
        lockDurationMs: config.queueLockDurationMs,
        stalledIntervalMs: config.queueStalledIntervalMs,
        onRedisError,
      })
    : createInProcessDriver();
  // Webhook deliveries on a queue and worker of their own: a receiver that hangs holds only its
  // own slots, never an allocation's.
  const webhookRetry = { attempts: config.webhooks.maxAttempts, backoffMs: config.webhooks.retryBaseMs };
  const webhookJobs: JobDriver = config.redisUrl
    ? createBullmqDriver({
        redisUrl: config.redisUrl,
        prefix: config.queuePrefix,
        queueName: WEBHOOK_QUEUE_NAME,
        retry: webhookRetry,
        lockDurationMs: config.queueLockDurationMs,
        stalledIntervalMs: config.queueStalledIntervalMs,
        onRedisError,
      })
    : createInProcessDriver(webhookRetry);

  // Rate-limit counters are shared by every api process through Redis when there is one. The
  // limiter bounds its own wait (src/http/rate-limit.ts); at start it gets a moment to connect.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000 }) : undefined;
  redis?.on('error', () => {});
  if (redis) await connectedOrGivenUp(redis, REDIS_CONNECT_WAIT_MS);

  const db = database.db;
  // Observability: one registry and one tracer for the process (README of each module).
  const metrics = createMetrics({ logger });
  const tracing = await createTracing({ ...config.tracing, ...(role ? { role } : {}) });
  const serviceMetrics = createServiceMetrics({
    metrics,
    db,
    clock,
    queueName: QUEUE_NAME,
    queueCounts: async () => (await jobs.queue.counts?.()) ?? {},
    poolStats: () => database.poolStats(),
  });
  let metricsServer: { app: FastifyInstance; alive: Array<() => boolean>; url: string } | undefined;

  const audit = createAuditService({ db, clock });
  const municipalitiesRepo = createMunicipalitiesRepository();
  const municipalities = createMunicipalitiesService({ db, repo: municipalitiesRepo, audit, clock });
  const pii = createPiiCrypto(config.pii);
  const privacy = createPrivacyPolicy({ clock, municipalityAccessAfterCloseDays: config.privacy.municipalityAccessAfterCloseDays });
  // Only the api process runs a relay; a worker that writes outbox rows leaves them to it (or
  // to its own relay when it runs in the same process).
  let relay: OutboxRelay | undefined;
  const nudgeRelay = (rows?: HandedOutboxRow[]) => relay?.nudge(rows);
  const registrationsRepo = createRegistrationsRepository();
  const maatwerkRepo = createMaatwerkRepository();
  const registrations = createRegistrationsService({
    db,
    repo: registrationsRepo,
    municipalities: municipalitiesRepo,
    audit,
    pii,
    privacy,
    clock,
    unit: config.allocation.unit,
    regions: maatwerkRepo,
    onOutboxWritten: nudgeRelay,
    tracing,
  });
  const verifier: TokenVerifier = createTokenVerifier(config.auth);

  const allocationRepo = createAllocationRepository();
  const ledger = createLedgerService({ repo: allocationRepo, onLockWait: serviceMetrics.ledgerLockWait });
  // Maatwerk: profiles, declared capacity and the needs policy; the allocation reads them.
  const maatwerk = createMaatwerkService({ db, repo: maatwerkRepo, audit, clock });
  const allocation = createAllocationService({
    db,
    repo: allocationRepo,
    registrations: registrationsRepo,
    ledger,
    maatwerk: maatwerkRepo,
    pii,
    clock,
    logger,
    settings: config.allocation,
    tracing,
    onProposed: serviceMetrics.proposalLag,
  });
  const review = createReviewService({
    db,
    repo: allocationRepo,
    registrations: registrationsRepo,
    municipalities: municipalitiesRepo,
    allocation,
    ledger,
    maatwerk: maatwerkRepo,
    audit,
    pii,
    privacy,
    clock,
    onOutboxWritten: nudgeRelay,
  });

  const shelter = createShelterService({ db, repo: createShelterRepository(), registrations: registrationsRepo, audit, pii, privacy, clock, centralShelter: config.centralShelter });
  const shelterReport = createShelterReportService({ db, repo: createShelterReportRepository(), municipalities: municipalitiesRepo, clock, longStayDays: config.shelter.longStayDays });

  const housing = createHousingService({ db, audit, clock });
  // Housing offers (issue 15): corporations offer dwellings, receiving municipalities decide.
  const housingOffers = createHousingOffersService({ db, repo: createHousingOffersRepository(), registrations: registrationsRepo, audit, clock });
  const documents = createDocumentsService({
    db, repo: createDocumentsRepository(), registrations: registrationsRepo, audit, pii, privacy, clock, maxBytes: config.privacy.documentMaxBytes,
  });
  const retention = createPrivacyService({
    db, repo: createPrivacyRepository(), registrations: registrationsRepo, audit, clock, retentionAfterCloseDays: config.privacy.retentionAfterCloseDays,
  });

  const distribution = createDistributionService({
    db,
    repo: createDistributionRepository(),
    ledgerLock: allocationRepo,
    ledger,
    audit,
    clock,
    logger,
    settings: config.periods,
    unit: config.allocation.unit,
  });
  // What-if simulations of a key (issue 15): reads the key and the municipalities, stores nothing.
  const simulation = createSimulationService({ db, repo: createDistributionRepository(), audit });
  const distributionReport = createDistributionReportService({ db, repo: createDistributionReportRepository(), distribution, audit });
  const maatwerkReport = createMaatwerkReportService({ db });

  const complianceReport = createComplianceReportService({ db, repo: createComplianceReportRepository(), municipalities: municipalitiesRepo, audit });
  const arrivalsReport = createArrivalsReportService({ db, repo: createArrivalsRepository(), audit });
  const leadTimesReport = createLeadTimesReportService({ db, repo: createLeadTimesRepository(), audit });
  const signals = createSignalsService({ db, repo: createSignalsRepository(), registrations: registrationsRepo, clock, settings: config.deadlines });
  const webhooks = createWebhooksService({ db, repo: createWebhookRepository(), audit, pii, clock, logger, settings: config.webhooks, queue: () => webhookJobs.queue, metrics });
  metrics.stateGauge(
    { name: 'spreiding_deadline_signals_open', help: 'Open deadline signals by stage and level', labelNames: ['stage', 'level'] as const },
    async () => (await signals.openCounts()).map((r) => ({ labels: { stage: r.stage, level: r.level }, value: r.open })),
  );

  const probes: ReadinessProbe[] = [
    { name: 'database', check: () => database.ping() },
    { name: 'queue', check: () => jobs.queue.ping() },
  ];

  const jobHandlers: JobHandlers = {
    allocate: async (payload, ctx) => {
      const result = await allocation.propose(payload, payload.traceId ?? null);
      logger.debug({ jobId: ctx.jobId, attempt: ctx.attempt, result }, 'allocate job done');
    },
    'close-due-periods': async (_payload, ctx) => {
      const closed = await distribution.closeDuePeriods(systemActor(ctx.jobId));
      if (closed.length > 0) logger.info({ jobId: ctx.jobId, closed }, 'closed ended periods');
      // The same hourly run books shelter credits that became due (a stay passing the key's minimum nights).
      await distribution.bookShelterCredits(systemActor(ctx.jobId));
    },
    'scan-deadlines': async (_payload, ctx) => {
      const scanned = await signals.scan();
      const resent = await webhooks.resendLost();
      if (scanned.raised + scanned.resolved + resent > 0) logger.info({ jobId: ctx.jobId, ...scanned, resent }, 'deadline scan');
    },
    notify: async (payload) => {
      await webhooks.fanOut(payload.events);
    },
    'deliver-webhook': async (payload, ctx) => {
      await webhooks.deliver(payload.deliveryId, ctx.attempt);
    },
    'pseudonymise-closed-cases': async (_payload, ctx) => {
      const count = await retention.pseudonymiseDue(systemActor(ctx.jobId));
      if (count > 0) logger.info({ jobId: ctx.jobId, count }, 'pseudonymised closed cases past their retention period');
    },
  };

  return {
    config,
    logger,
    clock,
    database,
    db,
    jobs,
    webhookJobs,
    redis,
    verifier,
    probes,
    jobHandlers,
    onRedisError,
    pii,
    metrics,
    serviceMetrics,
    tracing,
    services: {
      audit, municipalities, registrations, allocation, review, ledger, housing, shelter, shelterReport, distribution, distributionReport, documents, retention, maatwerk, maatwerkReport,
      complianceReport, arrivalsReport, signals, webhooks, simulation, leadTimesReport, housingOffers,
    },
    /** The outbox relay: moves committed jobs to the queue. */
    startRelay(): OutboxRelay {
      relay ??= createOutboxRelay({ db, queue: jobs.queue, clock, logger, pollMs: config.outboxPollMs, tracing });
      return relay;
    },
    /**
     * /metrics (and /health, for a worker's probes) on METRICS_PORT, once per process however
     * many roles it runs; `alive` joins the liveness of those roles. Nothing without METRICS_PORT.
     */
    async serveMetrics(alive: () => boolean): Promise<string | undefined> {
      if (config.metrics.port === undefined) return undefined;
      if (metricsServer) {
        metricsServer.alive.push(alive);
        return metricsServer.url;
      }
      const checks = [alive];
      const app = buildMetricsApp({ metrics, logger, token: config.metrics.token, alive: () => checks.every((c) => c()) });
      metricsServer = { app, alive: checks, url: await app.listen({ port: config.metrics.port, host: config.metrics.host }) };
      return metricsServer.url;
    },
    async close() {
      await relay?.stop();
      await jobs.close();
      await webhookJobs.close();
      await redis?.quit().catch(() => redis.disconnect());
      await database.close();
      await metricsServer?.app.close();
      // Spans still buffered are sent before the process goes.
      await tracing.shutdown().catch((err: Error) => logger.warn({ err: { message: err.message } }, 'tracing: could not send the last spans'));
    },
  };
}
export type Container = Awaited<ReturnType<typeof createContainer>>;
