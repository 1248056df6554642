// Personal data at rest (DESIGN §8): a dump of the database holds no BSN, name, note, reason or
// shelter location in plaintext, and scripts/rotate-keys.ts moves every ciphertext to a new key
// (after which the old key is no longer needed) and, with --hmac, every BSN hash to a new HMAC key.
import { execFile } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { createContainer, type Container } from '../../../src/container.js';
import { createLogger } from '../../../src/logger.js';
import { keyId } from '../../../src/modules/pii/pii-crypto.js';
import { fixedClock, pgDump as dumpOf, startTestApp, TEST_PII_KEY, type TestApp } from '../../support/harness.js';
import { asShown, familyBody, nextBsn } from '../../support/families.js';
import { ROOT } from '../../support/processes.js';
import { activeAllocation, coordinatorPost, waitForStatus } from '../../support/workflow.js';

const run = promisify(execFile);
const clock = fixedClock('2026-11-30T10:00:00Z');
const OLD_KEY = TEST_PII_KEY;
const NEW_KEY = randomBytes(32).toString('base64');
const NEW_HMAC_KEY = randomBytes(32).toString('base64');
/** Every encrypted column the design names; the script finds them (and any new one) itself. */
const CIPHERTEXT_COLUMNS = [
  'allocations.reason_ciphertext',
  'household_members.bsn_ciphertext',
  'household_members.name_ciphertext',
  'registration_events.reason_ciphertext',
  'registrations.notes_ciphertext',
  'shelter_stays.location_ciphertext',
  'registration_documents.title_ciphertext',
  'registration_documents.content_ciphertext',
];

let t: TestApp;
let db: pg.Client;
const tag = randomBytes(3).toString('hex');
/** Everything that must never appear readable in the database. */
const secrets: string[] = [];
const families: { id: string; body: ReturnType<typeof familyBody> }[] = [];
let reasons: Record<'reject' | 'decline' | 'override' | 'withdraw', string>;
let location: string;

function person(first: string, last: string, birthDate: string) {
  const p = { bsn: nextBsn(), name: `${first}${tag} ${last}${tag}`, birthDate };
  secrets.push(p.bsn, p.name, `${first}${tag}`, `${last}${tag}`);
  return p;
}

async function registerFamily(i: number, withNotes: boolean) {
  const notes = `Notitie${tag}-${i}: vader werkt bij de haven van Willemstad, kinderen op school`;
  const body = familyBody({
    household: { adults: [person('Quirina', `Zeldenrust${i}`, '1988-03-14')], children: [person('Ximeno', `Zeldenrust${i}`, '2016-09-01'), person('Yfke', `Zeldenrust${i}`, '2019-12-24')] },
    ...(withNotes ? { notes } : { notes: undefined }),
  });
  if (withNotes) secrets.push(notes);
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await t.auth('municipality', { municipality: 'GM0363' }), payload: body });
  expect(res.statusCode, res.body).toBe(202);
  families.push({ id: res.json().id, body });
  return res.json().id as string;
}

const pgDump = () => dumpOf(t.databaseUrl);

async function rotateKeys(env: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(`${ROOT}node_modules/.bin/tsx`, ['scripts/rotate-keys.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...t.env, ...env } as NodeJS.ProcessEnv,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function ciphertextCounts(): Promise<Record<string, { total: number; byKey: Record<string, number> }>> {
  const out: Record<string, { total: number; byKey: Record<string, number> }> = {};
  for (const name of CIPHERTEXT_COLUMNS) {
    const [table, column] = name.split('.');
    const { rows } = await db.query<{ kid: string; n: number }>(`select split_part(${column}, '.', 2) as kid, count(*)::int as n from ${table} where ${column} is not null group by 1`);
    out[name] = { total: rows.reduce((s, r) => s + r.n, 0), byKey: Object.fromEntries(rows.map((r) => [r.kid, r.n])) };
  }
  return out;
}

/** An api on the same database with other keys (as after a redeploy), inject only. */
async function appWith(env: Record<string, string>): Promise<{ app: FastifyInstance; container: Container; close(): Promise<void> }> {
  const config = loadConfig({ ...t.env, ...env });
  const container = await createContainer({ config, logger: createLogger(config.logLevel), clock });
  const app = await buildApp(container);
  await app.ready();
  return { app, container, close: async () => { await app.close(); await container.close(); } };
}

beforeAll(async () => {
  t = await startTestApp({ clock, relay: true, worker: true });
  db = new pg.Client({ connectionString: t.databaseUrl });
  await db.connect();
  reasons = {
    reject: `Afwijzing${tag}: gemeente heeft geen grote woningen`,
    decline: `Weigering${tag}: school voor speciaal onderwijs ontbreekt`,
    override: `Toewijzing${tag}: grootmoeder woont in Rotterdam-Zuid`,
    withdraw: `Intrekking${tag}: gezin keert terug naar Bonaire`,
  };
  location = `Vakantiepark De Wilgen${tag}, chalet 17, Zeewolde`;
  secrets.push(...Object.values(reasons), location);

  // Family 1: rejected once, approved, declined, overridden to Rotterdam, accepted; sheltered.
  const f1 = await registerFamily(1, true);
  await waitForStatus(t, f1, 'proposed');
  expect((await coordinatorPost(t, `/api/v1/allocations/${(await activeAllocation(t, f1)).id}/reject`, { reason: reasons.reject })).statusCode).toBe(200);
  await waitForStatus(t, f1, 'proposed');
  const second = await activeAllocation(t, f1);
  expect((await coordinatorPost(t, `/api/v1/allocations/${second.id}/approve`)).statusCode).toBe(200);
  const declined = await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${second.id}/decline`, headers: await t.auth('municipality', { municipality: second.municipality }), payload: { reason: reasons.decline } });
  expect(declined.statusCode, declined.body).toBe(200);
  const override = await coordinatorPost(t, `/api/v1/registrations/${f1}/allocations`, { municipality: 'GM0599', reason: reasons.override });
  expect(override.statusCode, override.body).toBe(201);
  expect((await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${override.json().id}/accept`, headers: await t.auth('municipality', { municipality: 'GM0599' }) })).statusCode).toBe(200);
  const stay = await t.app.inject({
    method: 'POST',
    url: `/api/v1/registrations/${f1}/shelter-stays`,
    headers: await t.auth('municipality', { municipality: 'GM0363' }),
    payload: { type: 'holiday_park', startDate: '2026-11-02', nightlyCostCents: 8900, location },
  });
  expect(stay.statusCode, stay.body).toBe(201);
  // A case document: its title and its content are personal data too.
  const title = `Zelfredzaamheidsonderzoek${tag} Zeldenrust1`;
  const content = `%PDF-1.7\n% Rapport${tag}: moeder heeft schulden bij de Belastingdienst\n`;
  secrets.push(title, `Rapport${tag}`, Buffer.from(content).toString('base64').slice(12, 60));
  const doc = await t.app.inject({
    method: 'POST',
    url: `/api/v1/registrations/${f1}/documents`,
    headers: await t.auth('municipality', { municipality: 'GM0363' }),
    payload: { kind: 'self_reliance_assessment', title, contentType: 'application/pdf', content: Buffer.from(content).toString('base64') },
  });
  expect(doc.statusCode, doc.body).toBe(201);

  // Family 2: withdrawn with a reason. Family 3: no notes, still waiting.
  const f2 = await registerFamily(2, true);
  await waitForStatus(t, f2, 'proposed');
  const closed = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${f2}/outcome`, headers: await t.auth('municipality', { municipality: 'GM0363' }), payload: { type: 'withdrawn', reason: reasons.withdraw } });
  expect(closed.statusCode, closed.body).toBe(200);
  const f3 = await registerFamily(3, false);
  await waitForStatus(t, f3, 'proposed');
});
afterAll(async () => {
  await db?.end();
  await t?.close();
});

describe('a dump of the database', () => {
  it('holds no BSN, name, note, reason or shelter location in plaintext, nor an unkeyed hash of a BSN', async () => {
    const dump = await pgDump();
    expect(dump).toContain('COPY public.household_members');
    const lower = dump.toLowerCase();
    const found = secrets.filter((s) => lower.includes(s.toLowerCase()));
    expect(found).toEqual([]);
    // Not even an unkeyed hash: a BSN has only 10^9 values, so SHA-256(BSN) would be a lookup away.
    const bsns = families.flatMap((f) => [...f.body.household.adults, ...f.body.household.children].map((p) => p.bsn));
    for (const bsn of bsns) {
      for (const digest of [createHash('sha256').update(bsn).digest('hex'), createHash('sha256').update(bsn).digest('base64url'), createHash('sha256').update(`bsn:${bsn}`).digest('base64url')]) {
        expect(dump).not.toContain(digest);
      }
    }
    // What is there instead: ciphertexts under the current key, one per value.
    const counts = await ciphertextCounts();
    const kid = keyId(Buffer.from(OLD_KEY, 'base64'));
    expect(counts['household_members.bsn_ciphertext']).toEqual({ total: 9, byKey: { [kid]: 9 } });
    expect(counts['household_members.name_ciphertext']).toEqual({ total: 9, byKey: { [kid]: 9 } });
    expect(counts['registrations.notes_ciphertext']!.total).toBe(2);
    expect(counts['shelter_stays.location_ciphertext']!.total).toBe(1);
    expect(counts['allocations.reason_ciphertext']!.total).toBeGreaterThanOrEqual(3);
    expect(counts['registration_events.reason_ciphertext']!.total).toBeGreaterThanOrEqual(4);
  });
});

describe('ciphertexts bound to their row and field (hostile review, finding 9)', () => {
  const member = async (registrationId: string, role: 'adult' | 'child', position: number) =>
    (await db.query<{ id: string; bsn_ciphertext: string; name_ciphertext: string }>(
      'select id, bsn_ciphertext, name_ciphertext from household_members where registration_id = $1 and role = $2 and position = $3',
      [registrationId, role, position],
    )).rows[0]!;

  it('a ciphertext copied into another row or field does not decrypt there: the read fails, revealing nothing', async () => {
    const [f1, , f3] = families;
    const victim = await member(f3!.id, 'adult', 0);
    const source = await member(f1!.id, 'adult', 0);
    const headers = await t.auth('coordinator');
    const swaps: Array<[string, string, string]> = [
      ['another family\'s BSN into this row', 'bsn_ciphertext', source.bsn_ciphertext],
      ['this row\'s own BSN into its name field', 'name_ciphertext', victim.bsn_ciphertext],
      ['a child\'s name of the same family', 'name_ciphertext', (await member(f3!.id, 'child', 0)).name_ciphertext],
    ];
    try {
      for (const [what, column, value] of swaps) {
        await db.query(`update household_members set ${column} = $1 where id = $2`, [value, victim.id]);
        const res = await t.app.inject({ url: `/api/v1/registrations/${f3!.id}`, headers });
        expect(res.statusCode, what).toBe(500);
        expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
        const shown = secrets.filter((x) => res.body.toLowerCase().includes(x.toLowerCase()));
        expect(shown, what).toEqual([]);
        await db.query('update household_members set bsn_ciphertext = $1, name_ciphertext = $2 where id = $3', [victim.bsn_ciphertext, victim.name_ciphertext, victim.id]);
      }
    } finally {
      await db.query('update household_members set bsn_ciphertext = $1, name_ciphertext = $2 where id = $3', [victim.bsn_ciphertext, victim.name_ciphertext, victim.id]);
    }
    expect((await t.app.inject({ url: `/api/v1/registrations/${f3!.id}`, headers })).statusCode).toBe(200);
  });

  it('an allocation reason moved to another allocation does not decrypt there', async () => {
    const { rows } = await db.query<{ id: string; reason_ciphertext: string | null }>('select id, reason_ciphertext from allocations order by created_at');
    const withReason = rows.find((r) => r.reason_ciphertext !== null)!;
    const other = rows.find((r) => r.id !== withReason.id)!;
    try {
      await db.query('update allocations set reason_ciphertext = $1 where id = $2', [withReason.reason_ciphertext, other.id]);
      const res = await t.app.inject({ url: `/api/v1/allocations/${other.id}`, headers: await t.auth('coordinator') });
      expect(res.statusCode).toBe(500);
      expect(Object.values(reasons).some((r) => res.body.includes(r))).toBe(false);
    } finally {
      await db.query('update allocations set reason_ciphertext = $1 where id = $2', [other.reason_ciphertext, other.id]);
    }
  });

  it('a value of the older unbound format (v1) is not read by the service until rotate-keys rewrites it bound', async () => {
    // What a version before the binding wrote for family 2's notes: GCM without additional data.
    const f2 = families[1]!;
    const key = Buffer.from(OLD_KEY, 'base64');
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    const ct = Buffer.concat([cipher.update(f2.body.notes!, 'utf8'), cipher.final()]);
    const v1 = ['v1', keyId(key), nonce.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    await db.query('update registrations set notes_ciphertext = $1 where id = $2', [v1, f2.id]);
    const res = await t.app.inject({ url: `/api/v1/registrations/${f2.id}`, headers: await t.auth('coordinator') });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain(f2.body.notes!);
    // The rotation below rewrites it (its test reads every family's notes back afterwards).
  });
});

describe('scripts/rotate-keys.ts', () => {
  let fresh: Awaited<ReturnType<typeof appWith>>;
  afterAll(async () => {
    await fresh?.close();
  });

  const readAll = async (app: FastifyInstance) => {
    const headers = await t.auth('coordinator');
    const out = [];
    for (const f of families) {
      const detail = await app.inject({ url: `/api/v1/registrations/${f.id}`, headers });
      const history = await app.inject({ url: `/api/v1/registrations/${f.id}/history`, headers });
      const stays = await app.inject({ url: `/api/v1/registrations/${f.id}/shelter-stays`, headers });
      const allocations = await app.inject({ url: '/api/v1/allocations?pageSize=200', headers });
      out.push({ detail, history, stays, allocations });
    }
    return out;
  };

  it('before the rotation an api with only the new key cannot read what the old key wrote', async () => {
    fresh = await appWith({ PII_ENCRYPTION_KEY: NEW_KEY, PII_ENCRYPTION_PREVIOUS_KEYS: '' });
    const res = await fresh.app.inject({ url: `/api/v1/registrations/${families[0]!.id}`, headers: await t.auth('coordinator') });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain(keyId(Buffer.from(OLD_KEY, 'base64')));
  });

  it('counts without writing in a dry run', async () => {
    const before = await ciphertextCounts();
    const out = await rotateKeys({ PII_ENCRYPTION_KEY: NEW_KEY, PII_ENCRYPTION_PREVIOUS_KEYS: OLD_KEY }, ['--dry-run', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const report = JSON.parse(out.stdout);
    expect(report.dryRun).toBe(true);
    expect(report.columns['household_members.bsn_ciphertext']).toEqual({ found: 9, reencrypted: 0, remaining: 9 });
    expect(await ciphertextCounts()).toEqual(before);
  });

  it('fails loudly, writing nothing, when a key that wrote some value is not configured', async () => {
    const before = await ciphertextCounts();
    const out = await rotateKeys({ PII_ENCRYPTION_KEY: NEW_KEY, PII_ENCRYPTION_PREVIOUS_KEYS: '' }, ['--json']);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`no key with id ${keyId(Buffer.from(OLD_KEY, 'base64'))}`);
    expect(await ciphertextCounts()).toEqual(before);
  });

  it('re-encrypts every ciphertext column in batches, is idempotent, and then the old key is no longer needed', async () => {
    const before = await ciphertextCounts();
    const out = await rotateKeys({ PII_ENCRYPTION_KEY: NEW_KEY, PII_ENCRYPTION_PREVIOUS_KEYS: OLD_KEY }, ['--batch-size', '2', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const report = JSON.parse(out.stdout) as { keyId: string; columns: Record<string, { found: number; reencrypted: number; remaining: number }>; remaining: number };
    const newKid = keyId(Buffer.from(NEW_KEY, 'base64'));
    expect(report.keyId).toBe(newKid);
    expect(Object.keys(report.columns)).toEqual(expect.arrayContaining(CIPHERTEXT_COLUMNS));
    for (const name of CIPHERTEXT_COLUMNS) {
      expect(report.columns[name], name).toEqual({ found: before[name]!.total, reencrypted: before[name]!.total, remaining: 0 });
    }
    expect(report.remaining).toBe(0);
    const after = await ciphertextCounts();
    for (const name of CIPHERTEXT_COLUMNS) expect(after[name], name).toEqual({ total: before[name]!.total, byKey: before[name]!.total ? { [newKid]: before[name]!.total } : {} });

    // Idempotent: a second run finds nothing to do.
    const again = await rotateKeys({ PII_ENCRYPTION_KEY: NEW_KEY, PII_ENCRYPTION_PREVIOUS_KEYS: OLD_KEY }, ['--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(Object.values(JSON.parse(again.stdout).columns).every((c) => (c as { found: number }).found === 0)).toBe(true);
    // The human-readable form says what was done.
    const text = await rotateKeys({ PII_ENCRYPTION_KEY: NEW_KEY, PII_ENCRYPTION_PREVIOUS_KEYS: OLD_KEY }, []);
    expect(text.stdout).toMatch(/household_members\.bsn_ciphertext\s+0 under an older key/);
    expect(text.stdout).toMatch(/no longer needed/);

    // The api with only the new key (no PII_ENCRYPTION_PREVIOUS_KEYS) reads everything back.
    const views = await readAll(fresh.app);
    for (const [i, f] of families.entries()) {
      const { detail, history, stays } = views[i]!;
      expect(detail.statusCode, detail.body).toBe(200);
      expect(detail.json().household).toEqual(asShown(f.body.household));
      expect(detail.json().notes).toBe(f.body.notes ?? null);
      expect(history.statusCode).toBe(200);
      expect(stays.statusCode).toBe(200);
    }
    const historyText = views.map((v) => v.history.body).join('\n');
    for (const reason of Object.values(reasons)) expect(historyText).toContain(reason);
    expect(views[0]!.stays.json().items[0].location).toBe(location);
    const allocationReasons = views[0]!.allocations.json().items.map((a: { reason: string | null }) => a.reason);
    expect(allocationReasons).toEqual(expect.arrayContaining([reasons.reject, reasons.override]));
    // And the dump is still clean.
    const dump = (await pgDump()).toLowerCase();
    expect(secrets.filter((s) => dump.includes(s.toLowerCase()))).toEqual([]);
  });

  it('with --hmac re-hashes every BSN with the new HMAC key; duplicate detection keeps working', async () => {
    const hashesBefore = (await db.query<{ h: string }>('select bsn_hmac as h from household_members order by id')).rows.map((r) => r.h);
    const claimsBefore = (await db.query<{ n: number }>('select count(*)::int as n from active_bsn_claims')).rows[0]!.n;
    const env = { PII_ENCRYPTION_KEY: NEW_KEY, PII_ENCRYPTION_PREVIOUS_KEYS: '', PII_HMAC_KEY: NEW_HMAC_KEY };
    const out = await rotateKeys(env, ['--hmac', '--batch-size', '4', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout).hmac).toEqual({ members: 9, rehashed: 9, claimsMoved: claimsBefore, erased: 0 });
    const hashesAfter = (await db.query<{ h: string }>('select bsn_hmac as h from household_members order by id')).rows.map((r) => r.h);
    expect(hashesAfter.filter((h, i) => h === hashesBefore[i])).toEqual([]);
    expect((await db.query<{ n: number }>('select count(*)::int as n from active_bsn_claims c join household_members m on m.bsn_hmac = c.bsn_hmac')).rows[0]!.n).toBe(claimsBefore);
    const again = await rotateKeys(env, ['--hmac', '--json']);
    expect(JSON.parse(again.stdout).hmac).toEqual({ members: 9, rehashed: 0, claimsMoved: 0, erased: 0 });

    // An api on the new keys still refuses a second registration of a waiting family's child…
    const rehashed = await appWith(env);
    try {
      const waiting = families[2]!.body;
      const dup = familyBody({ reportingMunicipality: 'GM0599', household: { adults: [{ bsn: nextBsn(), name: 'Ander Persoon', birthDate: '1980-01-01' }], children: [waiting.household.children[0]!] } });
      const res = await rehashed.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await t.auth('municipality', { municipality: 'GM0599' }), payload: dup });
      expect(res.statusCode, res.body).toBe(409);
      // …and accepts again a child whose registration was closed (its claim was released).
      const closedChild = families[1]!.body.household.children[0]!;
      const again2 = familyBody({ reportingMunicipality: 'GM0599', household: { adults: [{ bsn: nextBsn(), name: 'Ander Persoon', birthDate: '1980-01-01' }], children: [closedChild] } });
      expect((await rehashed.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: await t.auth('municipality', { municipality: 'GM0599' }), payload: again2 })).statusCode).toBe(202);
    } finally {
      await rehashed.close();
    }
  });
});
