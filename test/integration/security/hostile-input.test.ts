// Hostile input (DESIGN §8: bad input never stores anything and never leaks a stack trace): every
// case answers 4xx application/problem+json without internals, and the database is unchanged.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { frameworkErrorHandler } from '../../../src/http/conventions.js';
import { SignJWT } from 'jose';
import { fixedClock, rowCounts, startTestApp, TEST_JWT_SECRET, type TestApp } from '../../support/harness.js';
import { asShown, familyBody, nextBsn } from '../../support/families.js';

const clock = fixedClock('2026-11-30T10:00:00Z');
let t: TestApp;
let registrationId: string;
let shelterStayId: string;
let municipality: Record<string, string>;
let coordinator: Record<string, string>;
/** Tokens signed with the right secret whose claims are hostile, by name. */
const claimTokens: Record<string, string> = {};
const HOSTILE_CLAIMS: Record<string, Record<string, unknown>> = {
  'a subject with a line break (a forged log line)': { sub: 'client\n{"level":30,"msg":"forged"}', role: 'coordinator' },
  'a subject with a bidirectional override': { sub: 'client\u202egnp.exe', role: 'coordinator' },
  'a subject with a NUL': { sub: 'client\u0000x', role: 'coordinator' },
  'a subject with a trailing space': { sub: 'client ', role: 'coordinator' },
  'a subject of 201 characters': { sub: 's'.repeat(201), role: 'coordinator' },
  'an empty subject': { sub: '', role: 'coordinator' },
  'a numeric subject': { sub: 12345, role: 'coordinator' },
  'roles as a list': { sub: 'client', role: ['coordinator'] },
  'a role in capitals': { sub: 'client', role: 'COORDINATOR' },
  'a municipality code in lower case': { sub: 'client', role: 'municipality', municipality: 'gm0363' },
  'a municipality code with a newline after it': { sub: 'client', role: 'municipality', municipality: 'GM0363\n' },
  'a working area of 401 codes': { sub: 'client', role: 'housing_corporation', municipalities: Array.from({ length: 401 }, (_, i) => `GM${String(i).padStart(4, '0')}`) },
  'a working area with a number in it': { sub: 'client', role: 'housing_corporation', municipalities: ['GM0363', 363] },
  'a working area as a string': { sub: 'client', role: 'housing_corporation', municipalities: 'GM0363' },
};

/** Internals a response must never show: stack frames, source paths, SQL, driver messages. */
const INTERNALS = /\bat [\w.<>]+ \(|node_modules|\/src\/|\.ts:\d+|\.js:\d+|\b(select|insert into|update \w+ set|delete from)\b|syntax error|relation "|violates|duplicate key|pg_|drizzle|TypeError|RangeError|SyntaxError|Unexpected token|stack/i;

beforeAll(async () => {
  t = await startTestApp({ clock });
  municipality = await t.auth('municipality', { municipality: 'GM0363' });
  coordinator = await t.auth('coordinator');
  const created = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: municipality, payload: familyBody() });
  expect(created.statusCode, created.body).toBe(202);
  registrationId = created.json().id;
  const stay = await t.app.inject({
    method: 'POST',
    url: `/api/v1/registrations/${registrationId}/shelter-stays`,
    headers: municipality,
    payload: { type: 'hotel', startDate: '2026-11-02', nightlyCostCents: 9000 },
  });
  expect(stay.statusCode, stay.body).toBe(201);
  shelterStayId = stay.json().id;
  for (const [name, claims] of Object.entries(HOSTILE_CLAIMS)) claimTokens[name] = await signHostile(claims);
});

/** An HS256 token with exactly these claims (signToken would refuse or normalise some of them). */
async function signHostile(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) + 600 }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(TEST_JWT_SECRET));
}
afterAll(async () => {
  await t?.close();
});

type Case = [name: string, request: () => InjectOptions, status?: number | number[]];

const json = (payload: string, headers: Record<string, string> = {}): InjectOptions => ({
  method: 'POST',
  url: '/api/v1/registrations',
  headers: { ...municipality, 'content-type': 'application/json', ...headers },
  payload,
});
const register = (body: unknown) => json(JSON.stringify(body));
/** A valid family with one change deep inside it. */
const withChange = (change: (b: any) => void) => {
  const b: any = familyBody();
  change(b);
  return register(b);
};
const nested = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);
const get = (url: string, headers = municipality): InjectOptions => ({ url, headers });

const CASES: Record<string, Case[]> = {
  'malformed and truncated JSON': [
    ['an open brace', () => json('{'), 400],
    ['a dangling member', () => json('{"reportingMunicipality": "GM0363",'), 400],
    ['a valid body cut in half', () => json(JSON.stringify(familyBody()).slice(0, 300)), 400],
    ['a valid body without its last brace', () => json(JSON.stringify(familyBody()).slice(0, -1)), 400],
    ['trailing garbage', () => json(`${JSON.stringify(familyBody())}}`), 400],
    ['a misspelled literal', () => json('nul'), 400],
    ['single quotes', () => json("{'reportingMunicipality': 'GM0363'}"), 400],
    ['NaN', () => json('{"needs": {"minimumBedrooms": NaN}}'), 400],
    ['a comment', () => json('/* hi */ {}'), 400],
    ['an empty body', () => json(''), 400],
    ['__proto__ (prototype pollution)', () => json('{"__proto__": {"role": "coordinator"}}'), 400],
    ['constructor.prototype', () => json('{"constructor": {"prototype": {"role": "coordinator"}}}'), 400],
  ],
  'wrong types': [
    ['an array body', () => json('[]'), 400],
    ['a string body', () => json('"family"'), 400],
    ['a number body', () => json('42'), 400],
    ['null', () => json('null'), 400],
    ['household as a string', () => withChange((b) => (b.household = 'two adults')), 400],
    ['adults as an object', () => withChange((b) => (b.household.adults = { 0: b.household.adults[0] })), 400],
    ['a BSN as a number', () => withChange((b) => (b.household.adults[0].bsn = Number(b.household.adults[0].bsn))), 400],
    ['a birth date as a number', () => withChange((b) => (b.household.children[0].birthDate = 20150630)), 400],
    ['booleans as strings', () => withChange((b) => (b.eligibility.ownInitiativeUnprepared = 'true')), 400],
    ['notes as a list', () => withChange((b) => (b.notes = ['a', 'b'])), 400],
    ['null where a code is needed', () => withChange((b) => (b.reportingMunicipality = null)), 400],
    ['a fractional number of bedrooms', () => withChange((b) => (b.needs.minimumBedrooms = 1.5)), 400],
    ['an infinite number (1e999)', () => json(JSON.stringify(familyBody()).replace('"minimumBedrooms":2', '"minimumBedrooms":1e999')), 400],
    ['negative zero bedrooms', () => json(JSON.stringify(familyBody()).replace('"minimumBedrooms":2', '"minimumBedrooms":-0')), 400],
    ['a nightly cost of 1e308 cents', () => ({ method: 'PATCH', url: `/api/v1/shelter-stays/${shelterStayId}`, headers: { ...municipality, 'content-type': 'application/json' }, payload: '{"nightlyCostCents": 1e308}' }), 400],
  ],
  'unknown fields': [
    ['at the top', () => withChange((b) => (b.isAdmin = true)), 400],
    ['in the eligibility', () => withChange((b) => (b.eligibility.overrideChecks = true)), 400],
    ['in a person', () => withChange((b) => (b.household.adults[0].role = 'coordinator')), 400],
    ['in a shelter stay patch', () => ({ method: 'PATCH', url: `/api/v1/shelter-stays/${shelterStayId}`, headers: municipality, payload: { municipality: 'GM0599' } }), 400],
  ],
  'deep nesting and huge arrays': [
    ['10,000 nested arrays as the body', () => json(nested(10_000, '[', ']')), 400],
    ['30,000 nested arrays as the body', () => json(nested(30_000, '[', ']')), 400],
    ['10,000 nested arrays as the notes', () => json(JSON.stringify(familyBody()).replace(/"notes":"[^"]*"/, `"notes":${nested(10_000, '[', ']')}`)), 400],
    ['5,000 nested objects as the needs', () => json(JSON.stringify(familyBody()).replace('"needs":{"minimumBedrooms":2}', `"needs":${nested(5_000, '{"a":', '}')}`)), 400],
    ['5,000 network municipalities', () => withChange((b) => (b.networkMunicipalities = Array.from({ length: 5_000 }, (_, i) => `GM${String(i).padStart(4, '0')}`))), 400],
    ['2,000 empty adults', () => withChange((b) => (b.household.adults = Array.from({ length: 2_000 }, () => ({})))), 400],
    ['20,000 zeros as the body', () => json(`[${Array(20_000).fill(0).join(',')}]`), 400],
    ['a 70 kB name', () => withChange((b) => (b.household.adults[0].name = 'A'.repeat(70_000))), 413],
  ],
  'invalid and edge-case dates': [
    ['29 February of a common year (2026-02-29)', () => withChange((b) => (b.reportedOn = '2026-02-29')), 400],
    ['30 February of a leap year (2024-02-30)', () => withChange((b) => (b.household.children[0].birthDate = '2024-02-30')), 400],
    ['year zero (0000-01-01)', () => withChange((b) => (b.household.adults[0].birthDate = '0000-01-01')), 400],
    ['the end of time (9999-12-31)', () => withChange((b) => (b.reportedOn = '9999-12-31')), 400],
    ['a date-time where a date belongs', () => withChange((b) => (b.reportedOn = '2026-11-02T10:00:00Z')), 400],
    ['month 13', () => withChange((b) => (b.eligibility.selfRelianceAssessment.assessedOn = '2026-13-01')), 400],
    ['day zero', () => withChange((b) => (b.household.children[0].birthDate = '2015-06-00')), 400],
    ['a two-digit year', () => withChange((b) => (b.reportedOn = '26-11-02')), 400],
    ['slashes', () => withChange((b) => (b.reportedOn = '2026/11/02')), 400],
    ['an expanded year', () => withChange((b) => (b.reportedOn = '+02026-11-02')), 400],
    ['an empty date', () => withChange((b) => (b.reportedOn = '')), 400],
    ['a shelter stay ending in 9999', () => ({ method: 'PATCH', url: `/api/v1/shelter-stays/${shelterStayId}`, headers: municipality, payload: { endDate: '9999-12-31' } }), 400],
    ['a shelter stay starting on 2024-02-30', () => ({ method: 'POST', url: `/api/v1/registrations/${registrationId}/shelter-stays`, headers: municipality, payload: { type: 'hotel', startDate: '2024-02-30', nightlyCostCents: 1 } }), 400],
    ['a transfer on 0000-01-01', () => ({ method: 'POST', url: `/api/v1/registrations/${registrationId}/transfer`, headers: municipality, payload: { transferredOn: '0000-01-01' } }), [400, 409]],
  ],
  'control characters and odd Unicode': [
    ['NUL in a name', () => withChange((b) => (b.household.adults[0].name = 'Maria\u0000Martina')), 400],
    ['an escape sequence in a name', () => withChange((b) => (b.household.adults[0].name = 'Maria \u001b[31mMartina')), 400],
    ['a right-to-left override in a name', () => withChange((b) => (b.household.adults[0].name = 'Maria \u202eanitraM')), 400],
    ['a directional isolate in a name', () => withChange((b) => (b.household.children[0].name = '\u2067Jayden\u2069')), 400],
    ['a lone high surrogate in a name', () => json(JSON.stringify(familyBody()).replace('"Maria Martina"', '"Maria \\ud800 Martina"')), 400],
    ['a lone low surrogate in a note', () => json(JSON.stringify(familyBody()).replace(/"notes":"/, '"notes":"\\udc00')), 400],
    ['NUL in a note', () => withChange((b) => (b.notes = 'Moeder\u0000werkt')), 400],
    ['a byte sequence that is not UTF-8', () => ({ ...json(''), payload: Buffer.concat([Buffer.from(JSON.stringify(familyBody()).replace('"Maria Martina"', '"Maria X Martina"').split('X')[0]!), Buffer.from([0xc0, 0xaf]), Buffer.from(JSON.stringify(familyBody()).replace('"Maria Martina"', '"Maria X Martina"').split('X')[1]!)]) }), 400],
    ['NUL in a shelter location', () => ({ method: 'PATCH', url: `/api/v1/shelter-stays/${shelterStayId}`, headers: municipality, payload: { location: 'Hotel\u0000Centraal' } }), 400],
    ['an override in a reason', () => ({ method: 'POST', url: `/api/v1/registrations/${registrationId}/outcome`, headers: municipality, payload: { type: 'withdrawn', reason: 'Terug \u202enaar Aruba' } }), 400],
    ['NUL in a query parameter', () => get('/api/v1/municipalities?name=Amster%00dam', coordinator), 400],
  ],
  'SQL- and script-like strings where they cannot belong': [
    ['SQL in a municipality code', () => withChange((b) => (b.reportingMunicipality = "GM0363'; DROP TABLE registrations; --")), 400],
    ['a script as the subgroup', () => withChange((b) => (b.subgroup = '<script>alert(1)</script>')), 400],
    ['SQL in a status filter', () => get(`/api/v1/registrations?status=${encodeURIComponent("queued' OR '1'='1")}`), 400],
    ['SQL in a municipality filter', () => get(`/api/v1/registrations?reportingMunicipality=${encodeURIComponent('GM0363 OR 1=1')}`), 400],
    ['SQL in an audit filter', () => get(`/api/v1/audit-events?registrationId=${encodeURIComponent("' OR 1=1 --")}`, coordinator), 400],
    ['SQL in a period', () => get(`/api/v1/reports/shelter?period=${encodeURIComponent("2026-H2'; --")}`), 400],
    ['SQL as an id', () => get(`/api/v1/registrations/${encodeURIComponent("1' OR '1'='1")}`), 400],
    ['a script in an Idempotency-Key', () => json(JSON.stringify(familyBody()), { 'idempotency-key': '<script>\u0007</script>' }), 400],
    ['a 300-character Idempotency-Key', () => json(JSON.stringify(familyBody()), { 'idempotency-key': 'k'.repeat(300) }), 400],
  ],
  'wrong content types': [
    ['text/plain', () => json(JSON.stringify(familyBody()), { 'content-type': 'text/plain' }), 415],
    ['a form', () => json('reportingMunicipality=GM0363', { 'content-type': 'application/x-www-form-urlencoded' }), 415],
    ['multipart', () => json('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }), 415],
    ['XML', () => json('<registration/>', { 'content-type': 'application/xml' }), 415],
    ['a look-alike type', () => json(JSON.stringify(familyBody()), { 'content-type': 'application/jsonx' }), 415],
    ['no content type at all', () => ({ method: 'POST', url: '/api/v1/registrations', headers: municipality, payload: Buffer.from(JSON.stringify(familyBody())) }), 415],
    ['UTF-16 declared', () => json('{}', { 'content-type': 'application/json; charset=utf-16' }), [400, 415]],
    ['an unacceptable report format', () => ({ url: '/api/v1/reports/shelter?period=2026-H2', headers: { ...municipality, accept: 'application/xml' } }), 406],
  ],
  'path traversal and ids that are not UUIDs': [
    ['encoded dot-dot-slash', () => get('/api/v1/registrations/..%2F..%2Faudit-events'), 400],
    ['encoded dots and slashes', () => get('/api/v1/registrations/%2e%2e%2f%2e%2e%2faudit-events'), 400],
    ['double-encoded slash', () => get('/api/v1/registrations/..%252F..%252Faudit-events'), 400],
    ['an encoded slash in a shelter stay id', () => ({ method: 'PATCH', url: '/api/v1/shelter-stays/..%2Fregistrations', headers: municipality, payload: { nightlyCostCents: 1 } }), 400],
    ['dot-dot in the path', () => get('/api/v1/registrations/../audit-events'), [403, 404]],
    ['a double slash', () => get('/api/v1//registrations'), 404],
    ['a NUL id', () => get('/api/v1/registrations/%00'), 400],
    ['a UUID with a NUL after it', () => get(`/api/v1/registrations/${randomUUID()}%00`), 400],
    ['a number', () => get('/api/v1/registrations/123'), 400],
    ['a word', () => get('/api/v1/registrations/latest'), 400],
    ['a UUID without dashes', () => get(`/api/v1/registrations/${randomUUID().replace(/-/g, '')}`), 400],
    ['a UUID in braces', () => get(`/api/v1/registrations/%7B${randomUUID()}%7D`), 400],
    ['a UUID with a suffix', () => get(`/api/v1/allocations/${randomUUID()};drop`), 400],
    ['a municipality code with a path in it', () => get('/api/v1/municipalities/GM0363%2F..%2F..'), 400],
    ['a method the path does not have', () => ({ method: 'DELETE', url: `/api/v1/registrations/${registrationId}`, headers: coordinator }), [404, 405]],
  ],
  'personal data in the URL and other parameter abuse': [
    ['a BSN as a query parameter', () => get(`/api/v1/registrations?bsn=${nextBsn()}`), 400],
    ['a BSN on a read of one family', () => get(`/api/v1/registrations/${registrationId}?bsn=${nextBsn()}`), 400],
    ['a BSN as the id', () => get(`/api/v1/registrations/${nextBsn()}`), 400],
    ['a name on the audit log', () => get('/api/v1/audit-events?name=Maria%20Martina', coordinator), 400],
    ['a repeated page size', () => get('/api/v1/registrations?pageSize=1&pageSize=2'), 400],
    ['a negative page size', () => get('/api/v1/registrations?pageSize=-1'), 400],
    ['a hexadecimal page size', () => get('/api/v1/registrations?pageSize=0x10'), 400],
    ['a fractional page', () => get('/api/v1/registrations?page=1.5'), 400],
    ['a page in exponent notation', () => get('/api/v1/registrations?page=1e0'), 400],
    ['a page size with spaces', () => get('/api/v1/registrations?pageSize=%205'), 400],
    ['a repeated status', () => get('/api/v1/registrations?status=queued&status=approved'), 400],
  ],
  'periods PostgreSQL has no date for (finding 15)': [
    ['period 0000-H1 on the shelter report', () => get('/api/v1/reports/shelter?period=0000-H1'), 400],
    ['period 0000-H1 on the distribution report', () => get('/api/v1/reports/distribution?period=0000-H1', coordinator), 400],
    ['period 0000-H1 on the balances', () => get('/api/v1/distribution/balances?period=0000-H1', coordinator), 400],
    ['closing period 0000-H2', () => ({ method: 'POST', url: '/api/v1/distribution/periods/0000-H2/close', headers: coordinator }), 400],
    ['period 9999-H2 on the shelter report', () => get('/api/v1/reports/shelter?period=9999-H2'), 400],
  ],
  'odd asset paths (finding 15)': [
    ['a NUL', () => get('/assets/%00', {}), 404],
    ['a NUL inside a name', () => get('/assets/index%00.js', {}), 404],
    ['an encoded dot-dot-slash', () => get('/assets/..%2f', {}), 404],
    ['an encoded climb to package.json', () => get('/assets/..%2f..%2f..%2fpackage.json', {}), 404],
    ['a double-encoded climb', () => get('/assets/..%252f..%252fpackage.json', {}), 404],
    ['a name of 5,000 characters', () => get(`/assets/${'a'.repeat(5_000)}.js`, {}), 404],
    ['a backslash climb', () => get('/assets/..%5c..%5cpackage.json', {}), 404],
    ['a hidden file', () => get('/assets/.env', {}), 404],
  ],
  'token claims are input too (finding 15)': Object.keys(HOSTILE_CLAIMS).map((name): Case => [name, () => get('/api/v1/registrations', { authorization: `Bearer ${claimTokens[name]}` }), 401]),
};

const ALL = Object.entries(CASES).flatMap(([group, cases]) => cases.map(([name, req, status]) => [`${group}: ${name}`, req, status] as const));

describe('hostile input', () => {
  it('covers at least 90 cases', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(90);
  });

  it.each(ALL.map(([name, req, status]) => [name, req, status] as const))('%s', async (_name, req, status) => {
    const before = await rowCounts(t.databaseUrl);
    const res: LightMyRequestResponse = await t.app.inject(req());
    const expected = status === undefined ? undefined : Array.isArray(status) ? status : [status];
    expect(res.statusCode, res.body.slice(0, 500)).toBeGreaterThanOrEqual(400);
    expect(res.statusCode, res.body.slice(0, 500)).toBeLessThan(500);
    if (expected) expect(expected, res.body.slice(0, 500)).toContain(res.statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({ status: res.statusCode, type: expect.stringMatching(/^urn:nl:spreiding:problem:/) });
    const { instance: _instance, ...rest } = body;
    expect(JSON.stringify(rest)).not.toMatch(INTERNALS);
    expect(JSON.stringify(rest)).not.toMatch(/DROP TABLE|<script|\d{9}/i);
    // A hostile request is bounded in what it gets back.
    expect(res.body.length).toBeLessThan(20_000);
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
  });
});

describe('text that looks like an attack but is just text', () => {
  it('stores SQL- and script-like names and notes verbatim, as data, and returns them as JSON', async () => {
    const body = familyBody({ notes: "Robert'); DROP TABLE registrations;-- <script>alert(document.cookie)</script> ${7*7} {{7*7}}" });
    body.household.adults[0]!.name = "Robert'); DROP TABLE registrations;--";
    body.household.children[0]!.name = '<img src=x onerror=alert(1)>';
    body.household.children[1]!.name = "O'Brien-Ðurić Zoë 💙";
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: municipality, payload: body });
    expect(res.statusCode, res.body).toBe(202);
    const detail = await t.app.inject({ url: `/api/v1/registrations/${res.json().id}`, headers: municipality });
    expect(detail.headers['content-type']).toMatch(/^application\/json/);
    expect(detail.headers['x-content-type-options']).toBe('nosniff');
    expect(detail.json().household).toEqual(asShown(body.household));
    expect(detail.json().notes).toBe(body.notes);
    const search = await t.app.inject({ url: `/api/v1/municipalities?name=${encodeURIComponent("'; DROP TABLE municipalities; --")}`, headers: coordinator });
    expect(search.statusCode).toBe(200);
    expect(search.json().total).toBe(0);
    expect((await rowCounts(t.databaseUrl)).municipalities).toBeGreaterThan(300);
  });

  it('caps the field errors of one problem at 100', async () => {
    const res = await t.app.inject(withChange((b) => (b.networkMunicipalities = Array.from({ length: 5_000 }, () => 'XX'))));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toHaveLength(100);
    expect(res.json().detail).toMatch(/the first 100 are listed/);
  });
});

describe('URLs Fastify cannot route', () => {
  it('answers a broken percent-encoding and an over-long id with problem+json through frameworkErrorHandler', async () => {
    const app = Fastify({ frameworkErrors: frameworkErrorHandler, routerOptions: { maxParamLength: 100 } });
    app.get('/api/v1/registrations/:id', async () => ({}));
    await app.ready();
    const bad = await app.inject({ url: '/api/v1/registrations/%E0%A4%A' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.headers['api-version']).toBeDefined();
    expect(bad.headers['x-content-type-options']).toBe('nosniff');
    const long = await app.inject({ url: `/api/v1/registrations/${'a'.repeat(200)}` });
    expect(long.statusCode).toBe(404);
    expect(long.json()).toMatchObject({ code: 'not_found' });
    expect(long.body).not.toContain('aaaa');
    await app.close();
  });

  it('answers them with problem+json in the real app too', async () => {
    for (const url of ['/api/v1/registrations/%ZZ', `/api/v1/registrations/${'a'.repeat(200)}`]) {
      const res = await t.app.inject({ url, headers: municipality });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });
});
