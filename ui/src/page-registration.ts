// A registration: where it stands, what happened to it (the history, with actor and reason),
// the emergency shelter with nights and costs, and the outcome.
import { getJson } from './api';
import { confirmDialog } from './confirm';
import { button } from './dom';
import { changeOffer, dwellingText, loadOffers, offersTable, type HousingOffer } from './offers';
import { actionsSection } from './registration-actions';
import { session } from './session';
import { endStayForm, newStayForm } from './shelter';
import { add, alertBox, dataList, h, heading, link, paragraph, replaceChildren, scrollRegion, srOnly, type Child } from './dom';
import { householdText, networkText, statusBadge } from './family';
import { date, euros, int, lastDayOf, listNl, plural, timestamp, todayInAmsterdam } from './format';
import { historyAction, needsList, outcome, registrationStatus, role, shelterType, signalLevel, signalStage, subgroup } from './labels';
import { loadMunicipalities, nameOf, type Municipality } from './municipalities';
import { breadcrumb } from './page-proposal';
import { describeProblem, problemSummary } from './problems';
import { navigate, takeFlash, type PageContext } from './router';
import type { HistoryEntry, Person, Registration, RegistrationSignals, ShelterStayPage } from './types';

/** Whole years between a birth date and today (both YYYY-MM-DD). */
function age(birthDate: string, today: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

/** Who acted, by role and organisation: never the token's subject, which is a technical id. */
function actorText(actor: HistoryEntry['actor']): string {
  if (actor.role === 'system') return 'het systeem (automatisch)';
  if (actor.role === 'municipality') return `gemeente ${nameOf(actor.municipality)}`;
  return `de ${role(actor.role)}`;
}

function timeline(items: HistoryEntry[]) {
  if (items.length === 0) return paragraph('Er is nog niets gebeurd met deze registratie.');
  return h(
    'ol',
    { class: 'timeline' },
    items.map((e) =>
      h(
        'li',
        { class: 'timeline__item' },
        h('p', { class: 'timeline__when' }, h('time', { datetime: e.at }, timestamp(e.at))),
        h('p', { class: 'timeline__what' }, h('strong', null, historyAction(e.action)), e.municipality ? `: ${nameOf(e.municipality)}` : null),
        h(
          'p',
          { class: 'timeline__detail' },
          `Door ${actorText(e.actor)}. Status: `,
          e.fromStatus ? `${registrationStatus(e.fromStatus).toLowerCase()} → ` : '',
          registrationStatus(e.toStatus).toLowerCase(),
          '.',
        ),
        e.reason ? h('p', { class: 'timeline__detail' }, 'Reden: ', h('q', null, e.reason)) : null,
        e.allocationId && session.role === 'coordinator' ? h('p', { class: 'timeline__detail' }, link(`/voorstellen/${e.allocationId}`, ['Voorstel bekijken', srOnly(` (${historyAction(e.action).toLowerCase()}, ${timestamp(e.at)})`)])) : null,
      ),
    ),
  );
}

function shelterTable(page: ShelterStayPage) {
  if (page.items.length === 0) return paragraph('Er is geen noodopvang geregistreerd voor dit gezin.');
  const cell = (...c: Child[]) => h('td', { class: 'utrecht-table__cell' }, ...c);
  const numeric = (...c: Child[]) => h('td', { class: 'utrecht-table__cell utrecht-table__cell--numeric-data' }, ...c);
  const headers = ['Soort opvang', 'Gemeente', 'Van', 'Tot', 'Nachten', 'Per nacht', 'Kosten'];
  return h(
    'div',
    scrollRegion('Verblijven in de noodopvang'),
    h(
      'table',
      { class: 'utrecht-table utrecht-table--html-table' },
      h('caption', { class: 'utrecht-table__caption sr-only' }, 'Verblijven in de noodopvang met nachten en kosten'),
      h(
        'thead',
        { class: 'utrecht-table__header' },
        h('tr', { class: 'utrecht-table__row' }, headers.map((t, i) => h('th', { scope: 'col', class: `utrecht-table__header-cell${i >= 4 ? ' utrecht-table__header-cell--numeric-column' : ''}` }, t))),
      ),
      h(
        'tbody',
        { class: 'utrecht-table__body' },
        page.items.map((s) =>
          h(
            'tr',
            { class: 'utrecht-table__row' },
            cell(shelterType(s.type)),
            cell(nameOf(s.municipality)),
            cell(h('time', { datetime: s.startDate }, date(s.startDate))),
            cell(s.endDate ? h('time', { datetime: s.endDate }, date(s.endDate)) : 'loopt nog', s.closedAutomatically ? ' (bij verhuizing)' : null),
            numeric(int(s.nights)),
            numeric(euros(s.nightlyCostCents)),
            numeric(euros(s.costCents)),
          ),
        ),
      ),
      h(
        'tfoot',
        { class: 'utrecht-table__footer' },
        h(
          'tr',
          { class: 'utrecht-table__row' },
          h('th', { scope: 'row', colspan: 4, class: 'utrecht-table__header-cell' }, 'Totaal'),
          numeric(h('strong', null, int(page.totalNights))),
          numeric(''),
          numeric(h('strong', null, euros(page.totalCostCents))),
        ),
      ),
    ),
  );
}

/** The reporting municipality records a new stay and ends a running one, while the family is sheltered. */
function shelterControls(reg: Registration, page: ShelterStayPage | null) {
  if (session.role !== 'municipality' || session.municipality !== reg.reportingMunicipality) return null;
  if (['transferred', 'housed', 'closed'].includes(reg.status)) return null;
  const panel = h('div', { class: 'decision__panel' });
  const close = () => replaceChildren(panel);
  const open = (page?.items ?? []).filter((s) => s.endDate === null);
  const buttons = [
    button('Verblijf vastleggen', {
      onclick: () => {
        const { form, focus } = newStayForm(reg.id, reg.reportedOn, close);
        replaceChildren(panel, form);
        focus();
      },
    }),
    ...open.map((stay) =>
      button(`Verblijf vanaf ${date(stay.startDate)} beëindigen`, {
        onclick: () => {
          const { form, focus } = endStayForm(stay, reg.id, close);
          replaceChildren(panel, form);
          focus();
        },
      }),
    ),
  ];
  return [h('div', { class: 'utrecht-button-group decision__buttons' }, buttons), panel];
}

/** Housing offered by corporations for this family; the receiving municipality decides on them. */
async function offersSection(reg: Registration) {
  const sees = session.role === 'coordinator' || (session.role === 'municipality' && session.municipality === reg.receivingMunicipality);
  if (!sees || !['approved', 'accepted', 'transferred', 'housed'].includes(reg.status)) return null;
  const result = h('div');
  const section = h('section', { class: 'card', 'aria-labelledby': 'aanbod-kop' }, heading(2, 'Woningaanbod', { id: 'aanbod-kop' }), result);
  let offers: HousingOffer[];
  try {
    offers = await loadOffers(reg.id);
  } catch (err) {
    add(section, alertBox('warning', [paragraph('Het woningaanbod kon niet worden geladen. ', describeProblem(err).message)]));
    return section;
  }
  if (offers.length === 0) {
    add(section, paragraph('Er is nog geen woning aangeboden voor dit gezin.'));
    return section;
  }
  const decide = (status: 'accepted' | 'declined') => async (o: HousingOffer) => {
    const ok = await confirmDialog({
      title: status === 'accepted' ? 'Aanbod accepteren?' : 'Aanbod afwijzen?',
      body: [paragraph(`Woning in ${nameOf(o.municipality)} met ${dwellingText(o)}, aangeboden op ${date(o.offeredOn)}.`)],
      confirmText: status === 'accepted' ? 'Ja, accepteren' : 'Ja, afwijzen',
      destructive: status === 'declined',
    });
    if (!ok) return;
    if (await changeOffer(o, { status }, result, status === 'accepted' ? 'Accepteren is niet gelukt' : 'Afwijzen is niet gelukt')) {
      navigate(`/registraties/${reg.id}`, { replace: true, flash: { kind: 'ok', text: status === 'accepted' ? 'Het woningaanbod is geaccepteerd.' : 'Het woningaanbod is afgewezen.' } });
    }
  };
  const offered = (o: HousingOffer) => o.status === 'offered';
  add(
    section,
    offersTable(offers, {
      caption: 'Woningaanbod voor dit gezin',
      actions: [
        { text: (o) => `Accepteren: aanbod van ${date(o.offeredOn)}`, applies: offered, run: decide('accepted') },
        // An accepted offer can still be declined (the family did not move in): the API allows it.
        { text: (o) => `Afwijzen: aanbod van ${date(o.offeredOn)}`, applies: (o) => o.status === 'offered' || o.status === 'accepted', run: decide('declined') },
      ],
    }).element,
  );
  return section;
}

/** The current deadline and the signals the registration raised (issue 13). */
function deadlines(s: RegistrationSignals) {
  const open = s.items.filter((i) => i.resolvedAt === null);
  const who = (m: string | null) => (m ? `gemeente ${nameOf(m)}` : 'de coördinator');
  return [
    s.deadline
      ? dataList([
          ['Fase', signalStage(s.deadline.stage)],
          ['Aan zet', who(s.deadline.municipality)],
          ['Uiterlijk', h('time', { datetime: s.deadline.dueAt }, lastDayOf(s.deadline.dueAt))],
          ['Escalatie na', h('time', { datetime: s.deadline.escalatesAt }, lastDayOf(s.deadline.escalatesAt))],
        ])
      : paragraph('Er loopt geen termijn: de registratie is in een fase zonder termijn.'),
    open.length > 0
      ? alertBox('warning', [
          paragraph(`${plural(open.length, 'signaal staat', 'signalen staan')} open:`),
          h('ul', { class: 'utrecht-unordered-list' }, open.map((i) => h('li', null, `${signalLevel(i.level)}: ${signalStage(i.stage).toLowerCase()}, termijn tot ${lastDayOf(i.dueAt)}`))),
        ])
      : null,
    s.items.length > open.length ? paragraph(`${plural(s.items.length - open.length, 'eerder signaal is', 'eerdere signalen zijn')} afgehandeld.`) : null,
  ];
}

export async function renderRegistration(ctx: PageContext): Promise<void> {
  const id = ctx.params[0]!.toLowerCase();
  ctx.setTitle('Registratie');
  const title = heading(1, 'Registratie');
  const crumb = h('span', null, 'Registratie');
  const body = h('div', { 'aria-busy': 'true' }, paragraph('De registratie wordt geladen…'));
  const parent = { href: '/registraties', text: session.role === 'municipality' ? 'Onze gezinnen' : 'Registraties' };
  add(ctx.view, breadcrumb(crumb, parent), title, takeFlash(), body);

  let reg: Registration;
  let history: { items: HistoryEntry[] };
  let municipalities: Map<string, Municipality>;
  try {
    [reg, history, municipalities] = await Promise.all([
      getJson<Registration>(`/registrations/${id}`),
      getJson<{ items: HistoryEntry[] }>(`/registrations/${id}/history`),
      loadMunicipalities(),
    ]);
  } catch (err) {
    replaceChildren(body, problemSummary(err, { title: 'De registratie kon niet worden geladen', messages: { not_found: 'Deze registratie bestaat niet, of u mag haar niet inzien.' } }).element);
    body.removeAttribute('aria-busy');
    return;
  }
  // Shelter stays come from another module; without them the rest of the page still stands.
  const stays = await getJson<ShelterStayPage>(`/registrations/${id}/shelter-stays?pageSize=200`).then(
    (page) => ({ page, error: null as unknown }),
    (error: unknown) => ({ page: null, error }),
  );
  const signals = await getJson<RegistrationSignals>(`/registrations/${id}/signals`).then(
    (value) => ({ value, error: null as unknown }),
    (error: unknown) => ({ value: null, error }),
  );
  const offers = await offersSection(reg);
  body.removeAttribute('aria-busy');

  const from = nameOf(reg.reportingMunicipality);
  title.replaceChildren(`Registratie: gezin uit ${from}`);
  crumb.textContent = `Registratie: gezin uit ${from}`;
  ctx.setTitle(`Registratie: gezin uit ${from}`);
  const today = todayInAmsterdam();
  // After pseudonymisation only the birth year is left.
  const person = (p: Person) => (p.name !== null && p.birthDate !== null ? `${p.name} (${age(p.birthDate, today)} jaar)` : `naam gewist (geboren in ${p.birthYear})`);
  const people = (list: Person[]) => (list.length === 0 ? 'geen' : listNl(list.map(person)));
  const needs = needsList(reg.needs);

  replaceChildren(
    body,
    h('p', { class: 'utrecht-paragraph proposal__status' }, srOnly('Status: '), statusBadge(registrationStatus(reg.status), reg.status)),
    reg.personalData === 'erased'
      ? alertBox('info', [paragraph(`De persoonsgegevens van dit gezin zijn gewist op ${reg.pseudonymisedAt?.slice(0, 10) ?? 'een eerdere datum'}: namen, BSN's, geboortedata, notities en redenen. De registratie, de data en de telling blijven.`)])
      : null,
    reg.activeAllocationId && reg.status === 'proposed' && session.role === 'coordinator'
      ? alertBox('info', [paragraph('Er ligt een voorstel klaar voor beoordeling. ', link(`/voorstellen/${reg.activeAllocationId}`, 'Naar het voorstel'), '.')])
      : null,
    actionsSection(reg, municipalities),
    h(
      'div',
      { class: 'two-columns' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'overzicht-kop' },
        heading(2, 'Overzicht', { id: 'overzicht-kop' }),
        dataList([
          ['Status', registrationStatus(reg.status)],
          ['Gemeld op', h('time', { datetime: reg.reportedOn }, date(reg.reportedOn))],
          ['Meldende gemeente', from],
          ['Ontvangende gemeente', reg.receivingMunicipality ? nameOf(reg.receivingMunicipality) : 'nog niet bepaald'],
          ['Deelgroep', subgroup(reg.subgroup)],
          ['Huishouden', householdText(reg)],
          ['Behoeften', needs.length === 0 ? 'geen bijzondere' : listNl(needs)],
          ['Netwerk', networkText(reg.networkMunicipalities ?? [])],
          ['Uitgesloten gemeenten', (reg.excludedMunicipalities ?? []).length === 0 ? 'geen' : networkText(reg.excludedMunicipalities ?? [])],
          ['Verhuisd op', reg.transferredOn ? h('time', { datetime: reg.transferredOn }, date(reg.transferredOn)) : 'nog niet'],
          ['Uitkomst', reg.outcome ? outcome(reg.outcome) : 'nog geen'],
        ]),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'huishouden-kop' },
        heading(2, 'Huishouden', { id: 'huishouden-kop' }),
        reg.household
          ? dataList([
              ['Volwassenen', people(reg.household.adults)],
              ['Kinderen', people(reg.household.children)],
            ])
          : paragraph(householdText(reg)),
        reg.notes ? [heading(3, 'Notities van de meldende gemeente'), h('p', { class: 'utrecht-paragraph preserve-lines' }, reg.notes)] : null,
        reg.duplicateAttempts && reg.duplicateAttempts.length > 0
          ? [
              heading(3, 'Dubbele meldingen'),
              paragraph(`Andere gemeenten probeerden een lid van dit huishouden te melden (${plural(reg.duplicateAttempts.length, 'poging', 'pogingen')}):`),
              h('ul', { class: 'utrecht-unordered-list' }, reg.duplicateAttempts.map((d) => h('li', null, `${nameOf(d.attemptedBy)} op ${timestamp(d.attemptedAt)}`))),
            ]
          : null,
        reg.earlierCase
          ? [
              heading(3, 'Eerder gemeld'),
              paragraph(
                `Een lid van dit huishouden zat in ${plural(reg.earlierCase.earlierCases, 'eerder afgesloten dossier', 'eerder afgesloten dossiers')}. Het laatste: `,
                link(`/registraties/${reg.earlierCase.registrationId}`, 'eerdere registratie'),
                ` (uitkomst: ${outcome(reg.earlierCase.outcome).toLowerCase()}).`,
              ),
              reg.earlierCase.repeatedReturn ? alertBox('warning', [paragraph('Het gezin gebruikte de terugkeerregeling al eerder: dit is herhaald gebruik.')]) : null,
            ]
          : null,
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'termijnen-kop' },
      heading(2, 'Termijnen', { id: 'termijnen-kop' }),
      signals.value
        ? deadlines(signals.value)
        : alertBox('warning', [paragraph('De termijnen konden niet worden geladen. ', describeProblem(signals.error).message)]),
    ),
    h('section', { class: 'card', 'aria-labelledby': 'verloop-kop' }, heading(2, 'Verloop', { id: 'verloop-kop' }), timeline(history.items)),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'opvang-kop' },
      heading(2, 'Noodopvang', { id: 'opvang-kop' }),
      paragraph(`De meldende gemeente ${from} vangt het gezin op tot de verhuizing. Nachten tellen tot vandaag zolang een verblijf loopt.`),
      stays.page
        ? shelterTable(stays.page)
        : alertBox('warning', [paragraph('De gegevens over noodopvang konden niet worden geladen. ', describeProblem(stays.error).message)]),
      shelterControls(reg, stays.page),
    ),
    offers,
  );
}
