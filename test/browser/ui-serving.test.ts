// How the service serves the review desk: page paths and assets, cache headers, the UI's strict
// Content-Security-Policy, and the embedded-mode sign-in endpoint with its loopback-only rules.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createContainer, type Container } from '../../src/container.js';
import { createLogger } from '../../src/logger.js';
import { UI_CONTENT_SECURITY_POLICY, UI_PAGES } from '../../src/modules/ui/ui-plugin.js';
import { MAX_LOCAL_WORKING_AREA, UI_SESSION_SUBJECT, UI_SESSION_TTL_SECONDS } from '../../src/modules/ui/ui-session.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { ROOT } from '../support/processes.js';
import { checkPage, launchBrowser, VIEWPORT, watchPage } from './browser-support.js';
import { ensureUiBuilt } from './ui-build.js';

const SOME_ID = '0b7c2f9e-2f0c-4a51-9a39-6f1e7d1f0a11';
const pagePath = (p: string) => p.replace(/:id\(.*\)$/, SOME_ID);

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(res.json().code).toBe(code);
}

describe('serving the UI next to the API (PostgreSQL, not embedded)', () => {
  let t: TestApp;
  let index: string;
  beforeAll(async () => {
    await ensureUiBuilt();
    index = readFileSync(join(ROOT, 'ui', 'dist', 'index.html'), 'utf8');
    t = await startTestApp();
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('answers every page path with the same index.html, revalidated on each load, under a strict CSP', async () => {
    for (const path of UI_PAGES.map(pagePath)) {
      const res = await t.app.inject({ url: path });
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers.etag).toBeDefined();
      expect(res.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.body).toBe(index);
    }
    const csp = UI_CONTENT_SECURITY_POLICY;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('ships a page that needs nothing the policy forbids: no inline script or style, nothing from another host, Dutch', () => {
    expect(index).toMatch(/^<!doctype html>\s*<html lang="nl"/);
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(index).not.toMatch(/\sstyle=|<style/);
    expect(index).not.toMatch(/(src|href)="(https?:)?\/\//);
    const assets = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const a of assets) {
      // No web fonts or scripts fetched from elsewhere; the W3C namespace URIs are names, not requests.
      const body = readFileSync(join(ROOT, 'ui', 'dist', a), 'utf8');
      expect(body.replace(/http:\/\/www\.w3\.org\/[0-9]{4}\/svg/g, '')).not.toMatch(/https?:\/\/[a-z]/i);
    }
  });

  it('serves the hashed assets as immutable, and an unknown or escaping asset path as a problem', async () => {
    const assets = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    for (const a of assets) {
      const res = await t.app.inject({ url: a });
      expect(res.statusCode, a).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    // Compressed once at build time, chosen by Accept-Encoding, and said so to caches.
    const css = assets.find((a) => a.endsWith('.css'))!;
    const br = await t.app.inject({ url: css, headers: { 'accept-encoding': 'br, gzip' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/^text\/css/);
    expect(String(br.headers.vary)).toMatch(/accept-encoding/i);
    expect(brotliDecompressSync(br.rawPayload).equals(readFileSync(join(ROOT, 'ui', 'dist', css)))).toBe(true);
    const plain = await t.app.inject({ url: css, headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload.equals(readFileSync(join(ROOT, 'ui', 'dist', css)))).toBe(true);

    expectProblem(await t.app.inject({ url: '/assets/nope-123.js' }), 404, 'not_found');
    for (const escape of ['/assets/../index.html', '/assets/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json']) {
      const res = await t.app.inject({ url: escape });
      expect(res.statusCode, escape).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain('"name": "spreiding"');
    }
  });

  it('leaves the API and its conventions as they were', async () => {
    const health = await t.app.inject({ url: '/api/v1/health' });
    expect(health.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    expect(health.headers['cache-control']).toBe('no-store');
    expectProblem(await t.app.inject({ url: '/api/v1/allocations' }), 401, 'unauthorized');
    expectProblem(await t.app.inject({ url: '/voorstellen/' }), 404, 'not_found');
    expectProblem(await t.app.inject({ url: '/voorstellen/not-an-id' }), 404, 'not_found');
    expectProblem(await t.app.inject({ url: '/index.html' }), 404, 'not_found');
    expectProblem(await t.app.inject({ url: '/elders' }), 404, 'not_found');
  });

  it('tells a page behind the OIDC proxy who signed in (/ui/principal), with the API\'s own token check and no subject', async () => {
    expectProblem(await t.app.inject({ url: '/ui/principal' }), 401, 'unauthorized');
    expectProblem(await t.app.inject({ url: '/ui/principal', headers: { authorization: 'Bearer not-a-token' } }), 401, 'unauthorized');
    const municipality = await t.app.inject({ url: '/ui/principal', headers: await t.auth('municipality', { municipality: 'GM0363', sub: 'cli:municipality:GM0363' }) });
    expect(municipality.statusCode).toBe(200);
    expect(municipality.headers['cache-control']).toBe('no-store');
    expect(municipality.json()).toEqual({ role: 'municipality', municipality: 'GM0363' });
    const corporation = await t.app.inject({ url: '/ui/principal', headers: await t.auth('housing_corporation', { municipalities: ['GM0344', 'GM0355'] }) });
    expect(corporation.json()).toEqual({ role: 'housing_corporation', municipalities: ['GM0344', 'GM0355'] });
    expect((await t.app.inject({ url: '/ui/principal', headers: await t.auth('coordinator') })).json()).toEqual({ role: 'coordinator' });
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(JSON.stringify(doc)).not.toContain('/ui/principal');
  });

  it('has no local sign-in outside embedded mode, and the sign-in endpoint is not part of the API document', async () => {
    expectProblem(await t.app.inject({ url: '/ui/session' }), 404, 'not_found');
    expectProblem(await t.app.inject({ method: 'POST', url: '/ui/session', payload: {} }), 404, 'not_found');
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths).filter((p) => p.includes('ui') || !p.startsWith('/'))).toEqual([]);
    expect(JSON.stringify(doc)).not.toContain('/ui/session');
  });
});

describe('embedded mode: one-click sign-in for the person at this computer', () => {
  let dataDir: string;
  let container: Container;
  let app: FastifyInstance;
  beforeAll(async () => {
    await ensureUiBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'spreiding-ui-embedded-'));
    // No DATABASE_URL: embedded PGlite, generated secrets, in-process jobs, as after `npm start`.
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000', UI_LOCAL_SIGN_IN: 'true' });
    expect(config.embedded).toBe(true);
    container = await createContainer({ config, logger: createLogger(config.logLevel) });
    app = await buildApp(container);
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await container?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (opts: { remoteAddress?: string; headers?: Record<string, string>; payload?: string } = {}) =>
    app.inject({
      method: 'POST',
      url: '/ui/session',
      remoteAddress: opts.remoteAddress ?? '127.0.0.1',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', ...(opts.headers ?? {}) },
      payload: opts.payload ?? '{}',
    });

  it('gives a loopback browser a short-lived coordinator token that the API accepts', async () => {
    const options = await app.inject({ url: '/ui/session', headers: { 'sec-fetch-site': 'same-origin' } });
    expect(options.statusCode).toBe(200);
    expect(options.json()).toMatchObject({ localSignIn: true, expiresInSeconds: UI_SESSION_TTL_SECONDS, roles: ['coordinator', 'municipality', 'housing_corporation'], maxWorkingArea: MAX_LOCAL_WORKING_AREA });
    // The role choice lists the active municipalities by name (CBS reference data).
    expect(options.json().municipalities).toHaveLength(342);
    expect(options.json().municipalities).toContainEqual({ code: 'GM0363', name: 'Amsterdam' });

    const res = await post();
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const { token, role, expiresAt } = res.json();
    expect(role).toBe('coordinator');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: UI_SESSION_SUBJECT, role: 'coordinator' });
    expect(claims.exp! - claims.iat!).toBe(UI_SESSION_TTL_SECONDS);
    expect(Math.abs(new Date(expiresAt).getTime() / 1000 - claims.exp!)).toBeLessThanOrEqual(1);
    await expect(container.verifier(token)).resolves.toMatchObject({ role: 'coordinator', sub: UI_SESSION_SUBJECT });
    const queue = await app.inject({ url: '/api/v1/allocations?status=proposed', headers: { authorization: `Bearer ${token}` } });
    expect(queue.statusCode).toBe(200);

    // A municipality or a housing corporation with its working area, for trying their desks;
    // the subject says which, for the audit log.
    const asMunicipality = await post({ payload: JSON.stringify({ role: 'municipality', municipality: 'GM0344' }) });
    expect(asMunicipality.statusCode).toBe(201);
    expect(decodeJwt(asMunicipality.json().token)).toMatchObject({ role: 'municipality', municipality: 'GM0344', sub: 'embedded-ui:local-municipality:GM0344' });
    const asCorporation = await post({ payload: JSON.stringify({ role: 'housing_corporation', municipalities: ['GM0344', 'GM0355'] }) });
    expect(asCorporation.statusCode).toBe(201);
    expect(decodeJwt(asCorporation.json().token)).toMatchObject({ role: 'housing_corporation', municipalities: ['GM0344', 'GM0355'], sub: 'embedded-ui:local-housing-corporation' });
    const assigned = await app.inject({ url: '/api/v1/assigned-families', headers: { authorization: `Bearer ${asCorporation.json().token}` } });
    expect(assigned.statusCode).toBe(200);

    // IPv6 loopback and the IPv4-mapped form count as local too.
    expect((await post({ remoteAddress: '::1', headers: { host: '[::1]:3000' } })).statusCode).toBe(201);
    expect((await post({ remoteAddress: '::ffff:127.0.0.1', headers: { host: '127.0.0.1:3000' } })).statusCode).toBe(201);
  });

  it('answers 404, as if it did not exist, to anything but a direct same-origin request on this computer', async () => {
    const refused: Array<[string, Parameters<typeof post>[0]]> = [
      ['another machine', { remoteAddress: '10.1.2.3' }],
      ['through a proxy (X-Forwarded-For)', { headers: { 'x-forwarded-for': '203.0.113.7' } }],
      ['through a proxy (Forwarded)', { headers: { forwarded: 'for=203.0.113.7' } }],
      // nginx's usual set-up sends X-Real-IP and no X-Forwarded-For; other proxies and CDNs have their own.
      ['through a proxy (X-Real-IP)', { headers: { 'x-real-ip': '203.0.113.7' } }],
      ['through a proxy (Via)', { headers: { via: '1.1 proxy.example' } }],
      ['through a proxy (X-Forwarded-Host)', { headers: { 'x-forwarded-host': 'localhost' } }],
      ['through a proxy (X-Forwarded-Proto)', { headers: { 'x-forwarded-proto': 'https' } }],
      ['through a CDN (True-Client-IP)', { headers: { 'true-client-ip': '203.0.113.7' } }],
      ['a DNS-rebinding host name', { headers: { host: 'evil.example:3000' } }],
      ['another site in the browser', { headers: { 'sec-fetch-site': 'cross-site' } }],
      ['another local origin in the browser', { headers: { 'sec-fetch-site': 'same-site' } }],
    ];
    for (const [what, opts] of refused) {
      const res = await post(opts);
      expect(res.statusCode, what).toBe(404);
      expect(res.json().code, what).toBe('not_found');
      expect(res.body, what).not.toMatch(/eyJ/);
    }
    // An HTML form cannot send JSON: the form encodings are refused before any token is made.
    expectProblem(await post({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=1' }), 415, 'unsupported_media_type');
    expectProblem(await post({ headers: { 'content-type': 'text/plain' }, payload: '{}' }), 415, 'unsupported_media_type');
    // Never more than the desks need: no admin or policy_viewer, no claims that do not fit the
    // role, no unknown or inactive code, no working area of the whole country.
    for (const payload of [
      { role: 'admin' },
      { role: 'policy_viewer' },
      { role: 'coordinator', municipality: 'GM0363' },
      { role: 'municipality' },
      { role: 'municipality', municipality: 'GM9999' },
      { role: 'municipality', municipalities: ['GM0363'] },
      { role: 'housing_corporation', municipalities: [] },
      { role: 'housing_corporation', municipalities: ['GM0363', 'GM9998'] },
      { role: 'housing_corporation', municipalities: Array.from({ length: MAX_LOCAL_WORKING_AREA + 1 }, (_, i) => `GM${String(1000 + i)}`) },
      { sub: 'someone-else' },
    ]) {
      const res = await post({ payload: JSON.stringify(payload) });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body).not.toMatch(/eyJ/);
    }
  });

  it('signs in from the sign-in page with one click; a reload forgets it', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext({ viewport: VIEWPORT, locale: 'nl-NL' })).newPage();
      page.setDefaultTimeout(10_000);
      const watched = watchPage(page);
      await page.goto(`${base}/verdeling`);
      await page.getByRole('heading', { level: 1, name: 'Aanmelden' }).waitFor();
      expect(page.url()).toBe(`${base}/aanmelden?terug=%2Fverdeling`);
      await page.getByRole('heading', { name: 'Aanmelden op deze computer' }).waitFor();
      await checkPage(page, '40-aanmelden-ingebouwd', { readme: true });
      await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Verdeling' }).waitFor();
      expect(page.url()).toBe(`${base}/verdeling`);
      await page.getByRole('link', { name: 'Voorstellen' }).click();
      await page.getByText('Er wachten geen voorstellen op beoordeling.').waitFor();
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Aanmelden' }).waitFor();

      // The person at the keyboard may try a municipality's desk too.
      await page.getByRole('group', { name: 'Aanmelden als' }).getByLabel('Gemeente').check();
      await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
      await page.getByText('Fout: Kies een gemeente.').waitFor();
      await page.getByRole('combobox', { name: 'Gemeente' }).selectOption('GM0344');
      await checkPage(page, '41-aanmelden-ingebouwd-gemeente');
      await page.getByRole('button', { name: 'Aanmelden', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Onze gezinnen' }).waitFor();
      await page.getByText('Aangemeld als gemeente Utrecht').waitFor();
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Aanmelden' }).waitFor();
      expect(watched.cspViolations).toEqual([]);
      expect(watched.pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('embedded mode without UI_LOCAL_SIGN_IN=true', () => {
  let dataDir: string;
  let container: Container;
  let app: FastifyInstance;
  beforeAll(async () => {
    await ensureUiBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'spreiding-ui-embedded-off-'));
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000' });
    expect(config).toMatchObject({ embedded: true, uiLocalSignIn: false });
    container = await createContainer({ config, logger: createLogger(config.logLevel) });
    app = await buildApp(container);
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await container?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('has no local sign-in: a direct loopback request gets the 404 of an unknown path', async () => {
    const headers = { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' };
    expectProblem(await app.inject({ url: '/ui/session', remoteAddress: '127.0.0.1', headers }), 404, 'not_found');
    const res = await app.inject({ method: 'POST', url: '/ui/session', remoteAddress: '127.0.0.1', headers, payload: '{}' });
    expectProblem(res, 404, 'not_found');
    expect(res.body).not.toMatch(/eyJ/);
  });
});
