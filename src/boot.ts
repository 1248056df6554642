// Shared start-up and shutdown for the three entry points.
import type { Logger } from 'pino';
import { ConfigError, loadConfig, embeddedSecretsFile, type Config } from './config.js';
import { createLogger } from './logger.js';
import { createContainer, type Container } from './container.js';
import { buildApp } from './app.js';
import type { JobRunner } from './jobs/jobs.js';
import { privilegeWarnings } from './db/grants.js';
import { QUEUE_NAME, WEBHOOK_QUEUE_NAME } from './jobs/bullmq-driver.js';
import { instrumentJobs } from './jobs/job-instrumentation.js';

export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/** Worker concurrency per process: allocations serialise on the ledger lock anyway. */
const WORKER_CONCURRENCY = 4;
const PERIOD_CHECK_EVERY_MS = 60 * 60 * 1000;
/** The retention rule counts in days: once a day is enough, and a run that finds nothing is cheap. */
const RETENTION_EVERY_MS = 24 * 60 * 60 * 1000;

export async function startWorker(container: Container): Promise<JobRunner> {
  const { config, logger } = container;
  const onFailed = (name: string, jobId: string, err: unknown) =>
    logger.warn({ job: name, jobId, err: { message: (err as Error)?.message, code: (err as { code?: string })?.code } }, 'job failed');
  const instrumented = (queue: string) => instrumentJobs(container.jobHandlers, { queue, metrics: container.serviceMetrics, tracing: container.tracing });
  const runners: JobRunner[] = [];
  // Allocations, fan-out and the schedulers; webhook deliveries wait on the network and have a
  // queue, a worker and a concurrency of their own (WORKER_QUEUES can give them processes of their own).
  if (config.workerQueues !== 'webhooks') runners.push(container.jobs.startWorker(instrumented(QUEUE_NAME), { concurrency: WORKER_CONCURRENCY, onFailed }));
  if (config.workerQueues !== 'allocation') runners.push(container.webhookJobs.startWorker(instrumented(WEBHOOK_QUEUE_NAME), { concurrency: config.webhooks.concurrency, onFailed }));
  const runner: JobRunner = {
    isRunning: () => runners.every((r) => r.isRunning()),
    close: async () => {
      await Promise.all(runners.map((r) => r.close()));
    },
  };
  await container.serveMetrics(() => runner.isRunning());
  if (config.workerQueues !== 'webhooks') {
    const schedules = [
      ['close-due-periods', PERIOD_CHECK_EVERY_MS],
      ['scan-deadlines', config.deadlines.scanEveryMs],
      ['pseudonymise-closed-cases', RETENTION_EVERY_MS],
    ] as const;
    for (const [id, everyMs] of schedules) {
      await container.jobs.queue.schedule(id, everyMs, id, { v: 1 }).catch((err: Error) =>
        logger.warn({ err: { message: err.message }, scheduler: id }, 'could not register a job scheduler; will retry at next start'),
      );
    }
  }
  return runner;
}

/** During shutdown, how often connections whose last response went out are closed. */
const IDLE_CONNECTION_REAP_MS = 100;

export interface Running {
  stop(): Promise<void>;
}

export async function startApi(container: Container): Promise<Running> {
  const { config, logger } = container;
  const app = await buildApp(container);
  await app.listen({ port: config.port, host: config.host });
  container.startRelay();
  await container.serveMetrics(() => app.server.listening);
  if (config.embedded) {
    logger.info(
      `Embedded mode: data in ${config.dataDir}; generated keys in ${embeddedSecretsFile(config.dataDir)}. ` +
        'Get a token with: npm run --silent token -- --role coordinator' +
        (config.uiLocalSignIn ? '; the web desk offers one-click sign-in to a browser on this computer.' : '; UI_LOCAL_SIGN_IN=true turns on one-click sign-in in the web desk for a browser on this computer.'),
    );
  }
  return {
    async stop() {
      // Stop accepting connections and let in-flight requests finish; the relay stops with the container.
      // A request in flight at SIGTERM is answered on its keep-alive connection, which then sits
      // idle until the client's keep-alive timeout and holds app.close() open past the shutdown
      // deadline (exit 1). Each such connection is closed as soon as its response is out.
      const reaper = setInterval(() => app.server.closeIdleConnections(), IDLE_CONNECTION_REAP_MS);
      try {
        await app.close();
      } finally {
        clearInterval(reaper);
      }
    },
  };
}

/** SIGTERM/SIGINT: finish what is in flight, close cleanly, exit 0; a hard deadline guards a hang. */
export function onShutdown(logger: Logger, timeoutMs: number, stop: () => Promise<void>) {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline passed; exiting with work unfinished (jobs will be retried)');
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    stop()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}

export async function boot(role: string): Promise<{ config: Config; logger: Logger; container: Container }> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, { role });
  const container = await createContainer({ config, logger, role });
  if (container.database.kind === 'postgres') {
    for (const warning of await privilegeWarnings(container.db).catch(() => [])) {
      logger.warn(`${warning}: this process could switch the append-only triggers off; run the api and worker as the role DATABASE_APP_ROLE names at migrate time (docs/SECURITY.md)`);
    }
  }
  return { config, logger, container };
}
