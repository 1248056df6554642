// The review desk's web UI: the Vite build in ui/dist, served by this same service under `/`.
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { AppError } from '../../http/errors.js';
import { uiPrincipalRoutes } from './ui-principal.js';
import { uiSessionRoutes, type UiSessionOptions } from './ui-session.js';

/**
 * Relative to this file in both layouts: src/modules/ui → ui/dist when run from source, and
 * dist/src/modules/ui → dist/ui/dist in the image (the Dockerfile copies the build there, as it
 * does for migrations).
 */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

/** Only a UUID-shaped id is a page; `/voorstellen/` (empty id) stays a 404 like any trailing slash. */
const ID = ':id(^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)';

/**
 * Client-side routes. Each answers with index.html so a bookmarked or reloaded page works; the
 * list is explicit so that every other path keeps the API's 404.
 */
export const UI_PAGES = [
  '/',
  '/aanmelden',
  '/werklijst',
  '/voorstellen',
  `/voorstellen/${ID}`,
  '/registraties',
  '/registraties/nieuw',
  `/registraties/${ID}`,
  '/gezinnen',
  '/woningen',
  '/capaciteit',
  '/verdeling',
  '/simulatie',
  '/cijfers',
] as const;

/**
 * The built UI has no inline script or style, so nothing needs 'unsafe-inline'. Images allow
 * data: because the NL Design System CSS draws its checkbox marks as data: SVGs.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const UI_SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': UI_CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/**
 * What Vite writes into assets/: flat names of letters, digits, dots, dashes and underscores. Any
 * other asset path (a NUL, an encoded slash or dot-dot, a name longer than a file system allows)
 * is answered 404 before the file system is asked, which would otherwise throw.
 */
const ASSET_PATH = /^\/assets\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** Vite puts a content hash in every asset name, so a cached copy can never be stale. */
const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** index.html names the current assets: revalidate on every load (cheap with the ETag). */
const PAGE_CACHE_CONTROL = 'no-cache';

export interface UiPluginOptions {
  session: UiSessionOptions;
  /** Where the Vite build is; defaults to ui/dist beside the sources. */
  uiDir?: string;
}

export const uiPlugin: FastifyPluginAsync<UiPluginOptions> = async (app, { session, uiDir = DEFAULT_UI_DIR }) => {
  // Every route in this plugin is reachable without a token: the pages and assets carry no data,
  // and the data they show comes from the API, which checks the token the page sends. The one
  // exception names its roles (/ui/principal) and keeps the API's token check.
  // Pages and assets are not counted in the rate limit either: one page load fetches several
  // files, and those must not use up the anonymous bucket (the sign-in endpoint still counts).
  app.addHook('onRoute', (route) => {
    if (route.config?.roles) return;
    const unmetered = route.url.startsWith('/assets/') || (UI_PAGES as readonly string[]).includes(route.url);
    route.config = { ...(route.config ?? {}), public: true, ...(unmetered ? { unmetered: true } : {}) };
  });
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0]!;
    if (path.startsWith('/assets/') && !ASSET_PATH.test(path)) throw new AppError('not_found', 'There is no resource at this path.');
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [k, v] of Object.entries(UI_SECURITY_HEADERS)) reply.header(k, v);
    return payload;
  });

  await app.register(uiSessionRoutes, session);
  await app.register(uiPrincipalRoutes);

  const built = existsSync(join(uiDir, 'index.html'));
  if (!built) {
    app.log.warn({ uiDir }, 'the web UI is not built (npm run build:ui); its pages answer 503');
    registerNotBuilt(app);
    return;
  }

  const assetsDir = join(uiDir, 'assets');
  await app.register(fastifyStatic, {
    root: assetsDir,
    prefix: '/assets/',
    wildcard: true,
    index: false,
    list: false,
    dotfiles: 'deny',
    // The build writes .br and .gz beside each file (ui/vite.config.ts).
    preCompressed: true,
    cacheControl: false,
    // Runs for index.html as well (sent through the same reply.sendFile), so decide by where the file is.
    setHeaders: (reply, path) => reply.header('Cache-Control', path.startsWith(assetsDir + sep) ? ASSET_CACHE_CONTROL : PAGE_CACHE_CONTROL),
  });
  for (const path of UI_PAGES) {
    app.get(path, { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html', uiDir));
  }
};

/** A service started without `npm run build:ui` still serves its API; the pages say what is missing. */
function registerNotBuilt(app: FastifyInstance) {
  const page =
    '<!doctype html><html lang="nl"><meta charset="utf-8"><title>Spreiding — niet gebouwd</title>' +
    '<h1>De webinterface is niet gebouwd</h1><p>Voer <code>npm run build:ui</code> uit en start de dienst opnieuw.</p>' +
    '<p lang="en">The web UI has not been built: run <code>npm run build:ui</code> and restart.</p></html>';
  for (const path of UI_PAGES) {
    app.get(path, { schema: { hide: true } }, (_request, reply) =>
      reply.code(503).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(page),
    );
  }
}
