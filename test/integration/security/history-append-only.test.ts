// History tables are append-only in the database, like the audit log and the ledger (issue 14 item
// 6): registration_events, duplicate_attempts and period_settlements refuse UPDATE, DELETE and
// TRUNCATE. The one change allowed is erasing a pseudonymised case's reasons (or re-encrypting them
// under another key, for rotate-keys).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody } from '../../support/families.js';

const clock = fixedClock('2026-11-30T10:00:00Z');
let t: TestApp;
let c: pg.Client;
let id: string;

const sqlError = async (sql: string, values: unknown[] = []) => c.query(sql, values).then(() => 'accepted', (e: { code?: string }) => e.code ?? 'error');

beforeAll(async () => {
  t = await startTestApp({ clock });
  c = new pg.Client({ connectionString: t.databaseUrl });
  await c.connect();
  const municipality = await t.auth('municipality', { municipality: 'GM0363' });
  const body = familyBody();
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: municipality, payload: body });
  expect(res.statusCode).toBe(202);
  id = res.json().id;
  // A duplicate attempt from another municipality, a closing with a reason, a closed period.
  expect((await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await t.auth('municipality', { municipality: 'GM0599' }), payload: { ...body, reportingMunicipality: 'GM0599' } })).statusCode).toBe(409);
  expect((await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/outcome`, headers: municipality, payload: { type: 'withdrawn', reason: 'Gezin gaat terug naar Bonaire' } })).statusCode).toBe(200);
  expect((await t.app.inject({ method: 'POST', url: '/api/v1/distribution/periods/2026-H2/close?force=true', headers: await t.auth('coordinator') })).statusCode).toBe(200);
});
afterAll(async () => {
  await c?.end();
  await t?.close();
});

describe('append-only history', () => {
  it.each([
    ['registration_events', `update registration_events set action = 'forged'`],
    ['registration_events', `update registration_events set at = now()`],
    ['registration_events', `delete from registration_events`],
    ['registration_events', `truncate registration_events cascade`],
    ['duplicate_attempts', `update duplicate_attempts set attempted_by = 'GM0014'`],
    ['duplicate_attempts', `delete from duplicate_attempts`],
    ['duplicate_attempts', `truncate duplicate_attempts`],
    ['period_settlements', `update period_settlements set balance = '0/1'`],
    ['period_settlements', `delete from period_settlements`],
    ['period_settlements', `truncate period_settlements`],
  ])('%s: refuses %s', async (table, sql) => {
    const before = (await c.query(`select count(*)::int as n from ${table}`)).rows[0].n as number;
    expect(before).toBeGreaterThan(0);
    expect(await sqlError(sql)).toBe('42501');
    expect((await c.query(`select count(*)::int as n from ${table}`)).rows[0].n).toBe(before);
  });

  it('refuses to erase or swap a reason while the case is not pseudonymised', async () => {
    const { rows } = await c.query<{ id: string; reason_ciphertext: string }>(`select id, reason_ciphertext from registration_events where registration_id = $1 and reason_ciphertext is not null`, [id]);
    expect(rows).toHaveLength(1);
    const [event] = rows;
    expect(await sqlError('update registration_events set reason_ciphertext = null where id = $1', [event!.id])).toBe('42501');
    // Another value under the same key (a replay of another ciphertext) is not a key rotation.
    const sameKey = event!.reason_ciphertext.split('.').slice(0, 2).join('.') + '.AAAA.BBBB.CCCC';
    expect(await sqlError('update registration_events set reason_ciphertext = $1 where id = $2', [sameKey, event!.id])).toBe('42501');
  });

  it('lets the erasure of a pseudonymised case set its reasons to NULL, and nothing else', async () => {
    const erased = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/erasure`, headers: await t.auth('coordinator'), payload: { reason: 'registered_in_error' } });
    expect(erased.statusCode, erased.body).toBe(200);
    const { rows } = await c.query(`select count(*)::int as n from registration_events where registration_id = $1 and reason_ciphertext is not null`, [id]);
    expect(rows[0].n).toBe(0);
    // Even now the rest of the history stays as it was.
    expect(await sqlError(`update registration_events set action = 'forged' where registration_id = $1`, [id])).toBe('42501');
    expect(await sqlError(`delete from registration_events where registration_id = $1`, [id])).toBe('42501');
  });
});
