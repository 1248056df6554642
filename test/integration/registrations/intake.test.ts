import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, rowCounts, sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { asShown, familyBody, nextBsn } from '../../support/families.js';

let t: TestApp;
const clock = fixedClock('2026-11-30T10:00:00Z');
beforeAll(async () => {
  t = await startTestApp({ clock });
});
afterAll(async () => {
  await t?.close();
});

const query = <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => sqlRows<R>(t.databaseUrl, text, values);

const amsterdam = () => t.auth('municipality', { municipality: 'GM0363', sub: 'system:amsterdam' });
const post = async (payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: { ...(await amsterdam()), ...headers }, payload: payload as object });

describe('intake', () => {
  it('accepts an eligible family with 202, a Location header and status queued, and stores no plaintext BSN', async () => {
    const body = familyBody();
    const res = await post(body);
    expect(res.statusCode).toBe(202);
    const reg = res.json();
    expect(reg).toMatchObject({ status: 'queued', reportingMunicipality: 'GM0363', householdSize: 3, adults: 1, children: 2, receivingMunicipality: null });
    expect(res.headers.location).toBe(`/api/v1/registrations/${reg.id}`);
    expect(res.body).not.toContain(body.household.adults[0]!.bsn);

    const detail = await t.app.inject({ url: res.headers.location as string, headers: await amsterdam() });
    expect(detail.statusCode).toBe(200);
    expect(detail.json().household.adults[0]).toEqual(asShown(body.household).adults[0]);
    expect(detail.json().notes).toBe(body.notes);
  });

  it('refuses a registration for another municipality with 403', async () => {
    const res = await post(familyBody({ reportingMunicipality: 'GM0599' }));
    expect(res.statusCode).toBe(403);
  });

  it('names every failed eligibility criterion in one 400 problem, and stores nothing', async () => {
    const before = await rowCounts(t.databaseUrl);
    const body = familyBody({
      eligibility: {
        residenceBasis: 'other',
        arrivedFrom: 'within_netherlands',
        ownInitiativeUnprepared: false,
        refugeeOrEvacueeStatus: true,
        selfRelianceAssessment: { assessedOn: '2026-10-01', outcome: 'not_self_reliant' },
        homelessWithoutNetwork: false,
      },
      household: { adults: [{ bsn: nextBsn(), name: 'A', birthDate: '1980-01-01' }], children: [{ bsn: nextBsn(), name: 'B', birthDate: '2008-11-02' }] },
    });
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.json().code).toBe('eligibility_failed');
    expect(res.json().criteria.map((c: { criterion: string }) => c.criterion)).toEqual([
      'residence_basis', 'arrived_from', 'own_initiative_unprepared', 'minor_child', 'no_refugee_or_evacuee_status', 'self_reliance_assessment', 'homeless_without_network',
    ]);
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
  });

  it('computes the child’s age from birth dates on the registration date (18th birthday = adult)', async () => {
    const turns18 = familyBody({ reportedOn: '2026-11-02', household: { adults: [{ bsn: nextBsn(), name: 'A', birthDate: '1980-01-01' }], children: [{ bsn: nextBsn(), name: 'B', birthDate: '2008-11-02' }] } });
    expect((await post(turns18)).json().criteria?.[0]?.criterion).toBe('minor_child');
    const dayBefore = familyBody({ reportedOn: '2026-11-01', household: { adults: [{ bsn: nextBsn(), name: 'A', birthDate: '1980-01-01' }], children: [{ bsn: nextBsn(), name: 'B', birthDate: '2008-11-02' }] } });
    expect((await post(dayBefore)).statusCode).toBe(202);
  });

  it('reports every field error at once: BSN checksum, duplicate BSN, dates, unknown codes', async () => {
    const bsn = nextBsn();
    const res = await post(
      familyBody({
        reportedOn: '2026-12-01',
        household: {
          adults: [{ bsn: '123456789', name: 'A', birthDate: '1980-01-01' }, { bsn, name: 'B', birthDate: '1981-01-01' }],
          children: [{ bsn, name: 'C', birthDate: '2027-01-01' }],
        },
        networkMunicipalities: ['GM9999'],
        excludedMunicipalities: ['GM9998'],
      }),
    );
    expect(res.statusCode).toBe(400);
    const pointers = res.json().errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual([
      '/excludedMunicipalities/0', '/household/adults/0/bsn', '/household/children/0/birthDate', '/household/children/0/bsn', '/networkMunicipalities/0', '/reportedOn',
    ]);
  });

  it('returns the first answer for a retried POST with the same Idempotency-Key, and refuses the key with another body', async () => {
    const body = familyBody();
    const first = await post(body, { 'idempotency-key': 'retry-1' });
    const again = await post(body, { 'idempotency-key': 'retry-1' });
    expect(again.statusCode).toBe(202);
    expect(again.json().id).toBe(first.json().id);
    const other = await post(familyBody(), { 'idempotency-key': 'retry-1' });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('idempotency_key_reused');
  });

  it('answers 409 for a household member already in an active registration elsewhere, without naming it', async () => {
    const first = familyBody();
    const ok = await post(first);
    expect(ok.statusCode).toBe(202);
    const rotterdam = await t.auth('municipality', { municipality: 'GM0599' });
    const dup = familyBody({ reportingMunicipality: 'GM0599', household: { adults: [{ bsn: nextBsn(), name: 'X', birthDate: '1985-01-01' }], children: [first.household.children[0]!] } });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: rotterdam, payload: dup });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('duplicate_registration');
    expect(res.body).not.toContain('GM0363');
    expect(res.body).not.toContain(ok.json().id);
    const seen = await t.app.inject({ url: `/api/v1/registrations/${ok.json().id}`, headers: await t.auth('coordinator') });
    expect(seen.json().duplicateAttempts).toEqual([{ attemptedBy: 'GM0599', attemptedAt: clock.now().toISOString() }]);
    const reporter = await t.app.inject({ url: `/api/v1/registrations/${ok.json().id}`, headers: await amsterdam() });
    expect(reporter.json().duplicateAttempts).toBeUndefined();
  });

  it('answers with exactly what a read of the stored registration gives, byte for byte', async () => {
    const res = await post(familyBody({ networkMunicipalities: ['GM0344'], excludedMunicipalities: ['GM0599'] }));
    expect(res.statusCode).toBe(202);
    const list = await t.app.inject({ url: '/api/v1/registrations?pageSize=100', headers: await amsterdam() });
    const stored = list.json().items.find((r: { id: string }) => r.id === res.json().id);
    expect(JSON.stringify(stored)).toBe(res.body);
  });

  it('writes the registration, members, claims, event, outbox row, audit line and idempotency key as before', async () => {
    const body = familyBody({ networkMunicipalities: ['GM0344', 'GM0307'], excludedMunicipalities: ['GM0599'], needs: { minimumBedrooms: 3, accessibleHousing: true } });
    const trace = randomBytes(16).toString('hex');
    const res = await post(body, { 'idempotency-key': `rows-${trace}`, traceparent: `00-${trace}-${randomBytes(8).toString('hex')}-01` });
    expect(res.statusCode).toBe(202);
    const id = res.json().id as string;
    const at = clock.now().toISOString();

    const [reg] = await query(`select *, created_at::text as c, updated_at::text as u from registrations where id = $1`, [id]);
    expect(reg).toMatchObject({
      status: 'queued', reporting_municipality: 'GM0363', receiving_municipality: null, reported_on: '2026-11-02', subgroup: 'caribbean',
      eligibility: body.eligibility, adults: 1, children: 2, needs: { minimumBedrooms: 3, accessibleHousing: true },
      network_municipalities: ['GM0344', 'GM0307'], excluded_municipalities: ['GM0599'], allocation_round: 1,
      accrued_key_version: null, first_proposed_at: null, outcome: null, created_by_sub: 'system:amsterdam',
    });
    expect((reg!.created_at as Date).toISOString()).toBe(at);
    expect((reg!.updated_at as Date).toISOString()).toBe(at);
    expect(reg!.notes_ciphertext).toEqual(expect.any(String));
    expect(reg!.notes_ciphertext).not.toContain('verpleegkundige');

    const members = await query<{ role: string; position: number; bsn_hmac: string; bsn_ciphertext: string; birth_date: string }>(
      `select role, position, bsn_hmac, bsn_ciphertext, birth_date::text from household_members where registration_id = $1 order by role, position`, [id]);
    expect(members.map((m) => [m.role, m.position, m.birth_date])).toEqual([['adult', 0, '1990-04-12'], ['child', 0, '2015-06-30'], ['child', 1, '2020-02-29']]);
    const people = [...body.household.adults, ...body.household.children];
    // The detail read decrypts the members in the same order.
    const detail = (await t.app.inject({ url: `/api/v1/registrations/${id}`, headers: await amsterdam() })).json();
    expect(detail.household).toEqual(asShown(body.household));
    expect(new Set(members.map((m) => m.bsn_hmac)).size).toBe(3);
    expect(members.every((m) => !people.some((p) => m.bsn_ciphertext.includes(p.bsn)))).toBe(true);

    const claims = await query<{ bsn_hmac: string }>(`select bsn_hmac from active_bsn_claims where registration_id = $1 order by 1`, [id]);
    expect(claims.map((c) => c.bsn_hmac)).toEqual(members.map((m) => m.bsn_hmac).sort());

    const events = await query(`select registration_id, action, from_status, to_status, allocation_id, municipality, actor_sub, actor_role, actor_municipality, reason_ciphertext, at from registration_events where registration_id = $1`, [id]);
    expect(events).toEqual([{
      registration_id: id, action: 'registered', from_status: null, to_status: 'queued', allocation_id: null, municipality: null,
      actor_sub: 'system:amsterdam', actor_role: 'municipality', actor_municipality: 'GM0363', reason_ciphertext: null, at: new Date(at),
    }]);

    const jobs = await query(`select job_name, job_id, payload, created_at, attempts, last_error from outbox where job_id = $1`, [id]);
    expect(jobs).toEqual([{ job_name: 'allocate', job_id: id, payload: { v: 1, registrationId: id, round: 1, traceId: trace }, created_at: new Date(at), attempts: 0, last_error: null }]);

    const audit = await query(`select at, actor_sub, actor_role, actor_organisation, action, resource_type, resource_id, registration_id, trace_id, status_code from audit_events where registration_id = $1 and action = 'registration.create'`, [id]);
    expect(audit).toEqual([{
      at: new Date(at), actor_sub: 'system:amsterdam', actor_role: 'municipality', actor_organisation: 'GM0363', action: 'registration.create',
      resource_type: 'registration', resource_id: id, registration_id: id, trace_id: trace, status_code: 202,
    }]);

    // The key as a keyed hash, never as sent (finding 15).
    const keyHash = t.container.pii.keyedHash('idempotency-key', `rows-${trace}`);
    const keys = await query(`select client_sub, key, request_hash, registration_id, created_at from idempotency_keys where key = $1`, [keyHash]);
    expect(keys).toEqual([{ client_sub: 'system:amsterdam', key: keyHash, request_hash: expect.stringMatching(/.{20,}/), registration_id: id, created_at: new Date(at) }]);
  });

  it('without an Idempotency-Key stores no key; the job carries the trace id the request was given', async () => {
    const res = await post(familyBody());
    expect(res.statusCode).toBe(202);
    const id = res.json().id as string;
    expect(await query(`select 1 from idempotency_keys where registration_id = $1`, [id])).toEqual([]);
    const trace = /^00-([0-9a-f]{32})-/.exec(String(res.headers.traceresponse))![1];
    const [job] = await query<{ payload: unknown }>(`select payload from outbox where job_id = $1`, [id]);
    expect(job!.payload).toEqual({ v: 1, registrationId: id, round: 1, traceId: trace });
  });

  it('concurrent POSTs with one Idempotency-Key store one registration and all answer it', async () => {
    const body = familyBody();
    const key = `race-${randomBytes(4).toString('hex')}`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(body, { 'idempotency-key': key })));
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202, 202, 202, 202]);
    const ids = new Set(answers.map((a) => a.json().id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(await query(`select id from registrations where id = $1`, [id])).toHaveLength(1);
    expect(await query(`select 1 from active_bsn_claims where registration_id = $1`, [id])).toHaveLength(3);
    // The replays answer what the first answered.
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
  });

  it('concurrent POSTs of one family: one 202, the others 409 with the attempt recorded for the coordinator', async () => {
    const body = familyBody();
    const before = await rowCounts(t.databaseUrl);
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(body)));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([202, 409, 409, 409]);
    const ok = answers.find((a) => a.statusCode === 202)!;
    for (const a of answers.filter((x) => x.statusCode === 409)) expect(a.json().code).toBe('duplicate_registration');
    const attempts = await query(`select attempted_by from duplicate_attempts where existing_registration_id = $1`, [ok.json().id]);
    expect(attempts).toHaveLength(3);
    const audit = await query<{ action: string; status_code: number }>(`select action, status_code from audit_events where registration_id = $1 order by id`, [ok.json().id]);
    expect(audit.filter((r) => r.action === 'registration.duplicate_attempt').map((r) => r.status_code)).toEqual([409, 409, 409]);
    const after = await rowCounts(t.databaseUrl);
    expect([after.registrations! - before.registrations!, after.household_members! - before.household_members!, after.outbox! - before.outbox!]).toEqual([1, 3, 1]);
  });

  it('a duplicate sent with an Idempotency-Key stores no key: the same retry is refused again, not replayed', async () => {
    const body = familyBody();
    expect((await post(body)).statusCode).toBe(202);
    const key = `dup-${randomBytes(4).toString('hex')}`;
    const before = await rowCounts(t.databaseUrl);
    expect((await post(body, { 'idempotency-key': key })).statusCode).toBe(409);
    const after = await rowCounts(t.databaseUrl);
    expect(after).toEqual({ ...before, duplicate_attempts: before.duplicate_attempts! + 1, audit_events: before.audit_events! + 1 });
    expect((await post(body, { 'idempotency-key': key })).statusCode).toBe(409);
  });

  it('accepts a municipality the moment it becomes active, though the known codes are cached', async () => {
    expect((await post(familyBody({ networkMunicipalities: ['GM0344'] }))).statusCode).toBe(202);
    await query(`insert into municipalities (code, name, province, population) values ('GM1998', 'Nieuwgemeente', 'Utrecht', 12345)`);
    const res = await post(familyBody({ networkMunicipalities: ['GM1998'] }));
    expect(res.statusCode, res.body).toBe(202);
    await query(`update municipalities set active = false where code = 'GM1998'`);
    await query(`insert into municipalities (code, name, province, population, active) values ('GM1997', 'Oudgemeente', 'Utrecht', 1, false)`);
    const refused = await post(familyBody({ excludedMunicipalities: ['GM1997'] }));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([expect.objectContaining({ pointer: '/excludedMunicipalities/0', code: 'unknown_municipality' })]);
  });
});
