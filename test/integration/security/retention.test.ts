// Retention and erasure (issue 14 items 1–3; AVG art. 5(1)(e), 17): a municipality reads a closed
// case's personal data for MUNICIPALITY_ACCESS_AFTER_CLOSE_DAYS, a daily job pseudonymises it after
// RETENTION_AFTER_CLOSE_DAYS, the coordinator can erase it sooner; afterwards a dump of the database
// holds nothing that re-identifies the family but the BSNs' keyed hashes, and the ledger, counters,
// reports and audit lines are whole.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createContainer } from '../../../src/container.js';
import { startWorker } from '../../../src/boot.js';
import { createLogger } from '../../../src/logger.js';
import { fixedClock, pgDump, sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody, nextBsn } from '../../support/families.js';
import { waitFor } from '../../support/processes.js';
import { activeAllocation, coordinatorPost, register, waitForStatus } from '../../support/workflow.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = '2026-11-30T10:00:00Z';
const at = (days: number) => new Date(Date.parse(T0) + days * DAY).toISOString();
const clock = fixedClock(T0);
const tag = randomBytes(3).toString('hex');
const AMSTERDAM = 'GM0363';
const ROTTERDAM = 'GM0599';

let t: TestApp;
/** Everything about family A that must be gone once it is pseudonymised. */
const secrets: string[] = [];
let a: { id: string; bsns: string[]; birthDates: string[]; allocationId: string; documentId: string };
let b: { id: string; receiver: string };
let c: string;
let d: string;

const as = (municipality: string) => t.auth('municipality', { municipality });
const get = async (url: string, headers: Record<string, string>) => t.app.inject({ url, headers });
const closeAs = async (id: string, municipality: string, reason?: string) => {
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/outcome`, headers: await as(municipality), payload: { type: 'withdrawn', ...(reason ? { reason } : {}) } });
  expect(res.statusCode, res.body).toBe(200);
};

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true, env: { RETENTION_AFTER_CLOSE_DAYS: '30', MUNICIPALITY_ACCESS_AFTER_CLOSE_DAYS: '10' } });

  // Family A: names, BSNs, birth dates and notes that occur nowhere else; rejected, overridden and
  // accepted with reasons, sheltered at a location, a document, an idempotency key; then withdrawn.
  const person = (first: string, birthDate: string) => {
    const p = { bsn: nextBsn(), name: `${first}${tag} Vlijmen${tag}`, birthDate };
    secrets.push(p.bsn, p.name, `${first}${tag}`, `Vlijmen${tag}`, birthDate);
    return p;
  };
  const body = familyBody({
    household: { adults: [person('Ottilie', '1987-01-23')], children: [person('Pieter', '2014-05-17'), person('Roos', '2019-10-09')] },
    notes: `Notitie${tag}: vader werkt op Schiphol, moeder is zwanger`,
    needs: { medicalCare: true, minimumBedrooms: 3 },
    networkMunicipalities: ['GM0344'],
    excludedMunicipalities: ['GM0014'],
  });
  secrets.push(body.notes!);
  const key = `aanvraag-${tag}-1987.01.23`;
  secrets.push(key);
  const created = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: { ...(await as(AMSTERDAM)), 'idempotency-key': key }, payload: body });
  expect(created.statusCode, created.body).toBe(202);
  const id = created.json().id as string;
  await waitForStatus(t, id, 'proposed');
  const reasons = { reject: `Afwijzing${tag}: geen woning`, override: `Toewijzing${tag}: oma woont in Rotterdam`, withdraw: `Intrekking${tag}: terug naar Aruba` };
  secrets.push(...Object.values(reasons));
  expect((await coordinatorPost(t, `/api/v1/allocations/${(await activeAllocation(t, id)).id}/reject`, { reason: reasons.reject })).statusCode).toBe(200);
  await waitForStatus(t, id, 'proposed');
  const override = await coordinatorPost(t, `/api/v1/registrations/${id}/allocations`, { municipality: ROTTERDAM, reason: reasons.override });
  expect(override.statusCode, override.body).toBe(201);
  expect((await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${override.json().id}/accept`, headers: await as(ROTTERDAM) })).statusCode).toBe(200);
  const location = `Hotel Vlijmen${tag}, kamer 21`;
  secrets.push(location);
  const stay = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/shelter-stays`, headers: await as(AMSTERDAM), payload: { type: 'hotel', startDate: '2026-11-02', nightlyCostCents: 9_000, location } });
  expect(stay.statusCode, stay.body).toBe(201);
  const title = `Onderzoek${tag} Vlijmen`;
  const content = `%PDF-1.7\n% Rapport${tag}\n`;
  secrets.push(title, `Rapport${tag}`);
  const doc = await t.app.inject({
    method: 'POST',
    url: `/api/v1/registrations/${id}/documents`,
    headers: await as(AMSTERDAM),
    payload: { kind: 'self_reliance_assessment', title, contentType: 'application/pdf', content: Buffer.from(content).toString('base64') },
  });
  expect(doc.statusCode, doc.body).toBe(201);
  await closeAs(id, AMSTERDAM, reasons.withdraw);
  a = { id, bsns: [...body.household.adults, ...body.household.children].map((p) => p.bsn), birthDates: ['1987-01-23', '2014-05-17', '2019-10-09'], allocationId: override.json().id, documentId: doc.json().id };

  // Family B: housed at a receiving municipality. C: still waiting. D: closed later.
  const fb = await register(t, {}, AMSTERDAM);
  await waitForStatus(t, fb.id, 'proposed');
  const proposal = await activeAllocation(t, fb.id);
  expect((await coordinatorPost(t, `/api/v1/allocations/${proposal.id}/approve`)).statusCode).toBe(200);
  expect((await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${proposal.id}/accept`, headers: await as(proposal.municipality) })).statusCode).toBe(200);
  expect((await coordinatorPost(t, `/api/v1/registrations/${fb.id}/transfer`, { transferredOn: '2026-11-29' })).statusCode).toBe(200);
  const housed = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${fb.id}/outcome`, headers: await as(proposal.municipality), payload: { type: 'housed' } });
  expect(housed.statusCode, housed.body).toBe(200);
  b = { id: fb.id, receiver: proposal.municipality };
  c = (await register(t, {}, AMSTERDAM)).id;
  d = (await register(t, {}, AMSTERDAM)).id;
  await waitForStatus(t, c, 'proposed');
  await waitForStatus(t, d, 'proposed');
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('a municipality’s access to a closed case (MUNICIPALITY_ACCESS_AFTER_CLOSE_DAYS)', () => {
  it('reads the personal data within the window', async () => {
    clock.set(at(9));
    const detail = (await get(`/api/v1/registrations/${a.id}`, await as(AMSTERDAM))).json();
    expect(detail.personalData).toBe('available');
    expect(detail.household.adults[0].name).toContain(`Ottilie${tag}`);
    expect((await get(`/api/v1/registrations/${a.id}/documents`, await as(AMSTERDAM))).statusCode).toBe(200);
  });

  it('after it, sees the case without its personal data; the coordinator still sees everything', async () => {
    clock.set(at(11));
    const amsterdam = await as(AMSTERDAM);
    const res = await get(`/api/v1/registrations/${a.id}`, amsterdam);
    expect(res.statusCode).toBe(200);
    const detail = res.json();
    expect(detail).toMatchObject({ id: a.id, status: 'closed', outcome: 'withdrawn', personalData: 'withheld', notes: null, needs: {}, networkMunicipalities: [], excludedMunicipalities: [] });
    expect(detail.household.adults).toEqual([{ bsn: null, name: null, birthDate: null, birthYear: 1987 }]);
    expect(detail.household.children.map((p: { birthYear: number }) => p.birthYear)).toEqual([2014, 2019]);
    const history = (await get(`/api/v1/registrations/${a.id}/history`, amsterdam)).json();
    expect(history.items.map((e: { action: string }) => e.action)).toContain('closed');
    expect(history.items.every((e: { reason: string | null }) => e.reason === null)).toBe(true);
    const stays = (await get(`/api/v1/registrations/${a.id}/shelter-stays`, amsterdam)).json();
    expect(stays.items[0]).toMatchObject({ location: null, nightlyCostCents: 9_000, nights: 28 });
    const allocation = (await get(`/api/v1/allocations/${a.allocationId}`, amsterdam)).json();
    expect(allocation).toMatchObject({ reason: null, family: { needs: {}, networkMunicipalities: [] } });
    expect(allocation.explanation.constraints.removed.find((r: { reason: string }) => r.reason === 'family_exclusion')?.codes ?? []).toEqual([]);
    // The documents are nothing but personal data: they are not there for the municipality any more.
    expect((await get(`/api/v1/registrations/${a.id}/documents`, amsterdam)).statusCode).toBe(404);
    expect((await get(`/api/v1/registrations/${a.id}/documents/${a.documentId}`, amsterdam)).statusCode).toBe(404);
    expect(JSON.stringify([detail, history, stays])).not.toContain(tag);
    // Its read of the case is logged, not as a read of personal data.
    const logged = await sqlRows<{ action: string }>(t.databaseUrl, `select action from audit_events where registration_id = $1 and at = $2 order by id`, [a.id, at(11)]);
    expect(logged.map((r) => r.action)).toContain('registration.read');

    // The receiving municipality of a housed family likewise.
    expect((await get(`/api/v1/registrations/${b.id}`, await as(b.receiver))).json().personalData).toBe('withheld');
    // The coordinator answers questions and erasure requests until the retention rule applies.
    const coordinator = (await get(`/api/v1/registrations/${a.id}`, await t.auth('coordinator'))).json();
    expect(coordinator.personalData).toBe('available');
    expect(coordinator.notes).toContain(`Notitie${tag}`);
  });
});

describe('the retention rule (RETENTION_AFTER_CLOSE_DAYS)', () => {
  let before: { ledger: unknown[]; counters: unknown[]; balances: unknown[]; audit: unknown[]; stays: unknown; report: unknown };

  it('pseudonymises every closed and housed case past the period, and nothing else', async () => {
    clock.set(at(25));
    await closeAs(d, AMSTERDAM);
    clock.set(at(31));
    const coordinator = await t.auth('coordinator');
    before = {
      ledger: await sqlRows(t.databaseUrl, 'select * from ledger_movements order by seq'),
      counters: await sqlRows(t.databaseUrl, 'select * from period_counters order by period, municipality'),
      balances: await sqlRows(t.databaseUrl, 'select * from municipality_ledger order by municipality'),
      audit: await sqlRows(t.databaseUrl, 'select * from audit_events order by id'),
      stays: (await get(`/api/v1/registrations/${a.id}/shelter-stays`, coordinator)).json(),
      report: (await get('/api/v1/reports/shelter?period=2026-H2', coordinator)).json(),
    };
    expect(await t.container.services.retention.pseudonymiseDue({ sub: 'test', role: 'system', organisation: 'LCP', traceId: null })).toBe(2);
    // Idempotent: a second run (the next day's, or a retried job) finds nothing.
    expect(await t.container.services.retention.pseudonymiseDue({ sub: 'test', role: 'system', organisation: 'LCP', traceId: null })).toBe(0);

    const status = async (id: string) => (await get(`/api/v1/registrations/${id}`, coordinator)).json();
    const detailA = await status(a.id);
    expect(detailA).toMatchObject({ status: 'closed', outcome: 'withdrawn', personalData: 'erased', pseudonymisedAt: at(31), notes: null, needs: {}, networkMunicipalities: [] });
    expect(detailA.household.adults).toEqual([{ bsn: null, name: null, birthDate: null, birthYear: 1987 }]);
    expect((await status(b.id)).personalData).toBe('erased');
    expect((await status(c)).personalData).toBe('available');
    expect((await status(d)).personalData).toBe('available');
  });

  it('keeps the ledger, the counters, the shelter figures, the reports and every audit line whole', async () => {
    const coordinator = await t.auth('coordinator');
    expect(await sqlRows(t.databaseUrl, 'select * from ledger_movements order by seq')).toEqual(before.ledger);
    expect(await sqlRows(t.databaseUrl, 'select * from period_counters order by period, municipality')).toEqual(before.counters);
    expect(await sqlRows(t.databaseUrl, 'select * from municipality_ledger order by municipality')).toEqual(before.balances);
    const audit = await sqlRows<{ id: number; action: string; registration_id: string }>(t.databaseUrl, 'select * from audit_events order by id');
    expect(audit.slice(0, before.audit.length)).toEqual(before.audit);
    expect(audit.slice(before.audit.length).filter((r) => r.action === 'registration.pseudonymised').map((r) => r.registration_id).sort()).toEqual([a.id, b.id].sort());
    const stays = (await get(`/api/v1/registrations/${a.id}/shelter-stays`, coordinator)).json();
    expect(stays).toEqual({ ...(before.stays as object), items: (before.stays as { items: object[] }).items.map((s) => ({ ...s, location: null })) });
    expect((await get('/api/v1/reports/shelter?period=2026-H2', coordinator)).json()).toEqual(before.report);
    const history = (await get(`/api/v1/registrations/${a.id}/history`, coordinator)).json().items;
    expect(history.map((e: { action: string }) => e.action)).toEqual(['registered', 'proposed', 'rejected', 'proposed', 'overridden', 'accepted', 'closed', 'pseudonymised']);
    expect(history.every((e: { reason: string | null }) => e.reason === null)).toBe(true);
  });

  it('leaves a dump of the database with no ciphertext or hash that could re-identify the family, but the BSNs’ keyed hashes', async () => {
    const dump = await pgDump(t.databaseUrl);
    const lower = dump.toLowerCase();
    expect(secrets.filter((s) => lower.includes(s.toLowerCase()))).toEqual([]);
    // Every row that belongs to the case, found by any of its ids.
    const ids = [
      a.id,
      ...(await sqlRows<{ id: string }>(t.databaseUrl, `select id::text from household_members where registration_id = $1 union all select id::text from allocations where registration_id = $1 union all select id::text from shelter_stays where registration_id = $1`, [a.id])).map((r) => r.id),
    ];
    const lines = dump.split('\n').filter((line) => ids.some((id) => line.includes(id)));
    expect(lines.length).toBeGreaterThan(20);
    const hmacs = new Set((await sqlRows<{ h: string }>(t.databaseUrl, 'select bsn_hmac as h from household_members where registration_id = $1', [a.id])).map((r) => r.h));
    expect(hmacs.size).toBe(3);
    for (const line of lines) {
      expect(line, 'a ciphertext').not.toMatch(/\bv[0-9]+\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+\./);
      // A keyed hash (HMAC-SHA-256, base64url) is 43 characters; only the BSNs' may remain.
      const hashes = (line.match(/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g) ?? []).filter((h) => /[0-9]/.test(h) && /[A-Za-z]/.test(h));
      expect(hashes.filter((h) => !hmacs.has(h)), line.slice(0, 200)).toEqual([]);
    }
    for (const table of ['registration_documents', 'idempotency_keys', 'active_bsn_claims']) {
      expect(await sqlRows(t.databaseUrl, `select 1 from ${table} where registration_id = $1`, [a.id]), table).toEqual([]);
    }
    // The allocation explanations no longer say where the family must not go or has its network.
    const explanations = await sqlRows<{ explanation: { constraints: { removed: { reason: string; codes: string[] }[] }; network: unknown } }>(t.databaseUrl, 'select explanation from allocations where registration_id = $1', [a.id]);
    for (const { explanation } of explanations) {
      expect(explanation.constraints.removed.find((r) => r.reason === 'family_exclusion')?.codes ?? []).toEqual([]);
      expect(explanation.network ?? null).toBeNull();
    }
  });

  it('still links a later registration of the same family through the BSN’s keyed hash', async () => {
    const again = familyBody({ reportedOn: '2026-12-30', household: { adults: [{ bsn: a.bsns[0]!, name: 'Ottilie Opnieuw', birthDate: '1987-01-23' }], children: [{ bsn: a.bsns[1]!, name: 'Pieter Opnieuw', birthDate: '2014-05-17' }] } });
    again.eligibility.selfRelianceAssessment.assessedOn = '2026-12-29';
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await as(AMSTERDAM), payload: again });
    expect(res.statusCode, res.body).toBe(202);
    const linked = await sqlRows<{ registration_id: string }>(
      t.databaseUrl,
      'select distinct m2.registration_id::text from household_members m1 join household_members m2 on m2.bsn_hmac = m1.bsn_hmac where m1.registration_id = $1 and m2.registration_id <> $1',
      [res.json().id],
    );
    expect(linked.map((r) => r.registration_id)).toEqual([a.id]);
  });

  it('runs by itself in embedded mode: the in-process driver runs the daily job at start', async () => {
    clock.set(at(60));
    const config = loadConfig(t.env);
    const container = await createContainer({ config, logger: createLogger('silent'), clock });
    const runner = await startWorker(container);
    try {
      expect(container.jobs.kind).toBe('in-process');
      await waitFor(async () => ((await sqlRows(t.databaseUrl, 'select 1 from registrations where id = $1 and pseudonymised_at is not null', [d])).length === 1 ? true : undefined), 'case D to be pseudonymised', 20_000);
    } finally {
      await runner.close();
      await container.close();
    }
    expect((await sqlRows(t.databaseUrl, 'select 1 from registrations where id = $1 and pseudonymised_at is not null', [c])).length).toBe(0);
  });
});

describe('erasure on request (POST /registrations/{id}/erasure)', () => {
  it('erases a closed case at once, on a ground, for the coordinator only, once', async () => {
    const coordinator = await t.auth('coordinator');
    const erase = (id: string, headers: Record<string, string>, payload: object = { reason: 'data_subject_request', reference: 'AVG-2027/3' }) =>
      t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/erasure`, headers, payload });
    const open = await erase(c, coordinator);
    expect(open.statusCode).toBe(409);
    expect(open.json().code).toBe('illegal_transition');
    await closeAs(c, AMSTERDAM, `Sluiting${tag}`);
    expect((await erase(c, await as(AMSTERDAM))).statusCode).toBe(403);
    expect((await erase(c, coordinator, { reason: 'because I say so' })).statusCode).toBe(400);
    expect((await erase(c, coordinator, { reason: 'data_subject_request', reference: 'Ottilie Vlijmen' })).statusCode).toBe(400);

    const done = await erase(c, coordinator);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toEqual({ registrationId: c, pseudonymisedAt: clock.now().toISOString(), reason: 'data_subject_request' });
    const detail = (await get(`/api/v1/registrations/${c}`, coordinator)).json();
    expect(detail.personalData).toBe('erased');
    expect(detail.household.adults[0]).toMatchObject({ bsn: null, name: null, birthDate: null });
    const history = (await get(`/api/v1/registrations/${c}/history`, coordinator)).json().items;
    expect(history.at(-1)).toMatchObject({ action: 'erased', reason: null, actor: { role: 'coordinator' } });
    const audit = await sqlRows<{ detail: unknown }>(t.databaseUrl, `select detail from audit_events where registration_id = $1 and action = 'registration.erased'`, [c]);
    expect(audit).toEqual([{ detail: { ground: 'data_subject_request', reference: 'AVG-2027/3' } }]);
    expect((await erase(c, coordinator)).statusCode).toBe(409);
    expect(JSON.stringify(await pgDump(t.databaseUrl))).not.toContain(`Sluiting${tag}`);
  });
});
