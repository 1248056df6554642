// The api process: HTTP and the outbox relay.
import { boot, onShutdown, startApi } from './boot.js';

const { config, logger, container } = await boot('api');
const api = await startApi(container);
onShutdown(logger, config.shutdownTimeoutMs, async () => {
  await api.stop();
  await container.close();
});
