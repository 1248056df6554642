// The processing log (DESIGN §8, in the spirit of Logboek Dataverwerkingen): append-only in the
// database itself; a row for every read of personal data and every state change, with who (subject,
// role, organisation), what (action, resource), which registration, and the trace id of the request
// (W3C traceparent in, traceresponse out); readable by the coordinator only.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { fixedClock, rowCounts, startTestApp, type TestApp } from '../../support/harness.js';
import { activeAllocation, register, waitForStatus } from '../../support/workflow.js';
import type { Role } from '../../../src/modules/auth/auth-tokens.js';

const REPORTER = 'GM0363';
const clock = fixedClock('2026-11-30T10:00:00Z');
let t: TestApp;
let db: pg.Client;
let operationIds: Map<string, string>;

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true });
  db = new pg.Client({ connectionString: t.databaseUrl });
  await db.connect();
  const doc = t.app.swagger() as { paths: Record<string, Record<string, { operationId?: string }>> };
  operationIds = new Map();
  for (const item of Object.values(doc.paths)) for (const [method, op] of Object.entries(item)) if (op.operationId) operationIds.set(op.operationId, method.toUpperCase());
});
afterAll(async () => {
  await db?.end();
  await t?.close();
});

interface Who {
  role: Role;
  municipality?: string;
  municipalities?: string[];
}
const subOf = (w: Who) => `audit:${w.role}:${w.municipality ?? w.municipalities?.join('+') ?? 'lcp'}`;
const organisationOf = (w: Who) => w.municipality ?? w.municipalities?.join(',') ?? (w.role === 'policy_viewer' ? 'policy' : 'LCP');
const COORDINATOR: Who = { role: 'coordinator' };
const AMSTERDAM: Who = { role: 'municipality', municipality: REPORTER };

interface AuditRow {
  actor_sub: string;
  actor_role: string;
  actor_organisation: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  registration_id: string | null;
  trace_id: string | null;
  detail: Record<string, unknown> | null;
  at: Date;
}

/** Every operation exercised below, to prove that none in the API is left out. */
const exercised = new Set<string>();

/** One request with a fresh W3C traceparent; checks that traceresponse carries the same trace id. */
async function call(operationId: string, who: Who, req: InjectOptions): Promise<{ res: LightMyRequestResponse; trace: string; rows: AuditRow[] }> {
  exercised.add(operationId);
  const trace = randomBytes(16).toString('hex');
  const headers = {
    ...(await t.auth(who.role, { ...(who.municipality ? { municipality: who.municipality } : {}), ...(who.municipalities ? { municipalities: who.municipalities } : {}), sub: subOf(who) })),
    traceparent: `00-${trace}-${randomBytes(8).toString('hex')}-01`,
    ...(req.headers as Record<string, string> | undefined),
  };
  const res = await t.app.inject({ ...req, headers } as InjectOptions);
  expect(res.statusCode, `${operationId}: ${res.body}`).toBeLessThan(300);
  expect(res.headers.traceresponse, operationId).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-0[01]$`));
  const { rows } = await db.query<AuditRow>('select * from audit_events where trace_id = $1 order by id', [trace]);
  return { res, trace, rows };
}

/** The call left a row naming the caller, the action, the resource and the registration. */
function expectRow(rows: AuditRow[], who: Who, expected: { action: string; resourceType: string; resourceId?: string; registrationId: string | null }) {
  const row = rows.find((r) => r.action === expected.action);
  expect(row, `a row ${expected.action} among ${rows.map((r) => r.action).join(', ') || 'none'}`).toBeDefined();
  expect(row).toMatchObject({
    actor_sub: subOf(who),
    actor_role: who.role,
    actor_organisation: organisationOf(who),
    resource_type: expected.resourceType,
    registration_id: expected.registrationId,
    ...(expected.resourceId ? { resource_id: expected.resourceId } : {}),
  });
  expect(row!.at.toISOString()).toBe(clock.now().toISOString());
}

describe('the database keeps audit_events append-only', () => {
  const sqlError = async (c: pg.Client, sql: string) => c.query(sql).then(() => null, (e: { code?: string; message: string }) => e);

  it('refuses UPDATE, DELETE and TRUNCATE to the owner (the role that ran the migrations)', async () => {
    // Row triggers fire per row: there must be rows to protect.
    await t.container.services.audit.record(t.container.db, { sub: 'test', role: 'coordinator', organisation: 'LCP', traceId: null }, { action: 'test.row', resourceType: 'test' });
    const before = await rowCounts(t.databaseUrl);
    const { rows: owner } = await db.query<{ owner: string; me: string }>(`select tableowner as owner, current_user as me from pg_tables where tablename = 'audit_events'`);
    expect(owner[0]!.owner).toBe(owner[0]!.me);
    for (const sql of [`update audit_events set action = 'forged'`, `delete from audit_events`, `truncate audit_events`, `truncate audit_events restart identity cascade`]) {
      const err = await sqlError(db, sql);
      expect(err, sql).not.toBeNull();
      expect(err!.code, sql).toBe('42501');
      expect(err!.message, sql).toMatch(/append-only/);
    }
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
  });

  it('refuses them to a table owner that is not a superuser too, and still accepts INSERT', async () => {
    const role = `audit_owner_${randomBytes(4).toString('hex')}`;
    await db.query(`create role ${role} nologin`);
    try {
      await db.query(`insert into audit_events (at, actor_sub, actor_role, action, resource_type) values (now(), 'test', 'test', 'test.row', 'test')`);
      await db.query(`alter table audit_events owner to ${role}`);
      await db.query(`set role ${role}`);
      for (const sql of [`update audit_events set action = 'forged'`, `delete from audit_events where id = 1`, `truncate audit_events`]) {
        expect((await sqlError(db, sql))?.code, sql).toBe('42501');
      }
      await db.query(`insert into audit_events (at, actor_sub, actor_role, action, resource_type) values (now(), 'owner', 'test', 'test.insert', 'test')`);
    } finally {
      await db.query('reset role');
      await db.query('alter table audit_events owner to current_user');
      await db.query(`drop role ${role}`);
    }
  });

  it('with the grants docs/SECURITY.md recommends, the API role can neither change rows nor switch the trigger off', async () => {
    // The trigger stops mistakes by the owner, not a determined owner (ALTER TABLE … DISABLE
    // TRIGGER): the API therefore runs as a role that owns nothing and may only append here.
    const role = `spreiding_api_${randomBytes(4).toString('hex')}`;
    await db.query(`create role ${role} nologin`);
    try {
      await db.query(`grant select, insert on audit_events to ${role}`);
      await db.query(`grant usage on sequence audit_events_id_seq to ${role}`);
      await db.query(`set role ${role}`);
      await db.query(`insert into audit_events (at, actor_sub, actor_role, action, resource_type) values (now(), 'api', 'test', 'test.insert', 'test')`);
      for (const sql of [`update audit_events set action = 'forged'`, `delete from audit_events`, `truncate audit_events`, `alter table audit_events disable trigger audit_events_no_update`, `drop table audit_events`]) {
        expect((await sqlError(db, sql))?.code, sql).toBe('42501');
      }
    } finally {
      await db.query('reset role');
      await db.query(`drop owned by ${role}`);
      await db.query(`drop role ${role}`);
    }
  });
});

describe('every read of personal data and every state change is logged with the request’s trace id', () => {
  let r1: string;
  let r2: string;
  let receiver: Who;

  it('logs the life of a family, request by request', async () => {
    const created = await call('createRegistration', AMSTERDAM, { method: 'POST', url: '/api/v1/registrations', payload: (await import('../../support/families.js')).familyBody() });
    r1 = created.res.json().id;
    expectRow(created.rows, AMSTERDAM, { action: 'registration.create', resourceType: 'registration', resourceId: r1, registrationId: r1 });

    const detail = await call('getRegistration', AMSTERDAM, { url: `/api/v1/registrations/${r1}` });
    expectRow(detail.rows, AMSTERDAM, { action: 'registration.read_personal_data', resourceType: 'registration', resourceId: r1, registrationId: r1 });

    const history = await call('getRegistrationHistory', COORDINATOR, { url: `/api/v1/registrations/${r1}/history` });
    expectRow(history.rows, COORDINATOR, { action: 'registration.read_history', resourceType: 'registration', resourceId: r1, registrationId: r1 });

    // The worker's proposal is logged as the system.
    await waitForStatus(t, r1, 'proposed');
    const { rows: proposals } = await db.query<AuditRow>(`select * from audit_events where registration_id = $1 and action = 'allocation.propose'`, [r1]);
    expect(proposals).toHaveLength(1);
    expect(proposals[0]).toMatchObject({ actor_sub: 'system:worker', actor_role: 'system' });
    const first = await activeAllocation(t, r1);

    const read = await call('getAllocation', COORDINATOR, { url: `/api/v1/allocations/${first.id}` });
    expectRow(read.rows, COORDINATOR, { action: 'allocation.read', resourceType: 'allocation', resourceId: first.id, registrationId: r1 });

    const rejected = await call('rejectAllocation', COORDINATOR, { method: 'POST', url: `/api/v1/allocations/${first.id}/reject`, payload: { reason: 'Geen passende woning in deze regio' } });
    expectRow(rejected.rows, COORDINATOR, { action: 'registration.rejected', resourceType: 'registration', resourceId: r1, registrationId: r1 });

    await waitForStatus(t, r1, 'proposed');
    const second = await activeAllocation(t, r1);
    receiver = { role: 'municipality', municipality: second.municipality };
    const approved = await call('approveAllocation', COORDINATOR, { method: 'POST', url: `/api/v1/allocations/${second.id}/approve` });
    expectRow(approved.rows, COORDINATOR, { action: 'registration.approved', resourceType: 'registration', resourceId: r1, registrationId: r1 });

    const accepted = await call('acceptAllocation', receiver, { method: 'POST', url: `/api/v1/allocations/${second.id}/accept` });
    expectRow(accepted.rows, receiver, { action: 'registration.accepted', resourceType: 'registration', resourceId: r1, registrationId: r1 });

    const stay = await call('createShelterStay', AMSTERDAM, {
      method: 'POST',
      url: `/api/v1/registrations/${r1}/shelter-stays`,
      payload: { type: 'holiday_park', startDate: '2026-11-02', nightlyCostCents: 7000, location: 'Vakantiepark Zeezicht, huisje 4' },
    });
    const stayId = stay.res.json().id as string;
    expectRow(stay.rows, AMSTERDAM, { action: 'shelter_stay.create', resourceType: 'shelter_stay', resourceId: stayId, registrationId: r1 });

    const patched = await call('updateShelterStay', AMSTERDAM, { method: 'PATCH', url: `/api/v1/shelter-stays/${stayId}`, payload: { nightlyCostCents: 7500 } });
    expectRow(patched.rows, AMSTERDAM, { action: 'shelter_stay.update', resourceType: 'shelter_stay', resourceId: stayId, registrationId: r1 });
    // The line holds the old and new values; of the location only whether it changed (finding: evidence).
    expect(patched.rows.find((r) => r.action === 'shelter_stay.update')!.detail).toEqual({ old: { nightlyCostCents: 7000 }, new: { nightlyCostCents: 7500 }, locationChanged: false });

    const correction = await call('correctShelterStay', AMSTERDAM, { method: 'POST', url: `/api/v1/shelter-stays/${stayId}/corrections`, payload: { type: 'hotel', location: 'Hotel Zeezicht, kamer 9' } });
    const correctingId = correction.res.json().id as string;
    expectRow(correction.rows, AMSTERDAM, { action: 'shelter_stay.correct', resourceType: 'shelter_stay', resourceId: correctingId, registrationId: r1 });
    const correctionDetail = correction.rows.find((r) => r.action === 'shelter_stay.correct')!.detail;
    expect(correctionDetail).toEqual({ corrects: stayId, old: { type: 'holiday_park' }, new: { type: 'hotel' }, locationChanged: true });
    expect(JSON.stringify(correctionDetail)).not.toContain('Zeezicht');

    const document = await call('addRegistrationDocument', AMSTERDAM, {
      method: 'POST',
      url: `/api/v1/registrations/${r1}/documents`,
      payload: { kind: 'self_reliance_assessment', title: 'Zelfredzaamheid', contentType: 'application/pdf', content: Buffer.from('%PDF-1.7\n%audit\n').toString('base64') },
    });
    const documentId = document.res.json().id as string;
    expectRow(document.rows, AMSTERDAM, { action: 'document.create', resourceType: 'document', resourceId: documentId, registrationId: r1 });
    const documents = await call('listRegistrationDocuments', receiver, { url: `/api/v1/registrations/${r1}/documents` });
    expectRow(documents.rows, receiver, { action: 'registration.read_documents', resourceType: 'registration', resourceId: r1, registrationId: r1 });
    const readDocument = await call('getRegistrationDocument', receiver, { url: `/api/v1/registrations/${r1}/documents/${documentId}` });
    expectRow(readDocument.rows, receiver, { action: 'document.read', resourceType: 'document', resourceId: documentId, registrationId: r1 });

    const stays = await call('listShelterStays', receiver, { url: `/api/v1/registrations/${r1}/shelter-stays` });
    expectRow(stays.rows, receiver, { action: 'registration.read_shelter_stays', resourceType: 'registration', resourceId: r1, registrationId: r1 });

    if (operationIds.has('listAssignedFamilies')) {
      const corp: Who = { role: 'housing_corporation', municipalities: [second.municipality] };
      const families = await call('listAssignedFamilies', corp, { url: '/api/v1/assigned-families' });
      expectRow(families.rows, corp, { action: 'assigned_family.read', resourceType: 'registration', resourceId: r1, registrationId: r1 });
    }

    // Housing offers (issue 15): made by a corporation of the receiving municipality, accepted there.
    const corporation: Who = { role: 'housing_corporation', municipalities: [second.municipality] };
    const offered = await call('createHousingOffer', corporation, {
      method: 'POST', url: '/api/v1/housing-offers',
      payload: { registrationId: r1, municipality: second.municipality, offeredOn: '2026-11-30', moveInDate: '2027-01-04', bedrooms: 3, accessible: false },
    });
    const offerId = offered.res.json().id as string;
    expectRow(offered.rows, corporation, { action: 'housing-offer.create', resourceType: 'housing-offer', resourceId: offerId, registrationId: r1 });
    const acceptedOffer = await call('updateHousingOffer', receiver, { method: 'PATCH', url: `/api/v1/housing-offers/${offerId}`, payload: { status: 'accepted' } });
    expectRow(acceptedOffer.rows, receiver, { action: 'housing-offer.update', resourceType: 'housing-offer', resourceId: offerId, registrationId: r1 });
    expect(acceptedOffer.rows.find((r) => r.action === 'housing-offer.update')!.detail).toEqual({ old: { status: 'offered', moveInDate: '2027-01-04' }, new: { status: 'accepted', moveInDate: '2027-01-04' } });

    const transferred = await call('transferRegistration', AMSTERDAM, { method: 'POST', url: `/api/v1/registrations/${r1}/transfer`, payload: { transferredOn: '2026-11-29' } });
    expectRow(transferred.rows, AMSTERDAM, { action: 'registration.transferred', resourceType: 'registration', resourceId: r1, registrationId: r1 });

    const housed = await call('recordOutcome', receiver, { method: 'POST', url: `/api/v1/registrations/${r1}/outcome`, payload: { type: 'housed' } });
    expectRow(housed.rows, receiver, { action: 'registration.housed', resourceType: 'registration', resourceId: r1, registrationId: r1 });

    const erased = await call('eraseRegistration', COORDINATOR, { method: 'POST', url: `/api/v1/registrations/${r1}/erasure`, payload: { reason: 'data_subject_request', reference: 'AVG-2026/17' } });
    expectRow(erased.rows, COORDINATOR, { action: 'registration.erased', resourceType: 'registration', resourceId: r1, registrationId: r1 });
    expect(erased.rows.find((r) => r.action === 'registration.erased')!.detail).toEqual({ ground: 'data_subject_request', reference: 'AVG-2026/17' });
  });

  it('logs an override, a decline, a new proposal and a withdrawal', async () => {
    r2 = (await register(t, {}, REPORTER)).id;
    await waitForStatus(t, r2, 'proposed');
    const rotterdam: Who = { role: 'municipality', municipality: 'GM0599' };
    const overridden = await call('overrideAllocation', COORDINATOR, { method: 'POST', url: `/api/v1/registrations/${r2}/allocations`, payload: { municipality: 'GM0599', reason: 'Familie heeft netwerk in Rotterdam' } });
    expectRow(overridden.rows, COORDINATOR, { action: 'registration.overridden', resourceType: 'registration', resourceId: r2, registrationId: r2 });
    const allocationId = overridden.res.json().id as string;

    const declined = await call('declineAllocation', rotterdam, { method: 'POST', url: `/api/v1/allocations/${allocationId}/decline`, payload: { reason: 'Geen woning beschikbaar' } });
    expectRow(declined.rows, rotterdam, { action: 'registration.declined', resourceType: 'registration', resourceId: r2, registrationId: r2 });

    const requeued = await call('reproposeRegistration', COORDINATOR, { method: 'POST', url: `/api/v1/registrations/${r2}/reproposal`, payload: {} });
    expectRow(requeued.rows, COORDINATOR, { action: 'registration.requeued', resourceType: 'registration', resourceId: r2, registrationId: r2 });

    const closed = await call('recordOutcome', AMSTERDAM, { method: 'POST', url: `/api/v1/registrations/${r2}/outcome`, payload: { type: 'withdrawn', reason: 'Gezin terug naar Curaçao' } });
    expectRow(closed.rows, AMSTERDAM, { action: 'registration.closed', resourceType: 'registration', resourceId: r2, registrationId: r2 });
  });

  it('logs changes to municipalities and the distribution', async () => {
    const patched = await call('updateMunicipality', COORDINATOR, { method: 'PATCH', url: '/api/v1/municipalities/GM0344', payload: { capacityPerPeriod: 40 } });
    expectRow(patched.rows, COORDINATOR, { action: 'municipality.update', resourceType: 'municipality', resourceId: 'GM0344', registrationId: null });
    if (!operationIds.has('setDistributionKey')) return;

    const population = await call('setDistributionKey', COORDINATOR, { method: 'PUT', url: '/api/v1/distribution/key', payload: { kind: 'population' } });
    expectRow(population.rows, COORDINATOR, { action: 'distribution-key.create', resourceType: 'distribution-key', registrationId: null });

    // A merger needs a key that already gives the old code no weight.
    const codes: { code: string; population: number }[] = [];
    for (let page = 1; ; page++) {
      const res = await t.app.inject({ url: `/api/v1/municipalities?pageSize=200&page=${page}`, headers: await t.auth('coordinator') });
      codes.push(...res.json().items);
      if (codes.length >= res.json().total) break;
    }
    const gone = 'GM0307'; // Amersfoort merges into Utrecht, for the test
    const fixed = await call('setDistributionKey', COORDINATOR, {
      method: 'PUT',
      url: '/api/v1/distribution/key',
      payload: { kind: 'fixed', shares: codes.map((m) => ({ municipality: m.code, weight: m.code === gone ? 0 : m.population })) },
    });
    expectRow(fixed.rows, COORDINATOR, { action: 'distribution-key.create', resourceType: 'distribution-key', registrationId: null });
    const merged = await call('mergeMunicipalities', COORDINATOR, { method: 'POST', url: '/api/v1/distribution/mergers', payload: { into: 'GM0344', from: [gone] } });
    expectRow(merged.rows, COORDINATOR, { action: 'municipality.merge', resourceType: 'municipality', resourceId: 'GM0344', registrationId: null });

    // Webhook subscriptions: creation and deletion are state changes (issue 13).
    const subscribed = await call('createWebhookSubscription', AMSTERDAM, { method: 'POST', url: '/api/v1/webhook-subscriptions', payload: { url: 'https://8.8.8.8/audit-hook', eventTypes: ['nl.spreiding.registration.housed'] } });
    const subscriptionId = subscribed.res.json().id as string;
    expectRow(subscribed.rows, AMSTERDAM, { action: 'webhook_subscription.create', resourceType: 'webhook_subscription', resourceId: subscriptionId, registrationId: null });
    const unsubscribed = await call('deleteWebhookSubscription', AMSTERDAM, { method: 'DELETE', url: `/api/v1/webhook-subscriptions/${subscriptionId}` });
    expectRow(unsubscribed.rows, AMSTERDAM, { action: 'webhook_subscription.delete', resourceType: 'webhook_subscription', resourceId: subscriptionId, registrationId: null });
    // Maatwerk: profiles, capacity, the needs policy; shelter credits (none are due: no key option).
    const profile = await call('putMunicipalityProfile', AMSTERDAM, {
      method: 'PUT', url: `/api/v1/municipalities/${REPORTER}/profile`, payload: { facilities: { medicalCare: true }, labourMarketRegion: 'AM18', wmoRegion: null, note: null },
    });
    expectRow(profile.rows, AMSTERDAM, { action: 'municipality-profile.update', resourceType: 'municipality-profile', resourceId: `${REPORTER}@1`, registrationId: null });
    const corporation: Who = { role: 'housing_corporation', municipalities: ['GM0344'] };
    const declared = await call('declareCapacity', corporation, {
      method: 'POST', url: '/api/v1/capacity-declarations', payload: { municipality: 'GM0344', period: '2026-H2', kind: 'dwelling', units: 1, bedrooms: 3, accessible: false },
    });
    expectRow(declared.rows, corporation, { action: 'capacity.declare', resourceType: 'capacity-declaration', resourceId: declared.res.json().id, registrationId: null });
    const policy = await call('setNeedsPolicy', COORDINATOR, {
      method: 'PUT', url: '/api/v1/distribution/needs-policy',
      payload: { needs: { medicalCare: 'soft', specialEducation: 'hard', accessibleHousing: 'hard', largeDwelling: 'hard', languageSupport: 'hard' }, unknownProfile: 'available' },
    });
    expectRow(policy.rows, COORDINATOR, { action: 'needs-policy.create', resourceType: 'needs-policy', resourceId: '1', registrationId: null });
    const credits = await call('bookShelterCredits', COORDINATOR, { method: 'POST', url: '/api/v1/distribution/shelter-credits' });
    expect(credits.res.json().credited).toEqual([]);
    expect(credits.rows).toEqual([]);

    // A simulation stores nothing but is a read of the distribution: logged, without personal data (issue 15).
    const policyViewer: Who = { role: 'policy_viewer' };
    const simulated = await call('simulateDistribution', policyViewer, { method: 'POST', url: '/api/v1/distribution/simulations', payload: { key: { kind: 'population' }, units: 50 } });
    expectRow(simulated.rows, policyViewer, { action: 'distribution.simulation', resourceType: 'distribution-simulation', resourceId: '50', registrationId: null });

    const closedPeriod = await call('closeDistributionPeriod', COORDINATOR, { method: 'POST', url: '/api/v1/distribution/periods/2026-H2/close?force=true' });
    expectRow(closedPeriod.rows, COORDINATOR, { action: 'period.close', resourceType: 'period', resourceId: '2026-H2', registrationId: null });
  });

  it('has exercised every state-changing operation of the API and every read of personal data', () => {
    const mutating = [...operationIds].filter(([, method]) => method !== 'GET').map(([id]) => id);
    const personalReads = ['getRegistration', 'getRegistrationHistory', 'getAllocation', 'listShelterStays', 'listAssignedFamilies', 'listRegistrationDocuments', 'getRegistrationDocument'].filter((id) => operationIds.has(id));
    expect([...mutating, ...personalReads].filter((id) => !exercised.has(id))).toEqual([]);
  });

  it('shows the coordinator a registration’s log, newest first, with the actor and trace of each row', async () => {
    const headers = await t.auth('coordinator');
    const res = await t.app.inject({ url: `/api/v1/audit-events?registrationId=${r2}&pageSize=200`, headers });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ id: number; action: string; registrationId: string; traceId: string | null; actor: { sub: string; role: string; organisation: string } }>;
    expect(items.length).toBeGreaterThanOrEqual(5);
    expect(items.every((i) => i.registrationId === r2)).toBe(true);
    expect(items.map((i) => i.id)).toEqual([...items.map((i) => i.id)].sort((a, b) => b - a));
    expect(items.map((i) => i.action)).toEqual(expect.arrayContaining(['registration.create', 'registration.overridden', 'registration.declined', 'registration.requeued', 'registration.closed']));
    const declined = items.find((i) => i.action === 'registration.declined')!;
    expect(declined.actor).toEqual({ sub: 'audit:municipality:GM0599', role: 'municipality', organisation: 'GM0599' });
    expect(declined.traceId).toMatch(/^[0-9a-f]{32}$/);

    // Paging backwards with `before`.
    const page = await t.app.inject({ url: `/api/v1/audit-events?registrationId=${r2}&pageSize=2&before=${items[1]!.id}`, headers });
    expect(page.json().items.map((i: { id: number }) => i.id)).toEqual(items.slice(2, 4).map((i) => i.id));
    // Nothing about another registration leaks into the answer.
    expect(res.body).not.toContain(r1);
  });

  it('refuses the log to every other role, and a malformed registrationId', async () => {
    const others: Array<[Role, { municipality?: string; municipalities?: string[] }]> = [['municipality', { municipality: REPORTER }], ['housing_corporation', { municipalities: [REPORTER] }], ['admin', {}]];
    for (const [role, opts] of others) {
      const res = await t.app.inject({ url: `/api/v1/audit-events?registrationId=${r1}`, headers: await t.auth(role, opts) });
      expect(res.statusCode, role).toBe(403);
    }
    const bad = await t.app.inject({ url: `/api/v1/audit-events?registrationId=${encodeURIComponent("' or 1=1 --")}`, headers: await t.auth('coordinator') });
    expect(bad.statusCode).toBe(400);
  });

  it('logs the coordinator’s list of allocations, which shows the decrypted reasons', async () => {
    const list = await call('listAllocations', COORDINATOR, { url: '/api/v1/allocations?pageSize=200' });
    expect(list.res.json().items.some((i: { reason: string | null }) => i.reason !== null)).toBe(true);
    expect(list.rows.length).toBeGreaterThan(0);
  });
});

describe('trace context', () => {
  it('keeps a valid incoming trace id and replaces an invalid one with a fresh one', async () => {
    const headers = await t.auth('coordinator');
    const valid = `00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-00f067aa0ba902b7-01`;
    const kept = await t.app.inject({ url: '/api/v1/municipalities?pageSize=1', headers: { ...headers, traceparent: valid } });
    expect(kept.headers.traceresponse).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-0[01]$/);
    const invalid = [
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, // all-zero trace id
      `00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01`, // upper case
      `ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`, // forbidden version
      `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7`, // no flags
      `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'; drop table audit_events; --`,
      'x'.repeat(2000),
    ];
    for (const traceparent of invalid) {
      const res = await t.app.inject({ url: '/api/v1/municipalities?pageSize=1', headers: { ...headers, traceparent } });
      expect(res.statusCode).toBe(200);
      const id = String(res.headers.traceresponse).split('-')[1]!;
      expect(id, traceparent.slice(0, 60)).toMatch(/^[0-9a-f]{32}$/);
      expect(id).not.toBe('0'.repeat(32));
      expect(traceparent.toLowerCase()).not.toContain(id);
    }
  });
});
