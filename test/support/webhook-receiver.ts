// A webhook receiver on loopback, standing in for a municipality's system: it verifies each
// request's signature the way a receiver would (its own code, from the Standard Webhooks
// description, not the service's), records what came, and answers as its path says.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  event: Record<string, unknown>;
  /** The signature checked out with the secret registered for this path. */
  signatureValid: boolean;
  at: number;
}

/** Path behaviours: `/ok` 204, `/fail` 500, `/gone` 410, `/flaky` 500 twice then 204, `/hang` never answers. */
export interface WebhookReceiver {
  url(path: string): string;
  /** The secret the service showed for the subscription on this path. */
  setSecret(path: string, secret: string): void;
  received(path?: string): Received[];
  close(): Promise<void>;
}

export function verifySignature(secret: string, headers: IncomingMessage['headers'], body: string): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((s) => {
    const [version, value] = s.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const secrets = new Map<string, string>();
  const log: Received[] = [];
  const flaky = new Map<string, number>();
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0]!;
      let event: Record<string, unknown> = {};
      try {
        event = JSON.parse(body) as Record<string, unknown>;
      } catch {
        // recorded as is
      }
      const secret = secrets.get(path);
      log.push({ path, headers: req.headers, body, event, signatureValid: secret ? verifySignature(secret, req.headers, body) : false, at: Date.now() });
      if (path.startsWith('/hang')) {
        hanging.push(res);
        return;
      }
      if (path.startsWith('/flaky')) {
        const n = (flaky.get(path) ?? 0) + 1;
        flaky.set(path, n);
        res.statusCode = n <= 2 ? 500 : 204;
      } else if (path.startsWith('/fail')) res.statusCode = 500;
      else if (path.startsWith('/gone')) res.statusCode = 410;
      else res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    setSecret: (path, secret) => secrets.set(path, secret),
    received: (path) => (path ? log.filter((r) => r.path === path) : [...log]),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
