// The JWKS path of token verification (DESIGN §8) against a real OAuth 2.0 authorization server
// on loopback: oidc-provider issuing RFC 9068 JWT access tokens by the client-credentials grant.
// The HS256 basics (no header, wrong secret, …) are in foundation/adr-runtime.test.ts.
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody } from '../../support/families.js';
import { newSigningKey, startTestIdp, type OidcClient, type SigningKey, type TestIdp } from '../../support/oidc.js';

/** jose's defaults as the verifier uses them (src/modules/auth/auth-tokens.ts). */
const JWKS_COOLDOWN_MS = 30_000;
const JWKS_CACHE_MAX_AGE_MS = 600_000;

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ status, code });
  expect(res.body).not.toMatch(/JWS|JWK|jose|stack|at .+:\d+:\d+/);
}
const expect401 = (res: LightMyRequestResponse) => {
  expectProblem(res, 401, 'unauthorized');
  expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
};

const jwksEnv = (idp: TestIdp) => ({ AUTH_JWT_SECRET: '', AUTH_JWKS_URL: idp.jwksUrl, AUTH_JWT_ISSUER: idp.issuer, AUTH_JWT_AUDIENCE: idp.audience });
const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const get = (t: TestApp, token: string, url = '/api/v1/municipalities?pageSize=1') => t.app.inject({ url, headers: { authorization: `Bearer ${token}` } });

/** An ES256 JWS over any header and payload text, for what jose itself refuses to produce. */
function rawEs256(header: object, payload: string, key: SigningKey): string {
  const input = `${b64(header)}.${Buffer.from(payload).toString('base64url')}`;
  const signature = cryptoSign('sha256', Buffer.from(input), { key: createPrivateKey({ key: key.privateJwk as never, format: 'jwk' }), dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** Moves the clock of this process (the IdP, jose's key-set cache and the token checks all read it). */
function advance(ms: number) {
  vi.setSystemTime(new Date(Date.now() + ms));
}

describe('tokens from a real client-credentials grant', () => {
  let idp: TestIdp;
  let t: TestApp;
  let coordinator: OidcClient;
  beforeAll(async () => {
    idp = await startTestIdp();
    t = await startTestApp({ env: jwksEnv(idp) });
    coordinator = idp.addClient({ role: 'coordinator' });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('are RFC 9068 JWT access tokens for our audience, signed with a key from the JWKS, carrying the role claims', async () => {
    const token = await idp.token(coordinator);
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: idp.keys()[0]!.kid });
    expect(decodeJwt(token)).toMatchObject({ iss: idp.issuer, aud: idp.audience, sub: coordinator.clientId, client_id: coordinator.clientId, role: 'coordinator' });
  });

  it('is accepted: the coordinator reads the audit log', async () => {
    const res = await get(t, await idp.token(coordinator), '/api/v1/audit-events');
    expect(res.statusCode, res.body).toBe(200);
  });

  it('accepts the auth scheme in any case (RFC 7235: "bearer" is "Bearer")', async () => {
    const token = await idp.token(coordinator);
    for (const scheme of ['bearer', 'BEARER']) {
      const res = await t.app.inject({ url: '/api/v1/audit-events', headers: { authorization: `${scheme} ${token}` } });
      expect(res.statusCode, scheme).toBe(200);
    }
  });

  it('lets a municipality client register a family and read it back; the audit log names the client', async () => {
    const municipality = idp.addClient({ role: 'municipality', municipality: 'GM0363' });
    const authorization = `Bearer ${await idp.token(municipality)}`;
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: { authorization }, payload: familyBody() });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json().id as string;
    expect((await t.app.inject({ url: `/api/v1/registrations/${id}`, headers: { authorization } })).statusCode).toBe(200);
    // Another municipality's client does not see it.
    const other = idp.addClient({ role: 'municipality', municipality: 'GM0599' });
    expectProblem(await get(t, await idp.token(other), `/api/v1/registrations/${id}`), 404, 'not_found');
    const audit = await get(t, await idp.token(coordinator), `/api/v1/audit-events?registrationId=${id}`);
    expect(audit.json().items.map((e: { action: string; actor: { sub: string; organisation: string } }) => [e.action, e.actor.sub, e.actor.organisation])).toEqual([
      ['registration.read_personal_data', municipality.clientId, 'GM0363'],
      ['registration.create', municipality.clientId, 'GM0363'],
    ]);
  });

  it('accepts a housing corporation token with its working area', async () => {
    const corp = idp.addClient({ role: 'housing_corporation', municipalities: ['GM0363', 'GM0599'] });
    expect((await get(t, await idp.token(corp))).statusCode).toBe(200);
  });

  describe('claims the IdP put in a real token but the API does not accept (401)', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['an unknown role', { role: 'superuser' }],
      ['a role given as a list', { role: ['coordinator'] }],
      ['no role at all', {}],
      ['a municipality role without a municipality claim', { role: 'municipality' }],
      ['a municipality role with a name instead of a GM code', { role: 'municipality', municipality: 'Amsterdam' }],
      ['a municipality role with a short code', { role: 'municipality', municipality: 'GM363' }],
      ['a municipality role with a lower-case code', { role: 'municipality', municipality: 'gm0363' }],
      ['a municipality role with the code in a list', { role: 'municipality', municipality: ['GM0363'] }],
      ['a housing corporation without a working area', { role: 'housing_corporation', municipalities: [] }],
      ['a housing corporation with a bad code in its working area', { role: 'housing_corporation', municipalities: ['GM0363', 'XX0001'] }],
    ];
    it.each(cases)('%s', async (_name, claims) => {
      const client = idp.addClient(claims);
      expect401(await get(t, await idp.token(client)));
    });
  });

  describe('tokens the API must refuse (401 problem+json)', () => {
    const valid = () => ({ sub: 'client-x', role: 'coordinator', iss: idp.issuer, aud: idp.audience, iat: nowSeconds(), exp: nowSeconds() + 600 });
    const signWith = async (alg: string, claims: object, kid?: string) => {
      const key = await newSigningKey(alg);
      return new SignJWT(claims as never)
        .setProtectedHeader({ alg, typ: 'at+jwt', ...(kid !== undefined ? { kid } : { kid: key.kid }) })
        .sign(await importJWK(key.privateJwk, alg));
    };
    const cases: Array<[string, () => Promise<string>]> = [
      ['signed by the IdP but with another issuer', () => idp.sign({ ...valid(), iss: 'https://evil.example' })],
      ['signed by the IdP but without an issuer', () => idp.sign({ ...valid(), iss: undefined })],
      ['signed by the IdP but for another audience', () => idp.sign({ ...valid(), aud: 'urn:another:api' })],
      ['signed by the IdP but without an audience', () => idp.sign({ ...valid(), aud: undefined })],
      ['expired a minute ago', () => idp.sign({ ...valid(), iat: nowSeconds() - 3600, exp: nowSeconds() - 60 })],
      ['not valid before a minute from now (nbf)', () => idp.sign({ ...valid(), nbf: nowSeconds() + 60 })],
      ['without an expiry', () => idp.sign({ ...valid(), exp: undefined })],
      ['unsigned (alg none)', async () => `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(valid())}.`],
      ['alg none with the IdP kid and a signature copied from a real token', async () => {
        const real = await idp.token(coordinator);
        return `${b64({ alg: 'none', kid: idp.keys()[0]!.kid })}.${b64(valid())}.${real.split('.')[2]}`;
      }],
      ['HS256 with a random secret', () => new SignJWT(valid()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(48)))],
      ['HS256 keyed with the IdP public key (algorithm confusion)', () =>
        new SignJWT(valid()).setProtectedHeader({ alg: 'HS256', kid: idp.keys()[0]!.kid }).sign(new TextEncoder().encode(JSON.stringify(idp.keys()[0]!.publicJwk)))],
      ['ES256 by another key with the IdP key id', () => signWith('ES256', valid(), idp.keys()[0]!.kid)],
      ['ES256 by another key with an unknown key id', () => signWith('ES256', valid())],
      ['RS256 by another key without a key id', async () => {
        const key = await newSigningKey('RS256');
        return new SignJWT(valid()).setProtectedHeader({ alg: 'RS256' }).sign(await importJWK(key.privateJwk, 'RS256'));
      }],
      ['signed by a key it embeds itself (jwk header)', async () => {
        const key = await newSigningKey('ES256');
        return new SignJWT(valid()).setProtectedHeader({ alg: 'ES256', jwk: key.publicJwk }).sign(await importJWK(key.privateJwk, 'ES256'));
      }],
      ['pointing at a key set of its own (jku header)', async () => {
        const key = await newSigningKey('ES256');
        return new SignJWT(valid()).setProtectedHeader({ alg: 'ES256', kid: key.kid, jku: 'http://127.0.0.1:1/evil-jwks' }).sign(await importJWK(key.privateJwk, 'ES256'));
      }],
      ['a key id that looks like a path', () => signWith('ES256', valid(), '../../../../dev/null')],
      ['signed by the IdP with an unknown critical header', async () =>
        rawEs256({ alg: 'ES256', kid: idp.keys()[0]!.kid, crit: ['urn:example:must-understand'], 'urn:example:must-understand': true }, JSON.stringify(valid()), idp.keys()[0]!)],
      ['a real token whose payload was changed (municipality → coordinator)', async () => {
        const client = idp.addClient({ role: 'municipality', municipality: 'GM0363' });
        const [h, p, s] = (await idp.token(client)).split('.');
        const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
        return `${h}.${b64({ ...claims, role: 'coordinator' })}.${s}`;
      }],
      ['a real token without its signature', async () => (await idp.token(coordinator)).split('.').slice(0, 2).join('.') + '.'],
      ['a real token with a signature taken from another token', async () => {
        const a = (await idp.token(coordinator)).split('.');
        const b = (await idp.token(idp.addClient({ role: 'admin' }))).split('.');
        return `${a[0]}.${b[1]}.${a[2]}`;
      }],
      ['a real token with one signature byte changed', async () => {
        const [h, p, s] = (await idp.token(coordinator)).split('.');
        const sig = Buffer.from(s!, 'base64url');
        sig[10] = sig[10]! ^ 0xff;
        return `${h}.${p}.${sig.toString('base64url')}`;
      }],
      ['three dots', async () => 'a.b.c'],
      ['a header that is not JSON', async () => `${Buffer.from('not json').toString('base64url')}.${b64(valid())}.c2ln`],
      ['signed by the IdP over a payload that is a JSON array', async () => rawEs256({ alg: 'ES256', kid: idp.keys()[0]!.kid }, JSON.stringify([valid()]), idp.keys()[0]!)],
      ['signed by the IdP over a payload that is not JSON', async () => rawEs256({ alg: 'ES256', kid: idp.keys()[0]!.kid }, '{"role":"coordinator"', idp.keys()[0]!)],
      ['a payload cut short, with the original signature', async () => {
        const [h, , s] = (await idp.token(coordinator)).split('.');
        return `${h}.${Buffer.from('{"role":').toString('base64url')}.${s}`;
      }],
      ['two segments', async () => `${b64({ alg: 'ES256' })}.${b64(valid())}`],
      ['four segments', async () => `${await idp.token(coordinator)}.x`],
      ['five segments (an encrypted JWT)', async () => 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aaaa.bbbb.cccc'],
      ['characters outside base64url', async () => `${b64({ alg: 'ES256' })}.${b64(valid())}.abc+/=`],
      ['a 30 kB token', async () => `${b64({ alg: 'ES256', kid: idp.keys()[0]!.kid })}.${b64({ ...valid(), pad: 'x'.repeat(30_000) })}.c2ln`],
      ['a token sent twice in the header', async () => `${await idp.token(coordinator)} ${await idp.token(coordinator)}`],
    ];
    it.each(cases)('%s', async (_name, make) => {
      const token = await make();
      const res = await t.app.inject({ url: '/api/v1/audit-events', headers: { authorization: `Bearer ${token}` } });
      expect401(res);
      expect(res.body).not.toContain(token.slice(0, 40));
    });

    it('a token for another resource server is not even issued by the IdP (invalid_target)', async () => {
      const res = await idp.tokenResponse(coordinator, { resource: 'urn:another:api' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_target');
    });
  });
});

describe('signing key rotation at the IdP', () => {
  let idp: TestIdp;
  let t: TestApp;
  beforeAll(async () => {
    idp = await startTestIdp();
    t = await startTestApp({ env: jwksEnv(idp) });
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await t?.close();
    await idp?.close();
  });

  it('verifies tokens of a new key after refetching the JWKS, and refuses tokens of a removed key once the cache is refreshed', async () => {
    const client = idp.addClient({ role: 'coordinator' });
    const keyA = idp.keys()[0]!;
    const tokenA = await idp.token(client);
    expect((await get(t, tokenA)).statusCode).toBe(200);
    expect(idp.jwksFetches()).toBe(1);

    // The IdP starts signing with key B and publishes A and B.
    const keyB = await idp.rotate();
    const tokenB = await idp.token(client);
    expect(decodeProtectedHeader(tokenB).kid).toBe(keyB.kid);
    // Within 30 s of its last fetch the verifier does not refetch for an unknown kid (jose's
    // cooldown: a stream of made-up kids cannot turn into a stream of requests to the IdP).
    expect401(await get(t, tokenB));
    expect(idp.jwksFetches()).toBe(1);
    advance(JWKS_COOLDOWN_MS + 1_000);
    expect((await get(t, tokenB)).statusCode).toBe(200);
    expect(idp.jwksFetches()).toBe(2);
    // A is still published: its tokens still work.
    expect((await get(t, tokenA)).statusCode).toBe(200);

    // The IdP removes A. The verifier's cached key set still has it: A's tokens keep working
    // until the next refetch…
    idp.retire(keyA.kid);
    expect((await get(t, tokenA)).statusCode).toBe(200);
    // …which a token with a new kid triggers (after the cooldown)…
    advance(JWKS_COOLDOWN_MS + 1_000);
    const keyC = await idp.rotate();
    const tokenC = await idp.token(client);
    expect((await get(t, tokenC)).statusCode).toBe(200);
    expect(idp.jwksFetches()).toBe(3);
    // …after which A's tokens are refused, though not yet expired.
    expect(decodeJwt(tokenA).exp! * 1000).toBeGreaterThan(Date.now());
    expect401(await get(t, tokenA));
    expect((await get(t, tokenB)).statusCode).toBe(200);

    // Without a new kid the cache expires after 10 minutes: B removed now is refused by then.
    idp.retire(keyB.kid);
    expect((await get(t, tokenB)).statusCode).toBe(200);
    advance(JWKS_CACHE_MAX_AGE_MS + 1_000);
    expect401(await get(t, tokenB));
    expect((await get(t, tokenC)).statusCode).toBe(200);
    expect(idp.keys().map((k) => k.kid)).toEqual([keyC.kid]);
  });

  // The service remembers a verified token for up to a minute (src/modules/auth/auth-tokens.ts),
  // longer than jose's 30 s cooldown: a refetch in that minute must still send it through jose.
  it('checks a token it verified a moment ago again once the key set was refetched', async () => {
    const client = idp.addClient({ role: 'coordinator' });
    advance(JWKS_COOLDOWN_MS + 1_000);
    const keyD = await idp.rotate();
    const tokenD = await idp.token(client);
    const fetches = idp.jwksFetches();
    expect((await get(t, tokenD)).statusCode).toBe(200);
    expect(idp.jwksFetches()).toBe(fetches + 1);
    expect((await get(t, tokenD)).statusCode).toBe(200);
    expect((await get(t, tokenD)).statusCode).toBe(200);

    idp.retire(keyD.kid);
    advance(JWKS_COOLDOWN_MS + 1_000);
    await idp.rotate();
    expect((await get(t, await idp.token(client))).statusCode).toBe(200);
    expect(idp.jwksFetches()).toBe(fetches + 2);
    // 31 s after it was last verified, well within the minute, but its key is gone.
    expect401(await get(t, tokenD));
  });
});

describe('the IdP is unreachable', () => {
  let idp: TestIdp;
  let t: TestApp;
  beforeAll(async () => {
    idp = await startTestIdp();
    t = await startTestApp({ env: jwksEnv(idp) });
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  });
  afterEach(async () => {
    await idp.outage(null);
  });
  afterAll(async () => {
    vi.useRealTimers();
    await t?.close();
    await idp?.close();
  });

  it('verifies with the cached key set meanwhile; a key set it cannot fetch is 503 with Retry-After, not 401', async () => {
    const client = idp.addClient({ role: 'coordinator' });
    const token = await idp.token(client);
    expect((await get(t, token)).statusCode).toBe(200);
    const unknownKid = await idp.sign({ sub: 'x', role: 'coordinator', iss: idp.issuer, aud: idp.audience, exp: nowSeconds() + 3600 }, { key: await newSigningKey() });

    for (const mode of ['refused', 'http_503'] as const) {
      await idp.outage(mode);
      expect((await get(t, token)).statusCode, `${mode}: cached key`).toBe(200);
      advance(JWKS_COOLDOWN_MS + 1_000);
      // The token may well be good: the client must retry, not throw its token away.
      const res = await get(t, unknownKid);
      expect(res.statusCode, `${mode}: ${res.body}`).toBe(503);
      expectProblem(res, 503, 'service_unavailable');
      expect(res.headers['retry-after'], mode).toBeDefined();
    }

    // Past the cache's lifetime the verifier has no key set it may trust: it fails closed.
    advance(JWKS_CACHE_MAX_AGE_MS + 1_000);
    expectProblem(await get(t, token), 503, 'service_unavailable');
    await idp.outage(null);
    expect((await get(t, token)).statusCode).toBe(200);
  });
});
