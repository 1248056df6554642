// A real OAuth 2.0 authorization server on loopback for the JWKS tests: the OpenID-certified
// `oidc-provider`, issuing JWT access tokens (RFC 9068) by the client-credentials grant for one
// resource server (our API, by resource indicator), with the role claims in every token.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';

/** The claims our API reads (DESIGN §8), as the IdP puts them in a client's tokens. */
export interface RoleClaims {
  role?: unknown;
  municipality?: unknown;
  municipalities?: unknown;
}

export interface OidcClient {
  clientId: string;
  clientSecret: string;
}

export interface SigningKey {
  kid: string;
  /** Private JWK (with `d`), as the provider's keystore holds it. */
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface TestIdp {
  issuer: string;
  jwksUrl: string;
  tokenUrl: string;
  /** The resource indicator of our API; the `aud` of every access token. */
  audience: string;
  /** Signing keys in the order the provider has them; the first one signs. */
  keys(): readonly SigningKey[];
  /** Registers a client whose tokens carry these claims. */
  addClient(claims: RoleClaims): OidcClient;
  /** A real client-credentials grant: HTTP POST to the token endpoint. */
  token(client: OidcClient, opts?: { resource?: string }): Promise<string>;
  /** Token endpoint answer as is, for the error cases. */
  tokenResponse(client: OidcClient, opts?: { resource?: string }): Promise<Response>;
  /** Puts a new signing key first: it signs from now on; the others stay published. */
  rotate(): Promise<SigningKey>;
  /** Removes a key from the provider's key set (and so from its JWKS). */
  retire(kid: string): void;
  /** Signs arbitrary claims with one of the provider's keys (or another key), for the claim checks. */
  sign(claims: JWTPayload, opts?: { key?: SigningKey; header?: Record<string, unknown> }): Promise<string>;
  /** How many times the JWKS endpoint was fetched. */
  jwksFetches(): number;
  /**
   * An IdP outage: `refused` closes the port (connection refused), `http_503` answers every
   * request with 503; `null` ends the outage (same port, same keys).
   */
  outage(mode: 'refused' | 'http_503' | null): Promise<void>;
  close(): Promise<void>;
}

export const SIGNING_ALG = 'ES256';
const SCOPE = 'spreiding';
/** Token lifetime at the IdP: long enough that the rotation steps of a test fit inside it. */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;

export async function newSigningKey(alg = SIGNING_ALG): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `k-${randomBytes(6).toString('hex')}`;
  const meta = { kid, alg, use: 'sig' };
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), ...meta }, publicJwk: { ...(await exportJWK(publicKey)), ...meta } };
}

// oidc-provider ships no type declarations; the few parts used here are typed by hand.
interface ProviderInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
interface ProviderModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;
  errors: { InvalidTarget: new (message?: string) => Error };
}

/** In-memory storage for the provider (its own default says so loudly on every construction). */
function memoryAdapter() {
  const store = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>();
  return class MemoryAdapter {
    constructor(private readonly model: string) {}
    private key(id: string) {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn: number) {
      store.set(this.key(id), { payload, expiresAt: Date.now() + expiresIn * 1000 });
    }
    async find(id: string) {
      const hit = store.get(this.key(id));
      return hit && hit.expiresAt > Date.now() ? hit.payload : undefined;
    }
    async findByUid(uid: string) {
      return [...store.values()].find((v) => v.payload.uid === uid)?.payload;
    }
    async findByUserCode(userCode: string) {
      return [...store.values()].find((v) => v.payload.userCode === userCode)?.payload;
    }
    async consume(id: string) {
      const hit = store.get(this.key(id));
      if (hit) hit.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const [k, v] of store) if (v.payload.grantId === grantId) store.delete(k);
    }
  };
}

/** Starts the authorization server on 127.0.0.1 and a random port. */
export async function startTestIdp(opts: { audience?: string } = {}): Promise<TestIdp> {
  // A non-literal specifier: TypeScript does not look for the missing declarations.
  const specifier = 'oidc-provider';
  const oidc = (await import(specifier)) as ProviderModule;
  const audience = opts.audience ?? `urn:spreiding:api:${randomUUID()}`;
  const clients = new Map<string, { secret: string; claims: RoleClaims }>();
  let keys: SigningKey[] = [await newSigningKey()];
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let failing = false;
  let fetches = 0;
  const adapter = memoryAdapter();

  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/jwks')) fetches++;
    if (failing || !handler) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance');
      return;
    }
    handler(req, res);
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const closeServer = () => new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.closeAllConnections();
    server.close(() => resolve());
  });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  /**
   * The provider is rebuilt when its keys or clients change (its configuration is fixed at
   * construction); it keeps no state a test relies on, and JWT access tokens are self-contained.
   */
  function build() {
    const provider = new oidc.default(issuer, {
      adapter,
      clients: [...clients].map(([clientId, c]) => ({
        client_id: clientId,
        client_secret: c.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: SIGNING_ALG,
        scope: SCOPE,
      })),
      jwks: { keys: keys.map((k) => k.privateJwk) },
      scopes: [SCOPE],
      ttl: { ClientCredentials: ACCESS_TOKEN_TTL_SECONDS },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => audience,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resourceIndicator: string) => {
            if (resourceIndicator !== audience) throw new oidc.errors.InvalidTarget('unknown resource server');
            return { scope: SCOPE, audience, accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS, accessTokenFormat: 'jwt', jwt: { sign: { alg: SIGNING_ALG } } };
          },
        },
      },
      // The role claims (DESIGN §8) come from the client's registration at the IdP.
      extraTokenClaims: (_ctx: unknown, token: { clientId?: string }) => (token.clientId ? clients.get(token.clientId)?.claims : undefined),
    });
    handler = provider.callback();
  }
  build();

  async function tokenResponse(client: OidcClient, o: { resource?: string } = {}) {
    return fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE, resource: o.resource ?? audience }).toString(),
    });
  }

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    tokenUrl: `${issuer}/token`,
    audience,
    keys: () => keys,
    addClient(claims) {
      const client = { clientId: `client-${randomBytes(6).toString('hex')}`, clientSecret: randomBytes(24).toString('base64url') };
      clients.set(client.clientId, { secret: client.clientSecret, claims });
      build();
      return client;
    },
    tokenResponse,
    async token(client, o) {
      const res = await tokenResponse(client, o);
      const body = (await res.json()) as { access_token?: string; token_type?: string; error?: string };
      if (res.status !== 200 || !body.access_token) throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async rotate() {
      const fresh = await newSigningKey();
      keys = [fresh, ...keys];
      build();
      return fresh;
    },
    retire(kid) {
      keys = keys.filter((k) => k.kid !== kid);
      build();
    },
    async sign(claims, o = {}) {
      const key = o.key ?? keys[0]!;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: String(key.privateJwk.alg), kid: key.kid, typ: 'at+jwt', ...o.header })
        .sign(await importJWK(key.privateJwk, String(key.privateJwk.alg)));
    },
    jwksFetches: () => fetches,
    async outage(mode) {
      failing = mode === 'http_503';
      if (mode === 'refused') await closeServer();
      else if (!server.listening) await listen(port);
    },
    close: closeServer,
  };
}
