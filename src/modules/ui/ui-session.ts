// Embedded-mode sign-in for the review desk: a coordinator token for whoever sits at this machine.
//
// In embedded mode there is no identity provider; the operator already holds the secret in
// DATA_DIR and could print a token with `npm run token`. This endpoint saves that step for the
// person at the keyboard and for nobody else: it exists only in embedded mode when the operator
// turned it on (UI_LOCAL_SIGN_IN=true), and answers only a direct loopback connection addressed to
// a loopback host name.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../http/errors.js';
import { signToken } from '../auth/auth-tokens.js';

/** Short-lived: the UI keeps it in memory only, and signing in again is one click. */
export const UI_SESSION_TTL_SECONDS = 60 * 60;
/** The subject the audit log shows for decisions taken through the local sign-in. */
export const UI_SESSION_SUBJECT = 'embedded-ui:local-coordinator';

export interface UiSessionOptions {
  /** Embedded mode and UI_LOCAL_SIGN_IN=true (config refuses the flag outside embedded mode). */
  enabled: boolean;
  jwtSecret: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Headers that any common reverse proxy or CDN adds. A proxy on the same host connects from
 * loopback, so one of these on a request means it was relayed from somewhere else, whichever
 * convention the proxy follows (nginx sets X-Real-IP and no X-Forwarded-For unless told to).
 */
const PROXY_HEADER = /^(forwarded|via|x-forwarded-.+|x-real-ip|x-client-ip|x-cluster-client-ip|x-original-forwarded-for|x-original-host|x-original-url|x-rewrite-url|true-client-ip|cf-connecting-ip|fastly-client-ip|x-proxyuser-ip|x-envoy-external-address|x-envoy-original-path)$/;

export function hasProxyHeader(headers: FastifyRequest['headers']): boolean {
  return Object.keys(headers).some((name) => PROXY_HEADER.test(name.toLowerCase()));
}

/**
 * A request from a browser on this machine, to this machine, not relayed.
 * - The socket's peer, never req.ip: with TRUST_PROXY the latter comes from X-Forwarded-For.
 * - No proxy header of any kind: a reverse proxy on the same host would otherwise make every
 *   remote visitor look local.
 * - A loopback Host: a DNS-rebinding page (evil.example resolving to 127.0.0.1) is same-origin to
 *   itself and could read the answer; its requests carry its own host name.
 * - Sec-Fetch-Site, when the browser sends it, must be same-origin, so another local site
 *   (another port is another origin) cannot mint a token through the visitor's browser.
 */
export function isLocalRequest(req: FastifyRequest): boolean {
  if (!isLoopbackAddress(req.socket.remoteAddress)) return false;
  if (hasProxyHeader(req.headers)) return false;
  const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  if (!LOOPBACK_HOSTS.has(host)) return false;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  return true;
}

const SessionOptions = {
  type: 'object',
  required: ['localSignIn', 'expiresInSeconds'],
  properties: { localSignIn: { type: 'boolean' }, expiresInSeconds: { type: 'integer' } },
} as const;
const Session = {
  type: 'object',
  required: ['token', 'role', 'expiresAt'],
  properties: { token: { type: 'string', maxLength: 2000 }, role: { type: 'string', maxLength: 50 }, expiresAt: { type: 'string', maxLength: 40 } },
} as const;

const unavailable = () => new AppError('not_found', 'There is no resource at this path (paths have no trailing slash).');

export const uiSessionRoutes: FastifyPluginAsync<UiSessionOptions> = async (app, opts) => {
  const { enabled, jwtSecret } = opts;
  // Unless turned on in embedded mode the route does not exist at all: production sign-in is the OIDC proxy.
  if (!enabled || jwtSecret === undefined) return;

  const noStore = { 'Cache-Control': 'no-store' };

  app.get('/ui/session', { schema: { hide: true, response: { 200: SessionOptions } } }, async (req, reply) => {
    if (!isLocalRequest(req)) throw unavailable();
    return reply.headers(noStore).send({ localSignIn: true, expiresInSeconds: UI_SESSION_TTL_SECONDS });
  });

  app.post(
    '/ui/session',
    {
      schema: {
        hide: true,
        // JSON only: a cross-site HTML form cannot send it, and a cross-origin fetch needs a
        // preflight this service never grants.
        body: { type: 'object', properties: {}, additionalProperties: false, maxProperties: 0 },
        response: { 201: Session },
      },
    },
    async (req, reply) => {
      if (!isLocalRequest(req)) throw unavailable();
      // Read before signing, so the stated expiry is never later than the token's own.
      const issuedAt = Date.now();
      const token = await signToken(jwtSecret, {
        sub: UI_SESSION_SUBJECT,
        role: 'coordinator',
        expiresInSeconds: UI_SESSION_TTL_SECONDS,
        ...(opts.issuer ? { issuer: opts.issuer } : {}),
        ...(opts.audience ? { audience: opts.audience } : {}),
      });
      req.log.info({ sub: UI_SESSION_SUBJECT }, 'embedded sign-in: coordinator token issued to a local browser');
      const expiresAt = new Date(issuedAt + UI_SESSION_TTL_SECONDS * 1000).toISOString();
      return reply.code(201).headers(noStore).send({ token, role: 'coordinator', expiresAt });
    },
  );
};
