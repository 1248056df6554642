// One proposal: the family, why the engine chose this municipality (the explanation made
// visible), and the decision: approve, reject with a reason, or allocate elsewhere.
import { getJson, postJson } from './api';
import { bar, divergingBar } from './bars';
import { confirmDialog } from './confirm';
import { add, alertBox, button, dataList, h, heading, link, paragraph, replaceChildren, scrollRegion, srOnly, uid, type Child } from './dom';
import { agesText, householdText, needsText, networkText, statusBadge } from './family';
import { date, days, int, listNl, num, num2, periodLabel, plural, share, signedShare, timestamp } from './format';
import { formButtons } from './forms';
import { allocationStatus, constraintReason, needMode, registrationStatus, selection } from './labels';
import { byName, loadMunicipalities, nameOf, type Municipality } from './municipalities';
import { DECISION_FIELDS, overrideForm } from './override';
import { problemSummary, type ProblemContext } from './problems';
import { applyFieldErrors, readReason, reasonField, REASON_MIN } from './reason';
import { navigate, takeFlash, type PageContext } from './router';
import { cell, dataTable, numericCell, row, rowHeader } from './table';
import type { Allocation, Candidate, Explanation } from './types';

/** Long lists of excluded municipalities fold away beyond this many names. */
const LIST_FOLD = 12;

function balanceWords(b: number): string {
  if (b > 0) return 'achterstand';
  if (b < 0) return 'voorsprong';
  return 'in balans';
}

export function breadcrumb(current: Child, parent: { href: string; text: string } = { href: '/voorstellen', text: 'Voorstellen' }) {
  return h(
    'nav',
    { class: 'utrecht-breadcrumb-nav', 'aria-label': 'Kruimelpad' },
    h(
      'ol',
      { class: 'utrecht-breadcrumb-nav__list utrecht-breadcrumb-nav__list--html-ol' },
      h('li', { class: 'utrecht-breadcrumb-nav__item' }, h('a', { href: parent.href, class: 'utrecht-breadcrumb-nav__link utrecht-link utrecht-link--html-a' }, parent.text)),
      h('li', { class: 'utrecht-breadcrumb-nav__item' }, h('span', { class: 'utrecht-breadcrumb-nav__link utrecht-breadcrumb-nav__link--current', 'aria-current': 'page' }, current)),
    ),
  );
}

function familySection(a: Allocation) {
  const f = a.family;
  return h(
    'section',
    { class: 'card proposal__family', 'aria-labelledby': 'gezin-kop' },
    heading(2, 'Het gezin', { id: 'gezin-kop' }),
    dataList([
      ['Meldende gemeente', nameOf(f.reportingMunicipality)],
      ['Gemeld op', [h('time', { datetime: f.reportedOn }, date(f.reportedOn)), ` (${days(f.daysWaiting)} wachtend)`]],
      ['Huishouden', householdText(f)],
      ['Leeftijden kinderen', agesText(f.childrenAges)],
      ['Behoeften', needsText(f)],
      ...(a.explanation.maatwerk && a.explanation.maatwerk.needs.length > 0
        ? [['Meegewogen als', listNl(a.explanation.maatwerk.needs.map((n) => `${needLabel(n.kind)}: ${needMode(n.mode)}`))] as [string, string]]
        : []),
      ['Aangeboden woonruimte', capacityText(a)],
      ['Netwerk', networkText(f.networkMunicipalities)],
      ['Status registratie', registrationStatus(f.registrationStatus)],
    ]),
    paragraph(link(`/registraties/${a.registrationId}`, 'Registratie, geschiedenis en noodopvang bekijken')),
  );
}

const NEED_KIND_LABELS: Record<string, string> = {
  medicalCare: 'medische zorg',
  specialEducation: 'speciaal onderwijs',
  accessibleHousing: 'woning zonder trappen',
  largeDwelling: 'woning met 4 of meer slaapkamers',
  languageSupport: 'taalondersteuning',
};
const needLabel = (kind: string) => NEED_KIND_LABELS[kind] ?? kind;

/** The declared dwelling this allocation is booked against, if any. */
function capacityText(a: Allocation): string {
  const c = a.explanation.maatwerk?.capacity;
  if (!c) return 'geen (niet geboekt op aangeboden woonruimte)';
  return `${c.kind === 'flex_unit' ? 'flexwoning' : 'woning'} in ${nameOf(c.municipality)}, ${plural(c.bedrooms, 'slaapkamer', 'slaapkamers')}${c.accessible ? ', toegankelijk' : ''}`;
}

function candidateRow(c: Candidate, opts: { chosen: boolean; maxEA: number; maxAbsBalance: number; rank: number }) {
  const cell = (...children: Child[]) => h('td', { class: 'utrecht-table__cell' }, ...children);
  // Number on top, its bar below: narrow columns, and the text comes first when read aloud.
  const stacked = (text: Child, graphic: SVGSVGElement) => h('td', { class: 'utrecht-table__cell' }, h('span', { class: 'stack' }, h('span', { class: 'stack__number' }, text), graphic));
  const count = c.allocatedAfter !== c.allocatedBefore ? `${int(c.allocatedBefore)}, wordt ${int(c.allocatedAfter)}` : int(c.allocatedBefore);
  return h(
    'tr',
    { class: `utrecht-table__row${opts.chosen ? ' candidates__row--chosen' : ''}` },
    h(
      'th',
      { scope: 'row', class: 'utrecht-table__header-cell candidates__name' },
      h('span', { class: 'candidates__rank', 'aria-hidden': 'true' }, `${opts.rank}.`),
      ' ',
      nameOf(c.code),
      opts.chosen ? [' ', h('span', { class: 'badge-chosen' }, 'gekozen')] : null,
    ),
    stacked(share(c.entitlementDisplay), bar(c.entitlementDisplay, opts.maxEA, 'entitlement', 72)),
    stacked(count, bar(c.allocatedBefore, opts.maxEA, 'count', 72)),
    stacked([signedShare(c.balanceDisplay), ' ', h('span', { class: 'stack__word' }, balanceWords(c.balanceDisplay))], divergingBar(c.balanceDisplay, opts.maxAbsBalance, 110)),
    cell(c.deadlineDisplay === null ? '—' : num2(c.deadlineDisplay)),
    cell(c.withinUpperQuota ? 'ja' : 'nee'),
    cell(c.inNetwork ? 'ja' : 'nee'),
  );
}

function candidatesFigure(e: Explanation) {
  const all = [...(e.chosen ? [e.chosen] : []), ...e.runnersUp];
  if (all.length === 0) return paragraph('Er waren geen kandidaten.');
  // One scale for E and A so their bars compare; A before this family, as the balance uses it.
  const maxEA = Math.max(...all.flatMap((c) => [c.entitlementDisplay, c.allocatedBefore]), 0);
  const maxAbsBalance = Math.max(...all.map((c) => Math.abs(c.balanceDisplay)), 0);
  const head = ['Gemeente', 'Aanspraak (E)', 'Toegewezen (A)', 'Saldo (E − A)', 'Voorrang', 'Onder boven\u00adgrens', 'Net\u00adwerk'];
  const captionId = uid('kandidaten');
  return h(
    'figure',
    { class: 'candidates', 'aria-labelledby': captionId },
    h('figcaption', { id: captionId, class: 'candidates__caption' }, 'De gekozen gemeente en de volgende kandidaten, in de volgorde van de regel'),
    h(
      'div',
      scrollRegion('Kandidaten'),
      h(
        'table',
        { class: 'utrecht-table utrecht-table--html-table candidates__table', 'aria-describedby': `${captionId}-uitleg` },
        h('thead', { class: 'utrecht-table__header' }, h('tr', { class: 'utrecht-table__row' }, head.map((t) => h('th', { scope: 'col', class: 'utrecht-table__header-cell' }, t)))),
        h(
          'tbody',
          { class: 'utrecht-table__body' },
          all.map((c, i) => candidateRow(c, { chosen: i === 0 && e.chosen !== null, maxEA, maxAbsBalance, rank: i + 1 })),
        ),
      ),
    ),
    h(
      'p',
      { class: 'utrecht-paragraph candidates__legend', id: `${captionId}-uitleg` },
      'Aanspraak (E): hoeveel gezinnen de gemeente volgens de verdeelsleutel had moeten krijgen, dit gezin meegeteld. ',
      'Toegewezen (A): hoeveel zij er heeft gekregen. Saldo: E − A vóór deze toewijzing; positief is een achterstand, negatief een voorsprong. ',
      'Voorrang: na hoeveel toewijzingen de gemeente een heel gezin achter zou lopen; het laagste getal gaat voor. ',
      'Onder bovengrens: de gemeente heeft nog niet meer gezinnen gekregen dan haar aanspraak naar boven afgerond. ',
      'De balken herhalen de getallen erboven.',
    ),
  );
}

function namesList(codes: readonly string[], omitted: number) {
  const names = [...codes].sort(byName).map(nameOf);
  const tail = omitted > 0 ? ` en ${plural(omitted, 'andere gemeente', 'andere gemeenten')}` : '';
  if (names.length <= LIST_FOLD) return `${listNl(names)}${tail}`;
  return h('details', { class: 'fold' }, h('summary', null, `${listNl(names.slice(0, 3))} en ${int(names.length - 3 + omitted)} andere — toon alle`), h('p', { class: 'utrecht-paragraph' }, `${names.join(', ')}${tail}`));
}

function constraintsSection(e: Explanation) {
  const removed = e.constraints.removed ?? [];
  const c = e.constraints;
  return h(
    'section',
    { class: 'subsection', 'aria-labelledby': 'beperkingen-kop' },
    heading(3, 'Uitgesloten door beperkingen', { id: 'beperkingen-kop' }),
    typeof c.allowedCount === 'number' && typeof c.municipalityCount === 'number'
      ? paragraph(`${int(c.allowedCount)} van de ${int(c.municipalityCount)} gemeenten mochten dit gezin ontvangen.`)
      : null,
    removed.length === 0
      ? paragraph('Geen enkele gemeente is door een beperking uitgesloten.')
      : dataTable({
          caption: 'Welke beperking welke gemeenten uitsloot',
          region: 'Tabel van de uitsluitingen',
          class: 'constraints__table',
          columns: [{ text: 'Reden' }, { text: 'Aantal', numeric: true }, { text: 'Gemeenten' }],
          rows: removed.map((r) =>
            row(rowHeader(constraintReason(r.reason)), numericCell(int(r.count)), cell(namesList(r.codes, r.codesOmitted ?? Math.max(0, r.count - r.codes.length)))),
          ),
        }).element,
  );
}

function networkSection(a: Allocation) {
  const n = a.explanation.network;
  const own = a.family.networkMunicipalities;
  const body: Child[] = [];
  if (!n) {
    body.push(
      paragraph(
        own.length === 0
          ? 'Het gezin heeft geen gemeenten opgegeven waar het een netwerk heeft; de verdeelregel is gevolgd.'
          : `Het gezin heeft een netwerk in ${networkText(own)}. Bij deze toewijzing speelde de netwerkvoorkeur geen rol.`,
      ),
    );
  } else {
    const chosen = a.explanation.chosen?.code ?? a.municipality;
    const tolerance = `${num(n.toleranceDisplay)} ${n.toleranceDisplay === 1 ? 'eenheid' : 'eenheden'}`;
    body.push(paragraph(`Netwerkgemeenten van het gezin: ${networkText(n.codes)}.`));
    if (n.used) {
      body.push(
        paragraph(
          `De netwerkvoorkeur is gebruikt. ${nameOf(chosen)} hoort bij het netwerk en haar saldo ligt binnen ${tolerance} van dat van ${nameOf(n.ruleChoice)}, `,
          `de keuze van de verdeelregel. Daarom is ${nameOf(chosen)} gekozen in plaats van ${nameOf(n.ruleChoice)}.`,
        ),
      );
    } else if (n.codes.includes(n.ruleChoice)) {
      body.push(paragraph(`De keuze van de verdeelregel, ${nameOf(n.ruleChoice)}, hoort zelf bij het netwerk van het gezin.`));
    } else {
      body.push(
        paragraph(
          `Geen toegestane netwerkgemeente had een saldo binnen ${tolerance} van ${nameOf(n.ruleChoice)}, de keuze van de verdeelregel. `,
          'Daarom is de verdeelregel gevolgd (terugval van de netwerkvoorkeur).',
        ),
      );
    }
    if (n.qualifying.length > 0 && !n.used) body.push(paragraph(`Binnen de marge vielen: ${networkText(n.qualifying)}.`));
    if (n.notAllowed.length > 0) body.push(paragraph(`Door een beperking uitgesloten netwerkgemeenten: ${networkText(n.notAllowed)}.`));
  }
  return h('section', { class: 'subsection', 'aria-labelledby': 'netwerk-kop' }, heading(3, 'Netwerk van het gezin', { id: 'netwerk-kop' }), ...body);
}

function explanationSection(a: Allocation) {
  const e = a.explanation;
  const notes = e.notes ?? [];
  return h(
    'section',
    { class: 'proposal__why', 'aria-labelledby': 'waarom-kop' },
    heading(2, 'Waarom deze gemeente?', { id: 'waarom-kop' }),
    // The API names each municipality with its CBS code in brackets; the page shows names only.
    e.summaryNl ? h('p', { class: 'utrecht-paragraph utrecht-paragraph--lead proposal__summary' }, e.summaryNl.replace(/ \(GM\d{4}\)/g, '')) : null,
    e.selection === 'fallback_no_upper_quota_candidate' ? alertBox('warning', [paragraph(selection(e.selection))]) : paragraph(selection(e.selection)),
    e.override ? paragraph(`Toegewezen door de coördinator${e.override.replaced ? `; dit vervangt het voorstel voor ${nameOf(e.override.replaced)}` : ''}.`) : null,
    dataList(
      [
        ['Verdeelsleutel', `versie ${e.keyVersion}`],
        ['Periode', periodLabel(a.period)],
        ['Eenheden', plural(e.units, 'eenheid', 'eenheden')],
        ['Regel', 'quotummethode (Balinski en Young): elke gemeente blijft binnen één gezin van haar aanspraak'],
      ],
      { class: 'proposal__facts' },
    ),
    candidatesFigure(e),
    constraintsSection(e),
    networkSection(a),
    notes.length > 0
      ? h(
          'details',
          { class: 'fold proposal__notes' },
          h('summary', null, 'Uitgebreide toelichting van de berekening (in het Engels)'),
          h('ul', { class: 'utrecht-unordered-list', lang: 'en' }, notes.map((t) => h('li', null, t))),
        )
      : null,
  );
}

// --- decisions ----------------------------------------------------------------------------

interface DecisionDeps {
  a: Allocation;
  municipalities: Map<string, Municipality>;
  /** Where problem messages go; focused when one appears. */
  result: HTMLElement;
  panel: HTMLElement;
  actions: HTMLButtonElement[];
}

function showProblem(deps: DecisionDeps, err: unknown, ctx: ProblemContext & { fieldIds?: Record<string, string> }) {
  const { element } = problemSummary(err, ctx);
  replaceChildren(deps.result, element);
  element.focus();
}

function busy(deps: DecisionDeps, on: boolean) {
  for (const b of deps.actions) b.disabled = on;
  deps.panel.querySelectorAll('button').forEach((b) => (b.disabled = on));
}


async function approve(deps: DecisionDeps) {
  const { a } = deps;
  const to = nameOf(a.municipality);
  const from = nameOf(a.family.reportingMunicipality);
  replaceChildren(deps.panel);
  replaceChildren(deps.result);
  const ok = await confirmDialog({
    title: 'Voorstel goedkeuren?',
    body: [paragraph(`Het gezin uit ${from} gaat naar ${to}. ${to} ziet het gezin daarna en kan het accepteren of weigeren.`)],
    confirmText: 'Ja, goedkeuren',
  });
  if (!ok) return;
  busy(deps, true);
  try {
    await postJson<Allocation>(`/allocations/${a.id}/approve`);
    navigate(location.pathname, { replace: true, flash: { kind: 'ok', text: `Goedgekeurd: het gezin uit ${from} gaat naar ${to}.` } });
  } catch (err) {
    showProblem(deps, err, { title: 'Goedkeuren is niet gelukt' });
    busy(deps, false);
  }
}

function startReject(deps: DecisionDeps) {
  const { a } = deps;
  const to = nameOf(a.municipality);
  replaceChildren(deps.result);
  const reason = reasonField(`Verplicht, minstens ${REASON_MIN} tekens. Waarom gaat het gezin niet naar ${to}? De reden komt in de geschiedenis van de registratie.`);
  const form = h(
    'form',
    { class: 'utrecht-form decision__form', novalidate: true, 'aria-labelledby': 'afwijzen-kop' },
    heading(3, `Voorstel voor ${to} afwijzen`, { id: 'afwijzen-kop' }),
    paragraph(`Na het afwijzen volgt vanzelf een nieuw voorstel, waarin ${to} niet meer meedoet.`),
    reason.field,
    formButtons('Verder naar bevestigen', () => replaceChildren(deps.panel)),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = readReason(reason);
    if (text === null) return;
    const ok = await confirmDialog({
      title: 'Voorstel afwijzen?',
      body: [paragraph(`Het voorstel om het gezin naar ${to} te laten gaan wordt afgewezen met deze reden:`), h('blockquote', { class: 'utrecht-blockquote quote' }, text)],
      confirmText: 'Ja, afwijzen',
      cancelText: 'Terug',
      destructive: true,
    });
    if (!ok) return;
    busy(deps, true);
    try {
      await postJson<Allocation>(`/allocations/${a.id}/reject`, { reason: text });
      navigate('/voorstellen', {
        flash: { kind: 'ok', text: `Het voorstel voor ${to} is afgewezen. Er volgt vanzelf een nieuw voorstel voor dit gezin.` },
      });
    } catch (err) {
      applyFieldErrors(err, { '/reason': reason });
      showProblem(deps, err, { title: 'Afwijzen is niet gelukt', fields: DECISION_FIELDS, fieldIds: { '/reason': reason.input.id } });
      busy(deps, false);
    }
  });
  replaceChildren(deps.panel, form);
  reason.input.focus();
}

function startOverride(deps: DecisionDeps) {
  const { a } = deps;
  replaceChildren(deps.result);
  const { form, focus } = overrideForm({
    registrationId: a.registrationId,
    reportingMunicipality: a.family.reportingMunicipality,
    current: a.municipality,
    municipalities: deps.municipalities,
    onCancel: () => replaceChildren(deps.panel),
    busy: (on) => busy(deps, on),
    showProblem: (err, ctx) => showProblem(deps, err, ctx),
    onDone: (created, to) => navigate(`/voorstellen/${created.id}`, { flash: { kind: 'ok', text: `Het gezin is toegewezen aan ${to}. Deze toewijzing geldt als goedgekeurd.` } }),
  });
  replaceChildren(deps.panel, form);
  focus();
}

function decisionSection(a: Allocation, municipalities: Map<string, Municipality>) {
  const to = nameOf(a.municipality);
  const section = h('section', { class: 'card decision', 'aria-labelledby': 'beslissen-kop' }, heading(2, 'Beslissen', { id: 'beslissen-kop' }));
  if (a.status !== 'proposed') {
    add(section, 
      paragraph(`Dit voorstel is al behandeld: ${allocationStatus(a.status).toLowerCase()}${a.decidedAt ? ` op ${timestamp(a.decidedAt)}` : ''}.`),
      a.reason ? paragraph(`Reden: ${a.reason}`) : null,
      paragraph(link(`/registraties/${a.registrationId}`, 'Bekijk de registratie voor de actuele stand')),
    );
    return section;
  }
  const result = h('div', { class: 'decision__result' });
  const panel = h('div', { class: 'decision__panel' });
  const deps: DecisionDeps = { a, municipalities, result, panel, actions: [] };
  const approveBtn = button('Goedkeuren', { appearance: 'primary', onclick: () => void approve(deps) });
  const rejectBtn = button('Afwijzen', { onclick: () => startReject(deps) });
  const overrideBtn = button('Andere gemeente kiezen', { onclick: () => startOverride(deps) });
  deps.actions = [approveBtn, rejectBtn, overrideBtn];
  add(section, 
    paragraph('Het voorstel: het gezin gaat naar ', h('strong', null, to), '.'),
    h('div', { class: 'utrecht-button-group decision__buttons' }, approveBtn, rejectBtn, overrideBtn),
    result,
    panel,
  );
  return section;
}

export async function renderProposal(ctx: PageContext): Promise<void> {
  const id = ctx.params[0]!.toLowerCase();
  ctx.setTitle('Voorstel');
  const title = heading(1, 'Voorstel');
  const crumb = h('span', null, 'Voorstel');
  const body = h('div', { 'aria-busy': 'true' }, paragraph('Het voorstel wordt geladen…'));
  add(ctx.view, breadcrumb(crumb), title, takeFlash(), body);

  let a: Allocation;
  let municipalities: Map<string, Municipality>;
  try {
    [a, municipalities] = await Promise.all([getJson<Allocation>(`/allocations/${id}`), loadMunicipalities()]);
  } catch (err) {
    replaceChildren(body, problemSummary(err, { title: 'Het voorstel kon niet worden geladen', messages: { not_found: 'Dit voorstel bestaat niet, of u mag het niet inzien.' } }).element);
    body.removeAttribute('aria-busy');
    return;
  }
  body.removeAttribute('aria-busy');
  const from = nameOf(a.family.reportingMunicipality);
  const to = nameOf(a.municipality);
  const name = `Gezin uit ${from} naar ${to}`;
  title.replaceChildren(`Voorstel: ${name.charAt(0).toLowerCase()}${name.slice(1)}`);
  crumb.textContent = name;
  ctx.setTitle(`Voorstel: ${name}`);
  replaceChildren(
    body,
    h(
      'p',
      { class: 'utrecht-paragraph proposal__status' },
      srOnly('Status: '),
      statusBadge(allocationStatus(a.status), a.status),
      a.kind === 'override' ? [' ', h('span', { class: 'proposal__kind' }, 'handmatige toewijzing')] : null,
      ` · aangemaakt op ${timestamp(a.createdAt)}`,
    ),
    // The family and the decision in a narrow column beside the explanation, so the chart is in
    // view without scrolling. Source order is family, explanation, decision: read, then decide.
    h('div', { class: 'proposal__layout' }, familySection(a), explanationSection(a), decisionSection(a, municipalities)),
  );
}
