// Abuse limits (DESIGN §8): rate limits per client (shared through Redis when configured), the
// body size limit, bounded strings, arrays, numbers and pages everywhere, unknown properties refused.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { createContainer, type Container } from '../../../src/container.js';
import { PAGE_SIZE_MAX } from '../../../src/http/schemas.js';
import { createLogger } from '../../../src/logger.js';
import type { Role } from '../../../src/modules/auth/auth-tokens.js';
import { rowCounts, startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody } from '../../support/families.js';

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ status, code });
}

type Schema = Record<string, any>;
interface Operation {
  id: string;
  method: string;
  path: string;
  parameters: Array<{ name: string; in: string; required?: boolean; schema: Schema }>;
  body?: Schema;
}

function operationsOf(app: FastifyInstance): Operation[] {
  const doc = app.swagger() as { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, Schema> } };
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!op.operationId) continue;
      const content = op.requestBody?.content ?? {};
      const body = content['application/json']?.schema;
      out.push({ id: op.operationId, method: method.toUpperCase(), path, parameters: op.parameters ?? [], ...(body ? { body } : {}) });
    }
  }
  return out;
}

/** A path with its parameters filled in with valid values. */
const concrete = (path: string) => path.replace('{id}', randomUUID()).replace('{documentId}', randomUUID()).replace('{code}', 'GM0363').replace('{period}', '2099-H1');
const TOKEN_OPTS = { municipality: 'GM0363', municipalities: ['GM0363'] };

describe('rate limits per client', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers the request over the limit with 429 problem+json and Retry-After, and stores nothing', async () => {
    const headers = await t.auth('municipality', { municipality: 'GM0363', sub: 'client:busy' });
    for (let i = 0; i < 5; i++) {
      const ok = await t.app.inject({ url: '/api/v1/registrations', headers });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(4 - i));
    }
    const before = await rowCounts(t.databaseUrl);
    const limited = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers, payload: familyBody() });
    expectProblem(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
  });

  it('counts per client (token subject), not per address: another client is not affected', async () => {
    const other = await t.auth('municipality', { municipality: 'GM0363', sub: 'client:quiet' });
    expect((await t.app.inject({ url: '/api/v1/registrations', headers: other })).statusCode).toBe(200);
    // A new token for the busy client is still the busy client.
    const again = await t.auth('municipality', { municipality: 'GM0363', sub: 'client:busy' });
    expectProblem(await t.app.inject({ url: '/api/v1/registrations', headers: again }), 429, 'rate_limited');
  });

  it('refuses a limited client’s invalid requests too', async () => {
    const headers = await t.auth('municipality', { municipality: 'GM0363', sub: 'client:busy' });
    expectProblem(await t.app.inject({ url: '/api/v1/registrations?pageSize=0', headers }), 429, 'rate_limited');
  });

  it('limits a flood of requests with bad tokens from one address', async () => {
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await t.app.inject({ url: '/api/v1/registrations', headers: { authorization: `Bearer x.y.${i}` } })).statusCode);
    expect(statuses).toContain(429);
  });
});

describe('rate limits shared through Redis', () => {
  let a: TestApp;
  let b: { app: FastifyInstance; container: Container };
  beforeAll(async () => {
    a = await startTestApp({ redis: true, env: { RATE_LIMIT_PER_MINUTE: '4' } });
    // A second api process on the same database, Redis and key prefix.
    const config = loadConfig(a.env);
    const container = await createContainer({ config, logger: createLogger(config.logLevel) });
    b = { app: await buildApp(container), container };
    await b.app.ready();
  });
  afterAll(async () => {
    await b?.app.close();
    await b?.container.close();
    await a?.close();
  });

  it('counts a client’s requests across api instances in one Redis counter', async () => {
    const headers = await a.auth('coordinator', { sub: `client:${randomUUID()}` });
    const statuses = [];
    for (const app of [a.app, b.app, a.app, b.app, b.app, a.app]) statuses.push((await app.inject({ url: '/api/v1/municipalities?pageSize=1', headers })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const keys = await a.container.redis!.keys(`${a.config.queuePrefix}:rate:*`);
    expect(keys.length).toBeGreaterThan(0);
  });
});

describe('bounded input', () => {
  let t: TestApp;
  let operations: Operation[];
  /** Headers of a role the operation allows (the first that is not refused with 403). */
  const allowed = new Map<string, Record<string, string>>();
  beforeAll(async () => {
    t = await startTestApp();
    operations = operationsOf(t.app).filter((op) => !['getHealth', 'getReadiness'].includes(op.id));
    for (const op of operations) {
      for (const role of ['coordinator', 'municipality', 'housing_corporation', 'admin'] as Role[]) {
        const headers = await t.auth(role, TOKEN_OPTS);
        const res = await t.app.inject({ method: op.method as 'GET', url: `${concrete(`/api/v1${op.path}`)}?zzProbe=1`, headers, ...(op.body ? { payload: {} } : {}) });
        if (res.statusCode !== 403) {
          allowed.set(op.id, headers);
          break;
        }
      }
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers a body above BODY_LIMIT_BYTES (64 KiB by default) with 413 problem+json and stores nothing', async () => {
    const before = await rowCounts(t.databaseUrl);
    const body = { ...familyBody(), notes: 'x'.repeat(70_000) };
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await t.auth('municipality', { municipality: 'GM0363' }), payload: body });
    expectProblem(res, 413, 'payload_too_large');
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
  });

  it('documents a bound for every string, array, number and object a client can send', () => {
    const problems: string[] = [];
    const walk = (s: Schema | undefined, where: string, request: 'body' | 'query' | 'path' | 'header') => {
      if (!s || typeof s !== 'object') return;
      for (const key of ['anyOf', 'oneOf', 'allOf'] as const) for (const [i, sub] of (s[key] ?? []).entries()) walk(sub, `${where}(${key}${i})`, request);
      const type = s.type ?? (s.properties ? 'object' : undefined);
      const types = Array.isArray(type) ? type : [type];
      if (types.includes('string') && s.maxLength === undefined && s.enum === undefined && s.const === undefined) problems.push(`${where}: string without maxLength`);
      if (types.includes('array')) {
        if (s.maxItems === undefined) problems.push(`${where}: array without maxItems`);
        walk(s.items, `${where}[]`, request);
      }
      if ((types.includes('integer') || types.includes('number')) && s.maximum === undefined && s.exclusiveMaximum === undefined && s.enum === undefined) {
        problems.push(`${where}: number without maximum`);
      }
      if (types.includes('object')) {
        // A map (OpenAPI 3.0 writes patternProperties as additionalProperties) is bounded by maxProperties and its value schema.
        const map = typeof s.additionalProperties === 'object' && s.maxProperties !== undefined;
        if (map) walk(s.additionalProperties, `${where}{}`, request);
        else if (request !== 'header' && s.additionalProperties !== false) problems.push(`${where}: object that accepts unknown properties`);
        for (const [name, sub] of Object.entries(s.properties ?? {})) walk(sub as Schema, `${where}/${name}`, request);
      }
    };
    for (const op of operations) {
      for (const p of op.parameters) walk(p.schema, `${op.id} ${p.in}:${p.name}`, p.in as 'query');
      if (op.body) walk(op.body, `${op.id} body`, 'body');
    }
    expect(problems).toEqual([]);
  });

  it('refuses a page size above the maximum, and page 0, on every paged collection', async () => {
    const paged = operations.filter((op) => op.parameters.some((p) => p.in === 'query' && p.name === 'pageSize'));
    expect(paged.map((op) => op.id)).toEqual(expect.arrayContaining(['listRegistrations', 'listAllocations', 'listMunicipalities', 'listAuditEvents']));
    for (const op of paged) {
      for (const query of [`pageSize=${PAGE_SIZE_MAX + 1}`, 'pageSize=0', 'pageSize=1e9', 'page=0', 'page=100001']) {
        const res = await t.app.inject({ url: `${concrete(`/api/v1${op.path}`)}?${query}`, headers: allowed.get(op.id)! });
        expectProblem(res, 400, 'validation_failed');
        const pointer = `/${query.split('=')[0]}`;
        expect(res.json().errors.map((e: { pointer: string }) => e.pointer), `${op.id} ?${query}`).toContain(pointer);
      }
    }
  });

  /**
   * A body each operation accepts, so that the query is validated too (Fastify validates path,
   * body, query and headers in that order and stops at the first part that fails).
   */
  const VALID_BODIES: Record<string, object> = {
    updateMunicipality: { suspended: false },
    createRegistration: familyBody(),
    rejectAllocation: { reason: 'Geen plek' },
    declineAllocation: { reason: 'Geen plek' },
    overrideAllocation: { municipality: 'GM0599', reason: 'Netwerk' },
    reproposeRegistration: {},
    transferRegistration: { transferredOn: '2026-11-01' },
    recordOutcome: { type: 'withdrawn' },
    createShelterStay: { type: 'hotel', startDate: '2026-11-01', nightlyCostCents: 1 },
    updateShelterStay: { nightlyCostCents: 1 },
    correctShelterStay: { nightlyCostCents: 1 },
    addRegistrationDocument: { kind: 'other', title: 'Brief', contentType: 'application/pdf', content: Buffer.from('%PDF-1.7\n').toString('base64') },
    eraseRegistration: { reason: 'data_subject_request' },
    setDistributionKey: { kind: 'population' },
    mergeMunicipalities: { into: 'GM0363', from: ['GM0599'] },
    createWebhookSubscription: { url: 'https://example.nl/hook' },
    putMunicipalityProfile: { facilities: {}, labourMarketRegion: null, wmoRegion: null, note: null },
    declareCapacity: { municipality: 'GM0363', period: '2026-H2', kind: 'dwelling', units: 1, bedrooms: 3, accessible: false },
    simulateDistribution: { key: { kind: 'population' }, units: 10 },
    createHousingOffer: { registrationId: '00000000-0000-4000-8000-000000000000', municipality: 'GM0363', offeredOn: '2026-11-01', moveInDate: null, bedrooms: 3, accessible: false },
    updateHousingOffer: { status: 'withdrawn' },
    setNeedsPolicy: { needs: { medicalCare: 'hard', specialEducation: 'hard', accessibleHousing: 'hard', largeDwelling: 'hard', languageSupport: 'hard' }, unknownProfile: 'available' },
  };

  it('refuses an unknown query parameter and an unknown body property on every operation', async () => {
    const before = await rowCounts(t.databaseUrl);
    expect(operations.filter((op) => op.body && !VALID_BODIES[op.id]).map((op) => op.id), 'operations with a body need an entry in VALID_BODIES').toEqual([]);
    for (const op of operations) {
      const headers = allowed.get(op.id);
      expect(headers, `${op.id}: no role may call it?`).toBeDefined();
      const url = concrete(`/api/v1${op.path}`);
      const query = await t.app.inject({ method: op.method as 'GET', url: `${url}?zzUnknown=1`, headers: headers!, ...(op.body ? { payload: VALID_BODIES[op.id] } : {}) });
      expectProblem(query, 400, 'validation_failed');
      expect(query.json().errors, op.id).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'query', pointer: '/zzUnknown', code: 'additionalProperties' })]));
      if (!op.body) continue;
      const body = await t.app.inject({ method: op.method as 'POST', url, headers: headers!, payload: { zzUnknown: 1 } });
      expectProblem(body, 400, 'validation_failed');
      expect(body.json().errors, op.id).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', pointer: '/zzUnknown', code: 'additionalProperties' })]));
    }
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
  });

  it('refuses numbers beyond what the database can hold with 400, not 500', async () => {
    const headers = await t.auth('coordinator');
    for (const url of ['/api/v1/audit-events?before=99999999999999999999', '/api/v1/audit-events?before=9223372036854775808', '/api/v1/municipalities?page=1e300']) {
      const res = await t.app.inject({ url, headers });
      expectProblem(res, 400, 'validation_failed');
    }
  });
});
