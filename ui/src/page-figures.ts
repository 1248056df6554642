// Figures people would rather look at than read: days from registration to proposal, approval
// and transfer per month of registration (contract C of issue 15), and arrivals per month and
// subgroup. Each chart has the same numbers in a table beside it, and both come as CSV.
import { getJson } from './api';
import { columnChart, legendFor, type Series } from './bars';
import { add, alertBox, h, heading, paragraph, replaceChildren } from './dom';
import { csvDownloads } from './download';
import { int, num, todayInAmsterdam } from './format';
import { textField } from './forms';
import { subgroup } from './labels';
import { problemSummary } from './problems';
import { navigate, takeFlash, type PageContext } from './router';
import { session } from './session';
import { dataTable, numericCell, row, rowHeader } from './table';

type Count = number | '<5';

interface Stage {
  count: Count;
  median: number | null;
  p90: number | null;
}

export interface LeadTimeMonth {
  month: string;
  registrations: Count;
  toProposal: Stage;
  toApproval: Stage;
  toTransfer: Stage;
}

interface ArrivalCell {
  month: string;
  subgroup: string;
  registrations: Count;
}

/** The API allows at most 36 months per request (contract C). */
const MAX_MONTHS = 36;
const DEFAULT_MONTHS = 12;
const SUBGROUPS = ['former_permit_holder', 'caribbean', 'chavez', 'other_remigrant'] as const;
const STAGES = [
  ['toProposal', 'tot voorstel', 'chart__s1'],
  ['toApproval', 'tot goedkeuring', 'chart__s2'],
  ['toTransfer', 'tot verhuizing', 'chart__s3'],
] as const;

const monthName = new Intl.DateTimeFormat('nl-NL', { month: 'short', year: '2-digit', timeZone: 'UTC' });
const monthLong = new Intl.DateTimeFormat('nl-NL', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const asDate = (m: string) => new Date(Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)) - 1, 1));
export const monthShort = (m: string) => monthName.format(asDate(m));
export const monthText = (m: string) => monthLong.format(asDate(m));

export function addMonths(m: string, n: number): string {
  const d = asDate(m);
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 7);
}

export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = from; m <= to && out.length <= MAX_MONTHS; m = addMonths(m, 1)) out.push(m);
  return out;
}

const lastDay = (m: string) => new Date(Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)), 0)).toISOString().slice(0, 10);
const countText = (c: Count) => (c === '<5' ? 'minder dan 5' : int(c));
const daysText = (d: number | null) => (d === null ? '—' : `${num(d)} d.`);

function leadTimesSection(items: LeadTimeMonth[], from: string, to: string) {
  const months = items.map((i) => i.month);
  const series: Series[] = STAGES.map(([key, name, cls]) => ({ name: `Mediaan ${name}`, cls, values: items.map((i) => i[key].median) }));
  const known = items.filter((i) => i.toProposal.median !== null);
  const summary =
    known.length === 0
      ? 'Er zijn in deze maanden geen (of te weinig) gezinnen om doorlooptijden te tonen.'
      : `Mediaan aantal dagen van melding tot voorstel, goedkeuring en verhuizing per maand van melding, ${monthText(from)} tot en met ${monthText(to)}. ` +
        `Laatste maand met gegevens, ${monthText(known[known.length - 1]!.month)}: ${STAGES.map(([key, name]) => `${name} ${daysText(known[known.length - 1]![key].median)}`).join(', ')}. De tabel bevat alle getallen.`;
  const table = dataTable({
    caption: 'Doorlooptijden in dagen per maand van melding: mediaan en 90e percentiel',
    region: 'Doorlooptijden als tabel',
    columns: [{ text: 'Maand' }, { text: 'Gemeld', numeric: true }, ...STAGES.map(([, name]) => ({ text: `Dagen ${name} (mediaan; 90%)`, numeric: true }))],
    rows: items.map((i) =>
      row(
        rowHeader(monthText(i.month)),
        numericCell(countText(i.registrations)),
        ...STAGES.map(([key]) => numericCell(i[key].median === null ? '—' : `${num(i[key].median!)}; ${i[key].p90 === null ? '—' : num(i[key].p90!)}`, h('span', { class: 'cell-note' }, `${countText(i[key].count)} gezinnen`))),
      ),
    ),
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'doorlooptijd-kop' },
    heading(2, 'Doorlooptijden', { id: 'doorlooptijd-kop' }),
    paragraph('Hoeveel dagen het duurt van de melding van een gezin tot het voorstel, de goedkeuring en de verhuizing, per maand waarin het gezin werd gemeld. De mediaan: de helft van de gezinnen was sneller.'),
    h('figure', { class: 'chart__figure' }, columnChart({ title: 'Doorlooptijden per maand van melding', summary, categories: months.map(monthShort), series, format: (n) => int(n) }), legendFor(series)),
    table.element,
    csvDownloads([{ path: `/reports/lead-times?from=${from}&to=${to}`, label: 'Doorlooptijden', file: `doorlooptijden-${from}-${to}.csv` }]),
  );
}

function arrivalsSection(cells: ArrivalCell[], months: string[], from: string, to: string) {
  // Cells of 1 to 4 are kept back ("<5"); a month's known total is then a lower bound.
  const sum = (m: string, g: string) => cells.filter((c) => c.month === m && c.subgroup === g).reduce((acc, c) => acc + (c.registrations === '<5' ? 0 : c.registrations), 0);
  const hidden = (m: string, g: string) => cells.some((c) => c.month === m && c.subgroup === g && c.registrations === '<5');
  const series: Series[] = SUBGROUPS.map((g, i) => ({ name: subgroup(g), cls: `chart__s${i + 1}`, values: months.map((m) => sum(m, g)) }));
  const totals = months.map((m) => SUBGROUPS.reduce((acc, g) => acc + sum(m, g), 0));
  const busiest = months[totals.indexOf(Math.max(0, ...totals))];
  const summary =
    totals.every((t) => t === 0)
      ? 'In deze maanden zijn (nog) geen gezinnen gemeld, of alleen kleine aantallen die worden afgeschermd.'
      : `Aanmeldingen per maand en deelgroep, ${monthText(from)} tot en met ${monthText(to)}, gestapeld. Drukste maand: ${busiest ? monthText(busiest) : '—'} met ${int(Math.max(...totals))} gezinnen. De tabel bevat alle getallen.`;
  const table = dataTable({
    caption: 'Aanmeldingen per maand en deelgroep',
    region: 'Aanmeldingen als tabel',
    columns: [{ text: 'Maand' }, ...SUBGROUPS.map((g) => ({ text: subgroup(g), numeric: true })), { text: 'Totaal', numeric: true }],
    rows: months.map((m, i) =>
      row(
        rowHeader(monthText(m)),
        ...SUBGROUPS.map((g) => numericCell(hidden(m, g) ? (sum(m, g) > 0 ? `${int(sum(m, g))} of meer` : 'minder dan 5') : int(sum(m, g)))),
        numericCell(SUBGROUPS.some((g) => hidden(m, g)) ? `minstens ${int(totals[i]!)}` : int(totals[i]!)),
      ),
    ),
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'aanmeldingen-kop' },
    heading(2, 'Aanmeldingen per maand en deelgroep', { id: 'aanmeldingen-kop' }),
    paragraph('Kleine aantallen (1 tot 4) worden afgeschermd om gezinnen niet herkenbaar te maken; ze tellen in de grafiek niet mee.'),
    h('figure', { class: 'chart__figure' }, columnChart({ title: 'Aanmeldingen per maand en deelgroep', summary, categories: months.map(monthShort), series, stacked: true, format: (n) => int(n) }), legendFor(series)),
    table.element,
    csvDownloads([{ path: `/reports/arrivals?from=${from}-01&to=${lastDay(to)}`, label: 'Aanmeldingen', file: `aanmeldingen-${from}-${to}.csv` }]),
  );
}

export async function renderFigures(ctx: PageContext): Promise<void> {
  ctx.setTitle('Cijfers');
  const thisMonth = todayInAmsterdam().slice(0, 7);
  const valid = (m: string | null) => (m && /^\d{4}-(0[1-9]|1[0-2])$/.test(m) ? m : null);
  let to = valid(ctx.query.get('tot')) ?? thisMonth;
  let from = valid(ctx.query.get('van')) ?? addMonths(to, -(DEFAULT_MONTHS - 1));
  if (from > to) [from, to] = [to, from];
  if (monthsBetween(from, to).length > MAX_MONTHS) from = addMonths(to, -(MAX_MONTHS - 1));
  const fromField = textField({ label: 'Van maand', type: 'month', attrs: { value: from, max: thisMonth } });
  const toField = textField({ label: 'Tot en met maand', type: 'month', attrs: { value: to, max: thisMonth } });
  const form = h(
    'form',
    { class: 'utrecht-form period-form', 'aria-label': 'Maanden kiezen', novalidate: true },
    h('div', { class: 'filters__fields' }, fromField.field, toField.field),
    h('div', { class: 'utrecht-button-group' }, h('button', { type: 'submit', class: 'utrecht-button utrecht-button--primary-action' }, 'Toon maanden')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = valid(fromField.input.value);
    const t = valid(toField.input.value);
    fromField.setError(f ? null : 'Vul een maand in als jjjj-mm.');
    toField.setError(t ? null : 'Vul een maand in als jjjj-mm.');
    if (!f) return fromField.input.focus();
    if (!t) return toField.input.focus();
    navigate(`/cijfers?${new URLSearchParams({ van: f, tot: t }).toString()}`);
  });
  const body = h('div', { 'aria-busy': 'true' }, paragraph('De cijfers worden geladen…'));
  add(
    ctx.view,
    heading(1, 'Cijfers'),
    takeFlash(),
    paragraph(
      session.role === 'municipality'
        ? 'Doorlooptijden en aanmeldingen van de gezinnen die uw gemeente meldde, per maand. Hoogstens 36 maanden tegelijk.'
        : 'Doorlooptijden en aanmeldingen per maand, landelijk. Hoogstens 36 maanden tegelijk.',
    ),
    form,
    body,
  );
  const months = monthsBetween(from, to);
  const [lead, arrivals] = await Promise.all([
    getJson<{ items: LeadTimeMonth[] }>(`/reports/lead-times?from=${from}&to=${to}`).then((value) => ({ value, error: null as unknown }), (error: unknown) => ({ value: null, error })),
    getJson<{ items: ArrivalCell[] }>(`/reports/arrivals?from=${from}-01&to=${lastDay(to)}`).then((value) => ({ value, error: null as unknown }), (error: unknown) => ({ value: null, error })),
  ]);
  body.removeAttribute('aria-busy');
  replaceChildren(
    body,
    lead.value
      ? leadTimesSection(lead.value.items, from, to)
      : h('section', { class: 'card' }, heading(2, 'Doorlooptijden'), problemSummary(lead.error, { title: 'De doorlooptijden konden niet worden geladen', messages: { not_found: 'De doorlooptijden zijn in deze versie van de dienst (nog) niet beschikbaar.' } }).element),
    arrivals.value
      ? arrivalsSection(arrivals.value.items, months, from, to)
      : h('section', { class: 'card' }, heading(2, 'Aanmeldingen'), problemSummary(arrivals.error, { title: 'De aanmeldingen konden niet worden geladen' }).element),
    !lead.value && !arrivals.value ? alertBox('warning', [paragraph('Probeer het later opnieuw.')]) : null,
  );
}
