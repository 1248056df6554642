// Registrations: for the coordinator every family, for a municipality "our families" (the ones
// it reported and the ones allocated to it), with status, deadline signals and filters. Filters
// and the page number live in the query string, so a view can be bookmarked.
import { getAll, getJson, type Page } from './api';
import { add, alertBox, h, heading, link, paragraph, replaceChildren, srOnly } from './dom';
import { householdText, statusBadge } from './family';
import { date, int } from './format';
import { selectField } from './forms';
import { registrationStatus, signalLevel } from './labels';
import { byName, loadMunicipalities, nameOf } from './municipalities';
import { problemSummary } from './problems';
import { navigate, replaceQuery, takeFlash, type PageContext } from './router';
import { session } from './session';
import { cell, dataTable, row } from './table';
import type { Registration, Signal } from './types';

const PAGE_SIZE = 50;
const STATUSES = ['queued', 'proposed', 'approved', 'accepted', 'transferred', 'housed', 'closed', 'needs_attention'] as const;

/** The worst open deadline signal per registration (escalation over reminder). */
export async function openSignals(): Promise<Map<string, Signal['level']>> {
  const { items } = await getAll<Signal>('/signals?status=open', 1000);
  const worst = new Map<string, Signal['level']>();
  for (const s of items) if (worst.get(s.registrationId) !== 'escalation') worst.set(s.registrationId, s.level);
  return worst;
}

export function signalBadge(level: Signal['level'] | undefined) {
  if (!level) return null;
  return h('span', { class: `utrecht-status-badge utrecht-status-badge--${level === 'escalation' ? 'danger' : 'warning'} status-badge` }, signalLevel(level));
}

/** What the municipality itself has to do now, in words (the API decides whether it may). */
function ourTurn(r: Registration, own: string | null): string | null {
  if (!own) return null;
  if (r.status === 'approved' && r.receivingMunicipality === own) return 'Accepteren of weigeren';
  if (r.status === 'accepted') return 'Verhuizing vastleggen';
  return null;
}

export async function renderRegistrations(ctx: PageContext): Promise<void> {
  const own = session.role === 'municipality' ? session.municipality : null;
  const title = own ? 'Onze gezinnen' : 'Registraties';
  ctx.setTitle(title);
  const q = ctx.query;
  const status = q.get('status') ?? '';
  const scope = q.get('wie') ?? '';
  const reporting = q.get('meldend') ?? '';
  const receiving = q.get('ontvangend') ?? '';
  const page = Math.max(1, Number(/^\d{1,4}$/.test(q.get('pagina') ?? '') ? q.get('pagina') : 1));
  const body = h('div', { 'aria-busy': 'true' }, paragraph('De gezinnen worden geladen…'));
  add(
    ctx.view,
    heading(1, title),
    takeFlash(),
    paragraph(
      own
        ? 'De gezinnen die uw gemeente meldde en de gezinnen die aan uw gemeente zijn toegewezen, de nieuwste eerst. Open een gezin om te zien wat er moet gebeuren.'
        : 'Alle gemelde gezinnen, de nieuwste eerst. Filter op status of gemeente.',
    ),
    own ? paragraph(link('/registraties/nieuw', 'Een nieuw gezin melden')) : null,
    body,
  );

  const params = new URLSearchParams({ page: String(page), pageSize: String(PAGE_SIZE) });
  if ((STATUSES as readonly string[]).includes(status)) params.set('status', status);
  if (own && scope === 'gemeld') params.set('reportingMunicipality', own);
  if (own && scope === 'toegewezen') params.set('receivingMunicipality', own);
  if (!own && /^GM\d{4}$/.test(reporting)) params.set('reportingMunicipality', reporting);
  if (!own && /^GM\d{4}$/.test(receiving)) params.set('receivingMunicipality', receiving);

  let list: Page<Registration>;
  let signals: Map<string, Signal['level']>;
  let municipalities: Awaited<ReturnType<typeof loadMunicipalities>>;
  try {
    [list, signals, municipalities] = await Promise.all([
      getJson<Page<Registration>>(`/registrations?${params.toString()}`),
      openSignals().catch(() => new Map<string, Signal['level']>()),
      loadMunicipalities(),
    ]);
  } catch (err) {
    replaceChildren(body, problemSummary(err, { title: 'De gezinnen konden niet worden geladen' }).element);
    body.removeAttribute('aria-busy');
    return;
  }
  body.removeAttribute('aria-busy');

  const statusField = selectField({
    label: 'Status',
    options: [{ value: '', text: 'Alle statussen' }, ...STATUSES.map((s) => ({ value: s, text: registrationStatus(s) }))],
    value: status,
  });
  const codes = [...municipalities.keys()].sort(byName);
  const fields = own
    ? [
        selectField({
          label: 'Welke gezinnen',
          options: [
            { value: '', text: 'Gemeld door ons en toegewezen aan ons' },
            { value: 'gemeld', text: 'Gemeld door ons' },
            { value: 'toegewezen', text: 'Toegewezen aan ons' },
          ],
          value: scope,
        }),
      ]
    : [
        selectField({ label: 'Meldende gemeente', options: [{ value: '', text: 'Alle gemeenten' }, ...codes.map((c) => ({ value: c, text: nameOf(c) }))], value: reporting }),
        selectField({ label: 'Ontvangende gemeente', options: [{ value: '', text: 'Alle gemeenten' }, ...codes.map((c) => ({ value: c, text: nameOf(c) }))], value: receiving }),
      ];
  const keys = own ? ['wie'] : ['meldend', 'ontvangend'];
  const form = h(
    'form',
    { class: 'utrecht-form queue__filters', role: 'search', 'aria-label': 'Gezinnen filteren', novalidate: true },
    h('div', { class: 'filters__fields' }, statusField.field, fields.map((f) => f.field)),
    h('div', { class: 'utrecht-button-group filters__buttons' }, h('button', { type: 'submit', class: 'utrecht-button utrecht-button--primary-action' }, 'Filteren')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const next = new URLSearchParams();
    if (statusField.input.value) next.set('status', statusField.input.value);
    fields.forEach((f, i) => f.input.value && next.set(keys[i]!, f.input.value));
    const qs = next.toString();
    navigate(`/registraties${qs ? `?${qs}` : ''}`);
  });

  const columns = [
    { text: 'Gemeld op' },
    { text: 'Meldende gemeente' },
    { text: 'Ontvangende gemeente' },
    { text: 'Huishouden' },
    { text: 'Status' },
    { text: own ? 'Aan zet' : 'Termijn' },
    { text: 'Gezin' },
  ];
  const rows = list.items.map((r) =>
    row(
      cell(h('time', { datetime: r.reportedOn, class: 'nowrap' }, date(r.reportedOn))),
      cell(nameOf(r.reportingMunicipality)),
      cell(r.receivingMunicipality ? nameOf(r.receivingMunicipality) : 'nog niet bepaald'),
      cell(householdText(r)),
      cell(statusBadge(registrationStatus(r.status), r.status)),
      cell(own ? (ourTurn(r, own) ?? '—') : null, ' ', signalBadge(signals.get(r.id))),
      cell(link(`/registraties/${r.id}`, ['Bekijken', srOnly(`: gezin uit ${nameOf(r.reportingMunicipality)}, gemeld op ${date(r.reportedOn)}`)])),
    ),
  );
  const table = dataTable({ caption: `${title}, de nieuwste eerst`, region: title, columns, rows, class: 'registrations__table' });
  const pages = Math.max(1, Math.ceil(list.total / PAGE_SIZE));
  const pageLink = (n: number, text: string) => {
    const next = new URLSearchParams(q);
    next.set('pagina', String(n));
    return link(`/registraties?${next.toString()}`, text);
  };
  replaceQuery(q);
  replaceChildren(
    body,
    form,
    h('p', { class: 'utrecht-paragraph', role: 'status' }, list.total === 0 ? 'Geen gezinnen gevonden.' : `${int(list.total)} ${list.total === 1 ? 'gezin' : 'gezinnen'}; pagina ${int(page)} van ${int(pages)}.`),
    list.items.length > 0 ? table.element : alertBox('info', [paragraph(status || scope || reporting || receiving ? 'Geen gezinnen voor deze filters.' : 'Er zijn nog geen gezinnen.')]),
    pages > 1
      ? h(
          'nav',
          { class: 'pagination', 'aria-label': 'Paginering' },
          page > 1 ? pageLink(page - 1, 'Vorige pagina') : null,
          page < pages ? pageLink(page + 1, 'Volgende pagina') : null,
        )
      : null,
  );
}
