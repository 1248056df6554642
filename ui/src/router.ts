// History-API routing for a handful of pages. The server answers every page path with the same
// index.html (src/modules/ui), so a reload or a bookmark lands on the right page.
import { alertBox, h, type AlertKind } from './dom';
import type { Role } from './session';

export interface PageContext {
  params: string[];
  query: URLSearchParams;
  /** The page's own container; a later navigation detaches it, so late writes go nowhere. */
  view: HTMLElement;
  setTitle(title: string): void;
}

export interface Route {
  pattern: RegExp;
  render: (ctx: PageContext) => Promise<void> | void;
  /** Reachable without signing in. */
  public?: boolean;
  /** Which main navigation item is current. */
  section?: string;
  /** The roles whose desk has this page; every role when absent. */
  roles?: readonly Role[];
}

export interface Flash {
  kind: AlertKind;
  text: string;
}

let routes: Route[] = [];
let main: HTMLElement;
let guard: (path: string) => Promise<boolean> = async () => true;
let allowed: (route: Route) => boolean = () => true;
let home: () => string = () => '/';
let onRendered: (route: Route | undefined) => void = () => {};
let pendingFlash: Flash | null = null;
let generation = 0;
/** Until the first page has rendered (a redirect to sign-in included), focus stays at the start. */
let settled = false;

/** A message for the next page (after an action that navigates), shown once. */
export function takeFlash(): HTMLElement | null {
  const f = pendingFlash;
  pendingFlash = null;
  return f ? alertBox(f.kind, [h('p', { class: 'utrecht-paragraph' }, f.text)], { live: 'polite', attrs: { class: 'flash' } }) : null;
}

export function navigate(path: string, opts: { replace?: boolean; flash?: Flash } = {}): void {
  if (opts.flash) pendingFlash = opts.flash;
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void render();
}

/** Updates the query string without a new history entry or a re-render (filters, sorting). */
export function replaceQuery(query: URLSearchParams): void {
  const qs = query.toString();
  history.replaceState(null, '', `${location.pathname}${qs ? `?${qs}` : ''}`);
}

/** A known page that the signed-in role's desk has (after sign-in, where to go back to). */
export function isAllowedPath(path: string): boolean {
  const found = match(new URL(path, location.origin).pathname);
  return found !== undefined && allowed(found.route);
}

export function currentPath(): string {
  return `${location.pathname}${location.search}`;
}

function match(pathname: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    const m = route.pattern.exec(pathname);
    if (m) return { route, params: m.slice(1) };
  }
  return undefined;
}

async function render(): Promise<void> {
  const mine = ++generation;
  const initial = !settled;
  const found = match(location.pathname);
  if (found && !found.route.public && !(await guard(currentPath()))) return;
  if (mine !== generation) return;

  const view = h('div', { class: 'view' });
  main.replaceChildren(view);
  const ctx: PageContext = {
    params: found?.params ?? [],
    query: new URLSearchParams(location.search),
    view,
    setTitle: (title) => {
      if (mine === generation) document.title = `${title} — Spreiding`;
    },
  };
  onRendered(found?.route);
  if (!found) {
    ctx.setTitle('Pagina niet gevonden');
    view.append(
      h('h1', { class: 'utrecht-heading-1', tabindex: -1 }, 'Pagina niet gevonden'),
      h('p', { class: 'utrecht-paragraph' }, 'Deze pagina bestaat niet. ', h('a', { href: home(), class: 'utrecht-link utrecht-link--html-a' }, 'Ga naar de startpagina'), '.'),
    );
  } else if (!allowed(found.route)) {
    ctx.setTitle('Niet beschikbaar');
    view.append(
      h('h1', { class: 'utrecht-heading-1', tabindex: -1 }, 'Niet beschikbaar'),
      h('p', { class: 'utrecht-paragraph' }, 'Deze pagina hoort niet bij uw rol. ', h('a', { href: home(), class: 'utrecht-link utrecht-link--html-a' }, 'Ga naar de startpagina'), '.'),
    );
  } else {
    try {
      await found.route.render(ctx);
    } catch (err) {
      // A page that fails to render still leaves a heading and a message behind.
      console.error(err);
      if (mine === generation && !view.querySelector('h1')) {
        view.append(h('h1', { class: 'utrecht-heading-1', tabindex: -1 }, 'Er ging iets mis'));
      }
    }
  }
  // Moving focus to the new heading tells a screen reader user that the page changed; the first
  // load keeps the browser's own start so the skip link is the first stop.
  if (mine !== generation) return;
  settled = true;
  if (!initial) {
    const h1 = view.querySelector<HTMLElement>('h1');
    if (h1) {
      h1.tabIndex = -1;
      h1.focus();
    }
  }
}

/** Same-origin links to a known page stay in the page (and keep the in-memory sign-in). */
function onClick(ev: MouseEvent) {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = (ev.target as Element | null)?.closest?.('a');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !match(url.pathname)) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  ev.preventDefault();
  navigate(`${url.pathname}${url.search}`);
}

export function startRouter(opts: {
  routes: Route[];
  main: HTMLElement;
  guard: (path: string) => Promise<boolean>;
  allowed: (route: Route) => boolean;
  home: () => string;
  onRendered: (route: Route | undefined) => void;
}): void {
  routes = opts.routes;
  main = opts.main;
  guard = opts.guard;
  allowed = opts.allowed;
  home = opts.home;
  onRendered = opts.onRendered;
  document.addEventListener('click', onClick);
  window.addEventListener('popstate', () => void render());
  void render();
}
