// The municipality's and the housing corporation's desks in Chromium, against the real api, a
// separate worker process, PostgreSQL and Redis. Amsterdam reports a family through the form
// (every field error at once, a draft kept in memory only), finds its families, accepts one
// allocated to it, declines another, records and ends a shelter stay, and reads its balance and
// figures; a housing corporation sees the families of its working area, offers a dwelling and
// declares capacity. Every page at 1280×800 and 320×640 with axe-core, no sideways scrolling.
// And: nothing Rotterdam reported ever reaches Amsterdam's or the corporation's browser.
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';
import { nextBsn } from '../support/families.js';
import { spawnEntry, type Proc } from '../support/processes.js';
import { register, waitForStatus, coordinatorPost } from '../support/workflow.js';
import { checkPage, launchBrowser, pasteToken, VIEWPORT, watchPage } from './browser-support.js';
import { ensureUiBuilt } from './ui-build.js';

declare const localStorage: Record<string, string>;
declare const sessionStorage: Record<string, string>;
declare const document: { cookie: string };

const BOOT_MS = 120_000;
const STEP_MS = 90_000;
const AMSTERDAM = 'GM0363';
const ROTTERDAM = 'GM0599';
const UTRECHT = 'GM0344';

let t: TestApp;
let worker: Proc;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
let watched: ReturnType<typeof watchPage>;
let apiPaths: Set<string>;
/** Every API answer the browser received, to check that none carries another municipality's data. */
const answers: Array<{ url: string; body: string }> = [];

/** Rotterdam's family: its id, names and BSNs must never reach Amsterdam's or the corporation's browser. */
const secret = { id: '', allocationId: '', names: ['Geheime Rotterdamse Ouder', 'Geheim Rotterdams Kind'], bsns: [nextBsn(), nextBsn()] };
let ours = { reported: '', allocated: '', declined: '' };

/**
 * No answer the browser received holds the family's ids, names or BSNs. An answer to a request
 * for its own id (the address typed above) may repeat that id, as a 404's `instance`: the
 * browser sent it, so it learns nothing; names and BSNs are never allowed.
 */
function expectNothingOf(family: typeof secret) {
  for (const { url, body } of answers) {
    for (const s of [...family.names, ...family.bsns]) expect(body, url).not.toContain(s);
    for (const id of [family.id, family.allocationId]) if (!url.includes(id)) expect(body, url).not.toContain(id);
  }
}

async function name(code: string): Promise<string> {
  return (await t.app.inject({ url: `/api/v1/municipalities/${code}`, headers: await t.auth('coordinator') })).json().name;
}

/** A family reported elsewhere and allocated to Amsterdam by the coordinator (counts as approved). */
async function allocatedToAmsterdam(reporting: string, reportedOn: string): Promise<string> {
  const { id } = await register(t, { reportingMunicipality: reporting, reportedOn, excludedMunicipalities: [] }, reporting);
  await waitForStatus(t, id, 'proposed', 30_000);
  const res = await coordinatorPost(t, `/api/v1/registrations/${id}/allocations`, { municipality: AMSTERDAM, reason: 'Netwerk van het gezin in Amsterdam.' });
  expect(res.statusCode, res.body).toBe(201);
  return id;
}

/**
 * Opens a page by its address within the running page, as a bookmark in the same tab would after
 * sign-in: a full load would drop the in-memory token by design.
 */
async function open(path: string) {
  await page.evaluate((p) => {
    const w = globalThis as unknown as { history: { pushState(a: null, b: string, c: string): void }; dispatchEvent(e: unknown): void; PopStateEvent: new (t: string) => unknown };
    w.history.pushState(null, '', p);
    w.dispatchEvent(new w.PopStateEvent('popstate'));
  }, path);
  await page.waitForURL((u) => `${u.pathname}${u.search}` === path);
  await page.locator('main h1').waitFor();
  await page.locator('[aria-busy]').waitFor({ state: 'detached' });
}

async function signInAs(token: string) {
  await page.goto(`${base}/aanmelden`);
  await page.getByRole('heading', { level: 1, name: 'Aanmelden' }).waitFor();
  await pasteToken(page, token);
}

beforeAll(async () => {
  await ensureUiBuilt();
  t = await startTestApp({ redis: true, relay: true });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  worker = spawnEntry('src/worker.ts', t.env);

  // Rotterdam's own family, kept away from Amsterdam and Utrecht by its exclusions.
  const { id } = await register(
    t,
    {
      reportingMunicipality: ROTTERDAM,
      reportedOn: '2026-11-03',
      excludedMunicipalities: [AMSTERDAM, UTRECHT],
      household: {
        adults: [{ bsn: secret.bsns[0]!, name: secret.names[0]!, birthDate: '1988-01-01' }],
        children: [{ bsn: secret.bsns[1]!, name: secret.names[1]!, birthDate: '2016-05-05' }],
      },
    },
    ROTTERDAM,
  );
  secret.id = id;
  const proposed = await waitForStatus(t, id, 'proposed', 30_000);
  secret.allocationId = proposed.activeAllocationId;
  expect((await coordinatorPost(t, `/api/v1/allocations/${secret.allocationId}/approve`)).statusCode).toBe(200);

  ours = {
    reported: (await register(t, { reportingMunicipality: AMSTERDAM, reportedOn: '2026-11-04' }, AMSTERDAM)).id,
    allocated: await allocatedToAmsterdam('GM0518', '2026-11-05'),
    declined: await allocatedToAmsterdam('GM0014', '2026-11-06'),
  };
  await waitForStatus(t, ours.reported, 'proposed', 30_000);

  apiPaths = new Set(Object.keys((await t.app.inject({ url: '/api/v1/openapi.json' })).json().paths));
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: VIEWPORT, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  watched = watchPage(page);
  // Every call the page makes to the service goes through here: its answer is kept, then handed on unchanged.
  await context.route(
    (url) => url.pathname.startsWith('/api/') || url.pathname.startsWith('/ui/'),
    async (route) => {
      const res = await route.fetch();
      const body = await res.text();
      answers.push({ url: route.request().url(), body });
      await route.fulfill({ response: res, body });
    },
  );
}, BOOT_MS);

afterAll(async () => {
  await browser?.close();
  expect(await worker?.stop()).toBe(0);
  await t?.close();
});

describe('the municipality desk (Amsterdam)', () => {
  it('signs in with a municipality token and lists our families: reported by us and allocated to us', async () => {
    await signInAs(await t.token('municipality', { municipality: AMSTERDAM, sub: 'browser-test-amsterdam' }));
    await page.getByRole('heading', { level: 1, name: 'Onze gezinnen' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/registraties');
    await page.getByText(`Aangemeld als gemeente ${await name(AMSTERDAM)}`).waitFor();
    const nav = await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link').allTextContents();
    expect(nav).toEqual(['Onze gezinnen', 'Gezin melden', 'Ons saldo', 'Cijfers']);
    const rows = page.locator('table.registrations__table tbody tr');
    await expect(rows.count()).resolves.toBe(3);
    await page.getByText('Accepteren of weigeren').first().waitFor();
    await checkPage(page, '10-gemeente-onze-gezinnen', { readme: true });

    await page.getByLabel('Welke gezinnen').selectOption('gemeld');
    await page.getByRole('button', { name: 'Filteren' }).click();
    await page.waitForURL(/wie=gemeld/);
    await page.locator('[aria-busy]').waitFor({ state: 'detached' });
    await expect(rows.count()).resolves.toBe(1);
  }, STEP_MS);

  it('reports a family: every field error at once in Dutch, a draft kept in memory only, then 202', async () => {
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Gezin melden' }).click();
    await page.getByRole('heading', { level: 1, name: 'Gezin melden' }).waitFor();
    await page.getByRole('button', { name: 'Gezin melden' }).click();
    const summary = page.locator('.problem-summary');
    await summary.waitFor();
    const problems = await summary.locator('li').allTextContents();
    // Everything the API found missing, in one list, each linked to its field.
    expect(problems.length).toBeGreaterThanOrEqual(10);
    expect(problems).toContain('Groep is verplicht.');
    expect(problems).toContain('Verblijfsgrond is verplicht.');
    expect(problems).toContain('Volwassene 1: BSN is verplicht.');
    await page.getByRole('group', { name: 'Kwam het gezin op eigen initiatief en onvoorbereid?' }).getByText('Fout: Eigen initiatief en onvoorbereid is verplicht.').waitFor();
    await page.getByText('Fout: Verblijfsgrond is verplicht.').waitFor();
    await checkPage(page, '11-gemeente-melden-fouten');

    // A draft: fill part, leave, come back.
    await page.getByRole('group', { name: 'Om welke groep gaat het?' }).getByLabel('Uit het Caribisch deel van het Koninkrijk').check();
    await page.getByLabel('Verblijfsgrond').selectOption('dutch_nationality');
    await page.getByRole('group', { name: 'Volwassene 1' }).getByLabel('Naam').fill('Ans Concept');
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Onze gezinnen' }).click();
    await page.getByRole('heading', { level: 1, name: 'Onze gezinnen' }).waitFor();
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Gezin melden' }).click();
    await page.getByText('U gaat verder met het concept dat u eerder in dit tabblad invulde.').waitFor();
    await expect(page.getByRole('group', { name: 'Volwassene 1' }).getByLabel('Naam').inputValue()).resolves.toBe('Ans Concept');
    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
    expect(stored).toBe(JSON.stringify({ local: {}, session: {}, cookie: '' }));

    await page.getByLabel('Waar kwam het gezin vandaan?').selectOption('caribbean_part');
    await page.getByLabel('Van welk eiland? (niet verplicht)').selectOption('curacao');
    for (const [legend, answer] of [
      ['Kwam het gezin op eigen initiatief en onvoorbereid?', 'Ja'],
      ['Heeft het gezin een vluchtelingen- of evacuéstatus?', 'Nee'],
      ['Is het gezin feitelijk dakloos, zonder netwerk om op terug te vallen?', 'Ja'],
    ] as const) {
      await page.getByRole('group', { name: legend }).getByLabel(answer, { exact: true }).check();
    }
    await page.getByLabel('Datum van het zelfredzaamheidsonderzoek').fill('2026-11-01');
    await page.getByLabel('Uitkomst van het zelfredzaamheidsonderzoek').selectOption('self_reliant');
    const adult = page.getByRole('group', { name: 'Volwassene 1' });
    await adult.getByLabel('BSN').fill(nextBsn());
    await adult.getByLabel('Geboortedatum').fill('1991-03-03');
    const child = page.getByRole('group', { name: 'Kind 1' });
    await child.getByLabel('Naam').fill('Kees Concept');
    await child.getByLabel('BSN').fill('123456788'); // fails the 11-proef
    await child.getByLabel('Geboortedatum').fill('2018-08-08');
    await page.getByLabel('Gemeenten waar het gezin een netwerk heeft (niet verplicht): gemeente kiezen').selectOption(UTRECHT);
    await page.getByRole('group', { name: 'Gemeenten waar het gezin een netwerk heeft (niet verplicht)' }).getByRole('button', { name: 'Toevoegen' }).click();
    await page.getByRole('button', { name: new RegExp(`^Verwijderen\\W+${await name(UTRECHT)}$`) }).waitFor();
    await page.getByRole('button', { name: 'Gezin melden' }).click();
    await summary.getByText('Kind 1: BSN is geen geldig BSN (de elfproef klopt niet).').waitFor();
    await child.getByText('Fout: BSN is geen geldig BSN (de elfproef klopt niet).').waitFor();

    await child.getByLabel('BSN').fill(nextBsn());
    await page.getByRole('button', { name: 'Gezin melden' }).click();
    await page.getByText(/Het gezin is gemeld op/).waitFor();
    await page.getByRole('heading', { level: 1, name: `Registratie: gezin uit ${await name(AMSTERDAM)}` }).waitFor();
    await page.getByText('Ans Concept', { exact: false }).waitFor();
    // The draft is gone once the family is reported.
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Gezin melden' }).click();
    await expect(page.getByRole('group', { name: 'Volwassene 1' }).getByLabel('Naam').inputValue()).resolves.toBe('');
  }, STEP_MS);

  it('accepts a family allocated to us after a confirmation', async () => {
    await open(`/registraties/${ours.allocated}`);
    await page.getByRole('heading', { name: 'Wat kunt u doen?' }).waitFor();
    await checkPage(page, '12-gemeente-toegewezen-gezin', { readme: true });
    await page.getByRole('button', { name: 'Accepteren' }).click();
    await page.getByRole('dialog', { name: 'Gezin accepteren?' }).getByRole('button', { name: 'Ja, accepteren' }).click();
    await page.getByText('U heeft het gezin geaccepteerd.').waitFor();
    await page.getByRole('button', { name: 'Verhuizing vastleggen' }).waitFor();
    const reg = (await t.app.inject({ url: `/api/v1/registrations/${ours.allocated}`, headers: await t.auth('coordinator') })).json();
    expect(reg.status).toBe('accepted');
  }, STEP_MS);

  it('declines a family only with a kind of reason and a reason of at least 3 characters', async () => {
    await open(`/registraties/${ours.declined}`);
    await page.getByRole('button', { name: 'Weigeren' }).click();
    await page.getByRole('button', { name: 'Verder naar bevestigen' }).click();
    await page.getByText('Fout: Kies de soort reden.').waitFor();
    await page.getByLabel('Soort reden').selectOption('no_housing_available');
    await page.getByLabel('Reden', { exact: true }).fill('ok');
    await page.getByRole('button', { name: 'Verder naar bevestigen' }).click();
    await page.getByText('Fout: Vul een reden van minstens 3 tekens in.').waitFor();
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await checkPage(page, '13-gemeente-weigeren-fout');
    await page.getByLabel('Reden', { exact: true }).fill('Geen passende woning in deze periode.');
    await page.getByRole('button', { name: 'Verder naar bevestigen' }).click();
    await page.getByRole('dialog', { name: 'Gezin weigeren?' }).getByRole('button', { name: 'Ja, weigeren' }).click();
    await page.getByText('U heeft het gezin geweigerd. De coördinator zoekt een andere gemeente.').waitFor();
    const reg = (await t.app.inject({ url: `/api/v1/registrations/${ours.declined}`, headers: await t.auth('coordinator') })).json();
    expect(reg.status).toBe('needs_attention');
  }, STEP_MS);

  it('records a shelter stay for a family we reported, and ends it', async () => {
    await open(`/registraties/${ours.reported}`);
    await page.getByRole('button', { name: 'Verblijf vastleggen' }).click();
    await page.getByLabel('Soort opvang').selectOption('holiday_park');
    await page.getByLabel('Van', { exact: true }).fill('2026-11-04');
    await page.getByLabel('Kosten per nacht').fill('tachtig');
    await page.getByRole('button', { name: 'Verblijf opslaan' }).click();
    await page.getByText('Fout: Vul een bedrag in euro in, bijvoorbeeld 89,50.').waitFor();
    await page.getByLabel('Kosten per nacht').fill('75,25');
    await page.getByLabel('Locatie (niet verplicht)').fill('Vakantiepark De Dennen');
    await page.getByRole('button', { name: 'Verblijf opslaan' }).click();
    await page.getByText('Het verblijf in de noodopvang is vastgelegd.').waitFor();
    const stays = page.getByRole('region', { name: 'Verblijven in de noodopvang' });
    await stays.getByText('loopt nog').waitFor();
    await expect(stays.getByText('€\u00a075,25').count()).resolves.toBe(1);
    await checkPage(page, '14-gemeente-noodopvang');
    await page.getByRole('button', { name: 'Verblijf vanaf 4 november 2026 beëindigen' }).click();
    await page.getByLabel('Vertrokken op').fill('2026-11-20');
    await page.getByRole('button', { name: 'Verblijf beëindigen' }).click();
    await page.getByText('Het verblijf is beëindigd op 20 november 2026.').waitFor();
    await page.locator('[aria-busy]').waitFor({ state: 'detached' });
    await stays.getByText('20 november 2026').waitFor();
    const cells = (await stays.locator('tbody tr td').allTextContents()).map((c) => c.replace(/\u00a0/g, ' '));
    expect(cells).toEqual(['Vakantiepark', await name(AMSTERDAM), '4 november 2026', '20 november 2026', '16', '€ 75,25', '€ 1.204,00']);
  }, STEP_MS);

  it('shows our own balance and share, and the figures of our own families', async () => {
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Ons saldo' }).click();
    await page.getByRole('heading', { level: 1, name: 'Ons saldo' }).waitFor();
    await page.locator('[aria-busy]').waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 2, name: new RegExp(`^${await name(AMSTERDAM)} in`) }).waitFor();
    await page.getByText('Aandeel', { exact: true }).waitFor();
    // Only our own row: no table of all municipalities.
    await expect(page.locator('table.balances__table').count()).resolves.toBe(0);
    await checkPage(page, '15-gemeente-saldo', { readme: true });

    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Cijfers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Cijfers' }).waitFor();
    await page.locator('[aria-busy]').waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'Aanmeldingen per maand en deelgroep' }).waitFor();
    await checkPage(page, '16-gemeente-cijfers');
  }, STEP_MS);

  it("never reaches Rotterdam's family: not by its address, not in any answer the browser received", async () => {
    await open(`/registraties/${secret.id}`);
    await page.getByText('Deze registratie bestaat niet, of u mag haar niet inzien.').waitFor();
    await open(`/voorstellen/${secret.allocationId}`);
    await page.getByRole('heading', { level: 1, name: 'Niet beschikbaar' }).waitFor();
    await checkPage(page, '17-gemeente-niet-beschikbaar');
    await open('/registraties?status=approved');
    await page.locator('[aria-busy]').waitFor({ state: 'detached' });
    await expect(page.locator('main').textContent()).resolves.not.toContain(secret.names[0]!);
    expect(answers.length).toBeGreaterThan(20);
    expectNothingOf(secret);
  }, STEP_MS);
});

describe('the housing corporation desk (working area Amsterdam and Utrecht)', () => {
  it('lists the families allocated in the working area with minimal data, and offers a dwelling', async () => {
    await page.getByRole('button', { name: 'Afmelden' }).click();
    await signInAs(await t.token('housing_corporation', { municipalities: [AMSTERDAM, UTRECHT], sub: 'browser-test-corporation' }));
    await page.getByRole('heading', { level: 1, name: 'Gezinnen' }).waitFor();
    await page.getByText(`Aangemeld als woningcorporatie (werkgebied: ${await name(AMSTERDAM)}, ${await name(UTRECHT)})`).waitFor();
    const rows = page.locator('table.assigned__table tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    // Minimal data: no names, no BSNs.
    const text = await page.locator('main').textContent();
    expect(text).not.toContain('Martina');
    await checkPage(page, '20-corporatie-gezinnen', { readme: true });

    await rows.first().getByRole('button', { name: /^Woning aanbieden/ }).click();
    await page.getByLabel('Aantal slaapkamers').fill('3');
    await page.getByLabel('De woning is toegankelijk (zonder trappen)').check();
    await checkPage(page, '21-corporatie-aanbod');
    await page.getByRole('button', { name: 'Aanbod vastleggen' }).click();
    if (apiPaths.has('/housing-offers')) {
      await page.getByRole('heading', { level: 1, name: 'Aanbiedingen' }).waitFor();
      await page.getByText(/Het aanbod voor het gezin van 3 personen/).waitFor();
      await checkPage(page, '22-corporatie-aanbiedingen', { readme: true });
      await page.getByRole('button', { name: /^Verhuisdatum: aanbod van/ }).click();
      await page.getByLabel('Verhuisdatum', { exact: true }).fill('2026-12-15');
      await page.getByRole('button', { name: 'Verhuisdatum opslaan' }).click();
      await page.getByText('De verhuisdatum 15 december 2026 is vastgelegd.').waitFor();
    } else {
      // Until contract B is on this branch the form says what the API answered.
      await page.locator('.problem-summary').waitFor();
    }
  }, STEP_MS);

  it('declares capacity for a municipality of the working area', async () => {
    await open('/capaciteit');
    await page.getByLabel('Gemeente', { exact: true }).selectOption(UTRECHT);
    await page.getByLabel('Soort', { exact: true }).selectOption('flex_unit');
    await page.getByLabel('Aantal', { exact: true }).fill('4');
    await page.getByLabel('Slaapkamers per woning').fill('2');
    await page.getByRole('button', { name: 'Capaciteit opgeven' }).click();
    await page.getByText(`De capaciteit voor ${await name(UTRECHT)} is opgegeven.`).waitFor();
    const rows = page.getByRole('region', { name: 'Opgegeven capaciteit' }).locator('tbody tr');
    await rows.first().waitFor();
    await expect(rows.count()).resolves.toBe(1);
    await checkPage(page, '23-corporatie-capaciteit', { readme: true });
  }, STEP_MS);

  it("never reaches Rotterdam's family either, and ran without CSP violations or script errors", async () => {
    expectNothingOf(secret);
    expect(watched.cspViolations).toEqual([]);
    expect(watched.pageErrors).toEqual([]);
  });
});
