// Housing offers (issue 15, contract B): a housing corporation offers a dwelling to a family
// approved for a municipality in its working area; the receiving municipality or the coordinator
// accepts or declines; the corporation sets the move-in date or withdraws. No address, nothing
// personal; every write audited; offers go with the case when it is pseudonymised.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, rowCounts, sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { activeAllocation, coordinatorPost, register, waitForStatus } from '../../support/workflow.js';

const REPORTER = 'GM0363';
const RECEIVER = 'GM0599';
const ELSEWHERE = 'GM0344';
const clock = fixedClock('2026-11-30T10:00:00Z');
let t: TestApp;
/** The family, overridden to RECEIVER on 30 November (approved). */
let family: string;
/** A second family, only proposed. */
let proposed: string;

const corp = (sub: string, municipalities: string[]) => t.auth('housing_corporation', { municipalities, sub });
const corpA = () => corp('corp:woonstad', [RECEIVER]);
const corpB = () => corp('corp:havensteder', [RECEIVER, ELSEWHERE]);
const corpElsewhere = () => corp('corp:mitros', [ELSEWHERE]);
const receiver = () => t.auth('municipality', { municipality: RECEIVER, sub: 'rotterdam:wonen' });
const reporter = () => t.auth('municipality', { municipality: REPORTER });
const offerBody = (overrides: object = {}) => ({ registrationId: family, municipality: RECEIVER, offeredOn: '2026-11-30', moveInDate: '2027-01-15', bedrooms: 3, accessible: false, ...overrides });

async function post(headers: Record<string, string>, payload: object) {
  return t.app.inject({ method: 'POST', url: '/api/v1/housing-offers', headers, payload });
}
async function patch(id: string, headers: Record<string, string>, payload: object, contentType = 'application/merge-patch+json') {
  return t.app.inject({ method: 'PATCH', url: `/api/v1/housing-offers/${id}`, headers: { ...headers, 'content-type': contentType }, payload: JSON.stringify(payload) });
}
async function list(headers: Record<string, string>, query = '') {
  const res = await t.app.inject({ url: `/api/v1/housing-offers${query}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: Array<{ id: string; status: string }>; total: number };
}
async function audit(resourceId: string) {
  return sqlRows<{ action: string; actor_sub: string; registration_id: string; detail: unknown }>(t.databaseUrl, `select action, actor_sub, registration_id, detail from audit_events where resource_id = $1 order by id`, [resourceId]);
}

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true });
  family = (await register(t, {}, REPORTER)).id;
  await waitForStatus(t, family, 'proposed');
  const override = await coordinatorPost(t, `/api/v1/registrations/${family}/allocations`, { municipality: RECEIVER, reason: 'Netwerk in Rotterdam' });
  expect(override.statusCode, override.body).toBe(201);
  proposed = (await register(t, {}, REPORTER)).id;
  await waitForStatus(t, proposed, 'proposed');
});
afterAll(async () => {
  await t?.close();
});

describe('making an offer', () => {
  let offerId: string;

  it('a corporation in the working area offers a dwelling to an approved family: 201 with Location, audited, nothing personal', async () => {
    const res = await post(await corpA(), offerBody());
    expect(res.statusCode, res.body).toBe(201);
    const offer = res.json();
    offerId = offer.id;
    expect(res.headers.location).toBe(`/api/v1/housing-offers/${offer.id}`);
    expect(offer).toEqual({
      id: offer.id, registrationId: family, municipality: RECEIVER, offeredOn: '2026-11-30', moveInDate: '2027-01-15', bedrooms: 3, accessible: false,
      status: 'offered', createdAt: '2026-11-30T10:00:00.000Z', updatedAt: '2026-11-30T10:00:00.000Z',
    });
    const got = await t.app.inject({ url: res.headers.location as string, headers: await corpA() });
    expect(got.json()).toEqual(offer);
    expect(await audit(offer.id)).toEqual([{ action: 'housing-offer.create', actor_sub: 'corp:woonstad', registration_id: family, detail: { status: 'offered', moveInDate: '2027-01-15' } }]);
  });

  it('reports every problem at once and stores nothing', async () => {
    const before = await rowCounts(t.databaseUrl);
    const res = await post(await corpB(), offerBody({ municipality: ELSEWHERE, offeredOn: '2026-12-01', moveInDate: '2026-11-01' }));
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors.map((e: { pointer: string; code: string }) => `${e.pointer} ${e.code}`).sort()).toEqual([
      '/moveInDate before_offer',
      '/municipality not_receiving_municipality',
      '/offeredOn future_date',
    ]);
    const early = await post(await corpB(), offerBody({ offeredOn: '2026-11-29', moveInDate: null }));
    expect(early.json().errors).toEqual([expect.objectContaining({ pointer: '/offeredOn', code: 'before_approval' })]);
    const schema = await post(await corpB(), { ...offerBody({ bedrooms: 11, address: 'Coolsingel 40' }) });
    expect(schema.json().errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/address', '/bedrooms']);
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
  });

  it('a family that is not approved, unknown, or outside the working area does not exist for the corporation (404, the same answer)', async () => {
    const answers = [
      await post(await corpA(), offerBody({ registrationId: proposed })),
      await post(await corpElsewhere(), offerBody({ municipality: ELSEWHERE })),
      await post(await corpA(), offerBody({ registrationId: randomUUID() })),
    ];
    const bodies = answers.map((r) => {
      expect(r.statusCode).toBe(404);
      const { instance: _i, ...rest } = r.json();
      return rest;
    });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it('only housing corporations make offers (403)', async () => {
    for (const headers of [await receiver(), await t.auth('coordinator'), await t.auth('policy_viewer'), await t.auth('admin')]) {
      expect((await post(headers, offerBody())).statusCode).toBe(403);
    }
  });

  it('shows each caller its own part: the corporation its offers, the receiving municipality its families\' offers, the coordinator all', async () => {
    expect((await list(await corpA())).items.map((o) => o.id)).toEqual([offerId]);
    expect((await list(await corpB())).items).toEqual([]);
    expect((await list(await corpElsewhere())).items).toEqual([]);
    expect((await list(await receiver())).items.map((o) => o.id)).toEqual([offerId]);
    expect((await list(await reporter())).items).toEqual([]);
    expect((await list(await t.auth('coordinator'), `?registrationId=${family}`)).items.map((o) => o.id)).toEqual([offerId]);
    expect((await list(await t.auth('coordinator'), `?registrationId=${proposed}`)).total).toBe(0);
    for (const headers of [await corpB(), await reporter(), await t.auth('municipality', { municipality: ELSEWHERE })]) {
      expect((await t.app.inject({ url: `/api/v1/housing-offers/${offerId}`, headers })).statusCode).toBe(404);
    }
    expect((await t.app.inject({ url: '/api/v1/housing-offers', headers: await t.auth('policy_viewer') })).statusCode).toBe(403);
  });
});

describe('deciding on an offer', () => {
  let a: string;
  let b: string;

  beforeAll(async () => {
    a = (await post(await corpA(), offerBody({ bedrooms: 4, accessible: true, moveInDate: null }))).json().id;
    b = (await post(await corpB(), offerBody({ bedrooms: 2 }))).json().id;
  });

  it('the corporation sets the move-in date (JSON Merge Patch or JSON), audited with old and new values', async () => {
    const res = await patch(a, await corpA(), { moveInDate: '2027-02-01' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: a, moveInDate: '2027-02-01', status: 'offered' });
    const cleared = await patch(a, await corpA(), { moveInDate: null }, 'application/json');
    expect(cleared.json().moveInDate).toBeNull();
    const rows = await audit(a);
    expect(rows.map((r) => r.action)).toEqual(['housing-offer.create', 'housing-offer.update', 'housing-offer.update']);
    expect(rows[1]!.detail).toEqual({ old: { status: 'offered', moveInDate: null }, new: { status: 'offered', moveInDate: '2027-02-01' } });
    expect((await patch(a, await corpA(), { moveInDate: '2026-11-01' })).json().errors).toEqual([expect.objectContaining({ pointer: '/moveInDate', code: 'before_offer' })]);
  });

  it('refuses a change that is not the caller\'s to make (403), and another corporation\'s offer is absent (404)', async () => {
    const before = await rowCounts(t.databaseUrl);
    expect((await patch(a, await corpA(), { status: 'accepted' })).statusCode).toBe(403);
    expect((await patch(a, await receiver(), { moveInDate: '2027-03-01' })).statusCode).toBe(403);
    expect((await patch(a, await receiver(), { status: 'withdrawn' })).statusCode).toBe(403);
    expect((await patch(a, await t.auth('coordinator'), { status: 'withdrawn' })).statusCode).toBe(403);
    expect((await patch(a, await corpB(), { status: 'withdrawn' })).statusCode).toBe(404);
    expect((await patch(a, await reporter(), { status: 'accepted' })).statusCode).toBe(404);
    expect((await patch(a, await receiver(), {})).statusCode).toBe(400);
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
  });

  it('the receiving municipality accepts one offer; a second acceptance is refused (409) until the first falls through', async () => {
    const accepted = await patch(a, await receiver(), { status: 'accepted' });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json().status).toBe('accepted');
    const second = await patch(b, await t.auth('coordinator'), { status: 'accepted' });
    expect(second.statusCode).toBe(409);
    expect(second.json().code).toBe('illegal_transition');
    expect((await patch(a, await receiver(), { status: 'accepted' })).statusCode).toBe(409);

    // The housing corporation sees the live offers of the family among its assigned families.
    const assigned = await t.app.inject({ url: '/api/v1/assigned-families', headers: await corpA() });
    expect(assigned.json().items.find((i: { registrationId: string }) => i.registrationId === family).offers).toBe(3);

    // The dwelling falls through: withdrawn by its corporation; then the other offer can be accepted.
    expect((await patch(a, await corpA(), { status: 'withdrawn' })).json().status).toBe('withdrawn');
    expect((await patch(b, await t.auth('coordinator'), { status: 'accepted' })).json().status).toBe('accepted');
    const after = await t.app.inject({ url: '/api/v1/assigned-families', headers: await corpA() });
    expect(after.json().items.find((i: { registrationId: string }) => i.registrationId === family).offers).toBe(2);
  });

  it('declined and withdrawn are final (409), also for the move-in date', async () => {
    expect((await patch(b, await receiver(), { status: 'declined' })).json().status).toBe('declined');
    for (const [id, headers, body] of [
      [b, await receiver(), { status: 'accepted' }],
      [b, await corpB(), { status: 'withdrawn' }],
      [b, await corpB(), { moveInDate: '2027-04-01' }],
      [a, await receiver(), { status: 'declined' }],
      [a, await corpA(), { status: 'withdrawn' }],
    ] as const) {
      const res = await patch(id, headers, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(409);
      expect(res.json().code).toBe('illegal_transition');
    }
  });
});

describe('when the case ends', () => {
  it('an offer of a closed case can no longer be accepted (409), and the offers go when the case is erased', async () => {
    const offer = (await post(await corpA(), offerBody({ moveInDate: null }))).json().id as string;
    const closed = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${family}/outcome`, headers: await reporter(), payload: { type: 'withdrawn', reason: 'Terug naar Curaçao' } });
    expect(closed.statusCode, closed.body).toBe(200);
    // The receiving municipality no longer sees the family, nor its offers; the coordinator does.
    expect((await patch(offer, await receiver(), { status: 'accepted' })).statusCode).toBe(404);
    const late = await patch(offer, await t.auth('coordinator'), { status: 'accepted' });
    expect(late.statusCode).toBe(409);
    expect(late.json().detail).toMatch(/closed/);
    expect((await post(await corpA(), offerBody())).statusCode).toBe(404);

    const [count] = await sqlRows<{ n: number }>(t.databaseUrl, 'select count(*)::int as n from housing_offers where registration_id = $1', [family]);
    expect(count!.n).toBe(4);
    const erased = await coordinatorPost(t, `/api/v1/registrations/${family}/erasure`, { reason: 'data_subject_request' });
    expect(erased.statusCode, erased.body).toBe(200);
    expect(await sqlRows(t.databaseUrl, 'select id from housing_offers where registration_id = $1', [family])).toEqual([]);
  });
});

describe('a family only proposed', () => {
  it('gets no offers and is not in a corporation\'s list', async () => {
    const a = await activeAllocation(t, proposed);
    const res = await post(await corp('corp:proposed', [a.municipality]), offerBody({ registrationId: proposed, municipality: a.municipality }));
    expect(res.statusCode).toBe(404);
  });
});
