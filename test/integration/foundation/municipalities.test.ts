import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('municipalities on real PostgreSQL', () => {
  it('lists all 342 municipalities of the bundled CBS table to any role', async () => {
    for (const role of ['coordinator', 'admin'] as const) {
      const res = await t.app.inject({ url: '/api/v1/municipalities?pageSize=200', headers: await t.auth(role) });
      expect(res.statusCode).toBe(200);
      expect(res.json().total).toBe(342);
      expect(res.json().items).toHaveLength(200);
    }
    const res = await t.app.inject({ url: '/api/v1/municipalities?page=2&pageSize=200', headers: await t.auth('municipality', { municipality: 'GM0363' }) });
    expect(res.json().items).toHaveLength(142);
  });

  it('filters by province and searches by name, case-insensitively', async () => {
    const headers = await t.auth('coordinator');
    const zeeland = await t.app.inject({ url: '/api/v1/municipalities?province=Zeeland', headers });
    expect(zeeland.json().total).toBe(13);
    const search = await t.app.inject({ url: '/api/v1/municipalities?name=AMSTER', headers });
    expect(search.json().items.map((m: { code: string }) => m.code)).toContain('GM0363');
    const literal = await t.app.inject({ url: '/api/v1/municipalities?name=%25', headers });
    expect(literal.json().total).toBe(0);
  });

  it('shows one municipality and answers 404 problem+json for an unknown code', async () => {
    const headers = await t.auth('coordinator');
    const res = await t.app.inject({ url: '/api/v1/municipalities/GM0363', headers });
    expect(res.json()).toMatchObject({ code: 'GM0363', name: 'Amsterdam', province: 'Noord-Holland', suspended: false, capacityPerPeriod: null });
    const missing = await t.app.inject({ url: '/api/v1/municipalities/GM9999', headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.json()).toMatchObject({ status: 404, code: 'not_found' });
    const bad = await t.app.inject({ url: '/api/v1/municipalities/0363', headers });
    expect(bad.statusCode).toBe(400);
  });

  it('lets the coordinator suspend and set capacity, and nobody else', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/municipalities/GM0344',
      headers: await t.auth('coordinator'),
      payload: { suspended: true, capacityPerPeriod: 12 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ code: 'GM0344', suspended: true, capacityPerPeriod: 12 });
    const again = await t.app.inject({ url: '/api/v1/municipalities/GM0344', headers: await t.auth('admin') });
    expect(again.json()).toMatchObject({ suspended: true, capacityPerPeriod: 12 });

    const denied = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/municipalities/GM0344',
      headers: await t.auth('municipality', { municipality: 'GM0344' }),
      payload: { suspended: false },
    });
    expect(denied.statusCode).toBe(403);
    const unknown = await t.app.inject({ method: 'PATCH', url: '/api/v1/municipalities/GM9999', headers: await t.auth('coordinator'), payload: { suspended: true } });
    expect(unknown.statusCode).toBe(404);
    const empty = await t.app.inject({ method: 'PATCH', url: '/api/v1/municipalities/GM0344', headers: await t.auth('coordinator'), payload: {} });
    expect(empty.statusCode).toBe(400);
    const wrong = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/municipalities/GM0344',
      headers: await t.auth('coordinator'),
      payload: { suspended: 'yes', capacityPerPeriod: -1, colour: 'red' },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/capacityPerPeriod', '/colour', '/suspended']);
  });
});
