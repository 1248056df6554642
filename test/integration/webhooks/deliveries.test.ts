// Notifications end to end (issue 13): subscriptions over HTTP, events from real transitions,
// delivered by the BullMQ webhook worker to a receiver on loopback that checks the signature.
// Success, a 500 retried with backoff until given up, a flaky endpoint that recovers, a hanging
// one (timeout), an unreachable one, 410 Gone; who receives which event; no personal data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { waitFor } from '../../support/processes.js';
import { freePort } from '../../support/redis-server.js';
import { startWebhookReceiver, verifySignature, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { activeAllocation, coordinatorPost, register, registrationAs, waitForStatus } from '../../support/workflow.js';

const REPORTER = 'GM0363';
const OUTSIDER = 'GM0014';
const TIMEOUT_MS = 400;

let t: TestApp;
let receiver: WebhookReceiver;
let deadUrl: string;

async function subscribe(path: string, as: { role: 'municipality' | 'housing_corporation' | 'coordinator'; municipality?: string; municipalities?: string[] }, eventTypes?: string[], url?: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/webhook-subscriptions',
    headers: await t.auth(as.role, { ...(as.municipality ? { municipality: as.municipality } : {}), ...(as.municipalities ? { municipalities: as.municipalities } : {}) }),
    payload: { url: url ?? receiver.url(path), ...(eventTypes ? { eventTypes } : {}) },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json() as { id: string; secret: string };
  expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  receiver.setSecret(path, body.secret);
  return body.id;
}

async function deliveries(subscriptionId: string, headers?: Record<string, string>) {
  const res = await t.app.inject({ url: `/api/v1/webhook-subscriptions/${subscriptionId}/deliveries`, headers: headers ?? (await t.auth('coordinator')) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as Array<{ eventType: string; status: string; attempts: number; lastStatusCode: number | null; lastError: string | null; subject: string }>;
}

const settled = (subscriptionId: string, count = 1) =>
  waitFor(async () => {
    const items = await deliveries(subscriptionId);
    return items.length >= count && items.every((d) => d.status !== 'pending') ? items : undefined;
  }, `deliveries of ${subscriptionId} to settle`, 30_000, 100);

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  deadUrl = `http://127.0.0.1:${await freePort()}/nobody-listens`;
  t = await startTestApp({
    redis: true,
    relay: true,
    worker: true,
    env: {
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_RETRY_BASE_MS: '50',
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      PUBLIC_BASE_URL: 'https://spreiding.example.nl',
      EVENT_SOURCE: 'urn:nld:oin:00000001234567890000:systeem:spreiding',
    },
  });
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
});

describe('one family, several subscribers', () => {
  const subs: Record<string, string> = {};
  let id: string;
  let allocation: { id: string; municipality: string };

  beforeAll(async () => {
    subs.reporter = await subscribe('/ok-reporter', { role: 'municipality', municipality: REPORTER });
    subs.outsider = await subscribe('/ok-outsider', { role: 'municipality', municipality: OUTSIDER });
    subs.coordinator = await subscribe('/ok-coordinator', { role: 'coordinator' }, ['nl.spreiding.registration.proposed', 'nl.spreiding.registration.approved']);
    subs.failing = await subscribe('/fail', { role: 'municipality', municipality: REPORTER }, ['nl.spreiding.registration.proposed']);
    subs.flaky = await subscribe('/flaky', { role: 'municipality', municipality: REPORTER }, ['nl.spreiding.registration.proposed']);
    subs.hanging = await subscribe('/hang', { role: 'municipality', municipality: REPORTER }, ['nl.spreiding.registration.proposed']);
    subs.dead = await subscribe('/dead', { role: 'municipality', municipality: REPORTER }, ['nl.spreiding.registration.proposed'], deadUrl);
    id = (await register(t, {}, REPORTER)).id;
    await waitForStatus(t, id, 'proposed');
    allocation = await activeAllocation(t, id);
  });

  it('delivers the proposal to the reporting municipality as a signed NL GOV CloudEvent with ids and links only', async () => {
    const [d] = await settled(subs.reporter!);
    expect(d).toMatchObject({ eventType: 'nl.spreiding.registration.proposed', status: 'delivered', attempts: 1, lastStatusCode: 204, subject: id });
    const [got] = receiver.received('/ok-reporter');
    expect(got!.signatureValid).toBe(true);
    expect(got!.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(Math.abs(Number(got!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(600);
    expect(got!.event).toEqual({
      specversion: '1.0',
      id: got!.headers['webhook-id'],
      source: 'urn:nld:oin:00000001234567890000:systeem:spreiding',
      type: 'nl.spreiding.registration.proposed',
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      subject: id,
      datacontenttype: 'application/json',
      dataref: `https://spreiding.example.nl/api/v1/registrations/${id}`,
      data: { registrationId: id, allocationId: allocation.id },
    });
    // Nothing personal: not a name, BSN, note or the proposed municipality's family details.
    const detail = (await registrationAs(t, id)).json();
    for (const p of [...detail.household.adults, ...detail.household.children]) {
      expect(got!.body).not.toContain(p.bsn);
      expect(got!.body).not.toContain(p.name);
    }
    expect(got!.body).not.toContain(detail.notes);
  });

  it('a signature made with another secret does not verify (the receiver\'s check can fail)', async () => {
    const [got] = receiver.received('/ok-reporter');
    expect(verifySignature(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, got!.headers, got!.body)).toBe(false);
    expect(verifySignature(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, got!.headers, got!.body.replace('proposed', 'approved'))).toBe(false);
  });

  it('retries a 500 with backoff and gives up after the last attempt; a flaky endpoint is delivered on its third', async () => {
    const [failed] = await settled(subs.failing!);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: 500, lastError: 'http_status: the receiver answered 500' });
    const tries = receiver.received('/fail');
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((r) => r.headers['webhook-id'])).size).toBe(1); // one event, tried three times
    // Exponential backoff: 50 ms, then 100 ms (BullMQ's delay), so the gaps grow.
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(90);
    const [flaky] = await settled(subs.flaky!);
    expect(flaky).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 204 });
  });

  it('gives up on an endpoint that never answers (timeout) and one nobody listens on (unreachable)', async () => {
    const [hung] = await settled(subs.hanging!);
    expect(hung).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: null, lastError: `timeout: no answer within ${TIMEOUT_MS} ms` });
    const [dead] = await settled(subs.dead!);
    expect(dead).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: null, lastError: 'unreachable: ECONNREFUSED' });
  });

  it('counts the outcomes for Prometheus (spreiding_webhook_deliveries_total), without ids or codes in the labels', async () => {
    const text = (await t.container.metrics.render()).body;
    const value = (outcome: string) => Number(new RegExp(`^spreiding_webhook_deliveries_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    // At least: the reporter's delivery and the flaky one delivered; failing, hanging and dead given up after 2 retries each.
    expect(value('delivered')).toBeGreaterThanOrEqual(2);
    expect(value('failed')).toBeGreaterThanOrEqual(3);
    expect(value('retried')).toBeGreaterThanOrEqual(8);
    const lines = text.split('\n').filter((l) => l.startsWith('spreiding_webhook_deliveries_total'));
    expect(lines.join('\n')).not.toMatch(/GM\d{4}|[0-9a-f]{8}-[0-9a-f]{4}/);
  });

  it('sends a municipality only events about families it may see: the proposal not to the one it is proposed to, the approval to it and its housing corporation', async () => {
    subs.receiver = await subscribe('/ok-receiver', { role: 'municipality', municipality: allocation.municipality });
    subs.corporation = await subscribe('/ok-corporation', { role: 'housing_corporation', municipalities: [allocation.municipality] });
    subs.otherCorporation = await subscribe('/ok-other-corporation', { role: 'housing_corporation', municipalities: [OUTSIDER] });
    const approved = await coordinatorPost(t, `/api/v1/allocations/${allocation.id}/approve`);
    expect(approved.statusCode).toBe(200);
    await settled(subs.reporter!, 2);
    expect((await settled(subs.receiver!)).map((d) => d.eventType)).toEqual(['nl.spreiding.registration.approved']);
    expect((await settled(subs.corporation!)).map((d) => d.eventType)).toEqual(['nl.spreiding.registration.approved']);
    const [corp] = receiver.received('/ok-corporation');
    expect(corp!.event.dataref).toBe('https://spreiding.example.nl/api/v1/assigned-families');
    expect((await settled(subs.coordinator!, 2)).map((d) => d.eventType).sort()).toEqual(['nl.spreiding.registration.approved', 'nl.spreiding.registration.proposed']);
    expect(await deliveries(subs.outsider!)).toEqual([]);
    expect(await deliveries(subs.otherCorporation!)).toEqual([]);
    expect(receiver.received('/ok-outsider')).toEqual([]);
  });

  it('stops at a decline for the municipality that declined: the family is no longer its business', async () => {
    const declined = await t.app.inject({
      method: 'POST',
      url: `/api/v1/allocations/${allocation.id}/decline`,
      headers: await t.auth('municipality', { municipality: allocation.municipality }),
      payload: { reason: 'Geen woning' },
    });
    expect(declined.statusCode).toBe(200);
    const reporter = await settled(subs.reporter!, 3);
    expect(reporter.map((d) => d.eventType)).toContain('nl.spreiding.registration.declined');
    await new Promise((r) => setTimeout(r, 300));
    expect((await deliveries(subs.receiver!)).map((d) => d.eventType)).toEqual(['nl.spreiding.registration.approved']);
  });
});

describe('subscriptions', () => {
  it('retires a subscription whose endpoint answers 410 Gone', async () => {
    const sub = await subscribe('/gone', { role: 'municipality', municipality: 'GM0599' });
    const { id } = await register(t, {}, 'GM0599');
    await waitForStatus(t, id, 'proposed');
    const [d] = await settled(sub);
    expect(d).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 410 });
    const got = await t.app.inject({ url: `/api/v1/webhook-subscriptions/${sub}`, headers: await t.auth('municipality', { municipality: 'GM0599' }) });
    expect(got.json()).toMatchObject({ status: 'retired' });
  });

  it('scopes reading, listing and deleting to the owner (404 for another municipality), and never shows the secret again', async () => {
    const sub = await subscribe('/ok-scope', { role: 'municipality', municipality: 'GM0344' });
    const own = await t.auth('municipality', { municipality: 'GM0344', sub: 'another-client-of-utrecht' });
    const other = await t.auth('municipality', { municipality: 'GM0345' });
    const mine = await t.app.inject({ url: `/api/v1/webhook-subscriptions/${sub}`, headers: own });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).not.toHaveProperty('secret');
    expect(mine.body).not.toContain('whsec_');
    for (const url of [`/api/v1/webhook-subscriptions/${sub}`, `/api/v1/webhook-subscriptions/${sub}/deliveries`]) {
      expect((await t.app.inject({ url, headers: other })).statusCode).toBe(404);
    }
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/webhook-subscriptions/${sub}`, headers: other })).statusCode).toBe(404);
    const list = await t.app.inject({ url: '/api/v1/webhook-subscriptions', headers: other });
    expect(list.json().items.map((s: { id: string }) => s.id)).not.toContain(sub);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/webhook-subscriptions/${sub}`, headers: own })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `/api/v1/webhook-subscriptions/${sub}`, headers: own })).statusCode).toBe(404);
    // At rest the secret is a bound ciphertext, never the secret itself.
    const [stored] = await sqlRows<{ secret_ciphertext: string }>(t.databaseUrl, 'select secret_ciphertext from webhook_subscriptions where id = $1', [sub]);
    expect(stored!.secret_ciphertext).toMatch(/^v2\./);
  });

  it('refuses a bad target with a field error, and other roles with 403', async () => {
    const headers = await t.auth('municipality', { municipality: 'GM0344' });
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/webhook-subscriptions', headers, payload: { url: 'https://user:secret@example.nl/hook' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ pointer: '/url', code: 'credentials_in_url' })]);
    const ftp = await t.app.inject({ method: 'POST', url: '/api/v1/webhook-subscriptions', headers, payload: { url: 'ftp://example.nl/hook' } });
    expect(ftp.statusCode).toBe(400);
    for (const role of ['admin'] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/webhook-subscriptions', headers: await t.auth(role), payload: { url: 'https://example.nl/hook' } });
      expect(res.statusCode).toBe(403);
    }
  });
});
