// The coordinator's desk in a real browser (Debian's Chromium) against the real api, a separate
// worker process, PostgreSQL and Redis: sign in, read the queue and an explanation, approve,
// reject, override, read a registration, work the worklist (a declined family proposed again,
// another allocated by hand), filter the registrations, open the balances, run a simulation,
// read the figures and download CSVs in both dialects. Every page is checked at 1280×800 and
// 320×640: axe-core finds nothing, and the page never scrolls sideways.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';
import { spawnEntry, waitFor, type Proc } from '../support/processes.js';
import { activeAllocation, register, waitForStatus } from '../support/workflow.js';
import { axeLog, checkPage, launchBrowser, SCREENSHOTS, VIEWPORT, watchPage } from './browser-support.js';
import { ensureUiBuilt } from './ui-build.js';

// The evaluate() callbacks run in the browser, where these exist; the project compiles for Node.
declare const document: {
  activeElement: { id: string; tagName: string; textContent: string | null; classList: { contains(name: string): boolean } } | null;
  cookie: string;
};
declare const localStorage: Record<string, string>;
declare const sessionStorage: Record<string, string>;
declare function getComputedStyle(el: unknown): { outlineStyle: string };

const BOOT_MS = 120_000;
const STEP_MS = 60_000;

let t: TestApp;
let worker: Proc;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
let watched: ReturnType<typeof watchPage>;
let apiPaths: Set<string>;

interface Family {
  id: string;
  reporting: string;
}
const families: Record<'approve' | 'reject' | 'override' | 'raced', Family> = {} as never;

async function coordinator() {
  return t.auth('coordinator');
}

async function municipalityName(code: string): Promise<string> {
  const res = await t.app.inject({ url: `/api/v1/municipalities/${code}`, headers: await coordinator() });
  return res.json().name as string;
}

/** Registers one family and waits until the worker (a separate process) has proposed it. */
async function proposed(reporting: string, overrides: Parameters<typeof register>[1]): Promise<Family> {
  const { id } = await register(t, { reportingMunicipality: reporting, ...overrides }, reporting);
  await waitForStatus(t, id, 'proposed', 30_000);
  return { id, reporting };
}

/** Opens a page by its address. A load drops the in-memory token by design: sign in again, as an operator would, and land on the page asked for. */
async function open(path: string) {
  await page.goto(`${base}${path}`);
  // The page decides after one API call whether it must ask for sign-in; its heading says it has.
  await page.locator('main h1').waitFor();
  if (new URL(page.url()).pathname === '/aanmelden') {
    await page.getByLabel('Token', { exact: true }).fill(await t.token('coordinator', { sub: 'browser-test-coordinator' }));
    await page.getByRole('button', { name: 'Aanmelden met token' }).click();
    await page.waitForURL((u) => `${u.pathname}${u.search}` === path);
  }
  await page.locator('h1').waitFor();
}

async function openProposalOf(f: Family) {
  const a = await activeAllocation(t, f.id);
  await open('/voorstellen');
  await page.locator(`a[href="/voorstellen/${a.id}"]`).click();
  await page.getByRole('heading', { level: 1, name: /^Voorstel: gezin uit/ }).waitFor();
  return a;
}

beforeAll(async () => {
  await ensureUiBuilt();
  t = await startTestApp({ redis: true, relay: true });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  worker = spawnEntry('src/worker.ts', t.env);

  // Oldest first in the queue, so register one at a time: A, B, C, D.
  families.approve = await proposed('GM0363', { reportedOn: '2026-11-02', networkMunicipalities: ['GM0344'] });
  families.reject = await proposed('GM0599', { reportedOn: '2026-11-10', needs: { minimumBedrooms: 3, accessibleHousing: true } });
  families.override = await proposed('GM0518', { reportedOn: '2026-11-20', excludedMunicipalities: ['GM0014'] });
  families.raced = await proposed('GM0344', { reportedOn: '2026-11-25' });

  const doc = await t.app.inject({ url: '/api/v1/openapi.json' });
  apiPaths = new Set(Object.keys(doc.json().paths));

  browser = await launchBrowser();
  context = await browser.newContext({ viewport: VIEWPORT, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam', acceptDownloads: true });
  page = await context.newPage();
  // Every step is quick; a missing element should fail in seconds, not in half a minute.
  page.setDefaultTimeout(10_000);
  watched = watchPage(page);
}, BOOT_MS);

afterAll(async () => {
  await browser?.close();
  expect(await worker?.stop()).toBe(0);
  await t?.close();
  // Per page: which axe rules failed at which impact (none serious or critical, or a test failed).
  writeFileSync(join(SCREENSHOTS, '..', 'axe-review-desk.json'), `${JSON.stringify(axeLog, null, 2)}\n`);
});

describe('the review desk in Chromium', () => {
  it('asks for sign-in, refuses a token for the wrong role, and signs in with a pasted coordinator token', async () => {
    await page.goto(`${base}/voorstellen`);
    await page.waitForURL(`${base}/aanmelden?terug=%2Fvoorstellen`);
    await page.getByRole('heading', { level: 1, name: 'Aanmelden' }).waitFor();
    // Not embedded (DATABASE_URL is set): no local sign-in, the OIDC proxy's explanation instead.
    await expect(page.getByRole('button', { name: 'Aanmelden als coördinator' }).count()).resolves.toBe(0);
    await page.getByRole('heading', { name: 'Aanmelden via uw organisatie' }).waitFor();
    // The first stop for the keyboard is the skip link; it moves focus to the main content.
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Direct naar de inhoud');
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('main');
    await checkPage(page, '01-aanmelden', { readme: true });

    await page.getByLabel('Token', { exact: true }).fill(await t.token('admin'));
    await page.getByRole('button', { name: 'Aanmelden met token' }).click();
    await page.getByText('Fout: Dit token is voor de rol beheerder; die rol werkt niet in deze toepassing maar via de API.').waitFor();
    await expect(page.getByLabel('Token', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
    await checkPage(page, '01-aanmelden-fout');

    await page.getByLabel('Token', { exact: true }).fill(await t.token('coordinator', { sub: 'browser-test-coordinator' }));
    await page.getByRole('button', { name: 'Aanmelden met token' }).click();
    await page.getByRole('heading', { level: 1, name: 'Voorstellen' }).waitFor();
    expect(page.url()).toBe(`${base}/voorstellen`);
    await page.getByText(/^Aangemeld als coördinator tot \d{2}:\d{2}$/).waitFor();
    // The token lives in memory only.
    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
    expect(stored).toBe(JSON.stringify({ local: {}, session: {}, cookie: '' }));
  }, STEP_MS);

  it('lists the proposals oldest first with the family summary, filters them, and is keyboard-operable', async () => {
    const rows = page.locator('table.queue__table tbody tr');
    await page.getByText('4 voorstellen wachten op beoordeling.').waitFor();
    await expect(rows.count()).resolves.toBe(4);
    const amsterdam = await municipalityName('GM0363');
    const rotterdam = await municipalityName('GM0599');
    const first = rows.nth(0);
    await expect(first.locator('td').nth(2).textContent()).resolves.toBe(amsterdam);
    await expect(first.locator('td').nth(3).textContent()).resolves.toBe('3 personen (1 volwassene, 2 kinderen)');
    await expect(first.locator('td').nth(6).textContent()).resolves.toBe(await municipalityName('GM0344'));
    await expect(rows.nth(1).locator('td').nth(5).textContent()).resolves.toBe('minstens 3 slaapkamers en woning zonder trappen');
    await expect(rows.nth(0).locator('td').nth(0).textContent()).resolves.toMatch(/^\d+ dagen$/);
    await checkPage(page, '02-voorstellen', { readme: true });

    await page.getByLabel('Meldende gemeente').selectOption('GM0599');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.nth(0).locator('td').nth(2).textContent()).resolves.toBe(rotterdam);
    await page.getByText('1 van 4 voorstellen voldoen aan de filters.').waitFor();
    expect(page.url()).toBe(`${base}/voorstellen?meldend=GM0599`);
    await page.getByRole('button', { name: 'Filters wissen' }).click();
    await page.getByLabel('Minimaal aantal dagen wachtend').fill('1000');
    await page.getByText('Geen voorstellen voor deze filters.').waitFor();
    await page.getByRole('button', { name: 'Filters wissen' }).click();
    await expect(rows.count()).resolves.toBe(4);

    // Keyboard only: a link in the table has a visible focus style and opens with Enter, and
    // focus lands on the new page's heading.
    const link = rows.nth(0).getByRole('link');
    await rows.nth(0).locator('td').nth(7).click();
    await link.focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    await expect(link.evaluate((el) => el === document.activeElement && el.matches(':focus-visible'))).resolves.toBe(true);
    await expect(link.evaluate((el) => getComputedStyle(el).outlineStyle)).resolves.not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: /^Voorstel: gezin uit/ }).waitFor();
    await expect(page.evaluate(() => document.activeElement?.tagName)).resolves.toBe('H1');
  }, STEP_MS);

  it('shows the explanation: candidates with entitlement, count and balance as bars, the constraints in Dutch and the key version', async () => {
    // Still on the page the keyboard opened: the oldest proposal, family A's.
    const a = await activeAllocation(t, families.approve.id);
    expect(page.url()).toBe(`${base}/voorstellen/${a.id}`);
    const to = await municipalityName(a.municipality);
    await page.getByRole('heading', { level: 1, name: `Voorstel: gezin uit ${await municipalityName('GM0363')} naar ${to}` }).waitFor();

    const candidates = page.locator('table.candidates__table tbody tr');
    await expect(candidates.count()).resolves.toBe(1 + a.explanation.runnersUp.length);
    const chosen = candidates.nth(0);
    await expect(chosen.locator('th').textContent()).resolves.toContain(to);
    await expect(chosen.locator('th').textContent()).resolves.toContain('gekozen');
    // Every bar has its number next to it; the bars themselves are hidden from assistive technology.
    await expect(chosen.locator('svg.bar').count()).resolves.toBe(3);
    await expect(chosen.locator('svg.bar[aria-hidden="true"]').count()).resolves.toBe(3);
    const entitlementText = await chosen.locator('td').nth(0).textContent();
    expect(entitlementText).toBe(new Intl.NumberFormat('nl-NL', { minimumFractionDigits: 2, maximumFractionDigits: 4 }).format(a.explanation.chosen.entitlementDisplay));
    await expect(chosen.locator('td').nth(2).textContent()).resolves.toMatch(/(achterstand|voorsprong|in balans)$/);

    const constraints = page.locator('table.constraints__table tbody tr');
    await expect(constraints.first().locator('th').textContent()).resolves.toBe('meldende gemeente');
    await expect(constraints.first().locator('td').nth(1).textContent()).resolves.toBe(await municipalityName('GM0363'));
    await page.getByText('versie 1', { exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Netwerk van het gezin' }).waitFor();
    await page.getByText(`Netwerkgemeenten van het gezin: ${await municipalityName('GM0344')}.`).waitFor();

    await checkPage(page, '03-voorstel', { readme: true });
  }, STEP_MS);

  it('approves a proposal after a confirmation step', async () => {
    const a = await activeAllocation(t, families.approve.id);
    const to = await municipalityName(a.municipality);
    await page.getByRole('button', { name: 'Goedkeuren' }).click();
    const dialog = page.getByRole('dialog', { name: 'Voorstel goedkeuren?' });
    await dialog.waitFor();
    await checkPage(page, '04-voorstel-goedkeuren-bevestigen');
    await dialog.getByRole('button', { name: 'Ja, goedkeuren' }).click();
    await page.getByText(`Goedgekeurd: het gezin uit ${await municipalityName('GM0363')} gaat naar ${to}.`).waitFor();
    await page.getByText('Dit voorstel is al behandeld: goedgekeurd').waitFor();
    const after = (await t.app.inject({ url: `/api/v1/allocations/${a.id}`, headers: await coordinator() })).json();
    expect(after.status).toBe('approved');
  }, STEP_MS);

  it('rejects a proposal only with a reason, shows the API problem in plain Dutch, then rejects', async () => {
    const a = await openProposalOf(families.reject);
    const to = await municipalityName(a.municipality);
    await page.getByRole('button', { name: 'Afwijzen' }).click();
    const reason = page.getByLabel('Reden', { exact: true });
    await expect(page.evaluate(() => document.activeElement?.tagName)).resolves.toBe('TEXTAREA');

    await page.getByRole('button', { name: 'Verder naar bevestigen' }).click();
    await page.getByText('Fout: Vul een reden in.').waitFor();

    // Shorter than the API's minimum (3 characters): refused in the form, before any confirmation.
    await reason.fill('nb');
    await page.getByRole('button', { name: 'Verder naar bevestigen' }).click();
    await page.getByText('Fout: Vul een reden van minstens 3 tekens in.').waitFor();
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await expect(reason.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.evaluate(() => document.activeElement?.tagName)).resolves.toBe('TEXTAREA');
    await checkPage(page, '05-voorstel-afwijzen-fout');

    const why = 'Geen passende school voor het jongste kind in deze gemeente.';
    await reason.fill(why);
    await page.getByRole('button', { name: 'Verder naar bevestigen' }).click();
    const dialog = page.getByRole('dialog', { name: 'Voorstel afwijzen?' });
    await expect(dialog.getByRole('blockquote').textContent()).resolves.toBe(why);
    await dialog.getByRole('button', { name: 'Ja, afwijzen' }).click();
    await page.getByText(`Het voorstel voor ${to} is afgewezen. Er volgt vanzelf een nieuw voorstel voor dit gezin.`).waitFor();
    expect(page.url()).toBe(`${base}/voorstellen`);
    const after = (await t.app.inject({ url: `/api/v1/allocations/${a.id}`, headers: await coordinator() })).json();
    expect(after).toMatchObject({ status: 'rejected', reason: why });
    // The worker proposes again, elsewhere.
    await waitForStatus(t, families.reject.id, 'proposed', 30_000);
    expect((await activeAllocation(t, families.reject.id)).municipality).not.toBe(a.municipality);
  }, STEP_MS);

  it('overrides to a municipality found in a searchable list, refusing one excluded for the family', async () => {
    const a = await openProposalOf(families.override);
    await page.getByRole('button', { name: 'Andere gemeente kiezen' }).click();
    const search = page.getByLabel('Zoek een gemeente');
    const picker = page.getByLabel('Gemeente', { exact: true });
    const reason = page.getByLabel('Reden', { exact: true });

    // "Den Haag" finds 's-Gravenhage, which reported this family: choosing it warns first.
    const denHaag = await municipalityName('GM0518');
    await search.fill('Den Haag');
    await expect(picker.locator('option').allTextContents()).resolves.toEqual([`${denHaag} (Den Haag) (Zuid-Holland) — meldende gemeente`]);
    await picker.selectOption('GM0518');
    await page.getByText(`Let op: ${denHaag} is de gemeente die dit gezin meldde.`, { exact: false }).waitFor();

    // Groningen is excluded for this family: the API refuses with `conflict`, shown in Dutch.
    const groningen = await municipalityName('GM0014');
    await search.fill(groningen.slice(0, 5));
    await picker.selectOption('GM0014');
    await reason.fill('Familie heeft hier een tante die kan helpen.');
    await page.getByRole('button', { name: 'Verder naar bevestigen' }).click();
    await page.getByRole('dialog', { name: `Gezin toewijzen aan ${groningen}?` }).getByRole('button', { name: `Ja, toewijzen aan ${groningen}` }).click();
    await page.locator('.problem-summary').getByText(`${groningen} is uitgesloten voor dit gezin`).waitFor();

    const leiden = await municipalityName('GM0546');
    await search.fill('leid');
    await expect(picker.locator('option').allTextContents()).resolves.toContain(`${leiden} (Zuid-Holland)`);
    await picker.selectOption('GM0546');
    await reason.fill('Familie heeft een tante in Leiden; school voor de kinderen geregeld.');
    await checkPage(page, '06-voorstel-andere-gemeente');
    await page.getByRole('button', { name: 'Verder naar bevestigen' }).click();
    await page.getByRole('dialog', { name: `Gezin toewijzen aan ${leiden}?` }).getByRole('button', { name: `Ja, toewijzen aan ${leiden}` }).click();
    await page.getByText(`Het gezin is toegewezen aan ${leiden}. Deze toewijzing geldt als goedgekeurd.`).waitFor();
    await page.getByText('handmatige toewijzing').waitFor();
    await page.getByText('Handmatig toegewezen door de coördinator.').waitFor();
    const reg = (await t.app.inject({ url: `/api/v1/registrations/${families.override.id}`, headers: await coordinator() })).json();
    expect(reg).toMatchObject({ status: 'approved', receivingMunicipality: 'GM0546' });
    const old = (await t.app.inject({ url: `/api/v1/allocations/${a.id}`, headers: await coordinator() })).json();
    expect(old.status).toBe('withdrawn');
  }, STEP_MS);

  it('says in plain Dutch when someone else decided first (illegal_transition)', async () => {
    const a = await openProposalOf(families.raced);
    const behindTheBack = await t.app.inject({ method: 'POST', url: `/api/v1/allocations/${a.id}/approve`, headers: await coordinator() });
    expect(behindTheBack.statusCode).toBe(200);
    await page.getByRole('button', { name: 'Goedkeuren' }).click();
    await page.getByRole('dialog', { name: 'Voorstel goedkeuren?' }).getByRole('button', { name: 'Ja, goedkeuren' }).click();
    const summary = page.locator('.problem-summary');
    await summary.getByText('Deze handeling past niet meer bij de huidige status. Waarschijnlijk is het voorstel intussen al behandeld.').waitFor();
    await expect(summary.getByRole('heading', { name: 'Goedkeuren is niet gelukt' }).count()).resolves.toBe(1);
  }, STEP_MS);

  it('shows a registration: status, history timeline with actor and reason, shelter stays with nights and costs', async () => {
    const stay = await t.app.inject({
      method: 'POST',
      url: `/api/v1/registrations/${families.reject.id}/shelter-stays`,
      headers: await t.auth('municipality', { municipality: 'GM0599' }),
      payload: { type: 'hotel', startDate: '2026-11-10', endDate: '2026-11-20', nightlyCostCents: 8950 },
    });
    expect(stay.statusCode, stay.body).toBe(201);

    await open(`/registraties/${families.reject.id}`);
    const rotterdam = await municipalityName('GM0599');
    await page.getByRole('heading', { level: 1, name: `Registratie: gezin uit ${rotterdam}` }).waitFor();
    const items = page.locator('ol.timeline > li');
    await expect(items.count()).resolves.toBeGreaterThanOrEqual(4);
    const texts = await items.allTextContents();
    expect(texts[0]).toContain('Gemeld');
    expect(texts[0]).toContain(`Door gemeente ${rotterdam}`);
    expect(texts.some((x) => x.includes('Afgewezen') && x.includes('Geen passende school voor het jongste kind') && x.includes('Door de coördinator.'))).toBe(true);
    expect(texts.some((x) => x.includes('Voorgesteld') && x.includes('het systeem (automatisch)'))).toBe(true);
    // Who acted is a role and an organisation, never the token's subject.
    await expect(page.locator('main').textContent()).resolves.not.toContain('browser-test-coordinator');

    const stays = page.locator('section[aria-labelledby="opvang-kop"] table');
    // Intl writes "€ 89,50" with a no-break space.
    const cells = (await stays.locator('tbody tr td').allTextContents()).map((c) => c.replace(/\u00a0/g, ' '));
    expect(cells).toEqual([
      'Hotel',
      rotterdam,
      '10 november 2026',
      '20 november 2026',
      '10',
      '€ 89,50',
      '€ 895,00',
    ]);
    await expect(stays.locator('tfoot').textContent()).resolves.toContain('€\u00a0895,00');
    // The shelter table scrolls in its own box, which the keyboard can reach.
    await expect(page.getByRole('region', { name: 'Verblijven in de noodopvang' }).getAttribute('tabindex')).resolves.toBe('0');
    await checkPage(page, '07-registratie');
  }, STEP_MS);

  it('shows the balances per municipality and province, sortable and searchable, and downloads the reports as CSV', async () => {
    await page.getByRole('link', { name: 'Verdeling' }).click();
    await page.getByRole('heading', { level: 1, name: 'Verdeling' }).waitFor();
    await expect(page.getByRole('link', { name: 'Verdeling' }).getAttribute('aria-current')).resolves.toBe('page');
    await page.locator('[aria-busy]').waitFor({ state: 'detached' });

    if (apiPaths.has('/distribution/balances')) {
      const rows = page.locator('table.balances__table tbody tr');
      await rows.first().waitFor();
      expect(await rows.count()).toBeGreaterThan(300);
      await page.getByRole('img', { name: /Aanspraak, toegewezen en saldo per provincie/ }).waitFor();
      await page.getByLabel('Zoek gemeente').fill('Leiden');
      await expect(rows.first().locator('th').textContent()).resolves.toBe(await municipalityName('GM0546'));
      await page.getByLabel('Zoek gemeente').fill('');
      const nameHeader = page.getByRole('columnheader', { name: /Gemeente/ });
      await nameHeader.getByRole('button').click();
      await expect(nameHeader.getAttribute('aria-sort')).resolves.toBe('ascending');
      await expect(rows.first().locator('th').textContent()).resolves.toBe(await municipalityName('GM1680'));
    } else {
      // Until the balances endpoint exists the page says so instead of failing.
      await page.getByText(/Het saldo-overzicht is \(nog\) niet beschikbaar/).waitFor();
    }
    await checkPage(page, '08-verdeling', { readme: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download Opvangrapport (CSV)' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split(/\r?\n/)[0]).toMatch(/(^|,)municipality,/);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    await page.getByText(/Opvangrapport \(CSV\) is gedownload als/).waitFor();
    // The Dutch spreadsheet dialect (contract D): semicolons, Dutch column names, a -nl.csv name.
    const [dutch] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download Opvangrapport (Nederlandse spreadsheet)' }).click()]);
    const nl = readFileSync((await dutch.path())!, 'utf8');
    expect(dutch.suggestedFilename()).toMatch(/-nl\.csv$/);
    expect(nl.replace(/^\uFEFF/, '').split(/\r\n/)[0]).toContain(';');
    expect(nl.replace(/^\uFEFF/, '').split(/\r\n/)[0]).not.toMatch(/(^|;)municipality(;|$)/);

    if (apiPaths.has('/reports/distribution')) {
      const [second] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download Verdelingsrapport (CSV)' }).click()]);
      expect(readFileSync((await second.path())!, 'utf8').length).toBeGreaterThan(0);
    } else {
      await page.getByRole('button', { name: 'Download Verdelingsrapport (CSV)' }).click();
      await page.getByText('Verdelingsrapport (CSV): Dit rapport is (nog) niet beschikbaar voor deze periode.').waitFor();
    }
  }, STEP_MS);

  it('lists declined families on the worklist; one is proposed again, another allocated by hand', async () => {
    // The receiving municipalities decline the two approved families (as their desks would).
    for (const f of [families.approve, families.raced]) {
      const a = await activeAllocation(t, f.id);
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/allocations/${a.id}/decline`,
        headers: await t.auth('municipality', { municipality: a.municipality }),
        payload: { reason: 'Geen passende woning beschikbaar.', category: 'no_housing_available' },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    await open('/werklijst');
    await page.locator('[aria-busy]').waitFor({ state: 'detached' });
    const rows = page.getByRole('region', { name: 'Tabel van de gezinnen die aandacht vragen' }).locator('tbody tr');
    await expect(rows.count()).resolves.toBe(2);
    await expect(rows.first().textContent()).resolves.toContain('Geweigerd door');
    await expect(rows.first().textContent()).resolves.toContain('Geen passende woning beschikbaar.');
    await checkPage(page, '09-werklijst', { readme: true });

    await rows.first().getByRole('link', { name: /^Behandelen/ }).click();
    await page.getByRole('heading', { name: 'Wat kunt u doen?' }).waitFor();
    await page.getByRole('button', { name: 'Opnieuw laten voorstellen' }).click();
    await page.getByLabel('Toelichting').fill('x');
    await page.getByRole('button', { name: 'Verder naar bevestigen' }).click();
    await page.getByText('Fout: Vul een reden van minstens 3 tekens in.').waitFor();
    await page.getByLabel('Toelichting').fill('');
    await page.getByRole('button', { name: 'Verder naar bevestigen' }).click();
    await page.getByRole('dialog', { name: 'Opnieuw laten voorstellen?' }).getByRole('button', { name: 'Ja, opnieuw voorstellen' }).click();
    await page.getByText('Het gezin staat weer in de wachtrij. Er volgt vanzelf een nieuw voorstel.').waitFor();
    await waitForStatus(t, families.approve.id, 'proposed', 30_000);

    await open(`/registraties/${families.raced.id}`);
    await page.getByRole('button', { name: 'Aan een gemeente toewijzen' }).click();
    await page.getByLabel('Zoek een gemeente').fill('Den Bosch');
    await page.getByLabel('Gemeente', { exact: true }).selectOption('GM0796');
    await page.getByLabel('Reden', { exact: true }).fill('Werk gevonden in de regio.');
    await checkPage(page, '09-werklijst-toewijzen');
    await page.getByRole('button', { name: 'Verder naar bevestigen' }).click();
    const bosch = await municipalityName('GM0796');
    await page.getByRole('dialog', { name: `Gezin toewijzen aan ${bosch}?` }).getByRole('button', { name: `Ja, toewijzen aan ${bosch}` }).click();
    await page.getByText(`Het gezin is toegewezen aan ${bosch}. Deze toewijzing geldt als goedgekeurd.`).waitFor();
    const reg = (await t.app.inject({ url: `/api/v1/registrations/${families.raced.id}`, headers: await coordinator() })).json();
    expect(reg).toMatchObject({ status: 'approved', receivingMunicipality: 'GM0796' });
  }, STEP_MS);

  it('lists the registrations with filters by status and municipality', async () => {
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Registraties' }).click();
    await page.getByRole('heading', { level: 1, name: 'Registraties' }).waitFor();
    await page.locator('[aria-busy]').waitFor({ state: 'detached' });
    const rows = page.locator('table.registrations__table tbody tr');
    await expect(rows.count()).resolves.toBe(4);
    await checkPage(page, '09-registraties');
    await page.getByLabel('Meldende gemeente').selectOption('GM0599');
    await page.getByRole('button', { name: 'Filteren' }).click();
    await page.waitForURL(/meldend=GM0599/);
    await page.locator('[aria-busy]').waitFor({ state: 'detached' });
    await expect(rows.count()).resolves.toBe(1);

    // The queue lists by when the family was registered, as it says: the family reported on
    // 2 November (proposed again a moment ago) before the one of 10 November (proposed earlier).
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Voorstellen' }).click();
    const queue = page.locator('table.queue__table tbody tr');
    await page.getByText('2 voorstellen wachten op beoordeling.').waitFor();
    await expect(queue.locator('td:nth-child(2)').allTextContents()).resolves.toEqual(['2 november 2026', '10 november 2026']);
  }, STEP_MS);

  it('simulates another key against today\'s: per province and municipality, with both CSV dialects', async () => {
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Simulatie' }).click();
    await page.getByRole('heading', { level: 1, name: 'Simulatie' }).waitFor();
    await checkPage(page, '30-simulatie-formulier');
    if (!apiPaths.has('/distribution/simulations')) return;
    // An attribute nobody loaded: the API's field error, in the summary.
    await page.getByRole('group', { name: 'Verdeelsleutel' }).getByLabel('Samengesteld uit kenmerken met gewichten').check();
    await page.getByLabel('Kenmerk 1').fill('nietBestaand');
    await page.getByRole('button', { name: 'Simuleren' }).click();
    await page.locator('.problem-summary').getByText(/^Kenmerk 1 /).waitFor();

    await page.getByRole('group', { name: 'Verdeelsleutel' }).getByLabel('Naar inwonertal').check();
    await page.getByRole('spinbutton', { name: 'Aantal gezinnen' }).fill('1000');
    await page.getByRole('button', { name: 'Simuleren' }).click();
    await page.getByRole('heading', { name: 'Uitkomst', exact: true }).waitFor();
    await expect(page.getByRole('region', { name: 'Uitkomst per provincie' }).locator('tbody tr').count()).resolves.toBe(12);
    await expect(page.getByRole('region', { name: 'Uitkomst per gemeente' }).locator('tbody tr').count()).resolves.toBeGreaterThan(300);
    await page.getByLabel('Zoek gemeente').fill('Den Haag');
    await expect(page.getByRole('region', { name: 'Uitkomst per gemeente' }).locator('tbody tr').count()).resolves.toBe(1);
    await checkPage(page, '31-simulatie-uitkomst', { readme: true });
    const [nl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download Uitkomst per gemeente (Nederlandse spreadsheet)' }).click()]);
    expect(nl.suggestedFilename()).toMatch(/-nl\.csv$/);
    const text = readFileSync((await nl.path())!, 'utf8').replace(/^\uFEFF/, '');
    expect(text.split('\r\n').filter(Boolean).length).toBeGreaterThan(300);
    expect(text.split('\r\n')[0]).toContain(';');
  }, STEP_MS);

  it('shows lead times and arrivals per month as charts with the numbers beside them', async () => {
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Cijfers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Cijfers' }).waitFor();
    await page.locator('[aria-busy]').waitFor({ state: 'detached' });
    await page.getByRole('img', { name: /Aanmeldingen per maand en deelgroep/ }).waitFor();
    if (apiPaths.has('/reports/lead-times')) {
      await page.getByRole('img', { name: /Doorlooptijden per maand van melding/ }).waitFor();
      await page.getByRole('region', { name: 'Doorlooptijden als tabel' }).waitFor();
    }
    await checkPage(page, '32-cijfers', { readme: true });
  }, STEP_MS);

  it('ran without Content-Security-Policy violations or script errors', () => {
    expect(watched.cspViolations).toEqual([]);
    expect(watched.pageErrors).toEqual([]);
  });

  it('signing out forgets the token', async () => {
    await page.getByRole('button', { name: 'Afmelden' }).click();
    await page.getByRole('heading', { level: 1, name: 'Aanmelden' }).waitFor();
    await page.getByText('U bent afgemeld.', { exact: false }).waitFor();
    await page.goto(`${base}/voorstellen`);
    await page.waitForURL(/\/aanmelden/);
    await waitFor(async () => (page.url().includes('/aanmelden') ? true : undefined), 'sign-in page', 5_000);
  }, STEP_MS);
});
