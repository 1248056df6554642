// A municipality reports a family. The form asks what the API needs in plain Dutch; the API's
// problem details come back as one error summary with a link to each field, and every field
// shows its own error. What is typed is kept as a draft in this tab's memory only (never in
// storage), so leaving the page and coming back does not lose it; a reload or signing out does.
import { ApiProblem, postJson, type FieldError } from './api';
import { add, alertBox, button, h, heading, paragraph, replaceChildren, srOnly } from './dom';
import { date, todayInAmsterdam } from './format';
import { checkbox, radioGroup, selectField, textArea, textField, type Field, type RadioGroup } from './forms';
import { NEED_FLAGS } from './labels';
import { loadMunicipalities, nameOf, type Municipality } from './municipalities';
import { municipalityList } from './municipality-list';
import { describeProblem, problemSummary } from './problems';
import { navigate, takeFlash, type PageContext } from './router';
import { onSessionChange, session } from './session';
import type { Registration } from './types';

const MAX_ADULTS = 10;
const MAX_CHILDREN = 20;

interface PersonDraft {
  name: string;
  bsn: string;
  birthDate: string;
}

interface Draft {
  values: Record<string, string>;
  adults: PersonDraft[];
  children: PersonDraft[];
  network: string[];
  excluded: string[];
  needs: string[];
}

/** The draft lives here, in memory: gone on reload, on sign-out, and once the family is reported. */
let draft: Draft | null = null;
onSessionChange(() => {
  if (!session.signedIn) draft = null;
});

const YES_NO = [
  { value: 'ja', text: 'Ja' },
  { value: 'nee', text: 'Nee' },
] as const;

/** The 11-proef, as the API applies it: said at once with the API's own field errors. */
export function isValidBsn(bsn: string): boolean {
  if (!/^\d{9}$/.test(bsn)) return false;
  const d = [...bsn].map(Number);
  const sum = d.slice(0, 8).reduce((acc, n, i) => acc + n * (9 - i), 0) - d[8]!;
  return sum % 11 === 0 && bsn !== '000000000';
}

interface PersonRow {
  element: HTMLElement;
  name: Field<HTMLInputElement>;
  bsn: Field<HTMLInputElement>;
  birthDate: Field<HTMLInputElement>;
}

function personRow(kind: 'adults' | 'children', index: number, value: PersonDraft, onRemove: (() => void) | null): PersonRow {
  const who = kind === 'adults' ? `Volwassene ${index + 1}` : `Kind ${index + 1}`;
  const name = textField({ label: 'Naam', attrs: { autocomplete: 'off', maxlength: 200, value: value.name } });
  const bsn = textField({ label: 'BSN', description: '9 cijfers.', attrs: { autocomplete: 'off', inputmode: 'numeric', maxlength: 9, value: value.bsn, class: 'utrecht-textbox utrecht-textbox--html-input filter__number' } });
  const birthDate = textField({ label: 'Geboortedatum', type: 'date', attrs: { value: value.birthDate } });
  const element = h(
    'fieldset',
    { class: 'utrecht-form-fieldset utrecht-form-fieldset--html-fieldset person' },
    h('legend', { class: 'utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend' }, who),
    h('div', { class: 'person__fields' }, name.field, bsn.field, birthDate.field),
    onRemove ? button(['Verwijderen', srOnly(`: ${who.toLowerCase()}`)], { onclick: onRemove }) : null,
  );
  return { element, name, bsn, birthDate };
}

export async function renderRegister(ctx: PageContext): Promise<void> {
  ctx.setTitle('Gezin melden');
  const own = session.municipality!;
  const body = h('div', { 'aria-busy': 'true' }, paragraph('Het formulier wordt geladen…'));
  add(ctx.view, heading(1, 'Gezin melden'), takeFlash(), body);
  let municipalities: Map<string, Municipality>;
  try {
    municipalities = await loadMunicipalities();
  } catch (err) {
    replaceChildren(body, problemSummary(err, { title: 'Het formulier kon niet worden geladen' }).element);
    body.removeAttribute('aria-busy');
    return;
  }
  body.removeAttribute('aria-busy');
  const d: Draft = draft ?? { values: { reportedOn: todayInAmsterdam() }, adults: [{ name: '', bsn: '', birthDate: '' }], children: [{ name: '', bsn: '', birthDate: '' }], network: [], excluded: [], needs: [] };
  const v = (k: string) => d.values[k] ?? '';

  const reportedOn = textField({ label: 'Datum van de melding', description: 'De dag waarop het gezin zich bij uw gemeente meldde.', type: 'date', attrs: { value: v('reportedOn'), max: todayInAmsterdam() } });
  const subgroup = radioGroup({
    legend: 'Om welke groep gaat het?',
    options: [
      { value: 'former_permit_holder', text: 'Voormalig statushouder' },
      { value: 'caribbean', text: 'Uit het Caribisch deel van het Koninkrijk' },
      { value: 'chavez', text: 'Ouder van een Nederlands kind (Chavez-Vilchez)' },
      { value: 'other_remigrant', text: 'Andere Nederlander die terugkeert' },
    ],
    value: v('subgroup'),
  });
  const residence = selectField({
    label: 'Verblijfsgrond',
    options: [
      { value: '', text: 'Kies' },
      { value: 'dutch_nationality', text: 'Nederlandse nationaliteit' },
      { value: 'chavez', text: 'Verblijf via een Nederlands kind (Chavez)' },
      { value: 'other', text: 'Anders' },
    ],
    value: v('residenceBasis'),
  });
  const arrivedFrom = selectField({
    label: 'Waar kwam het gezin vandaan?',
    options: [
      { value: '', text: 'Kies' },
      { value: 'abroad', text: 'Uit het buitenland' },
      { value: 'caribbean_part', text: 'Uit het Caribisch deel van het Koninkrijk' },
      { value: 'within_netherlands', text: 'Van elders in Nederland' },
    ],
    value: v('arrivedFrom'),
  });
  const island = selectField({
    label: 'Van welk eiland? (niet verplicht)',
    options: [{ value: '', text: 'Niet opgegeven' }, ...['aruba:Aruba', 'curacao:Curaçao', 'sint_maarten:Sint Maarten', 'bonaire:Bonaire', 'sint_eustatius:Sint Eustatius', 'saba:Saba'].map((x) => ({ value: x.split(':')[0]!, text: x.split(':')[1]! }))],
    value: v('island'),
  });
  const showIsland = () => (island.field.hidden = arrivedFrom.input.value !== 'caribbean_part');
  arrivedFrom.input.addEventListener('change', showIsland);
  showIsland();
  const yesNo = (legend: string, key: string, description?: string) => radioGroup({ legend, description, options: YES_NO, value: v(key) as 'ja' | 'nee' | '' });
  const ownInitiative = yesNo('Kwam het gezin op eigen initiatief en onvoorbereid?', 'ownInitiativeUnprepared');
  const refugee = yesNo('Heeft het gezin een vluchtelingen- of evacuéstatus?', 'refugeeOrEvacueeStatus');
  const homeless = yesNo('Is het gezin feitelijk dakloos, zonder netwerk om op terug te vallen?', 'homelessWithoutNetwork');
  const assessedOn = textField({ label: 'Datum van het zelfredzaamheidsonderzoek', type: 'date', attrs: { value: v('assessedOn'), max: todayInAmsterdam() } });
  const outcome = selectField({
    label: 'Uitkomst van het zelfredzaamheidsonderzoek',
    options: [
      { value: '', text: 'Kies' },
      { value: 'self_reliant', text: 'Zelfredzaam' },
      { value: 'not_self_reliant', text: 'Niet zelfredzaam' },
      { value: 'pending', text: 'Nog niet bekend' },
    ],
    value: v('outcome'),
  });

  const adultsBox = h('div');
  const childrenBox = h('div');
  const rows: Record<'adults' | 'children', PersonRow[]> = { adults: [], children: [] };
  const drawPeople = (kind: 'adults' | 'children') => {
    const box = kind === 'adults' ? adultsBox : childrenBox;
    rows[kind] = d[kind].map((p, i) =>
      personRow(kind, i, p, d[kind].length > 1 ? () => (saveDraft(), d[kind].splice(i, 1), drawPeople(kind), saveDraft()) : null),
    );
    replaceChildren(box, rows[kind].map((r) => r.element));
  };
  drawPeople('adults');
  drawPeople('children');
  const addPerson = (kind: 'adults' | 'children', max: number, text: string) =>
    button(text, {
      onclick: () => {
        saveDraft();
        if (d[kind].length >= max) return;
        d[kind].push({ name: '', bsn: '', birthDate: '' });
        drawPeople(kind);
        rows[kind][rows[kind].length - 1]!.name.input.focus();
      },
    });

  const network = municipalityList({ legend: 'Gemeenten waar het gezin een netwerk heeft (niet verplicht)', description: 'Familie of vrienden die kunnen helpen. Zo mogelijk gaat het gezin daarheen.', municipalities, max: 20, exclude: own });
  const excluded = municipalityList({ legend: 'Gemeenten waar het gezin niet heen mag (niet verplicht)', description: 'Bijvoorbeeld om veiligheidsredenen. Uw eigen gemeente is altijd uitgesloten.', municipalities, max: 50, exclude: own });
  network.set(d.network);
  excluded.set(d.excluded);
  const needs = NEED_FLAGS.map(([key, text]) => ({ key, ...checkbox({ label: text, checked: d.needs.includes(key) }) }));
  const bedrooms = textField({ label: 'Minimaal aantal slaapkamers (niet verplicht)', type: 'number', attrs: { min: 1, max: 10, step: 1, inputmode: 'numeric', value: v('minimumBedrooms'), class: 'utrecht-textbox utrecht-textbox--html-input filter__number' } });
  const notes = textArea({ label: 'Notities (niet verplicht)', description: 'Alleen wat de coördinator en de ontvangende gemeente nodig hebben. Geen BSN’s of medische details.', attrs: { maxlength: 4000 } });
  notes.input.value = v('notes');

  const fieldByPointer: Record<string, { setError(t: string | null): void; id: string }> = {};
  const wire = (pointer: string, f: { setError(t: string | null): void }, id: string) => (fieldByPointer[pointer] = { setError: f.setError.bind(f), id });
  wire('/reportedOn', reportedOn, reportedOn.input.id);
  wire('/subgroup', subgroup, subgroup.first.id);
  wire('/eligibility/residenceBasis', residence, residence.input.id);
  wire('/eligibility/arrivedFrom', arrivedFrom, arrivedFrom.input.id);
  wire('/eligibility/departure/island', island, island.input.id);
  wire('/eligibility/ownInitiativeUnprepared', ownInitiative, ownInitiative.first.id);
  wire('/eligibility/refugeeOrEvacueeStatus', refugee, refugee.first.id);
  wire('/eligibility/homelessWithoutNetwork', homeless, homeless.first.id);
  wire('/eligibility/selfRelianceAssessment/assessedOn', assessedOn, assessedOn.input.id);
  wire('/eligibility/selfRelianceAssessment/outcome', outcome, outcome.input.id);
  wire('/needs/minimumBedrooms', bedrooms, bedrooms.input.id);
  wire('/notes', notes, notes.input.id);
  const LABELS: Record<string, string> = {
    '/reportedOn': 'Datum van de melding',
    '/subgroup': 'Groep',
    '/eligibility/residenceBasis': 'Verblijfsgrond',
    '/eligibility/arrivedFrom': 'Waar het gezin vandaan kwam',
    '/eligibility/departure/island': 'Eiland',
    '/eligibility/ownInitiativeUnprepared': 'Eigen initiatief en onvoorbereid',
    '/eligibility/refugeeOrEvacueeStatus': 'Vluchtelingen- of evacuéstatus',
    '/eligibility/homelessWithoutNetwork': 'Feitelijk dakloos',
    '/eligibility/selfRelianceAssessment/assessedOn': 'Datum van het zelfredzaamheidsonderzoek',
    '/eligibility/selfRelianceAssessment/outcome': 'Uitkomst van het zelfredzaamheidsonderzoek',
    '/needs/minimumBedrooms': 'Minimaal aantal slaapkamers',
    '/notes': 'Notities',
    '/household/adults': 'Volwassenen',
    '/household/children': 'Kinderen',
  };
  const personLabel = (pointer: string): string | null => {
    const m = /^\/household\/(adults|children)\/(\d+)\/(name|bsn|birthDate)$/.exec(pointer);
    if (!m) return null;
    return `${m[1] === 'adults' ? 'Volwassene' : 'Kind'} ${Number(m[2]) + 1}: ${{ name: 'naam', bsn: 'BSN', birthDate: 'geboortedatum' }[m[3] as 'name']}`;
  };

  const yes = (g: RadioGroup<string>) => (g.value() === '' ? undefined : g.value() === 'ja');
  const people = (kind: 'adults' | 'children') => rows[kind].map((r) => ({ name: r.name.input.value.trim(), bsn: r.bsn.input.value.replace(/\s/g, ''), birthDate: r.birthDate.input.value }));
  function saveDraft() {
    d.values = {
      reportedOn: reportedOn.input.value,
      subgroup: subgroup.value(),
      residenceBasis: residence.input.value,
      arrivedFrom: arrivedFrom.input.value,
      island: island.input.value,
      ownInitiativeUnprepared: ownInitiative.value(),
      refugeeOrEvacueeStatus: refugee.value(),
      homelessWithoutNetwork: homeless.value(),
      assessedOn: assessedOn.input.value,
      outcome: outcome.input.value,
      minimumBedrooms: bedrooms.input.value,
      notes: notes.input.value,
    };
    d.adults = people('adults');
    d.children = people('children');
    d.network = network.value();
    d.excluded = excluded.value();
    d.needs = needs.filter((n) => n.input.checked).map((n) => n.key);
    draft = d;
  }

  /** The body as the API wants it; an empty answer is left out, so the API names it as missing. */
  function requestBody() {
    const omit = (x: string) => (x === '' ? undefined : x);
    const needsBody: Record<string, unknown> = Object.fromEntries(needs.filter((n) => n.input.checked).map((n) => [n.key, true]));
    if (bedrooms.input.value !== '') needsBody.minimumBedrooms = Number(bedrooms.input.value);
    const person = (p: PersonDraft) => ({ name: omit(p.name), bsn: omit(p.bsn), birthDate: omit(p.birthDate) });
    return {
      reportingMunicipality: own,
      reportedOn: omit(reportedOn.input.value),
      subgroup: omit(subgroup.value()),
      eligibility: {
        residenceBasis: omit(residence.input.value),
        arrivedFrom: omit(arrivedFrom.input.value),
        ...(arrivedFrom.input.value === 'caribbean_part' && island.input.value ? { departure: { island: island.input.value } } : {}),
        ownInitiativeUnprepared: yes(ownInitiative),
        refugeeOrEvacueeStatus: yes(refugee),
        selfRelianceAssessment: { assessedOn: omit(assessedOn.input.value), outcome: omit(outcome.input.value) },
        homelessWithoutNetwork: yes(homeless),
      },
      household: { adults: people('adults').map(person), children: people('children').map(person) },
      ...(network.value().length > 0 ? { networkMunicipalities: network.value() } : {}),
      ...(excluded.value().length > 0 ? { excludedMunicipalities: excluded.value() } : {}),
      ...(Object.keys(needsBody).length > 0 ? { needs: needsBody } : {}),
      ...(notes.input.value.trim() ? { notes: notes.input.value.trim() } : {}),
    };
  }

  /** BSNs that fail the 11-proef, said together with whatever the API finds. */
  function localErrors(): FieldError[] {
    const errors: FieldError[] = [];
    for (const kind of ['adults', 'children'] as const) {
      people(kind).forEach((p, i) => {
        if (p.bsn !== '' && /^\d{9}$/.test(p.bsn) && !isValidBsn(p.bsn)) errors.push({ in: 'body', pointer: `/household/${kind}/${i}/bsn`, code: 'bsn_checksum', message: 'is not a valid BSN' });
      });
    }
    return errors;
  }

  const summary = h('div');
  const submit = h('button', { type: 'submit', class: 'utrecht-button utrecht-button--primary-action' }, 'Gezin melden');
  const clear = button('Concept wissen', {
    onclick: () => {
      draft = null;
      navigate('/registraties/nieuw', { replace: true, flash: { kind: 'info', text: 'Het concept is gewist.' } });
    },
  });
  const section = (id: string, title: string, ...children: Array<HTMLElement | null>) =>
    h('section', { class: 'card form-section', 'aria-labelledby': id }, heading(2, title, { id }), ...children);
  const form = h(
    'form',
    { class: 'utrecht-form register', novalidate: true, 'aria-label': 'Gezin melden' },
    summary,
    section('melding-kop', 'De melding', paragraph(`Meldende gemeente: ${nameOf(own)}.`), reportedOn.field, subgroup.field),
    section(
      'voorwaarden-kop',
      'Voorwaarden',
      paragraph('Alleen gezinnen die aan alle voorwaarden voldoen, worden over de gemeenten verdeeld.'),
      residence.field,
      arrivedFrom.field,
      island.field,
      ownInitiative.field,
      refugee.field,
      homeless.field,
      assessedOn.field,
      outcome.field,
    ),
    section(
      'huishouden-kop',
      'Huishouden',
      heading(3, 'Volwassenen'),
      adultsBox,
      h('div', { class: 'utrecht-button-group' }, addPerson('adults', MAX_ADULTS, 'Volwassene toevoegen')),
      heading(3, 'Kinderen'),
      childrenBox,
      h('div', { class: 'utrecht-button-group' }, addPerson('children', MAX_CHILDREN, 'Kind toevoegen')),
    ),
    section('wensen-kop', 'Netwerk en behoeften', network.field, excluded.field, h('fieldset', { class: 'utrecht-form-fieldset utrecht-form-fieldset--html-fieldset' }, h('legend', { class: 'utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend' }, 'Behoeften (niet verplicht)'), needs.map((n) => n.field)), bedrooms.field, notes.field),
    paragraph(h('small', null, 'Wat u invult, blijft als concept bewaard zolang dit tabblad open is. Na herladen of afmelden is het weg; het wordt nergens anders opgeslagen.')),
    h('div', { class: 'utrecht-button-group' }, submit, clear),
  );
  form.addEventListener('input', saveDraft);
  form.addEventListener('change', saveDraft);
  network.onChange(saveDraft);
  excluded.onChange(saveDraft);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    saveDraft();
    const local = localErrors();
    submit.disabled = true;
    let err: unknown;
    try {
      const created = await postJson<Registration>('/registrations', requestBody());
      draft = null;
      navigate(`/registraties/${created.id}`, {
        flash: { kind: 'ok', text: `Het gezin is gemeld op ${date(created.reportedOn)}. Binnen enkele ogenblikken volgt een voorstel voor een ontvangende gemeente.` },
      });
      return;
    } catch (e) {
      err = e;
    } finally {
      submit.disabled = false;
    }
    // One list of every problem: the API's field errors and what this page checked itself.
    const problem =
      err instanceof ApiProblem
        ? new ApiProblem(err.status, err.code, err.detail, [...err.errors, ...local.filter((l) => !err.errors.some((e) => e.pointer === l.pointer))], err.criteria)
        : err;
    const errors = problem instanceof ApiProblem ? problem.errors : [];
    const people = { adults: rows.adults, children: rows.children };
    for (const f of Object.values(fieldByPointer)) f.setError(null);
    for (const kind of ['adults', 'children'] as const) for (const r of people[kind]) [r.name, r.bsn, r.birthDate].forEach((f) => f.setError(null));
    const fieldIds: Record<string, string> = {};
    const fields: Record<string, string> = { ...LABELS };
    const described = describeProblem(problem);
    for (const e of errors) {
      const text = described.fieldErrors.find((f) => f.pointer === e.pointer)?.text ?? 'is niet geldig';
      const m = /^\/household\/(adults|children)\/(\d+)\/(name|bsn|birthDate)$/.exec(e.pointer);
      if (m) {
        const r = people[m[1] as 'adults'][Number(m[2])];
        const f = r?.[m[3] as 'name'];
        f?.setError(`${personLabel(e.pointer)!.split(': ')[1]} ${text}.`);
        if (f) fieldIds[e.pointer] = f.input.id;
        fields[e.pointer] = personLabel(e.pointer)!;
        continue;
      }
      const target = fieldByPointer[e.pointer] ?? (e.pointer.startsWith('/networkMunicipalities') ? { setError: network.setError, id: network.input.id } : e.pointer.startsWith('/excludedMunicipalities') ? { setError: excluded.setError, id: excluded.input.id } : undefined);
      if (target) {
        target.setError(`${(fields[e.pointer] ?? 'Dit veld')} ${text}.`);
        fieldIds[e.pointer] = target.id;
      }
    }
    const criteriaIds: Record<string, string> = {
      residence_basis: residence.input.id,
      arrived_from: arrivedFrom.input.id,
      own_initiative_unprepared: ownInitiative.first.id,
      no_refugee_or_evacuee_status: refugee.first.id,
      self_reliance_assessment: outcome.input.id,
      homeless_without_network: homeless.first.id,
      ...(rows.children[0] ? { minor_child: rows.children[0].birthDate.input.id } : {}),
    };
    const { element } = problemSummary(problem, {
      title: 'Het gezin is nog niet gemeld',
      fields,
      fieldIds,
      criteriaIds,
      messages: { duplicate_registration: 'Een lid van dit huishouden staat al in een actieve registratie, mogelijk bij een andere gemeente. De coördinator ziet de melding en neemt zo nodig contact op.' },
    });
    replaceChildren(summary, element);
    element.focus();
  });

  replaceChildren(
    body,
    paragraph('Meld een dakloos, zelfredzaam gezin met minderjarige kinderen dat uit het buitenland of het Caribisch deel van het Koninkrijk terugkeerde. Het gezin wordt daarna over de gemeenten verdeeld; tot de verhuizing vangt uw gemeente het op.'),
    draft ? alertBox('info', [paragraph('U gaat verder met het concept dat u eerder in dit tabblad invulde.')]) : null,
    form,
  );
}
