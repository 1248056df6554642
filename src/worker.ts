// The worker process: runs queued jobs (allocations, period closing).
import { boot, onShutdown, startWorker } from './boot.js';

const { config, logger, container } = await boot('worker');
const runner = await startWorker(container);
logger.info({ driver: container.jobs.kind }, 'worker started');
onShutdown(logger, config.shutdownTimeoutMs, async () => {
  await runner.close();
  await container.close();
});
