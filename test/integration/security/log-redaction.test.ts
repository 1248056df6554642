// What is logged (DESIGN §8, STYLE principle 11): request lines with trace ids, never a BSN, name,
// note or token. The app runs with the service's own logger (createLogger) at level trace, writing
// to a stream the test reads, while families are registered with good and bad requests.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { createContainer, type Container } from '../../../src/container.js';
import { createLogger, loggableUrl, withoutBsns } from '../../../src/logger.js';
import { startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody, nextBsn } from '../../support/families.js';

describe('loggableUrl', () => {
  it.each([
    ['/api/v1/registrations?page=2&pageSize=50&status=queued', '/api/v1/registrations?page=2&pageSize=50&status=queued'],
    ['/api/v1/registrations?bsn=123456782', '/api/v1/registrations?bsn=[redacted]'],
    ['/api/v1/municipalities?name=Maria%20Martina', '/api/v1/municipalities?name=[redacted]'],
    ['/api/v1/registrations?status=Maria%20Martina', '/api/v1/registrations?status=[redacted]'],
    ['/api/v1/registrations?123456782', '/api/v1/registrations?[redacted]'],
    ['/api/v1/registrations?reportingMunicipality=123456782', '/api/v1/registrations?reportingMunicipality=[redacted]'],
    ['/api/v1/registrations/123456782/history', '/api/v1/registrations/[redacted]/history'],
    ['/api/v1/registrations/%31%32%33%34%35%36%37%38%32', '/api/v1/registrations/[redacted]'],
    ['/api/v1/registrations/0c2a1e4b-1234-4567-8901-123456789012', '/api/v1/registrations/0c2a1e4b-1234-4567-8901-123456789012'],
    ['/api/v1/audit-events?registrationId=0c2a1e4b-1234-4567-8901-123456789012&before=12', '/api/v1/audit-events?registrationId=0c2a1e4b-1234-4567-8901-123456789012&before=12'],
    ['/api/v1/reports/shelter?period=2026-H2&municipality=GM0363', '/api/v1/reports/shelter?period=2026-H2&municipality=GM0363'],
    ['/api/v1/x?a=%E0%A4%A', '/api/v1/x?a=[redacted]'],
    ['/api/v1/registrations/1234.56.782/history', '/api/v1/registrations/[redacted]/history'],
    ['/api/v1/registrations?status=123-456-782', '/api/v1/registrations?status=[redacted]'],
    ['/api/v1/registrations?q=12%2034%2056%20782', '/api/v1/registrations?q=[redacted]'],
  ])('%s → %s', (url, logged) => {
    expect(loggableUrl(url)).toBe(logged);
  });
});

describe('withoutBsns', () => {
  it.each([
    ['BSN 123456782 gevonden', 'BSN [redacted] gevonden'],
    ['bsn=1234.56.782;', 'bsn=[redacted];'],
    ['123.456.782', '[redacted]'],
    ['123-456-782 en 12 34 56 782', '[redacted] en [redacted]'],
    ['"bsn":"1-2-3-4-5-6-7-8-2"', '"bsn":"[redacted]"'],
  ])('%s → %s', (text, scrubbed) => {
    expect(withoutBsns(text)).toBe(scrubbed);
  });

  it.each([
    '2026-11-30T10:00:00.000Z',
    '0c2a1e4b-1234-4567-8901-123456789012',
    '4bf92f3577b34da6a3ce929d0e0e4736',
    '06-12345678',
    '127.0.0.1:54321',
    'GM0363',
    '1234567890',
  ])('leaves %s alone', (text) => {
    expect(withoutBsns(text)).toBe(text);
  });
});

describe('the log of a busy hour', () => {
  let t: TestApp;
  let container: Container;
  let app: FastifyInstance;
  const lines: string[] = [];
  beforeAll(async () => {
    t = await startTestApp();
    const config = loadConfig({ ...t.env, LOG_LEVEL: 'trace' });
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    container = await createContainer({ config, logger: createLogger('trace', { role: 'api' }, stream) });
    app = await buildApp(container);
    // A handler that fails with an error carrying the request body and logs the headers (as a
    // careless library or a debugging line might): the redaction must still hold.
    app.post('/api/v1/test-failure', { config: { roles: ['municipality'] } }, async (req) => {
      req.log.debug({ headers: req.headers }, 'request headers');
      throw Object.assign(new Error('downstream call failed'), { body: req.body, household: (req.body as { household?: unknown }).household });
    });
    // A handler that puts BSNs, written as people write them, into a message and an error.
    app.get('/api/v1/test-formatted', { config: { roles: ['municipality'] } }, async (req) => {
      const q = req.query as { a: string; b: string };
      req.log.info(`looked up ${q.a} and ${q.b}`);
      throw new Error(`no family with BSN ${q.a} (${q.b})`);
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await container?.close();
    await t?.close();
  });

  it('holds no BSN, name, note or Authorization value, whatever the requests were', async () => {
    const good = familyBody({ notes: `Vertrouwelijk ${randomBytes(4).toString('hex')}: moeder zwanger, vader in detentie` });
    const people = [...good.household.adults, ...good.household.children];
    const secrets: string[] = [...people.flatMap((p) => [p.bsn, p.name]), good.notes!];
    const authorization = (await t.auth('municipality', { municipality: 'GM0363' })).authorization;
    const coordinator = (await t.auth('coordinator')).authorization;
    secrets.push(authorization.slice(7), coordinator.slice(7));
    const post = (payload: unknown, headers: Record<string, string> = {}) =>
      app.inject({ method: 'POST', url: '/api/v1/registrations', headers: { authorization, ...headers }, payload: payload as object });

    // A good registration, and reading it back.
    const created = await post(good);
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json().id as string;
    expect((await app.inject({ url: `/api/v1/registrations/${id}`, headers: { authorization } })).statusCode).toBe(200);
    expect((await app.inject({ url: `/api/v1/registrations/${id}/history`, headers: { authorization: coordinator } })).statusCode).toBe(200);

    // Bad ones: a BSN failing the 11-proef, schema errors, a duplicate, unknown properties.
    const badBsn = '123456789';
    const wrongChecksum = familyBody({ household: { adults: [{ bsn: badBsn, name: 'Ilse Verkeerd', birthDate: '1990-01-01' }], children: [{ bsn: nextBsn(), name: 'Kees Verkeerd', birthDate: '2018-01-01' }] } });
    secrets.push(badBsn, 'Ilse Verkeerd', 'Kees Verkeerd', wrongChecksum.household.children[0]!.bsn);
    expect((await post(wrongChecksum)).statusCode).toBe(400);
    const wrongTypes = { ...good, household: { adults: [{ bsn: 12345678, name: 'Tom\u0000Nul', birthDate: '1990-02-30' }], children: [] }, notes: 42, extra: good.notes };
    expect((await post(wrongTypes)).statusCode).toBe(400);
    expect((await post(good)).statusCode).toBe(409);
    expect((await post('{"household": {"adults": [{"bsn": "' + people[0]!.bsn + '", "name": "' + people[0]!.name + '"', { 'content-type': 'application/json' })).statusCode).toBe(400);

    // Personal data where it does not belong: in the URL.
    expect((await app.inject({ url: `/api/v1/registrations?bsn=${people[0]!.bsn}&name=${encodeURIComponent(people[0]!.name)}`, headers: { authorization } })).statusCode).toBe(400);
    expect((await app.inject({ url: `/api/v1/registrations/${people[1]!.bsn}`, headers: { authorization } })).statusCode).toBe(400);

    // Tokens that fail, and a handler that fails.
    expect((await app.inject({ url: '/api/v1/registrations', headers: { authorization: `${authorization}x` } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/v1/audit-events', headers: { authorization } })).statusCode).toBe(403);
    const failed = await app.inject({ method: 'POST', url: '/api/v1/test-failure', headers: { authorization }, payload: good });
    expect(failed.statusCode).toBe(500);
    // BSNs with dots, dashes and spaces, in the URL, a message and an error (finding 15).
    const [d, e] = [people[1]!.bsn, people[2]!.bsn];
    const dotted = `${d.slice(0, 4)}.${d.slice(4, 6)}.${d.slice(6)}`;
    const spaced = `${e.slice(0, 3)} ${e.slice(3, 6)} ${e.slice(6)}`;
    const dashed = `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`;
    secrets.push(dotted, spaced, dashed);
    const formatted = await app.inject({ url: `/api/v1/test-formatted?a=${encodeURIComponent(dotted)}&b=${encodeURIComponent(spaced)}`, headers: { authorization } });
    expect(formatted.statusCode).toBe(500);
    expect((await app.inject({ url: `/api/v1/registrations/${dashed}`, headers: { authorization } })).statusCode).toBe(400);

    const log = lines.join('');
    // The log is there and useful: every request with its trace id, the failure with its message.
    expect(log).toContain('"msg":"incoming request"');
    expect(log).toContain(created.headers.traceresponse!.toString().split('-')[1]);
    expect(log).toContain('downstream call failed');
    expect(log).toContain('no family with BSN [redacted]');
    expect(log).toContain('[redacted]');
    // And nothing personal or secret in it, in any case or spelling.
    const lower = log.toLowerCase();
    expect(secrets.filter((s) => lower.includes(s.toLowerCase()))).toEqual([]);
    for (const p of people) expect(lower).not.toContain(p.name.split(' ')[0]!.toLowerCase());
  });
});
