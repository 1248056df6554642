// Embedded-mode sign-in for the desks: a token for whoever sits at this machine, as the
// coordinator, as one municipality, or as a housing corporation with a working area.
//
// In embedded mode there is no identity provider; the operator already holds the secret in
// DATA_DIR and could print any of these tokens with `npm run token`. This endpoint saves that step
// for the person at the keyboard and for nobody else: it exists only in embedded mode when the
// operator turned it on (UI_LOCAL_SIGN_IN=true), and answers only a direct loopback connection
// addressed to a loopback host name. It never gives more than the coordinator token it always
// gave: no admin, no policy_viewer, no working area wider than MAX_LOCAL_WORKING_AREA.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../http/errors.js';
import { signToken } from '../auth/auth-tokens.js';

/** Short-lived: the UI keeps it in memory only, and signing in again is one click. */
export const UI_SESSION_TTL_SECONDS = 60 * 60;
/** The subject the audit log shows for decisions taken through the local sign-in as coordinator. */
export const UI_SESSION_SUBJECT = 'embedded-ui:local-coordinator';
/** The subjects of the other local roles: which role and organisation acted is in the audit line. */
export const localSubject = (choice: LocalRoleChoice): string =>
  choice.role === 'coordinator' ? UI_SESSION_SUBJECT : choice.role === 'municipality' ? `embedded-ui:local-municipality:${choice.municipality}` : 'embedded-ui:local-housing-corporation';
/** A working area is a region, not the country: a token for all 342 would be a coordinator in disguise. */
export const MAX_LOCAL_WORKING_AREA = 50;

export type LocalRoleChoice =
  | { role: 'coordinator' }
  | { role: 'municipality'; municipality: string }
  | { role: 'housing_corporation'; municipalities: string[] };

/** The municipalities a local sign-in may name (CBS reference data, active ones). */
export type ActiveMunicipalities = () => Promise<ReadonlyArray<{ code: string; name: string }>>;

export interface UiSessionOptions {
  /** Embedded mode and UI_LOCAL_SIGN_IN=true (config refuses the flag outside embedded mode). */
  enabled: boolean;
  jwtSecret: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  /** For the role choice: the page lists them, and a code outside this list is refused. */
  municipalities: ActiveMunicipalities;
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

const GM = { type: 'string', pattern: '^GM[0-9]{4}$', minLength: 6, maxLength: 6 } as const;
const SessionOptions = {
  type: 'object',
  required: ['localSignIn', 'expiresInSeconds', 'roles', 'municipalities'],
  properties: {
    localSignIn: { type: 'boolean' },
    expiresInSeconds: { type: 'integer' },
    roles: { type: 'array', maxItems: 3, items: { type: 'string', maxLength: 50 } },
    maxWorkingArea: { type: 'integer' },
    municipalities: { type: 'array', maxItems: 1000, items: { type: 'object', required: ['code', 'name'], properties: { code: GM, name: { type: 'string', maxLength: 100 } } } },
  },
} as const;
/**
 * `{}` is the coordinator, as before; a municipality names its code; a housing corporation its
 * working area. Nothing else: admin and policy_viewer are not offered here.
 */
const SessionRequest = {
  type: 'object',
  additionalProperties: false,
  properties: {
    role: { type: 'string', enum: ['coordinator', 'municipality', 'housing_corporation'] },
    municipality: GM,
    municipalities: { type: 'array', minItems: 1, maxItems: MAX_LOCAL_WORKING_AREA, uniqueItems: true, items: GM },
  },
} as const;
const Session = {
  type: 'object',
  required: ['token', 'role', 'expiresAt'],
  properties: {
    token: { type: 'string', maxLength: 4000 },
    role: { type: 'string', maxLength: 50 },
    municipality: GM,
    municipalities: { type: 'array', maxItems: MAX_LOCAL_WORKING_AREA, items: GM },
    expiresAt: { type: 'string', maxLength: 40 },
  },
} as const;

interface SessionBody {
  role?: 'coordinator' | 'municipality' | 'housing_corporation';
  municipality?: string;
  municipalities?: string[];
}

/** The role asked for, with exactly the claims that role needs; every code must be an active municipality. */
async function roleChoice(body: SessionBody, active: ActiveMunicipalities): Promise<LocalRoleChoice> {
  const role = body.role ?? 'coordinator';
  const errors: Array<{ in: 'body'; pointer: string; code: string; message: string }> = [];
  const err = (pointer: string, code: string, message: string) => errors.push({ in: 'body', pointer, code, message });
  const known = new Set((await active()).map((m) => m.code));
  if (role !== 'municipality' && body.municipality !== undefined) err('/municipality', 'not_allowed', `is only for role municipality`);
  if (role !== 'housing_corporation' && body.municipalities !== undefined) err('/municipalities', 'not_allowed', 'is only for role housing_corporation');
  if (role === 'municipality') {
    if (body.municipality === undefined) err('/municipality', 'required', 'is required');
    else if (!known.has(body.municipality)) err('/municipality', 'unknown_municipality', 'is not an active municipality');
  }
  if (role === 'housing_corporation') {
    if (body.municipalities === undefined) err('/municipalities', 'required', 'is required');
    else body.municipalities.forEach((c, i) => (known.has(c) ? undefined : err(`/municipalities/${i}`, 'unknown_municipality', 'is not an active municipality')));
  }
  if (errors.length > 0) throw new AppError('validation_failed', `The request has ${errors.length} invalid field(s); see errors.`, { errors });
  if (role === 'municipality') return { role, municipality: body.municipality! };
  if (role === 'housing_corporation') return { role, municipalities: body.municipalities! };
  return { role: 'coordinator' };
}

const unavailable = () => new AppError('not_found', 'There is no resource at this path (paths have no trailing slash).');

export const uiSessionRoutes: FastifyPluginAsync<UiSessionOptions> = async (app, opts) => {
  const { enabled, jwtSecret } = opts;
  // Unless turned on in embedded mode the route does not exist at all: production sign-in is the OIDC proxy.
  if (!enabled || jwtSecret === undefined) return;

  const noStore = { 'Cache-Control': 'no-store' };

  app.get('/ui/session', { schema: { hide: true, response: { 200: SessionOptions } } }, async (req, reply) => {
    if (!isLocalRequest(req)) throw unavailable();
    const municipalities = (await opts.municipalities()).map((m) => ({ code: m.code, name: m.name }));
    return reply.headers(noStore).send({
      localSignIn: true,
      expiresInSeconds: UI_SESSION_TTL_SECONDS,
      roles: ['coordinator', 'municipality', 'housing_corporation'],
      maxWorkingArea: MAX_LOCAL_WORKING_AREA,
      municipalities,
    });
  });

  app.post(
    '/ui/session',
    {
      schema: {
        hide: true,
        // JSON only: a cross-site HTML form cannot send it, and a cross-origin fetch needs a
        // preflight this service never grants.
        body: SessionRequest,
        response: { 201: Session },
      },
    },
    async (req, reply) => {
      if (!isLocalRequest(req)) throw unavailable();
      const choice = await roleChoice(req.body as SessionBody, opts.municipalities);
      const sub = localSubject(choice);
      // Read before signing, so the stated expiry is never later than the token's own.
      const issuedAt = Date.now();
      const token = await signToken(jwtSecret, {
        sub,
        ...choice,
        expiresInSeconds: UI_SESSION_TTL_SECONDS,
        ...(opts.issuer ? { issuer: opts.issuer } : {}),
        ...(opts.audience ? { audience: opts.audience } : {}),
      });
      req.log.info({ sub, role: choice.role }, 'embedded sign-in: token issued to a local browser');
      const expiresAt = new Date(issuedAt + UI_SESSION_TTL_SECONDS * 1000).toISOString();
      return reply.code(201).headers(noStore).send({ token, ...choice, expiresAt });
    },
  );
};
