// The yearly CBS update (herindeling): a newer table of the same shape, imported on real PostgreSQL.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { distributionKeys, ledgerState, municipalities, municipalityLedger, auditEvents } from '../../../src/db/schema/index.js';
import { BUNDLED_MUNICIPALITIES, readMunicipalityCsv } from '../../../src/db/seed.js';
import { formatSummary, importMunicipalities } from '../../../scripts/import-municipalities.js';
import { rowCounts, startTestApp, TEST_HMAC_KEY, TEST_JWT_SECRET, TEST_PII_KEY, type TestApp } from '../../support/harness.js';

const bundled = readFileSync(BUNDLED_MUNICIPALITIES, 'utf8');
const actor = { sub: 'test:operator', role: 'operator', organisation: 'LCP', traceId: null };

/** The 2024 table after a made-up merger: GM0037 and GM0047 become GM1999; Amsterdam grows. */
function table2025(): string {
  const lines = bundled.trimEnd().split(/\r?\n/);
  const out = lines
    .filter((l) => !l.startsWith('GM0037,') && !l.startsWith('GM0047,'))
    .map((l) => (l.startsWith('GM0363,') ? 'GM0363,Amsterdam,Noord-Holland,933680' : l));
  out.push('GM1999,"Oost-Groningen, samengevoegd",Groningen,59533');
  return `${out.join('\n')}\n`;
}

let t: TestApp;
let dir: string;
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

function cli(args: string[]) {
  return spawnSync('node_modules/.bin/tsx', ['scripts/import-municipalities.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: t.databaseUrl,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      PII_ENCRYPTION_KEY: TEST_PII_KEY,
      PII_HMAC_KEY: TEST_HMAC_KEY,
      LOG_LEVEL: 'silent',
    },
  });
}

async function municipality(code: string) {
  const [row] = await t.container.db.select().from(municipalities).where(eq(municipalities.code, code));
  return row;
}
async function ledgerHead() {
  const [row] = await t.container.db.select().from(ledgerState);
  return row!;
}

beforeAll(async () => {
  t = await startTestApp();
  dir = mkdtempSync(join(tmpdir(), 'spreiding-import-'));
});
afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('import-municipalities', () => {
  it('upserts the new table, deactivates missing codes and opens ledger rows, leaving the key alone', async () => {
    const head = await ledgerHead();
    const summary = await importMunicipalities(t.container.db, readMunicipalityCsv(table2025()), { adoptKey: false, actor });
    expect(summary).toEqual({ added: ['GM1999'], updated: ['GM0363'], deactivated: ['GM0037', 'GM0047'], unchanged: 339, adoptedKeyVersion: undefined });
    expect(formatSummary(summary)).toMatch(/^added 1: GM1999\nupdated 1: GM0363\ndeactivated 2: GM0037, GM0047\nunchanged 339\n.*--adopt-key/);

    expect(await municipality('GM1999')).toMatchObject({ name: 'Oost-Groningen, samengevoegd', province: 'Groningen', population: 59533, active: true });
    expect(await municipality('GM0363')).toMatchObject({ population: 933680, active: true });
    // Deactivated, not deleted: registrations and ledger rows still refer to the old codes.
    expect(await municipality('GM0037')).toMatchObject({ name: 'Stadskanaal', active: false });
    const ledger = await t.container.db.select().from(municipalityLedger).where(eq(municipalityLedger.municipality, 'GM1999'));
    expect(ledger).toHaveLength(1);
    expect(await ledgerHead()).toEqual(head);

    const audit = await t.container.db.select().from(auditEvents).where(eq(auditEvents.action, 'municipalities.import'));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorSub: 'test:operator', resourceType: 'municipality' });

    const api = await t.app.inject({ url: '/api/v1/municipalities/GM1999', headers: await t.auth('coordinator') });
    expect(api.json()).toMatchObject({ code: 'GM1999', active: true });
  });

  it('with --adopt-key makes a population key of the active municipalities current, from the command line', async () => {
    const head = await ledgerHead();
    const res = cli([file('cbs-2025.csv', table2025()), '--adopt-key']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toBe(`added 0\nupdated 0\ndeactivated 0\nunchanged 341\ndistribution key version ${head.keyVersion + 1} (population shares) is now current\n`);

    const after = await ledgerHead();
    expect(after.keyVersion).toBe(head.keyVersion + 1);
    // seq is the last ledger movement, and adopting a key writes none.
    expect(after.seq).toBe(head.seq);
    const [key] = await t.container.db.select().from(distributionKeys).where(eq(distributionKeys.version, after.keyVersion));
    expect(key!.kind).toBe('population');
    expect(Object.keys(key!.weights)).toHaveLength(341);
    expect(key!.weights).toMatchObject({ GM1999: '59533', GM0363: '933680' });
    expect(key!.weights.GM0037).toBeUndefined();
    const adopted = await t.container.db.select().from(auditEvents).where(eq(auditEvents.action, 'distribution-key.adopt'));
    expect(adopted.map((a) => a.resourceId)).toEqual([String(after.keyVersion)]);
  });

  it('reactivates a code that returns to the table', async () => {
    const summary = await importMunicipalities(t.container.db, readMunicipalityCsv(bundled), { adoptKey: false, actor });
    expect(summary).toMatchObject({ added: [], updated: ['GM0037', 'GM0047', 'GM0363'], deactivated: ['GM1999'] });
    expect(await municipality('GM0037')).toMatchObject({ active: true });
  });

  it('refuses a malformed or empty file and changes nothing', async () => {
    const before = await rowCounts(t.databaseUrl);
    const head = await ledgerHead();

    const broken = cli([file('broken.csv', 'code,name,province,population\nGM0363,Amsterdam,Noord-Holland,many\n'), '--adopt-key']);
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toMatch(/line 2: population "many"/);

    const wrongShape = cli([file('wrong.csv', 'gemeente,inwoners\nGM0363,931298\n')]);
    expect(wrongShape.status).not.toBe(0);
    expect(wrongShape.stderr).toMatch(/no "code" column/);

    const empty = cli([file('empty.csv', 'code,name,province,population\n')]);
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toMatch(/no municipalities/);

    expect(await rowCounts(t.databaseUrl)).toEqual(before);
    expect(await ledgerHead()).toEqual(head);
  });

  it('explains its usage when the file is missing', () => {
    const res = cli([]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/usage: npm run import-municipalities -- <file\.csv> \[--adopt-key\]/);
    const unknown = cli(['x.csv', '--adopt']);
    expect(unknown.status).not.toBe(0);
  });
});
