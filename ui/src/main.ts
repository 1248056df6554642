// Start-up: the NL Design System styles, the page shell, sign-in state and the routes.
import '@utrecht/component-library-css/dist/index.css';
import '@utrecht/design-tokens/dist/theme.css';
import './styles.css';
import { apiRequest, setUnauthorizedHandler } from './api';
import { h, replaceChildren } from './dom';
import { renderBalances } from './page-balances';
import { renderProposal } from './page-proposal';
import { renderQueue } from './page-queue';
import { renderRegistration } from './page-registration';
import { renderSignIn, signInPath } from './page-sign-in';
import { currentPath, navigate, startRouter, type Route } from './router';
import { onSessionChange, session, signInThroughProxy, signOut } from './session';

const UUID = '([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})';

const routes: Route[] = [
  { pattern: /^\/aanmelden$/, render: renderSignIn, public: true },
  { pattern: /^\/(?:voorstellen)?$/, render: renderQueue, section: 'voorstellen' },
  { pattern: new RegExp(`^/voorstellen/${UUID}$`), render: renderProposal, section: 'voorstellen' },
  { pattern: new RegExp(`^/registraties/${UUID}$`), render: renderRegistration, section: 'voorstellen' },
  { pattern: /^\/verdeling$/, render: renderBalances, section: 'verdeling' },
];

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('app-nav') as HTMLElement;
const user = document.getElementById('app-user') as HTMLElement;

// The skip link moves focus itself: following "#main" would add a history entry for a fragment.
document.getElementById('skip-link')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});

const clock = new Intl.DateTimeFormat('nl-NL', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Amsterdam' });

function renderUser() {
  nav.hidden = !session.signedIn;
  if (session.mode === 'token') {
    replaceChildren(
      user,
      h('span', { class: 'app-user__who' }, 'Aangemeld als coördinator', session.expiresAt ? ` tot ${clock.format(session.expiresAt)}` : null),
      h('button', {
        type: 'button',
        class: 'app-user__sign-out',
        onclick: () => {
          signOut();
          navigate(signInPath(), { flash: { kind: 'info', text: 'U bent afgemeld. Het token is uit het geheugen van deze pagina gewist.' } });
        },
      }, 'Afmelden'),
    );
  } else if (session.mode === 'proxy') {
    replaceChildren(user, h('span', { class: 'app-user__who' }, 'Aangemeld via uw organisatie'));
  } else {
    replaceChildren(user);
  }
}
onSessionChange(renderUser);

let proxyProbed = false;
/**
 * Behind the organisation's OIDC proxy the API answers without the page sending a token: the
 * proxy added it. One quiet request tells which situation this is.
 */
async function signedInThroughProxy(): Promise<boolean> {
  if (proxyProbed) return false;
  proxyProbed = true;
  try {
    await apiRequest('/allocations?status=proposed&pageSize=1', { token: null });
    return true;
  } catch {
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
    if (await signedInThroughProxy()) {
      signInThroughProxy();
      return true;
    }
    navigate(signInPath(path), { replace: true });
    return false;
  },
  onRendered: (route) => {
    for (const a of nav.querySelectorAll<HTMLAnchorElement>('a[data-section]')) {
      // 'page' on the section's own page, 'true' on a page within it (a proposal, a registration).
      if (route?.section !== a.dataset.section) a.removeAttribute('aria-current');
      else a.setAttribute('aria-current', a.pathname === location.pathname || (a.pathname === '/voorstellen' && location.pathname === '/') ? 'page' : 'true');
    }
  },
});
renderUser();
