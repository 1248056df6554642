// The whole life of a registration through HTTP, on real PostgreSQL and Redis/BullMQ, with the
// worker as a separate process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestApp, type TestApp } from '../../support/harness.js';
import { spawnEntry, type Proc } from '../../support/processes.js';
import { activeAllocation, coordinatorPost, register, registrationAs, waitForStatus } from '../../support/workflow.js';
import { asShown } from '../../support/families.js';

let t: TestApp;
let worker: Proc;
beforeAll(async () => {
  t = await startTestApp({ redis: true, relay: true });
  worker = spawnEntry('src/worker.ts', t.env);
});
afterAll(async () => {
  expect(await worker?.stop()).toBe(0);
  await t?.close();
});

const asMunicipality = (code: string) => t.auth('municipality', { municipality: code });

async function ledgerTotals() {
  const c = new pg.Client({ connectionString: t.databaseUrl });
  await c.connect();
  try {
    const a = await c.query(`select coalesce(sum(allocated),0)::int as a from municipality_ledger`);
    const units = await c.query(`select coalesce(sum(units),0)::int as u from period_key_units`);
    const moves = await c.query(`select coalesce(sum(units) filter (where kind in ('allocation','release')),0)::int as a from ledger_movements`);
    return { allocated: a.rows[0].a as number, accruedUnits: units.rows[0].u as number, movementUnits: moves.rows[0].a as number };
  } finally {
    await c.end();
  }
}

describe('the life of a registration', () => {
  it('goes queued → proposed → approved → accepted → transferred → housed, with every step in the history', async () => {
    const { id, body } = await register(t);
    await waitForStatus(t, id, 'proposed');
    const proposal = await activeAllocation(t, id);
    expect(proposal.status).toBe('proposed');
    expect(proposal.municipality).not.toBe('GM0363'); // the reporting municipality is excluded
    expect(proposal.explanation).toMatchObject({ keyVersion: 1, chosen: { code: proposal.municipality } });
    expect(proposal.explanation.runnersUp.length).toBeGreaterThan(0);
    expect(proposal.explanation.constraints.removed).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'reporting_municipality', codes: ['GM0363'] })]));
    const receiver = proposal.municipality as string;

    // Before approval the receiving municipality does not see the family at all.
    expect((await registrationAs(t, id, await asMunicipality(receiver))).statusCode).toBe(404);

    const approved = await coordinatorPost(t, `/api/v1/allocations/${proposal.id}/approve`);
    expect(approved.statusCode).toBe(200);
    expect(approved.json().status).toBe('approved');

    const seen = await registrationAs(t, id, await asMunicipality(receiver));
    expect(seen.statusCode).toBe(200);
    expect(seen.json().household.adults[0]).toEqual(asShown(body.household).adults[0]);
    expect(seen.json().receivingMunicipality).toBe(receiver);

    // Another municipality cannot accept it; it does not even see it.
    const other = receiver === 'GM0599' ? 'GM0344' : 'GM0599';
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${proposal.id}/accept`, headers: await asMunicipality(other) })).statusCode).toBe(404);

    const accepted = await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${proposal.id}/accept`, headers: await asMunicipality(receiver) });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().status).toBe('accepted');

    const transferred = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/transfer`, headers: await asMunicipality('GM0363'), payload: { transferredOn: '2026-11-20' } });
    expect(transferred.statusCode, transferred.body).toBe(200);
    expect(transferred.json().status).toBe('transferred');

    const housed = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/outcome`, headers: await asMunicipality(receiver), payload: { type: 'housed' } });
    expect(housed.statusCode).toBe(200);
    expect(housed.json()).toMatchObject({ status: 'housed', outcome: 'housed' });

    const history = await t.app.inject({ url: `/api/v1/registrations/${id}/history`, headers: await t.auth('coordinator') });
    expect(history.json().items.map((e: { action: string; toStatus: string }) => `${e.action}:${e.toStatus}`)).toEqual([
      'registered:queued', 'proposed:proposed', 'approved:approved', 'accepted:accepted', 'transferred:transferred', 'housed:housed',
    ]);
    expect(history.json().items[0].actor).toMatchObject({ role: 'municipality', municipality: 'GM0363' });
    expect(history.json().items[1].actor).toMatchObject({ role: 'system' });
    expect(history.json().items[3].actor).toMatchObject({ role: 'municipality', municipality: receiver });
  });

  it('after a rejection proposes again, never to a municipality already rejected for this family', async () => {
    const { id } = await register(t);
    await waitForStatus(t, id, 'proposed');
    const rejected: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await activeAllocation(t, id);
      expect(rejected).not.toContain(p.municipality);
      const noReason = await coordinatorPost(t, `/api/v1/allocations/${p.id}/reject`, {});
      expect(noReason.statusCode).toBe(400);
      const res = await coordinatorPost(t, `/api/v1/allocations/${p.id}/reject`, { reason: 'Geen passende school voor het jongste kind.' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'rejected', reason: 'Geen passende school voor het jongste kind.' });
      rejected.push(p.municipality);
      await waitForStatus(t, id, 'proposed');
    }
    const last = await activeAllocation(t, id);
    expect(rejected).not.toContain(last.municipality);
    const removed = last.explanation.constraints.removed.find((r: { reason: string }) => r.reason === 'rejected_before');
    expect([...removed.codes].sort()).toEqual([...rejected].sort());
    // Rejected allocations are history, not active: the ledger holds exactly one unit for this family.
    const again = await coordinatorPost(t, `/api/v1/allocations/${last.id}/approve`);
    expect(again.statusCode).toBe(200);
  });

  it('a decline sends the family back to the coordinator, who overrides to a named municipality', async () => {
    const { id } = await register(t);
    await waitForStatus(t, id, 'proposed');
    const p = await activeAllocation(t, id);
    await coordinatorPost(t, `/api/v1/allocations/${p.id}/approve`);
    const noReason = await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${p.id}/decline`, headers: await asMunicipality(p.municipality), payload: {} });
    expect(noReason.statusCode).toBe(400);
    const declined = await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${p.id}/decline`, headers: await asMunicipality(p.municipality), payload: { reason: 'Geen woning met vier slaapkamers beschikbaar.' } });
    expect(declined.statusCode).toBe(200);
    expect((await registrationAs(t, id)).json()).toMatchObject({ status: 'needs_attention', receivingMunicipality: null });
    // The declining municipality no longer sees the family.
    expect((await registrationAs(t, id, await asMunicipality(p.municipality))).statusCode).toBe(404);

    const target = p.municipality === 'GM0344' ? 'GM0599' : 'GM0344';
    const missingReason = await coordinatorPost(t, `/api/v1/registrations/${id}/allocations`, { municipality: target });
    expect(missingReason.statusCode).toBe(400);
    const override = await coordinatorPost(t, `/api/v1/registrations/${id}/allocations`, { municipality: target, reason: 'Familie heeft een tante in deze gemeente.' });
    expect(override.statusCode).toBe(201);
    expect(override.headers.location).toBe(`/api/v1/allocations/${override.json().id}`);
    expect(override.json()).toMatchObject({ municipality: target, status: 'approved', kind: 'override' });
    expect((await registrationAs(t, id)).json()).toMatchObject({ status: 'approved', receivingMunicipality: target });
  });

  it('a coordinator can send a registration that needs attention back for a new proposal', async () => {
    const { id } = await register(t);
    await waitForStatus(t, id, 'proposed');
    const p = await activeAllocation(t, id);
    await coordinatorPost(t, `/api/v1/allocations/${p.id}/approve`);
    await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${p.id}/decline`, headers: await asMunicipality(p.municipality), payload: { reason: 'Geen plek.' } });
    const again = await coordinatorPost(t, `/api/v1/registrations/${id}/reproposal`, { reason: 'Opnieuw voorstellen.' });
    expect(again.statusCode).toBe(200);
    await waitForStatus(t, id, 'proposed');
    const next = await activeAllocation(t, id);
    expect(next.municipality).not.toBe(p.municipality);
    expect(next.explanation.constraints.removed.find((r: { reason: string }) => r.reason === 'declined_before').codes).toEqual([p.municipality]);
  });

  it('closing before transfer releases the ledger: the unit leaves A and the shares leave E', async () => {
    const before = await ledgerTotals();
    const { id } = await register(t);
    await waitForStatus(t, id, 'proposed');
    const during = await ledgerTotals();
    expect(during.allocated).toBe(before.allocated + 1);
    expect(during.accruedUnits).toBe(before.accruedUnits + 1);
    const closed = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/outcome`, headers: await asMunicipality('GM0363'), payload: { type: 'returned_abroad', reason: 'Terug naar Curaçao.' } });
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed', outcome: 'returned_abroad' });
    const after = await ledgerTotals();
    expect(after).toEqual(before);
    // The household may register again now that the registration is closed.
  });

  it('answers 409 problem+json to every illegal transition', async () => {
    const { id } = await register(t);
    await waitForStatus(t, id, 'proposed');
    const p = await activeAllocation(t, id);
    const expect409 = async (res: { statusCode: number; json(): any }) => {
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('illegal_transition');
    };
    await expect409(await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/transfer`, headers: await asMunicipality('GM0363'), payload: { transferredOn: '2026-11-20' } }));
    await expect409(await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/outcome`, headers: await asMunicipality('GM0363'), payload: { type: 'housed' } }));
    await expect409(await coordinatorPost(t, `/api/v1/registrations/${id}/reproposal`, {}));
    await coordinatorPost(t, `/api/v1/allocations/${p.id}/approve`);
    await expect409(await coordinatorPost(t, `/api/v1/allocations/${p.id}/approve`));
    await expect409(await coordinatorPost(t, `/api/v1/allocations/${p.id}/reject`, { reason: 'Te laat.' }));
    await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${p.id}/accept`, headers: await asMunicipality(p.municipality) });
    await expect409(await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${p.id}/accept`, headers: await asMunicipality(p.municipality) }));
    await expect409(await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${p.id}/decline`, headers: await asMunicipality(p.municipality), payload: { reason: 'Toch niet.' } }));
    await expect409(await coordinatorPost(t, `/api/v1/registrations/${id}/allocations`, { municipality: 'GM0344', reason: 'Te laat voor override.' }));
    await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/outcome`, headers: await asMunicipality('GM0363'), payload: { type: 'withdrawn' } });
    await expect409(await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/outcome`, headers: await asMunicipality('GM0363'), payload: { type: 'withdrawn' } }));
  });
});

describe('the ledger', () => {
  it('is append-only: the database refuses UPDATE, DELETE and TRUNCATE on its movements', async () => {
    const c = new pg.Client({ connectionString: t.databaseUrl });
    await c.connect();
    try {
      for (const statement of ['update ledger_movements set units = 0', 'delete from ledger_movements', 'truncate ledger_movements']) {
        await expect(c.query(statement)).rejects.toThrow(/append-only/);
      }
    } finally {
      await c.end();
    }
  });
});
