// Composite keys on imported attributes (with their source), and shelter credit as a key option,
// on real PostgreSQL.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, rowCounts, sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { checkInvariants } from '../../support/invariants.js';
import { ROOT } from '../../support/processes.js';
import { register } from '../../support/workflow.js';
import { BUNDLED_MUNICIPALITIES, readMunicipalityCsv } from '../../../src/db/seed.js';
import { importAttributes, readAttributeCsv } from '../../../scripts/import-attributes.js';
import { importRegions, readRegionCsv } from '../../../scripts/import-regions.js';

let t: TestApp;
const clock = fixedClock('2026-11-30T10:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'attributes-'));
const municipalities = readMunicipalityCsv(readFileSync(BUNDLED_MUNICIPALITIES, 'utf8'));
beforeAll(async () => {
  t = await startTestApp({ clock });
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.close();
});

const coordinator = () => t.auth('coordinator');
/** The ledger invariants; this file runs no outbox relay, so unsent allocate jobs are expected. */
const ledgerInvariants = async () => (await checkInvariants(t.databaseUrl)).filter((l) => !l.startsWith('outbox drained'));
const actor = { sub: 'test:operator', role: 'operator', organisation: 'LCP', traceId: null };

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/import-attributes.ts'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...t.env } as NodeJS.ProcessEnv,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('import-attributes and composite keys', () => {
  it('loads attributes with their source; a composite key combines them and names the sources', async () => {
    // A made-up social-housing stock: one dwelling per 7 inhabitants (rounded down).
    const csv = ['code,socialHousing,vacancies', ...municipalities.map((m, i) => `${m.code},${Math.floor(m.population / 7)},${i % 5}`)].join('\n');
    const path = join(dir, 'attributes.csv');
    writeFileSync(path, csv);
    const run = await cli(path, '--source', 'Test: made-up stock', '--date', '2024-01-01');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('socialHousing: 342 municipalities; complete');
    const sources = await sqlRows<{ attribute: string; source: string; reference_date: string }>(t.databaseUrl, `select attribute, source, reference_date::text from municipality_attribute_sources order by attribute`);
    expect(sources).toEqual([
      { attribute: 'socialHousing', source: 'Test: made-up stock', reference_date: '2024-01-01' },
      { attribute: 'vacancies', source: 'Test: made-up stock', reference_date: '2024-01-01' },
    ]);

    const res = await t.app.inject({
      method: 'PUT', url: '/api/v1/distribution/key', headers: await coordinator(),
      payload: { kind: 'composite', components: [{ attribute: 'population', weight: '0.5' }, { attribute: 'socialHousing', weight: '0.3' }, { attribute: 'vacancies', weight: '0.2' }] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().definition.sources).toEqual([
      { attribute: 'population', source: 'CBS population on 1 January', referenceDate: null },
      { attribute: 'socialHousing', source: 'Test: made-up stock', referenceDate: '2024-01-01' },
      { attribute: 'vacancies', source: 'Test: made-up stock', referenceDate: '2024-01-01' },
    ]);
    // Vacancies are 0 for every fifth municipality, yet the population part keeps every share positive.
    expect(res.json().municipalities.every((m: { share: number }) => m.share > 0)).toBe(true);
  });

  it('refuses a file with problems as a whole (every problem listed), and changes nothing', async () => {
    expect(() => readAttributeCsv('code,population,bad-name\nGM0363,1,2\nXX,1.5.1,\nGM0363,,')).toThrow(
      /population.*import-municipalities[\s\S]*bad-name[\s\S]*line 3: "XX" is not a GM code[\s\S]*line 3: population "1.5.1"[\s\S]*line 4: GM0363 appears twice/,
    );
    const before = await rowCounts(t.databaseUrl);
    await expect(importAttributes(t.container.db, readAttributeCsv('code,socialHousing\nGM9999,10'), { source: 's', referenceDate: '2024-01-01', actor })).rejects.toThrow(/unknown municipality codes: GM9999/);
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
    const usage = await cli(join(dir, 'attributes.csv'));
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--source');
  });

  it('replaces an attribute as a whole: codes left out lose it, and a key then refuses it', async () => {
    const summary = await importAttributes(t.container.db, readAttributeCsv('code,vacancies\nGM0363,12\nGM0599,7'), { source: 'Test: partial', referenceDate: '2024-06-01', actor });
    expect(summary.attributes).toEqual([{ attribute: 'vacancies', municipalities: 2, missingActive: 340 }]);
    const res = await t.app.inject({
      method: 'PUT', url: '/api/v1/distribution/key', headers: await coordinator(),
      payload: { kind: 'composite', components: [{ attribute: 'population', weight: '0.8' }, { attribute: 'vacancies', weight: '0.2' }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ pointer: '/components/1/attribute', code: 'attribute_incomplete' });
    const audit = await sqlRows<{ n: number }>(t.databaseUrl, `select count(*)::int as n from audit_events where action = 'municipality-attribute.import'`);
    expect(audit[0]!.n).toBe(3);
  });
});

describe('import-regions', () => {
  it('sets regions in the profiles as new versions (facilities kept), all or nothing', async () => {
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/municipalities/GM0344/profile', headers: await coordinator(), payload: { facilities: { medicalCare: true }, labourMarketRegion: null, wmoRegion: null, note: 'test' } });
    expect(put.statusCode).toBe(200);
    expect(() => readRegionCsv('code,labourMarketRegion\nGM0344,AM13\nGM0344,AM14\nXX,')).toThrow(/line 3: GM0344 appears twice[\s\S]*line 4: "XX" is not a GM code/);
    await expect(importRegions(t.container.db, [{ code: 'GM9999', labourMarketRegion: 'AM1' }], { source: 's', referenceDate: '2024-01-01', actor })).rejects.toThrow(/GM9999/);
    const out = await importRegions(t.container.db, readRegionCsv('code,labourMarketRegion,wmoRegion\nGM0344,AM13,Utrecht\nGM0307,AM14,\nGM0363,,'), { source: 'Test: regions', referenceDate: '2024-01-01', actor });
    expect(out).toEqual({ changed: 2, unchanged: 1 });
    const utrecht = (await t.app.inject({ url: '/api/v1/municipalities/GM0344/profile', headers: await coordinator() })).json();
    expect(utrecht).toMatchObject({ version: 2, labourMarketRegion: 'AM13', wmoRegion: 'Utrecht', facilities: { medicalCare: true }, note: 'test' });
    expect(utrecht.updatedBy).toContain('Test: regions');
  });
});

describe('shelter credit (key option)', () => {
  it('moves a long-sheltered family\'s unit of entitlement from the reporting municipality to the others, once', async () => {
    const key = await t.app.inject({ method: 'PUT', url: '/api/v1/distribution/key', headers: await coordinator(), payload: { kind: 'population', shelterCredit: { minimumNights: 30 } } });
    expect(key.statusCode, key.body).toBe(200);
    expect(key.json().definition.shelterCredit).toEqual({ minimumNights: 30 });

    // Utrecht shelters one family since 1 September (90 nights by 30 November), another since 10 November (20 nights).
    const long = await register(t, { reportedOn: '2026-09-01', needs: {} }, 'GM0344');
    const short = await register(t, { reportedOn: '2026-11-10', needs: {} }, 'GM0344');
    const utrecht = await t.auth('municipality', { municipality: 'GM0344' });
    for (const [id, startDate] of [[long.id, '2026-09-01'], [short.id, '2026-11-10']] as const) {
      const stay = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/shelter-stays`, headers: utrecht, payload: { type: 'hotel', startDate, nightlyCostCents: 9000 } });
      expect(stay.statusCode, stay.body).toBe(201);
    }
    const balance = async () => {
      const b = (await t.app.inject({ url: '/api/v1/distribution/balances?period=2026-H2', headers: await coordinator() })).json();
      return { utrecht: b.items.find((m: { municipality: string }) => m.municipality === 'GM0344'), totals: b.totals };
    };
    const before = await balance();
    expect(before.utrecht.shelterCredit).toBe('0/1');

    const run = await t.app.inject({ method: 'POST', url: '/api/v1/distribution/shelter-credits', headers: await coordinator() });
    expect(run.statusCode, run.body).toBe(200);
    expect(run.json()).toEqual({ period: '2026-H2', minimumNights: 30, credited: [{ municipality: 'GM0344', registrations: 1, units: 1 }] });
    const after = await balance();
    expect(after.utrecht.shelterCredit).toBe('-1/1');
    expect(after.utrecht.balanceDisplay).toBeCloseTo(before.utrecht.balanceDisplay - 1, 4);
    // What Utrecht gives up, the others receive: the national sums do not move.
    expect(after.totals.shelterCredit).toBe('0/1');
    expect(after.totals.balance).toBe(before.totals.balance);

    // Idempotent: the family is credited once per period.
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/distribution/shelter-credits', headers: await coordinator() });
    expect(again.json().credited).toEqual([]);
    expect((await sqlRows(t.databaseUrl, `select 1 from shelter_credits`)).length).toBe(1);
    expect(await ledgerInvariants()).toEqual([]);

    // The next proposal is made on the credited ledger and says so in its explanation.
    const outcome = await t.container.services.allocation.propose({ registrationId: short.id, round: 1 });
    expect(outcome).toBe('proposed');
    const reg = (await t.app.inject({ url: `/api/v1/registrations/${short.id}`, headers: await coordinator() })).json();
    const allocation = (await t.app.inject({ url: `/api/v1/allocations/${reg.activeAllocationId}`, headers: await coordinator() })).json();
    expect(allocation.explanation.maatwerk.shelterCreditMinimumNights).toBe(30);
    expect(allocation.explanation.summaryNl).toContain('langer dan 30 nachten opvang');
    expect(await ledgerInvariants()).toEqual([]);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/distribution/shelter-credits', headers: await t.auth('municipality', { municipality: 'GM0344' }) })).statusCode).toBe(403);
  });
});
