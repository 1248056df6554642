// Start-up: the NL Design System styles, the page shell, sign-in state, and each desk's routes.
import '@utrecht/component-library-css/dist/index.css';
import '@utrecht/design-tokens/dist/theme.css';
import './styles.css';
import { ApiProblem, setUnauthorizedHandler } from './api';
import { deskOf, roleName } from './desks';
import { h, replaceChildren } from './dom';
import { loadMunicipalities, nameOf } from './municipalities';
import { renderAssigned } from './page-assigned';
import { renderBalances } from './page-balances';
import { renderCapacity } from './page-capacity';
import { renderFigures } from './page-figures';
import { renderOffers } from './page-offers';
import { renderProposal } from './page-proposal';
import { renderQueue } from './page-queue';
import { renderRegister } from './page-register';
import { renderRegistration } from './page-registration';
import { renderRegistrations } from './page-registrations';
import { renderSignIn, signInPath } from './page-sign-in';
import { renderSimulation } from './page-simulation';
import { renderWorklist } from './page-worklist';
import { fetchPrincipal } from './principal';
import { currentPath, navigate, startRouter, type Route } from './router';
import { onSessionChange, session, signInThroughProxy, signOut } from './session';

const UUID = '([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})';

const home = () => deskOf(session.role)?.home ?? '/aanmelden';

const routes: Route[] = [
  { pattern: /^\/aanmelden$/, render: renderSignIn, public: true },
  // The start page is the desk's own first page.
  { pattern: /^\/$/, render: () => navigate(home(), { replace: true }) },
  { pattern: /^\/werklijst$/, render: renderWorklist, section: 'werklijst', roles: ['coordinator'] },
  { pattern: /^\/voorstellen$/, render: renderQueue, section: 'voorstellen', roles: ['coordinator'] },
  { pattern: new RegExp(`^/voorstellen/${UUID}$`), render: renderProposal, section: 'voorstellen', roles: ['coordinator'] },
  { pattern: /^\/registraties$/, render: renderRegistrations, section: 'registraties', roles: ['coordinator', 'municipality'] },
  { pattern: /^\/registraties\/nieuw$/, render: renderRegister, section: 'melden', roles: ['municipality'] },
  { pattern: new RegExp(`^/registraties/${UUID}$`), render: renderRegistration, section: 'registraties', roles: ['coordinator', 'municipality'] },
  { pattern: /^\/gezinnen$/, render: renderAssigned, section: 'gezinnen', roles: ['housing_corporation'] },
  { pattern: /^\/aanbiedingen$/, render: renderOffers, section: 'aanbiedingen', roles: ['housing_corporation'] },
  { pattern: /^\/capaciteit$/, render: renderCapacity, section: 'capaciteit', roles: ['housing_corporation'] },
  { pattern: /^\/verdeling$/, render: renderBalances, section: 'verdeling', roles: ['coordinator', 'municipality', 'policy_viewer'] },
  { pattern: /^\/simulatie$/, render: renderSimulation, section: 'simulatie', roles: ['coordinator', 'policy_viewer'] },
  { pattern: /^\/cijfers$/, render: renderFigures, section: 'cijfers', roles: ['coordinator', 'municipality', 'policy_viewer'] },
];

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('app-nav') as HTMLElement;
const navList = document.getElementById('app-nav-list') as HTMLElement;
const subtitle = document.getElementById('app-subtitle') as HTMLElement;
const homeLink = document.getElementById('app-home') as HTMLAnchorElement;
const user = document.getElementById('app-user') as HTMLElement;

// The skip link moves focus itself: following "#main" would add a history entry for a fragment.
document.getElementById('skip-link')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});

const clock = new Intl.DateTimeFormat('nl-NL', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Amsterdam' });

/** "gemeente Utrecht", "woningcorporatie (werkgebied: Utrecht en Zeist)": who, never a technical id. */
function whoText(): string {
  if (session.role === 'municipality') return `gemeente ${nameOf(session.municipality)}`;
  if (session.role === 'housing_corporation') {
    const area = session.municipalities;
    return `woningcorporatie (werkgebied: ${area.length <= 3 ? area.map(nameOf).join(', ') : `${area.length} gemeenten`})`;
  }
  return roleName(session.role);
}

function renderShell() {
  const desk = session.signedIn ? deskOf(session.role) : undefined;
  nav.hidden = !desk;
  replaceChildren(
    navList,
    (desk?.nav ?? []).map((item) => h('li', { class: 'app-nav__item' }, h('a', { class: 'app-nav__link', href: item.path, 'data-section': item.section }, item.text))),
  );
  subtitle.textContent = desk?.title ?? 'Spreiding van gezinnen over de gemeenten';
  homeLink.href = desk ? desk.home : '/aanmelden';
  if (!session.signedIn) {
    replaceChildren(user);
    return;
  }
  const who = h('span', { class: 'app-user__who' }, `Aangemeld als ${whoText()}`, session.expiresAt ? ` tot ${clock.format(session.expiresAt)}` : null);
  if (session.mode === 'proxy') {
    replaceChildren(user, who);
    return;
  }
  replaceChildren(
    user,
    who,
    h(
      'button',
      {
        type: 'button',
        class: 'app-user__sign-out',
        onclick: () => {
          signOut();
          navigate(signInPath(), { flash: { kind: 'info', text: 'U bent afgemeld. Het token is uit het geheugen van deze pagina gewist.' } });
        },
      },
      'Afmelden',
    ),
  );
}
onSessionChange(() => {
  renderShell();
  // Names of the municipality or working area arrive a moment later.
  if (session.signedIn && session.role !== 'coordinator') void loadMunicipalities().then(renderShell, () => undefined);
});

let proxyProbed = false;
/**
 * Behind the organisation's OIDC proxy the API answers without the page sending a token: the
 * proxy added it. One quiet request tells which situation this is, and who the user is.
 */
async function signedInThroughProxy(): Promise<boolean> {
  if (proxyProbed) return false;
  proxyProbed = true;
  try {
    const who = await fetchPrincipal();
    if (!who || !deskOf(who.role)) return false;
    signInThroughProxy(who);
    return true;
  } catch (err) {
    if (!(err instanceof ApiProblem)) console.error(err);
    return false;
  }
}

setUnauthorizedHandler(() => {
  const wasProxy = session.mode === 'proxy';
  const back = currentPath();
  signOut();
  navigate(signInPath(back), {
    replace: true,
    flash: {
      kind: 'warning',
      text: wasProxy
        ? 'Uw aanmelding bij uw organisatie is verlopen. Herlaad de pagina om opnieuw aan te melden.'
        : 'Uw aanmelding is verlopen of niet meer geldig. Meld u opnieuw aan.',
    },
  });
});

startRouter({
  routes,
  main,
  guard: async (path) => {
    if (session.signedIn) return true;
    if (await signedInThroughProxy()) return true;
    navigate(signInPath(path), { replace: true });
    return false;
  },
  allowed: (route) => !route.roles || route.roles.includes(session.role),
  home,
  onRendered: (route) => {
    for (const a of navList.querySelectorAll<HTMLAnchorElement>('a[data-section]')) {
      // 'page' on the section's own page, 'true' on a page within it (a proposal, a registration).
      if (route?.section !== a.dataset.section) a.removeAttribute('aria-current');
      else a.setAttribute('aria-current', a.pathname === location.pathname ? 'page' : 'true');
    }
  },
});
renderShell();
