// Sign-in. On the computer where the service runs without an identity provider, the person at
// the keyboard may choose a role (coordinator, a municipality, a housing corporation with a
// working area) through POST /ui/session; anywhere a token may be pasted. In production the OIDC
// proxy signs the user in before this page is ever reached, and the page is only seen when that
// session has ended.
import { apiRequest, ApiProblem } from './api';
import { deskOf, hasDesk, roleName } from './desks';
import { add, alertBox, h, heading, paragraph, replaceChildren, uid } from './dom';
import { radioGroup, selectField, textArea } from './forms';
import { timestamp } from './format';
import { collator } from './municipalities';
import { describeProblem } from './problems';
import { isAllowedPath, navigate, takeFlash, type PageContext } from './router';
import { readClaims, session, signInWithToken, whoFrom, type Who } from './session';

/** The desk's own start page, once the role is known. */
const HOME = '/';

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
  maxWorkingArea?: number;
  municipalities?: Array<{ code: string; name: string }>;
}

async function localSignInAvailable(): Promise<LocalSignIn | null> {
  try {
    const res = await fetch('/ui/session', { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' });
    return res.ok ? ((await res.json()) as LocalSignIn) : null;
  } catch {
    return null;
  }
}

/** One authenticated read that every role may do: does the API accept this token at all? */
async function checkToken(token: string): Promise<void> {
  await apiRequest('/municipalities?pageSize=1', { token });
}

/** Back where the user was, if that page is on this role's desk; else the desk's start page. */
function landing(back: string, who: Who): string {
  return back !== HOME && isAllowedPath(back) ? back : (deskOf(who.role)?.home ?? HOME);
}

/** The role choice of the local sign-in: who the person at this computer wants to try the desks as. */
function localSignInSection(local: LocalSignIn, back: string) {
  const list = [...(local.municipalities ?? [])].sort((a, b) => collator.compare(a.name, b.name));
  const options = list.map((m) => ({ value: m.code, text: m.name }));
  const role = radioGroup({
    legend: 'Aanmelden als',
    name: 'rol',
    options: [
      { value: 'coordinator', text: 'Coördinator van het landelijk coördinatiepunt' },
      { value: 'municipality', text: 'Gemeente' },
      { value: 'housing_corporation', text: 'Woningcorporatie' },
    ],
    value: 'coordinator',
  });
  const municipality = selectField({ label: 'Gemeente', options: [{ value: '', text: 'Kies een gemeente' }, ...options] });
  const area = selectField({
    label: 'Werkgebied',
    description: `Kies een of meer gemeenten (houd Ctrl of Cmd ingedrukt om er meer te kiezen), hoogstens ${local.maxWorkingArea ?? 50}.`,
    options,
    attrs: { multiple: true, size: 6, class: 'utrecht-select utrecht-select--html-select picker' },
  });
  const show = () => {
    municipality.field.hidden = role.value() !== 'municipality';
    area.field.hidden = role.value() !== 'housing_corporation';
  };
  role.onChange(show);
  show();
  const error = h('div');
  const submit = h('button', { type: 'submit', class: 'utrecht-button utrecht-button--primary-action' }, 'Aanmelden');
  const form = h('form', { class: 'utrecht-form sign-in__form', novalidate: true, 'aria-labelledby': 'lokaal-kop' }, role.field, municipality.field, area.field, error, h('div', { class: 'utrecht-button-group' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    replaceChildren(error);
    const chosen = role.value();
    const body: Record<string, unknown> = { role: chosen };
    municipality.setError(null);
    area.setError(null);
    if (chosen === 'municipality') {
      if (!municipality.input.value) return (municipality.setError('Kies een gemeente.'), municipality.input.focus());
      body.municipality = municipality.input.value;
    }
    if (chosen === 'housing_corporation') {
      const codes = [...area.input.selectedOptions].map((o) => o.value);
      if (codes.length === 0) return (area.setError('Kies ten minste één gemeente.'), area.input.focus());
      if (codes.length > (local.maxWorkingArea ?? 50)) return (area.setError(`Kies hoogstens ${local.maxWorkingArea ?? 50} gemeenten.`), area.input.focus());
      body.municipalities = codes;
    }
    submit.disabled = true;
    try {
      const res = await fetch('/ui/session', {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
      });
      if (!res.ok) throw new ApiProblem(res.status, res.status === 404 ? 'not_found' : res.status === 400 ? 'validation_failed' : 'internal_error', '');
      const answer = (await res.json()) as { token: string };
      const who = whoFrom(readClaims(answer.token));
      if (!who) throw new ApiProblem(500, 'internal_error', '');
      signInWithToken(answer.token, who);
      navigate(landing(back, who), { replace: true, flash: { kind: 'ok', text: `U bent aangemeld als ${roleName(who.role)}.` } });
    } catch (err) {
      const d = describeProblem(err, { messages: { not_found: 'Aanmelden zonder token kan alleen op de computer waarop de dienst zelf draait.' } });
      replaceChildren(error, alertBox('error', [paragraph(d.message)], { live: 'assertive' }));
      submit.disabled = false;
    }
  });
  return h(
    'section',
    { class: 'sign-in__section', 'aria-labelledby': 'lokaal-kop' },
    heading(2, 'Aanmelden op deze computer', { id: 'lokaal-kop' }),
    paragraph(
      'De dienst draait op deze computer zonder de aanmeldvoorziening van een organisatie, bijvoorbeeld om de toepassing uit te proberen. ',
      'Kies daarom zelf als wie u zich aanmeldt. Dat kan alleen vanaf deze computer zelf.',
    ),
    paragraph(`De aanmelding blijft alleen in het geheugen van dit tabblad en geldt ${Math.round(local.expiresInSeconds / 60)} minuten; na herladen meldt u zich opnieuw aan.`),
    form,
  );
}

export async function renderSignIn(ctx: PageContext): Promise<void> {
  ctx.setTitle('Aanmelden');
  const back = safeBack(ctx.query.get('terug'));
  add(
    ctx.view,
    heading(1, 'Aanmelden'),
    takeFlash(),
    paragraph('Met deze toepassing werken het landelijk coördinatiepunt, de gemeenten en de woningcorporaties samen aan de verdeling van gezinnen over de gemeenten.'),
  );
  if (session.signedIn) {
    add(ctx.view, alertBox('info', [paragraph('U bent al aangemeld. ', h('a', { href: back, class: 'utrecht-link utrecht-link--html-a' }, 'Ga verder'), '.')]));
  }

  const local = await localSignInAvailable();
  if (local?.localSignIn) {
    add(ctx.view, localSignInSection(local, back));
  } else {
    add(
      ctx.view,
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
    description: 'Een toegangstoken (JWT) dat uw beheerder voor u heeft gemaakt. Het token wordt niet opgeslagen.',
    id: 'token',
    attrs: { rows: 3, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off' },
  });
  const submit = h('button', { type: 'submit', class: 'utrecht-button utrecht-button--secondary-action' }, 'Aanmelden met token');
  const headingId = uid('token-kop');
  const form = h('form', { class: 'utrecht-form sign-in__form', novalidate: true, 'aria-labelledby': headingId }, token.field, h('div', { class: 'utrecht-button-group' }, submit));
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
    const who = whoFrom(claims);
    if (!who) return fail('Dit token hoort niet bij een gemeente, een woningcorporatie, het coördinatiepunt of een beleidsmedewerker.');
    if (!hasDesk(who.role)) return fail(`Dit token is voor de rol ${roleName(who.role)}; die rol werkt niet in deze toepassing maar via de API.`);
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return fail(`Dit token is verlopen op ${timestamp(new Date(claims.exp * 1000).toISOString())}.`);
    submit.disabled = true;
    try {
      await checkToken(raw);
      token.setError(null);
      signInWithToken(raw, who);
      navigate(landing(back, who), { replace: true, flash: { kind: 'ok', text: `U bent aangemeld als ${roleName(who.role)}.` } });
    } catch (err) {
      const d = describeProblem(err, {
        messages: {
          unauthorized: 'De dienst accepteert dit token niet: het is ongeldig, verlopen of niet door deze dienst uitgegeven.',
          forbidden: 'Dit token geeft geen toegang tot deze toepassing.',
        },
      });
      fail(d.message);
    } finally {
      submit.disabled = false;
    }
  });
  add(
    ctx.view,
    h(
      'section',
      { class: 'sign-in__section', 'aria-labelledby': headingId },
      heading(2, local?.localSignIn ? 'Of: aanmelden met een token' : 'Aanmelden met een token', { id: headingId }),
      form,
    ),
  );
}
