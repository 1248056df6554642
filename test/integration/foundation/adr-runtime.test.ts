// The runtime rules of the Dutch API Design Rules that the OpenAPI linter cannot see, checked on
// real responses: version header, security headers, problem+json with stable codes, no trailing
// slash, all validation errors at once, and authentication on every route but the public three.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { createContainer, type Container } from '../../../src/container.js';
import { API_VERSION } from '../../../src/http/conventions.js';
import { createLogger } from '../../../src/logger.js';
import { ROLES, type Role } from '../../../src/modules/auth/auth-tokens.js';
import { startTestApp, TEST_JWT_SECRET, testEnv, type TestApp } from '../../support/harness.js';

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

function expectAdrHeaders(res: LightMyRequestResponse) {
  expect(res.headers['api-version'], `API-Version on ${res.statusCode}`).toBe(API_VERSION);
  expect(res.headers).toMatchObject(SECURITY_HEADERS);
  expect(String(res.headers['strict-transport-security'])).toMatch(/^max-age=\d+/);
}

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expectAdrHeaders(res);
  const body = res.json();
  expect(body).toMatchObject({ status, code });
  expect(typeof body.title).toBe('string');
  expect(body.title.length).toBeGreaterThan(0);
  expect(typeof body.detail).toBe('string');
  expect(body.detail.length).toBeGreaterThan(0);
  return body as { status: number; title: string; detail: string; code: string; errors?: { in: string; pointer: string }[] };
}

const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { BODY_LIMIT_BYTES: '1024' } });
});
afterAll(async () => {
  await t?.close();
});

describe('headers on every response', () => {
  it('sends API-Version and the security headers on success and on every kind of error', async () => {
    const coordinator = await t.auth('coordinator');
    const responses = [
      await t.app.inject({ url: '/api/v1/health' }),
      await t.app.inject({ url: '/api/v1/municipalities?page=0', headers: coordinator }),
      await t.app.inject({ url: '/api/v1/municipalities' }),
      await t.app.inject({ method: 'PATCH', url: '/api/v1/municipalities/GM0363', headers: await t.auth('municipality', { municipality: 'GM0363' }), payload: { suspended: true } }),
      await t.app.inject({ url: '/api/v1/no-such-thing' }),
      await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/municipalities/GM0363',
        headers: { ...coordinator, 'content-type': 'application/json' },
        payload: JSON.stringify({ padding: 'x'.repeat(2048) }),
      }),
    ];
    // 415, 500 and 503 are checked with the same assertions below.
    expect(responses.map((r) => r.statusCode)).toEqual([200, 400, 401, 403, 404, 413]);
    for (const res of responses) expectAdrHeaders(res);
  });
});

describe('paths', () => {
  // Without its own check the router would match '/municipalities/' to '/municipalities/:code'
  // with an empty code and answer 400.
  it('answers a trailing slash on a collection with 404 problem+json, not a redirect', async () => {
    const res = await t.app.inject({ url: '/api/v1/municipalities/', headers: await t.auth('coordinator') });
    expect(res.headers.location).toBeUndefined();
    expectProblem(res, 404, 'not_found');
  });

  it('answers a trailing slash with 404 problem+json, not a redirect', async () => {
    const headers = await t.auth('coordinator');
    for (const url of ['/api/v1/health/', '/api/v1/municipalities/GM0363/', '/api/v1/audit-events/']) {
      const res = await t.app.inject({ url, headers });
      expect(res.headers.location).toBeUndefined();
      expectProblem(res, 404, 'not_found');
    }
  });

  it('answers an unknown path 404 without asking for a token, so it reveals nothing', async () => {
    const res = await t.app.inject({ url: '/api/v1/secret-admin-area' });
    expectProblem(res, 404, 'not_found');
  });
});

describe('validation', () => {
  it('reports every invalid query parameter at once', async () => {
    const res = await t.app.inject({ url: '/api/v1/municipalities?page=0&pageSize=100000&province=Mars', headers: await t.auth('coordinator') });
    const body = expectProblem(res, 400, 'validation_failed');
    expect(body.errors?.map((e) => `${e.in}:${e.pointer}`).sort()).toEqual(['query:/page', 'query:/pageSize', 'query:/province']);
  });

  it('reports every invalid body field at once', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/municipalities/GM0363',
      headers: await t.auth('coordinator'),
      payload: { suspended: 'no', capacityPerPeriod: 'many', extra: 1 },
    });
    const body = expectProblem(res, 400, 'validation_failed');
    expect(body.errors?.length).toBe(3);
    expect(body.errors?.every((e) => e.in === 'body')).toBe(true);
  });

  it('refuses malformed JSON with a problem, not a parser message', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/municipalities/GM0363',
      headers: { ...(await t.auth('coordinator')), 'content-type': 'application/json' },
      payload: '{"suspended": tru',
    });
    expectProblem(res, 400, 'malformed_json');
  });
});

describe('authentication', () => {
  const url = '/api/v1/municipalities';
  const cases: Array<[string, () => Promise<string | undefined>]> = [
    ['no Authorization header', async () => undefined],
    ['a scheme other than Bearer', async () => `Basic ${Buffer.from('user:pass').toString('base64')}`],
    ['garbage instead of a JWT', async () => 'Bearer not-a-token'],
    ['a token signed with another secret', async () =>
      `Bearer ${await new SignJWT({ role: 'coordinator' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-another-secret-another-secret'))}`],
    ['an expired token', async () =>
      `Bearer ${await new SignJWT({ role: 'coordinator' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuedAt(nowSeconds() - 7200).setExpirationTime(nowSeconds() - 3600).sign(secret)}`],
    ['an unsigned token (alg none)', async () => `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'x', role: 'coordinator', exp: nowSeconds() + 3600 })}.`],
    ['a token without exp', async () => `Bearer ${await new SignJWT({ role: 'coordinator' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').sign(secret)}`],
    ['an unknown role', async () =>
      `Bearer ${await new SignJWT({ role: 'superuser' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('1h').sign(secret)}`],
    ['a municipality token without a GM code', async () =>
      `Bearer ${await new SignJWT({ role: 'municipality', municipality: 'Amsterdam' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('1h').sign(secret)}`],
    ['a housing corporation token without a working area', async () =>
      `Bearer ${await new SignJWT({ role: 'housing_corporation' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('1h').sign(secret)}`],
  ];

  it.each(cases)('answers 401 problem+json for %s', async (_name, authorization) => {
    const value = await authorization();
    const res = await t.app.inject({ url, headers: value === undefined ? {} : { authorization: value } });
    expectProblem(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('accepts a valid token of every role on a route open to all roles', async () => {
    for (const role of ROLES) {
      const res = await t.app.inject({ url, headers: await t.auth(role, { municipality: 'GM0363', municipalities: ['GM0363'] }) });
      expect(res.statusCode, role).toBe(200);
    }
  });

  it('answers 403 problem+json for a role the route does not allow', async () => {
    const res = await t.app.inject({ url: '/api/v1/audit-events', headers: await t.auth('housing_corporation', { municipalities: ['GM0363'] }) });
    expectProblem(res, 403, 'forbidden');
  });
});

describe('request bodies', () => {
  it('answers 413 problem+json for a body above BODY_LIMIT_BYTES', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/municipalities/GM0363',
      headers: { ...(await t.auth('coordinator')), 'content-type': 'application/json' },
      payload: JSON.stringify({ suspended: true, padding: 'x'.repeat(2048) }),
    });
    expectProblem(res, 413, 'payload_too_large');
  });

  // Fastify parses text/plain by default and would hand the string to the validator (400).
  it('answers 415 problem+json for a text/plain body to a JSON endpoint', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/municipalities/GM0363',
      headers: { ...(await t.auth('coordinator')), 'content-type': 'text/plain' },
      payload: '{"suspended":true}',
    });
    expectProblem(res, 415, 'unsupported_media_type');
    const after = await t.app.inject({ url: '/api/v1/municipalities/GM0363', headers: await t.auth('coordinator') });
    expect(after.json().suspended).toBe(false);
  });
});

describe('the OpenAPI document', () => {
  it('is readable without a token, with Access-Control-Allow-Origin: *', async () => {
    const res = await t.app.inject({ url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectAdrHeaders(res);
    expect(res.json()).toMatchObject({ openapi: expect.stringMatching(/^3\./), info: { version: API_VERSION } });
  });
});

describe('routes', () => {
  const PUBLIC = new Set(['GET /api/v1/health', 'GET /api/v1/ready', 'GET /api/v1/openapi.json']);

  /** Method and path of every registered API route, read from the router's own listing. */
  function registeredRoutes(app: FastifyInstance): Array<{ method: string; path: string }> {
    const out: Array<{ method: string; path: string }> = [];
    const stack: Array<{ depth: number; path: string }> = [];
    for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
      const m = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?/.exec(line.replace(/\u00a0/g, ' '));
      if (!m) continue;
      const depth = m[1]!.length / 4;
      while (stack.length > 0 && stack[stack.length - 1]!.depth >= depth) stack.pop();
      const path = (stack[stack.length - 1]?.path ?? '') + m[2]!;
      stack.push({ depth, path });
      // The API only: the review desk's pages outside /api/v1 have their own session rules.
      if (!path.startsWith('/api/v1/')) continue;
      for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) {
        if (method && method !== 'HEAD' && method !== 'OPTIONS') out.push({ method, path });
      }
    }
    return out;
  }

  const tokenFor = (role: Role) => t.auth(role, { municipality: 'GM0363', municipalities: ['GM0363'] });

  it('lists the routes it checks (the listing parser still understands the router)', () => {
    const routes = registeredRoutes(t.app).map((r) => `${r.method} ${r.path}`);
    expect(routes).toEqual(expect.arrayContaining([...PUBLIC, 'GET /api/v1/municipalities', 'PATCH /api/v1/municipalities/:code']));
  });

  it('needs a token on every route but health, ready and the OpenAPI document, and each names the roles it allows', async () => {
    const routes = registeredRoutes(t.app);
    const seenPublic: string[] = [];
    for (const { method, path } of routes) {
      // A parameter that fails validation: an allowed caller gets past authentication and stops at 400/404.
      const url = path.replace(/:[A-Za-z]+/g, 'x');
      const anonymous = await t.app.inject({ method: method as 'GET', url });
      if (PUBLIC.has(`${method} ${path}`)) {
        seenPublic.push(`${method} ${path}`);
        expect(anonymous.statusCode, `${method} ${path}`).not.toBe(401);
        continue;
      }
      expectProblem(anonymous, 401, 'unauthorized');
      // A route without config.roles refuses every role (403); one that names roles lets some through.
      const outcomes = await Promise.all(ROLES.map(async (role) => (await t.app.inject({ method: method as 'GET', url, headers: await tokenFor(role) })).statusCode));
      expect(outcomes.some((s) => s !== 401 && s !== 403), `${method} ${path} must declare config.roles (got ${outcomes.join(', ')})`).toBe(true);
    }
    expect(seenPublic.sort()).toEqual([...PUBLIC].sort());
  });
});

describe('server errors', () => {
  let container: Container;
  let app: FastifyInstance;
  beforeAll(async () => {
    // No query runs on these routes, so the database may be one that is never reached.
    const config = loadConfig(testEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/unreachable' }));
    container = await createContainer({ config, logger: createLogger(config.logLevel) });
    app = await buildApp(container);
    // Extra routes on the real app (registered before ready): src needs no test-only branch.
    app.get('/api/v1/boom', { config: { roles: ['coordinator'] } }, async () => {
      const err = new Error('relation "secret_table" does not exist at /srv/app/src/internal.ts:42');
      (err as { code?: string }).code = '42P01';
      throw err;
    });
    app.get('/api/v1/dependency-down', { config: { roles: ['coordinator'] } }, async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await container?.close();
  });

  it('answers 500 problem+json with a trace id and none of the internals', async () => {
    const res = await app.inject({ url: '/api/v1/boom', headers: await t.auth('coordinator') });
    const body = expectProblem(res, 500, 'internal_error');
    expect(res.body).not.toMatch(/secret_table|internal\.ts|42P01|stack|at \//);
    expect(body.detail).toContain(res.headers.traceresponse?.toString().split('-')[1]);
  });

  it('answers 503 problem+json with Retry-After when a dependency is unreachable', async () => {
    const res = await app.inject({ url: '/api/v1/dependency-down', headers: await t.auth('coordinator') });
    expectProblem(res, 503, 'service_unavailable');
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body).not.toMatch(/5432|ECONNREFUSED/);
  });
});
