// Debian's Chromium through playwright-core, axe-core checks and screenshots, for the browser tests.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT } from '../support/processes.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');
/**
 * The README's pictures of each desk: written into docs/screenshots/ only when asked for
 * (`npm run screenshots`, which sets README_SCREENSHOTS=1), so an ordinary test run leaves the
 * tree as it was.
 */
export const README_SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const writeReadmeScreenshots = process.env.README_SCREENSHOTS === '1';
export const VIEWPORT = { width: 1280, height: 800 };
/** The narrow screen of the issue: 320 CSS pixels wide (also what 1280 px at 400 % zoom gives). */
export const NARROW = { width: 320, height: 640 };

/** A machine without internet and without a desktop session: nothing may phone home or wait for a GPU. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Playwright gives every launch a fresh temporary profile (user-data-dir), removed on close. */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium), as .ci/run does.`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export async function screenshot(page: Page, name: string, opts: { readme?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  if (opts.readme && writeReadmeScreenshots) {
    mkdirSync(README_SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(README_SCREENSHOTS, `${name}.png`) });
  }
  return path;
}

export interface AxeSummary {
  page: string;
  violations: Array<{ id: string; impact: string | null | undefined; nodes: number }>;
  passes: number;
}

export const axeLog: AxeSummary[] = [];

/** WCAG 2.1 A and AA rules and axe's best practices: any violation, of any impact, fails the test. */
export async function expectAccessible(page: Page, name: string): Promise<AxeSummary> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const summary: AxeSummary = {
    page: name,
    violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
    passes: result.passes.length,
  };
  axeLog.push(summary);
  const blocking = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
  expect(blocking, `axe on ${name}`).toEqual([]);
  return summary;
}

/** Console lines that mean the Content-Security-Policy blocked something the page needed. */
export function watchPage(page: Page): { cspViolations: string[]; pageErrors: string[] } {
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|execute|apply|connect|frame)/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return { cspViolations, pageErrors };
}

/** The page scrolls sideways (WCAG 1.4.10 reflow); a table's own scroll box does not count. */
export async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number; widest: string[] }> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: any }).document;
    const root = doc.documentElement;
    const limit = root.clientWidth;
    const widest: string[] = [];
    for (const el of doc.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > limit + 1 && !el.closest('.utrecht-table-container') && !el.closest('.sr-only')) {
        widest.push(`${el.tagName.toLowerCase()}.${String(el.className?.baseVal ?? el.className).split(' ').join('.')} → ${Math.round(r.right)}`);
      }
    }
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, widest: widest.slice(0, 5) };
  });
}

/**
 * Every page at both sizes: 1280×800 and 320×640. At each, axe-core finds no violation; at 320
 * the page does not scroll sideways; a screenshot of each goes to test-results (and, for the
 * README, to docs/screenshots when asked). The viewport is 1280×800 again afterwards.
 */
export async function checkPage(page: Page, name: string, opts: { readme?: boolean } = {}): Promise<void> {
  await page.setViewportSize(VIEWPORT);
  // No technical ids on screen: no UUIDs, CBS codes or token subjects in what a person reads.
  const text = await page.locator('body').innerText();
  expect(text, `${name} shows a technical id`).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\bGM\d{4}\b|\b(cli|embedded-ui|browser-test)[:-]/i);
  await screenshot(page, name, opts);
  await expectAccessible(page, `${name} (1280×800)`);
  await page.setViewportSize(NARROW);
  const overflow = await horizontalOverflow(page);
  expect(overflow.scrollWidth, `${name} at 320 px scrolls sideways: ${overflow.widest.join(', ')}`).toBeLessThanOrEqual(overflow.clientWidth);
  await screenshot(page, `${name}-320`);
  await expectAccessible(page, `${name} (320×640)`);
  await page.setViewportSize(VIEWPORT);
}

/** Signs in on the sign-in page with a pasted token and waits for the desk's first page. */
export async function pasteToken(page: Page, token: string): Promise<void> {
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Aanmelden met token' }).click();
  await page.locator('main h1:not(:text("Aanmelden"))').first().waitFor();
}
