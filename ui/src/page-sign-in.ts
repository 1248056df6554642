// Sign-in. Embedded mode (no identity provider, the service on this computer) offers a one-click
// coordinator sign-in through POST /ui/session; anywhere a token may be pasted. In production
// the OIDC proxy signs the user in before this page is ever reached, and the page is only seen
// when that session has ended.
import { apiRequest, ApiProblem } from './api';
import { add, alertBox, button, h, heading, paragraph, replaceChildren } from './dom';
import { textArea } from './forms';
import { timestamp } from './format';
import { describeProblem } from './problems';
import { navigate, takeFlash, type PageContext } from './router';
import { readClaims, session, signInWithToken } from './session';

const HOME = '/voorstellen';

/** Only a path on this site: `terug` must not become an open redirect. */
function safeBack(raw: string | null): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\') || raw.startsWith('/aanmelden')) return HOME;
  return raw;
}

export function signInPath(back?: string): string {
  const target = back ? safeBack(back) : HOME;
  return target === HOME ? '/aanmelden' : `/aanmelden?terug=${encodeURIComponent(target)}`;
}

interface LocalSignIn {
  localSignIn: boolean;
  expiresInSeconds: number;
}

async function localSignInAvailable(): Promise<LocalSignIn | null> {
  try {
    const res = await fetch('/ui/session', { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' });
    return res.ok ? ((await res.json()) as LocalSignIn) : null;
  } catch {
    return null;
  }
}

/** One authenticated read: does the API accept this token for the review desk? */
async function checkToken(token: string): Promise<void> {
  await apiRequest('/allocations?status=proposed&pageSize=1', { token });
}

export async function renderSignIn(ctx: PageContext): Promise<void> {
  ctx.setTitle('Aanmelden');
  const back = safeBack(ctx.query.get('terug'));
  add(ctx.view, 
    heading(1, 'Aanmelden'),
    takeFlash(),
    paragraph('Met deze toepassing beoordeelt het landelijk coördinatiepunt de voorstellen voor de verdeling van gezinnen over de gemeenten.'),
  );
  if (session.signedIn) {
    add(ctx.view, alertBox('info', [paragraph('U bent al aangemeld. ', h('a', { href: back, class: 'utrecht-link utrecht-link--html-a' }, 'Ga verder'), '.')]));
  }

  const local = await localSignInAvailable();
  const done = (message: string) => navigate(back, { replace: true, flash: { kind: 'ok', text: message } });

  if (local?.localSignIn) {
    const localError = h('div');
    const signInButton = button('Aanmelden als coördinator', {
      appearance: 'primary',
      onclick: async () => {
        signInButton.disabled = true;
        replaceChildren(localError);
        try {
          const res = await fetch('/ui/session', {
            method: 'POST',
            headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
            body: '{}',
            cache: 'no-store',
            credentials: 'same-origin',
          });
          if (!res.ok) throw new ApiProblem(res.status, res.status === 404 ? 'not_found' : 'internal_error', '');
          const body = (await res.json()) as { token: string };
          signInWithToken(body.token);
          done('U bent aangemeld als coördinator.');
        } catch (err) {
          const d = describeProblem(err, { messages: { not_found: 'Lokaal aanmelden kan alleen op de computer waarop de dienst in de ingebouwde modus draait.' } });
          replaceChildren(localError, alertBox('error', [paragraph(d.message)], { live: 'assertive' }));
          signInButton.disabled = false;
        }
      },
    });
    add(ctx.view, 
      h(
        'section',
        { class: 'sign-in__section', 'aria-labelledby': 'lokaal-kop' },
        heading(2, 'Aanmelden op deze computer', { id: 'lokaal-kop' }),
        paragraph(
          'De dienst draait in de ingebouwde modus op deze computer, zonder aanmeldvoorziening van een organisatie. ',
          'U kunt zich daarom hier als coördinator aanmelden. Dat kan alleen vanaf deze computer zelf.',
        ),
        paragraph(`De aanmelding blijft alleen in het geheugen van dit tabblad en geldt ${Math.round(local.expiresInSeconds / 60)} minuten; na herladen meldt u zich opnieuw aan.`),
        localError,
        signInButton,
      ),
    );
  } else {
    add(ctx.view, 
      h(
        'section',
        { class: 'sign-in__section', 'aria-labelledby': 'organisatie-kop' },
        heading(2, 'Aanmelden via uw organisatie', { id: 'organisatie-kop' }),
        paragraph(
          'Normaal meldt u zich aan via de aanmeldpagina van uw organisatie, voordat u deze toepassing ziet. ',
          'Komt u toch hier terecht, dan is die aanmelding verlopen: herlaad de pagina. Lukt dat niet, neem dan contact op met uw beheerder.',
        ),
      ),
    );
  }

  const token = textArea({
    label: 'Token',
    description: 'Een toegangstoken (JWT) voor de rol coördinator, bijvoorbeeld gemaakt met npm run token -- --role coordinator. Het token wordt niet opgeslagen.',
    id: 'token',
    attrs: { rows: 3, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off' },
  });
  const submit = h('button', { type: 'submit', class: 'utrecht-button utrecht-button--secondary-action' }, 'Aanmelden met token');
  const form = h(
    'form',
    { class: 'utrecht-form sign-in__form', novalidate: true, 'aria-labelledby': 'token-kop' },
    token.field,
    h('div', { class: 'utrecht-button-group' }, submit),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const raw = token.input.value.trim().replace(/^Bearer\s+/i, '');
    const fail = (text: string) => {
      token.setError(text);
      token.input.focus();
    };
    if (raw === '') return fail('Vul een token in.');
    const claims = readClaims(raw);
    if (!claims) return fail('Dit is geen geldig token. Een token bestaat uit drie delen, gescheiden door punten.');
    if (claims.role !== 'coordinator') return fail(`Dit token is niet voor de rol coördinator${typeof claims.role === 'string' ? ` maar voor de rol ${claims.role}` : ''}.`);
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return fail(`Dit token is verlopen op ${timestamp(new Date(claims.exp * 1000).toISOString())}.`);
    submit.disabled = true;
    try {
      await checkToken(raw);
      token.setError(null);
      signInWithToken(raw);
      done('U bent aangemeld als coördinator.');
    } catch (err) {
      const d = describeProblem(err, {
        messages: {
          unauthorized: 'De dienst accepteert dit token niet: het is ongeldig, verlopen of niet door deze dienst uitgegeven.',
          forbidden: 'Dit token geeft geen toegang tot de beoordeling van voorstellen.',
        },
      });
      fail(d.message);
    } finally {
      submit.disabled = false;
    }
  });
  add(ctx.view, 
    h(
      'section',
      { class: 'sign-in__section', 'aria-labelledby': 'token-kop' },
      heading(2, local?.localSignIn ? 'Of: aanmelden met een token' : 'Aanmelden met een token (beheerders)', { id: 'token-kop' }),
      form,
    ),
  );
}
