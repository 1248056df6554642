import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, rowCounts, startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody, nextBsn } from '../../support/families.js';

let t: TestApp;
const clock = fixedClock('2026-11-30T10:00:00Z');
beforeAll(async () => {
  t = await startTestApp({ clock });
});
afterAll(async () => {
  await t?.close();
});

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
    expect(detail.json().household.adults[0]).toEqual(body.household.adults[0]);
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
});
