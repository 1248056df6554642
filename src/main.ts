// `npm start`: api and worker in one process; with no DATABASE_URL/REDIS_URL, fully embedded.
import { boot, onShutdown, startApi, startWorker } from './boot.js';

const { config, logger, container } = await boot('all');
const runner = await startWorker(container);
const api = await startApi(container);
onShutdown(logger, config.shutdownTimeoutMs, async () => {
  await api.stop();
  await runner.close();
  await container.close();
});
