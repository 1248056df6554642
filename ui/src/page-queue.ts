// The review queue: every proposal waiting for a decision, oldest first, with the family's
// summary and filters. Filters live in the query string, so a filtered view can be bookmarked.
import { getAll } from './api';
import { add, alertBox, button, h, heading, paragraph, replaceChildren, scrollRegion, srOnly, type Child } from './dom';
import { agesText, householdText, needsText, networkText } from './family';
import { date, days, int } from './format';
import { selectField, textField } from './forms';
import { NEED_FLAGS } from './labels';
import { byName, loadMunicipalities, nameOf } from './municipalities';
import { signalBadge } from './page-registrations';
import { problemSummary } from './problems';
import { replaceQuery, takeFlash, type PageContext } from './router';
import type { Allocation, Signal } from './types';

interface Filters {
  reporting: string;
  proposed: string;
  minDays: number | null;
  need: string;
}

function readFilters(q: URLSearchParams): Filters {
  const min = q.get('minDagen');
  const n = min !== null && /^\d{1,5}$/.test(min) ? Number(min) : null;
  return { reporting: q.get('meldend') ?? '', proposed: q.get('voorgesteld') ?? '', minDays: n, need: q.get('behoefte') ?? '' };
}

function writeFilters(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.reporting) q.set('meldend', f.reporting);
  if (f.proposed) q.set('voorgesteld', f.proposed);
  if (f.minDays !== null) q.set('minDagen', String(f.minDays));
  if (f.need) q.set('behoefte', f.need);
  return q;
}

function matches(a: Allocation, f: Filters): boolean {
  if (f.reporting && a.family.reportingMunicipality !== f.reporting) return false;
  if (f.proposed && a.municipality !== f.proposed) return false;
  if (f.minDays !== null && a.family.daysWaiting < f.minDays) return false;
  if (f.need && (a.family.needs as Record<string, unknown>)[f.need] !== true) return false;
  return true;
}

const isActive = (f: Filters) => Boolean(f.reporting || f.proposed || f.minDays !== null || f.need);

function row(a: Allocation, overdue: Map<string, Signal['level']>) {
  const f = a.family;
  const from = nameOf(f.reportingMunicipality);
  const to = nameOf(a.municipality);
  const cell = (...c: Child[]) => h('td', { class: 'utrecht-table__cell' }, ...c);
  const numeric = (...c: Child[]) => h('td', { class: 'utrecht-table__cell utrecht-table__cell--numeric-data' }, ...c);
  return h(
    'tr',
    { class: 'utrecht-table__row' },
    numeric(h('span', { class: 'nowrap' }, days(f.daysWaiting)), overdue.has(a.id) ? [' ', signalBadge(overdue.get(a.id))] : null),
    cell(h('time', { datetime: f.reportedOn, class: 'nowrap' }, date(f.reportedOn))),
    cell(from),
    cell(householdText(f)),
    cell(agesText(f.childrenAges)),
    cell(needsText(f)),
    cell(networkText(f.networkMunicipalities)),
    cell(h('strong', null, to)),
    cell(
      h(
        'a',
        { href: `/voorstellen/${a.id}`, class: 'utrecht-link utrecht-link--html-a queue__open' },
        'Bekijken',
        srOnly(`: gezin uit ${from} naar ${to}, ${days(f.daysWaiting)} wachtend`),
      ),
    ),
  );
}

export async function renderQueue(ctx: PageContext): Promise<void> {
  ctx.setTitle('Voorstellen');
  if (location.pathname === '/') history.replaceState(null, '', `/voorstellen${location.search}`);
  const body = h('div', { class: 'queue', 'aria-busy': 'true' }, paragraph('De voorstellen worden geladen…'));
  add(ctx.view, 
    heading(1, 'Voorstellen'),
    takeFlash(),
    paragraph('Voorstellen die wachten op uw beoordeling, het eerst gemelde gezin eerst. Open een voorstel om de onderbouwing te lezen en te beslissen.'),
    body,
  );

  let items: Allocation[];
  let total: number;
  // Review deadlines that passed, per allocation; without them the queue still stands.
  const overdue = new Map<string, Signal['level']>();
  try {
    const [page, signals] = await Promise.all([
      getAll<Allocation>('/allocations?status=proposed'),
      getAll<Signal>('/signals?stage=review').catch(() => ({ items: [] as Signal[], total: 0 })),
      loadMunicipalities(),
    ]);
    // In the API's order: by when the family was reported and registered, not when it was last proposed.
    ({ items, total } = page);
    for (const sig of signals.items) {
      if (sig.allocationId && overdue.get(sig.allocationId) !== 'escalation') overdue.set(sig.allocationId, sig.level);
    }
  } catch (err) {
    const p = problemSummary(err, { title: 'De voorstellen konden niet worden geladen' });
    replaceChildren(body, p.element);
    body.removeAttribute('aria-busy');
    return;
  }
  body.removeAttribute('aria-busy');

  const filters = readFilters(ctx.query);
  const unique = (codes: string[]) => [...new Set(codes)].sort(byName);
  const reporting = selectField({
    label: 'Meldende gemeente',
    id: 'filter-meldend',
    options: [{ value: '', text: 'Alle meldende gemeenten' }, ...unique(items.map((a) => a.family.reportingMunicipality)).map((c) => ({ value: c, text: nameOf(c) }))],
    value: filters.reporting,
  });
  const proposed = selectField({
    label: 'Voorgestelde gemeente',
    id: 'filter-voorgesteld',
    options: [{ value: '', text: 'Alle voorgestelde gemeenten' }, ...unique(items.map((a) => a.municipality)).map((c) => ({ value: c, text: nameOf(c) }))],
    value: filters.proposed,
  });
  const minDays = textField({
    label: 'Minimaal aantal dagen wachtend',
    id: 'filter-min-dagen',
    type: 'number',
    attrs: { min: 0, max: 99999, step: 1, inputmode: 'numeric', value: filters.minDays ?? '', class: 'utrecht-textbox utrecht-textbox--html-input filter__number' },
  });
  const need = selectField({
    label: 'Behoefte',
    id: 'filter-behoefte',
    options: [{ value: '', text: 'Alle gezinnen' }, ...NEED_FLAGS.map(([value, text]) => ({ value, text: `Met behoefte: ${text}` }))],
    value: filters.need,
  });

  const count = h('p', { class: 'utrecht-paragraph queue__count', role: 'status' });
  const tableBody = h('tbody', { class: 'utrecht-table__body' });
  const table = h(
    'table',
    { class: 'utrecht-table utrecht-table--html-table queue__table' },
    h('caption', { class: 'utrecht-table__caption sr-only' }, 'Voorstellen die wachten op beoordeling, het eerst gemelde gezin eerst'),
    h(
      'thead',
      { class: 'utrecht-table__header' },
      h(
        'tr',
        { class: 'utrecht-table__row' },
        ['Wacht', 'Gemeld op', 'Meldende gemeente', 'Huishouden', 'Leeftijden kinderen', 'Behoeften', 'Netwerk', 'Voorgestelde gemeente', 'Voorstel'].map((t, i) =>
          h('th', { scope: 'col', class: `utrecht-table__header-cell${i === 0 ? ' utrecht-table__header-cell--numeric-column' : ''}` }, t),
        ),
      ),
    ),
    tableBody,
  );
  const empty = h('div');

  const apply = () => {
    const minRaw = minDays.input.value.trim();
    const minValid = minRaw === '' || /^\d{1,5}$/.test(minRaw);
    minDays.setError(minValid ? null : 'Vul een heel getal van 0 of meer in.');
    const f: Filters = { reporting: reporting.input.value, proposed: proposed.input.value, minDays: minValid && minRaw !== '' ? Number(minRaw) : null, need: need.input.value };
    replaceQuery(writeFilters(f));
    const shown = items.filter((a) => matches(a, f));
    replaceChildren(tableBody, shown.map((a) => row(a, overdue)));
    table.hidden = shown.length === 0;
    count.textContent =
      items.length === 0
        ? 'Er wachten geen voorstellen op beoordeling.'
        : isActive(f)
          ? `${int(shown.length)} van ${int(items.length)} voorstellen voldoen aan de filters.`
          : `${int(items.length)} ${items.length === 1 ? 'voorstel wacht' : 'voorstellen wachten'} op beoordeling.`;
    replaceChildren(empty, items.length > 0 && shown.length === 0 ? alertBox('info', [paragraph('Geen voorstellen voor deze filters. Wis de filters om alles te zien.')]) : null);
  };

  const form = h(
    'form',
    { class: 'utrecht-form queue__filters', role: 'search', 'aria-label': 'Voorstellen filteren', novalidate: true },
    h('div', { class: 'filters__fields' }, reporting.field, proposed.field, minDays.field, need.field),
    h(
      'div',
      { class: 'utrecht-button-group filters__buttons' },
      h('button', { type: 'submit', class: 'utrecht-button utrecht-button--primary-action' }, 'Filteren'),
      button('Filters wissen', {
        onclick: () => {
          reporting.input.value = '';
          proposed.input.value = '';
          minDays.input.value = '';
          need.input.value = '';
          apply();
        },
      }),
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    apply();
  });
  // Filtering as you choose only narrows the table below; focus and context stay where they are.
  for (const el of [reporting.input, proposed.input, need.input]) el.addEventListener('change', apply);
  minDays.input.addEventListener('input', apply);

  replaceChildren(
    body,
    form,
    count,
    total > items.length ? alertBox('warning', [paragraph(`Alleen de oudste ${int(items.length)} van ${int(total)} voorstellen worden getoond.`)]) : null,
    empty,
    h('div', scrollRegion('Voorstellen', 'queue__scroll'), table),
  );
  apply();
}
