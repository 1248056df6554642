// A private redis-server for drills that stop and start Redis: the machine's Redis (and every
// other test file's queue on it) is never touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A port the kernel just handed out; nothing else on this machine is asked to share it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Starts (again) on the same port; a restarted server is empty, as after a crash without persistence. */
  start(): Promise<void>;
  /** SIGKILL: no goodbye to clients, like a crash or a pulled cable. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open but nothing is answered, like a hung server. */
  pause(): void;
  resume(): void;
  /** Stops (if running) and removes its directory. */
  destroy(): Promise<void>;
  running(): boolean;
  log(): string;
}

const READY_TIMEOUT_MS = 10_000;

export async function startRedisServer(opts: { port?: number } = {}): Promise<PrivateRedis> {
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'drill-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let out = '';

  async function ping(): Promise<boolean> {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    c.on('error', () => {});
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  }

  const server: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (server.running()) return;
      // No persistence: a restart loses every key, the hardest case for the queue.
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const c = child;
      exited = new Promise((resolve) => c.once('exit', () => resolve()));
      const until = Date.now() + READY_TIMEOUT_MS;
      while (!(await ping())) {
        if (c.exitCode !== null || Date.now() > until) throw new Error(`redis-server on port ${port} did not start:\n${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill() {
      if (!server.running()) return;
      child!.kill('SIGKILL');
      await exited;
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async destroy() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    log: () => out,
  };
  await server.start();
  return server;
}
