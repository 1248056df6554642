import { createRemoteJWKSet, jwksCache, jwtVerify, SignJWT, errors as joseErrors, type ExportedJWKSCache, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AppError } from '../../http/errors.js';

/** policy_viewer: ministries (BZK, VWS) and VNG — aggregate reports and statistics only, never a registration. */
export const ROLES = ['municipality', 'coordinator', 'housing_corporation', 'admin', 'policy_viewer'] as const;
export type Role = (typeof ROLES)[number];

export const GM_CODE = /^GM[0-9]{4}$/;
/** A working area larger than this is a misissued token, not a housing corporation. */
const MAX_WORKING_AREA = 400;
/**
 * A subject is an identifier (a client id, a UUID, a URI, a name): printable ASCII, no leading or
 * trailing space. It is written to the log, the audit log and the rate limiter's keys, so a line
 * break, a control character or a bidirectional override in it would let a token forge or
 * disguise log lines.
 */
const SUBJECT = /^[\x21-\x7e](?:[\x20-\x7e]{0,198}[\x21-\x7e])?$/;

/** Who is calling, from the verified token (DESIGN §8). */
export interface Principal {
  readonly sub: string;
  readonly role: Role;
  /** Own GM code, for role municipality. */
  readonly municipality?: string;
  /** Working area, for role housing_corporation. */
  readonly municipalities?: readonly string[];
}

export interface VerifierConfig {
  jwtSecret: string | undefined;
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
}

const unauthorized = (detail: string) => new AppError('unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer' } });

/** Turns verified claims into a principal, or refuses: a role we do not know is no role at all. */
export function principalFromClaims(claims: JWTPayload): Principal {
  const sub = claims.sub;
  if (typeof sub !== 'string' || !SUBJECT.test(sub)) throw unauthorized('The token has no valid subject (1–200 printable ASCII characters, not starting or ending with a space).');
  const role = claims.role;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw unauthorized('The token has no known role.');
  if (role === 'municipality') {
    const m = claims.municipality;
    if (typeof m !== 'string' || !GM_CODE.test(m)) throw unauthorized('A municipality token needs a municipality claim with a GM code.');
    return { sub, role, municipality: m };
  }
  if (role === 'housing_corporation') {
    const ms = claims.municipalities;
    if (!Array.isArray(ms) || ms.length === 0 || ms.length > MAX_WORKING_AREA || !ms.every((m) => typeof m === 'string' && GM_CODE.test(m))) {
      throw unauthorized('A housing corporation token needs a municipalities claim with the GM codes of its working area.');
    }
    return { sub, role, municipalities: [...new Set(ms as string[])] };
  }
  return { sub, role: role as Role };
}

export type TokenVerifier = (token: string) => Promise<Principal>;

/** Key lookups that fail because of the token (no key with its kid or alg): 401. */
const TOKEN_KEY_ERRORS = [joseErrors.JWKSNoMatchingKey, joseErrors.JWKSMultipleMatchingKeys, joseErrors.JOSENotSupported];

/**
 * The IdP's key set could not be fetched (down, an HTTP error, a timeout, not a key set). The
 * token may be perfectly good: answering 401 would tell the client to throw it away, so this is a
 * dependency failure (503 with Retry-After; the error handler knows the code).
 */
export class KeySetUnavailableError extends Error {
  readonly code = 'ERR_JWKS_UNAVAILABLE';
  constructor(cause: unknown) {
    super(`the JWKS could not be fetched: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'KeySetUnavailableError';
  }
}

/** How long a verified token is remembered at most (never past its exp). */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
/** Distinct tokens remembered at most; the oldest goes first. */
const VERIFIED_TOKEN_MAX = 2_000;

interface Verified {
  principal: Principal;
  /** Date.now() after which the entry is not used. */
  until: number;
  /** The JWKS document the token was verified against (JWKS mode). */
  keySet: unknown;
}

export function createTokenVerifier(cfg: VerifierConfig): TokenVerifier {
  const options = {
    ...(cfg.issuer ? { issuer: cfg.issuer } : {}),
    ...(cfg.audience ? { audience: cfg.audience } : {}),
    requiredClaims: ['exp'],
    clockTolerance: 5,
  };
  let verify: (token: string) => Promise<JWTPayload>;
  /** In JWKS mode: the key set in use (a new object after every refetch), and whether it is within its max age. */
  let keySetNow: () => unknown = () => undefined;
  let keySetFresh: () => boolean = () => true;
  if (cfg.jwksUrl) {
    // jose caches the key set and refetches it when a token names an unknown kid (key rotation).
    // `state` is where jose keeps the fetched document: a new object after each refetch.
    const state: ExportedJWKSCache | Record<string, never> = {};
    const jwks = createRemoteJWKSet(new URL(cfg.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000, [jwksCache]: state });
    keySetNow = () => (state as Partial<ExportedJWKSCache>).jwks;
    keySetFresh = () => jwks.fresh;
    const getKey: JWTVerifyGetKey = async (header, token) => {
      try {
        return await jwks(header, token);
      } catch (err) {
        if (TOKEN_KEY_ERRORS.some((E) => err instanceof E)) throw err;
        throw new KeySetUnavailableError(err);
      }
    };
    verify = async (t) => (await jwtVerify(t, getKey, { ...options, algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'] })).payload;
  } else if (cfg.jwtSecret) {
    const key = new TextEncoder().encode(cfg.jwtSecret);
    verify = async (t) => (await jwtVerify(t, key, { ...options, algorithms: ['HS256'] })).payload;
  } else {
    throw new Error('no token verification configured');
  }

  /**
   * Tokens verified in the last minute, by their exact text, so a client's requests do not each
   * pay for a signature check (a few per cent of an intake's CPU). Only a token that passed every
   * check is remembered, never a refusal; an entry is used until the token's exp or for
   * VERIFIED_TOKEN_TTL_MS, whichever comes first, and in JWKS mode only while the key set it was
   * verified against is still the one in use and within its max age: a refetch (a new kid, key
   * rotation) or an expired key set sends every token through jose again, so a key the IdP
   * removed stops working exactly when it does without this cache. JWTs cannot be revoked before
   * exp in this service in any case (no introspection), so remembering one adds no new window.
   */
  const verified = new Map<string, Verified>();
  const remembered = (token: string): Principal | undefined => {
    const hit = verified.get(token);
    if (!hit) return undefined;
    if (Date.now() < hit.until && hit.keySet === keySetNow() && keySetFresh()) return hit.principal;
    verified.delete(token);
    return undefined;
  };
  const remember = (token: string, claims: JWTPayload, principal: Principal, keySet: unknown) => {
    const until = Math.min(claims.exp! * 1000, Date.now() + VERIFIED_TOKEN_TTL_MS);
    if (until <= Date.now()) return;
    if (verified.size >= VERIFIED_TOKEN_MAX) verified.delete(verified.keys().next().value!);
    verified.set(token, { principal, until, keySet });
  };

  return async (token) => {
    const known = remembered(token);
    if (known) return known;
    const keySet = keySetNow();
    let claims: JWTPayload;
    try {
      claims = await verify(token);
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthorized('The token has expired.');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw unauthorized(`The token's ${err.claim} claim is not accepted.`);
      if (err instanceof joseErrors.JOSEError) throw unauthorized('The token is not valid.');
      throw err;
    }
    const principal = freeze(principalFromClaims(claims));
    // The key set may have been refetched during this verification: then the entry stays unused.
    remember(token, claims, principal, keySet);
    return principal;
  };
}

/** A remembered principal is shared by requests: nobody may change it. */
function freeze(p: Principal): Principal {
  if (p.municipalities) Object.freeze(p.municipalities);
  return Object.freeze(p);
}

export function parseBearer(header: string | undefined): string {
  if (!header) throw unauthorized('Send a bearer token in the Authorization header.');
  // The scheme is case-insensitive (RFC 7235 §2.1, RFC 6750 §2.1): "bearer" is "Bearer".
  const m = /^Bearer +([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*)$/i.exec(header.trim());
  if (!m) throw unauthorized('The Authorization header must be "Bearer <JWT>".');
  return m[1]!;
}

export interface TokenRequest {
  sub: string;
  role: Role;
  municipality?: string;
  municipalities?: string[];
  expiresInSeconds: number;
  issuer?: string;
  audience?: string;
}

/** HS256 tokens for operators and tests (`npm run token`); production tokens come from the IdP. */
export async function signToken(secret: string, req: TokenRequest): Promise<string> {
  const claims: Record<string, unknown> = { role: req.role };
  if (req.municipality) claims.municipality = req.municipality;
  if (req.municipalities) claims.municipalities = req.municipalities;
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(req.sub).setIssuedAt().setExpirationTime(`${req.expiresInSeconds}s`);
  if (req.issuer) jwt = jwt.setIssuer(req.issuer);
  if (req.audience) jwt = jwt.setAudience(req.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
