// The API's problems (RFC 9457, with a stable `code`) in plain Dutch, and the error summary that
// shows them: what went wrong, what to do, and for field errors a link to each field.
import { ApiProblem, type FieldError } from './api';
import { alertBox, h, heading, type Child } from './dom';

const MESSAGES: Record<string, string> = {
  validation_failed: 'Niet alle gegevens zijn goed ingevuld. Verbeter de velden hieronder en probeer het opnieuw.',
  malformed_json: 'Het verzoek kon niet worden gelezen. Probeer het opnieuw; gebeurt dit weer, meld het dan bij de beheerder.',
  unauthorized: 'U bent niet (meer) aangemeld. Meld u opnieuw aan.',
  forbidden: 'U mag deze handeling niet uitvoeren met uw rol.',
  eligibility_failed: 'Het gezin valt niet onder deze regeling: het voldoet niet aan de voorwaarden hieronder. Controleer de antwoorden; klopt alles, dan kan het gezin niet via de spreiding worden geholpen.',
  shelter_stay_locked: 'Dit verblijf is al verantwoord en kan niet meer worden gewijzigd.',
  not_found: 'Dit gegeven bestaat niet (meer), of u mag het niet inzien.',
  method_not_allowed: 'Deze handeling wordt hier niet ondersteund.',
  not_acceptable: 'Het gevraagde bestandsformaat is niet beschikbaar.',
  illegal_transition:
    'Deze handeling past niet meer bij de huidige status. Waarschijnlijk is het voorstel intussen al behandeld. Ververs de pagina om de actuele stand te zien.',
  conflict: 'De handeling botst met de huidige gegevens en is niet uitgevoerd.',
  duplicate_registration: 'Een lid van dit huishouden staat al in een actieve registratie.',
  overlapping_shelter_stay: 'Dit verblijf overlapt met een ander verblijf van hetzelfde gezin.',
  payload_too_large: 'De ingevulde tekst is te lang.',
  unsupported_media_type: 'Het verzoek had een vorm die de dienst niet aanneemt. Meld dit bij de beheerder.',
  idempotency_key_reused: 'Dit verzoek is al eerder met andere gegevens verstuurd.',
  rate_limited: 'U heeft in korte tijd te veel verzoeken gedaan. Wacht een minuut en probeer het opnieuw.',
  service_unavailable: 'De dienst is tijdelijk niet beschikbaar. Probeer het over enkele seconden opnieuw.',
  internal_error: 'Er ging aan onze kant iets mis. Probeer het later opnieuw.',
  network: 'De dienst is niet bereikbaar. Controleer uw netwerkverbinding en probeer het opnieuw.',
};

/** Field error codes (JSON Schema keywords and the API's own) as Dutch phrases. */
function fieldMessage(e: FieldError): string {
  const n = /(\d+)/.exec(e.message)?.[1];
  switch (e.code) {
    case 'required':
      return 'is verplicht';
    case 'minLength':
      return n ? `moet minstens ${n} tekens bevatten` : 'is te kort';
    case 'maxLength':
      return n ? `mag hoogstens ${n} tekens bevatten` : 'is te lang';
    case 'pattern':
    case 'format':
      return 'heeft niet de juiste vorm';
    case 'type':
      return 'heeft niet het juiste soort waarde';
    case 'enum':
      return 'is geen toegestane keuze';
    case 'additionalProperties':
      return 'wordt niet herkend';
    case 'unknown_municipality':
      return 'is geen bestaande gemeente';
    case 'date_out_of_range':
      return 'valt buiten de toegestane periode';
    case 'future_date':
      return 'ligt in de toekomst';
    case 'implausible_date':
      return 'ligt te ver in het verleden';
    case 'after_registration':
      return 'ligt na de datum van de melding';
    case 'bsn_checksum':
      return 'is geen geldig BSN (de elfproef klopt niet)';
    case 'bsn_duplicate':
      return 'is hetzelfde BSN als dat van een ander lid van het huishouden';
    case 'also_excluded':
      return 'staat ook bij de uitgesloten gemeenten';
    case 'island_needs_caribbean_part':
      return 'past alleen bij een gezin uit het Caribisch deel van het Koninkrijk';
    case 'minimum':
    case 'maximum':
      return 'ligt buiten de toegestane grenzen';
    case 'minItems':
      return 'moet minstens één invulling hebben';
    default:
      return 'is niet geldig';
  }
}

export interface ProblemContext {
  /** Heading of the error summary. */
  title?: string;
  /** Dutch labels of the form's fields by JSON pointer, e.g. { '/reason': 'Reden' }. */
  fields?: Record<string, string>;
  /** A sharper message for a code in this situation. */
  messages?: Record<string, string>;
}

/** The eligibility criteria (DESIGN §3) a family failed, in the words of the registration form. */
export const CRITERIA: Record<string, string> = {
  residence_basis: 'Het gezin heeft de Nederlandse nationaliteit of verblijft hier via een Nederlands kind (Chavez).',
  arrived_from: 'Het gezin komt uit het buitenland of uit het Caribisch deel van het Koninkrijk.',
  own_initiative_unprepared: 'Het gezin kwam op eigen initiatief en onvoorbereid.',
  minor_child: 'Ten minste één kind is op de datum van de melding jonger dan 18 jaar.',
  no_refugee_or_evacuee_status: 'Het gezin heeft geen vluchtelingen- of evacuéstatus.',
  self_reliance_assessment: 'Uw gemeente heeft het gezin onderzocht en zelfredzaam bevonden.',
  homeless_without_network: 'Het gezin is feitelijk dakloos en heeft geen netwerk om op terug te vallen.',
};

export interface DescribedProblem {
  message: string;
  fieldErrors: Array<{ pointer: string; label: string; text: string }>;
  /** For internal errors: the trace id the API quoted, to pass on to the service desk. */
  reference: string | undefined;
}

export function describeProblem(err: unknown, ctx: ProblemContext = {}): DescribedProblem {
  const p = err instanceof ApiProblem ? err : new ApiProblem(0, 'internal_error', err instanceof Error ? err.message : '');
  const message = ctx.messages?.[p.code] ?? MESSAGES[p.code] ?? `Er ging iets mis (foutcode ${p.code}).`;
  const fieldErrors = p.errors.map((e) => ({ pointer: e.pointer, label: ctx.fields?.[e.pointer] ?? e.pointer.replace(/^\//, ''), text: fieldMessage(e) }));
  const reference = /trace id ([0-9a-f]{32})/i.exec(p.detail)?.[1];
  return { message, fieldErrors, reference };
}

/**
 * An error summary (NL Design System pattern): announced at once, focusable, with links that
 * move focus to each field named in `fieldIds` (by JSON pointer).
 */
/** A link in an error summary that moves focus to the field it names. */
function focusLink(id: string, text: string) {
  return h(
    'a',
    {
      href: `#${id}`,
      class: 'utrecht-link utrecht-link--html-a',
      onclick: (ev: Event) => {
        ev.preventDefault();
        document.getElementById(id)?.focus();
      },
    },
    text,
  );
}

export function problemSummary(err: unknown, ctx: ProblemContext & { fieldIds?: Record<string, string>; criteriaIds?: Record<string, string> } = {}) {
  const d = describeProblem(err, ctx);
  const criteria = err instanceof ApiProblem ? err.criteria : [];
  const criterionItems: Child[] = criteria.map((c) => {
    const text = `Niet voldaan: ${CRITERIA[c] ?? c}`;
    const id = ctx.criteriaIds?.[c];
    return h('li', null, id ? focusLink(id, text) : text);
  });
  const fieldItems: Child[] = d.fieldErrors.map((f) => {
    const id = ctx.fieldIds?.[f.pointer];
    const text = `${f.label} ${f.text}.`;
    return h('li', null, id ? focusLink(id, text) : text);
  });
  const items = [...criterionItems, ...fieldItems];
  const box = alertBox(
    'error',
    [
      heading(2, ctx.title ?? 'Dit is niet gelukt', { class: 'alert-heading' }),
      h('p', { class: 'utrecht-paragraph' }, d.message),
      items.length > 0 ? h('ul', { class: 'utrecht-unordered-list' }, items) : null,
      d.reference ? h('p', { class: 'utrecht-paragraph' }, 'Kenmerk voor de servicedesk: ', h('code', null, d.reference)) : null,
    ],
    { live: 'assertive', attrs: { tabindex: -1, class: 'problem-summary' } },
  );
  return { element: box, described: d };
}
