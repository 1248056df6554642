// Verdeling: every municipality's entitlement, count and balance for a period (sortable and
// searchable), a chart per province with a table alternative, and the two reports as CSV.
import { ApiProblem, getJson } from './api';
import { bar, divergingBar } from './bars';
import { add, alertBox, dataList, h, heading, paragraph, replaceChildren, scrollRegion, s, uid, type Child } from './dom';
import { session } from './session';
import { csvDownloads } from './download';
import { int, num2, periodLabel, periodOf, previousPeriod, share, signed, signedShare, todayInAmsterdam, toNumber } from './format';
import { selectField, textField } from './forms';
import { collator, loadMunicipalities, type Municipality } from './municipalities';
import { problemSummary } from './problems';
import { navigate, takeFlash, type PageContext } from './router';

/** Periods offered in the picker: the current half-year and this many before it. */
const PERIODS_BACK = 5;

export interface BalanceRow {
  code: string;
  name: string;
  province: string;
  /** This period's entitlement E. */
  entitlement: number;
  /** Units allocated in this period: proposed and approved (realised ones are approved too). */
  allocated: number;
  /** Counts of 1 to 4 come as "<5" for some readers (policy_viewer): shown as such, summed as 0. */
  suppressed: boolean;
  proposed: number | null;
  approved: number | null;
  realised: number | null;
  /** Balance brought in from the previous period; null when the API does not say. */
  carriedIn: number | null;
  /** The running balance E − A, carry-over included: positive is a backlog. */
  balance: number;
}

type Raw = Record<string, unknown>;

/**
 * One row of GET /distribution/balances (exact "num/den" strings with rounded *Display twins).
 * `approved` already includes the realised (transferred) units, so A = proposed + approved.
 */
export function toBalanceRow(raw: Raw, municipalities: Map<string, Municipality>): BalanceRow | null {
  const code = typeof raw.municipality === 'string' ? raw.municipality : typeof raw.code === 'string' ? raw.code : null;
  if (!code) return null;
  const entitlement = toNumber(raw.entitlementDisplay) ?? toNumber(raw.entitlement);
  const balance = toNumber(raw.balanceDisplay) ?? toNumber(raw.balance);
  const proposed = toNumber(raw.proposed) ?? null;
  const approved = toNumber(raw.approved) ?? null;
  const realised = toNumber(raw.realised) ?? null;
  const suppressed = [raw.proposed, raw.approved, raw.realised].includes('<5');
  const allocated = toNumber(raw.allocated) ?? (proposed !== null || approved !== null || suppressed ? (proposed ?? 0) + (approved ?? 0) : undefined);
  if (entitlement === undefined || allocated === undefined || balance === undefined) return null;
  const m = municipalities.get(code);
  return {
    code,
    name: typeof raw.name === 'string' ? raw.name : (m?.name ?? code),
    province: typeof raw.province === 'string' ? raw.province : (m?.province ?? 'Onbekend'),
    entitlement,
    allocated,
    suppressed,
    proposed,
    approved,
    realised,
    carriedIn: toNumber(raw.carriedInDisplay) ?? toNumber(raw.carriedIn) ?? null,
    balance,
  };
}

interface BalancesDoc {
  items?: Raw[];
  totals?: Raw;
  total?: number;
  pageSize?: number;
}

async function loadBalances(period: string): Promise<{ items: Raw[]; totals: Raw | undefined }> {
  const path = `/distribution/balances?period=${encodeURIComponent(period)}`;
  const first = await getJson<BalancesDoc>(path);
  const items = [...(first.items ?? [])];
  // Paged or not: read on while the API says there is more.
  if (typeof first.total === 'number' && typeof first.pageSize === 'number' && first.total > items.length) {
    for (let page = 2; items.length < first.total; page++) {
      const next = await getJson<{ items?: Raw[] }>(`${path}&page=${page}&pageSize=${first.pageSize}`);
      if (!next.items || next.items.length === 0) break;
      items.push(...next.items);
    }
  }
  return { items, totals: first.totals };
}

type SortKey = 'name' | 'province' | 'entitlement' | 'allocated' | 'carriedIn' | 'balance';
const COLUMNS: Array<{ key: SortKey; label: string; numeric: boolean }> = [
  { key: 'name', label: 'Gemeente', numeric: false },
  { key: 'province', label: 'Provincie', numeric: false },
  { key: 'entitlement', label: 'Aanspraak (E)', numeric: true },
  { key: 'allocated', label: 'Toegewezen (A)', numeric: true },
  { key: 'carriedIn', label: 'Meegenomen', numeric: true },
  { key: 'balance', label: 'Saldo', numeric: true },
];

function compare(a: BalanceRow, b: BalanceRow, key: SortKey): number {
  if (key === 'name' || key === 'province') return collator.compare(a[key], b[key]) || collator.compare(a.name, b.name);
  return (a[key] ?? 0) - (b[key] ?? 0) || collator.compare(a.name, b.name);
}

interface ProvinceSum {
  province: string;
  entitlement: number;
  allocated: number;
  balance: number;
  municipalities: number;
}

export function sumByProvince(rows: readonly BalanceRow[]): ProvinceSum[] {
  const by = new Map<string, ProvinceSum>();
  for (const r of rows) {
    const p = by.get(r.province) ?? { province: r.province, entitlement: 0, allocated: 0, balance: 0, municipalities: 0 };
    p.entitlement += r.entitlement;
    p.allocated += r.allocated;
    p.balance += r.balance;
    p.municipalities += 1;
    by.set(r.province, p);
  }
  return [...by.values()].sort((a, b) => collator.compare(a.province, b.province));
}

/**
 * Two panels per province: entitlement and count side by side from zero, and the balance from
 * a centre line. The SVG is one image with a title and a summary; the table after it is the
 * same data for anyone who cannot see the chart.
 */
function provinceChart(sums: ProvinceSum[], period: string) {
  const LABEL_W = 150;
  const PANEL_W = 360;
  const GAP = 60;
  const ROW_H = 30;
  const TOP = 44;
  const BAR_H = 9;
  const width = LABEL_W + PANEL_W * 2 + GAP + 20;
  const height = TOP + ROW_H * sums.length + 10;
  const maxEA = Math.max(...sums.flatMap((p) => [p.entitlement, p.allocated]), 0.0001);
  const maxAbs = Math.max(...sums.map((p) => Math.abs(p.balance)), 0.0001);
  const titleId = uid('grafiek-titel');
  const descId = uid('grafiek-omschrijving');
  const mostBehind = [...sums].sort((a, b) => b.balance - a.balance)[0];
  const mostAhead = [...sums].sort((a, b) => a.balance - b.balance)[0];
  const p1 = LABEL_W;
  const p2 = LABEL_W + PANEL_W + GAP;
  const mid = p2 + PANEL_W / 2;
  const rows = sums.map((p, i) => {
    const y = TOP + i * ROW_H;
    const eW = (p.entitlement / maxEA) * (PANEL_W - 70);
    const aW = (p.allocated / maxEA) * (PANEL_W - 70);
    const bLen = (Math.abs(p.balance) / maxAbs) * (PANEL_W / 2 - 60);
    const bX = p.balance >= 0 ? mid : mid - bLen;
    return s(
      'g',
      null,
      s('text', { x: LABEL_W - 10, y: y + ROW_H / 2 + 4, class: 'chart__label', 'text-anchor': 'end' }, p.province),
      s('rect', { x: p1, y: y + 5, width: eW.toFixed(2), height: BAR_H, class: 'chart__bar chart__bar--entitlement' }),
      s('rect', { x: p1, y: y + 5 + BAR_H + 1, width: aW.toFixed(2), height: BAR_H, class: 'chart__bar chart__bar--count' }),
      s('text', { x: p1 + Math.max(eW, aW) + 6, y: y + ROW_H / 2 + 4, class: 'chart__value' }, `${num2(p.entitlement)} / ${int(p.allocated)}`),
      s('rect', { x: bX.toFixed(2), y: y + 8, width: bLen.toFixed(2), height: BAR_H + 2, class: `chart__bar ${p.balance >= 0 ? 'chart__bar--backlog' : 'chart__bar--advance'}` }),
      s(
        'text',
        { x: p.balance >= 0 ? mid + bLen + 6 : mid - bLen - 6, y: y + ROW_H / 2 + 4, class: 'chart__value', 'text-anchor': p.balance >= 0 ? 'start' : 'end' },
        signed(p.balance),
      ),
    );
  });
  const svg = s(
    'svg',
    { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': `${titleId} ${descId}`, preserveAspectRatio: 'xMinYMin meet' },
    s('title', { id: titleId }, `Aanspraak, toegewezen en saldo per provincie, ${periodLabel(period)}`),
    s(
      'desc',
      { id: descId },
      sums.length === 0
        ? 'Geen gegevens.'
        : `${sums.length} provincies. Grootste achterstand: ${mostBehind?.province} (${signed(mostBehind?.balance ?? 0)}). ` +
            `Grootste voorsprong: ${mostAhead?.province} (${signed(mostAhead?.balance ?? 0)}). De tabel onder de grafiek bevat alle getallen.`,
    ),
    s('text', { x: p1, y: 16, class: 'chart__heading' }, 'Aanspraak (E) en toegewezen (A)'),
    s('rect', { x: p1, y: 24, width: 12, height: 8, class: 'chart__bar chart__bar--entitlement' }),
    s('text', { x: p1 + 16, y: 32, class: 'chart__legend' }, 'aanspraak'),
    s('rect', { x: p1 + 90, y: 24, width: 12, height: 8, class: 'chart__bar chart__bar--count' }),
    s('text', { x: p1 + 106, y: 32, class: 'chart__legend' }, 'toegewezen'),
    s('text', { x: p2, y: 16, class: 'chart__heading' }, 'Saldo (E − A)'),
    s('text', { x: p2, y: 32, class: 'chart__legend' }, '← voorsprong'),
    s('text', { x: p2 + PANEL_W, y: 32, class: 'chart__legend', 'text-anchor': 'end' }, 'achterstand →'),
    s('line', { x1: mid, x2: mid, y1: TOP - 2, y2: height - 6, class: 'chart__axis' }),
    ...rows,
  );
  const table = h(
    'table',
    { class: 'utrecht-table utrecht-table--html-table' },
    h('caption', { class: 'utrecht-table__caption' }, `Per provincie, ${periodLabel(period)}`),
    h(
      'thead',
      { class: 'utrecht-table__header' },
      h(
        'tr',
        { class: 'utrecht-table__row' },
        ['Provincie', 'Gemeenten', 'Aanspraak (E)', 'Toegewezen (A)', 'Saldo (E − A)'].map((t, i) =>
          h('th', { scope: 'col', class: `utrecht-table__header-cell${i > 0 ? ' utrecht-table__header-cell--numeric-column' : ''}` }, t),
        ),
      ),
    ),
    h(
      'tbody',
      { class: 'utrecht-table__body' },
      sums.map((p) =>
        h(
          'tr',
          { class: 'utrecht-table__row' },
          h('th', { scope: 'row', class: 'utrecht-table__header-cell' }, p.province),
          ...[int(p.municipalities), num2(p.entitlement), int(p.allocated), signed(p.balance)].map((t) => h('td', { class: 'utrecht-table__cell utrecht-table__cell--numeric-data' }, t)),
        ),
      ),
    ),
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'provincie-kop' },
    heading(2, 'Per provincie', { id: 'provincie-kop' }),
    paragraph('De som van aanspraak, toegewezen gezinnen en saldo van de gemeenten in elke provincie.'),
    h('figure', { class: 'chart__figure' }, svg),
    h('details', { class: 'fold' }, h('summary', null, 'Toon de grafiek als tabel'), h('div', scrollRegion('De grafiek als tabel'), table)),
  );
}

function municipalityTable(rows: BalanceRow[], period: string) {
  const search = textField({ label: 'Zoek gemeente', id: 'zoek-gemeente', type: 'search', attrs: { autocomplete: 'off', class: 'utrecht-textbox utrecht-textbox--html-input' } });
  const provinces = [...new Set(rows.map((r) => r.province))].sort(collator.compare);
  const province = selectField({ label: 'Provincie', id: 'filter-provincie', options: [{ value: '', text: 'Alle provincies' }, ...provinces.map((p) => ({ value: p, text: p }))] });
  const count = h('p', { class: 'utrecht-paragraph', role: 'status' });
  const tbody = h('tbody', { class: 'utrecht-table__body' });
  let sortKey: SortKey = 'balance';
  let descending = true;
  const maxEA = Math.max(...rows.flatMap((r) => [r.entitlement, r.allocated]), 0);
  const maxAbs = Math.max(...rows.map((r) => Math.abs(r.balance)), 0);

  const headerCells = COLUMNS.map((c) => {
    const btn = h('button', { type: 'button', class: 'sort-button' }, c.label, h('span', { class: 'sort-button__icon', 'aria-hidden': 'true' }));
    const th = h('th', { scope: 'col', class: `utrecht-table__header-cell${c.numeric ? ' utrecht-table__header-cell--numeric-column' : ''}` }, btn);
    btn.addEventListener('click', () => {
      if (sortKey === c.key) descending = !descending;
      else {
        sortKey = c.key;
        descending = c.numeric;
      }
      draw();
    });
    return { c, th, btn };
  });

  const figure = (text: string, graphic: SVGSVGElement) => h('span', { class: 'figure' }, h('span', { class: 'figure__number' }, text), graphic);
  const draw = () => {
    for (const { c, th, btn } of headerCells) {
      const active = c.key === sortKey;
      if (active) th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
      btn.querySelector('.sort-button__icon')!.textContent = active ? (descending ? ' ▼' : ' ▲') : ' ⇅';
    }
    const q = search.input.value.trim().toLowerCase();
    const shown = rows
      .filter((r) => (!q || r.name.toLowerCase().includes(q) || r.code.toLowerCase().includes(q)) && (!province.input.value || r.province === province.input.value))
      .sort((a, b) => (descending ? -1 : 1) * compare(a, b, sortKey));
    const sortLabel = COLUMNS.find((c) => c.key === sortKey)!.label.toLowerCase();
    count.textContent = `${int(shown.length)} van ${int(rows.length)} gemeenten, gesorteerd op ${sortLabel}, ${descending ? 'aflopend' : 'oplopend'}.`;
    replaceChildren(
      tbody,
      shown.map((r) =>
        h(
          'tr',
          { class: 'utrecht-table__row' },
          h('th', { scope: 'row', class: 'utrecht-table__header-cell' }, r.name),
          h('td', { class: 'utrecht-table__cell' }, r.province),
          h('td', { class: 'utrecht-table__cell utrecht-table__cell--numeric-data' }, figure(share(r.entitlement), bar(r.entitlement, maxEA, 'entitlement', 80))),
          h(
            'td',
            { class: 'utrecht-table__cell utrecht-table__cell--numeric-data' },
            figure(r.suppressed ? 'minder dan 5' : int(r.allocated), bar(r.allocated, maxEA, 'count', 80)),
            r.proposed !== null && r.approved !== null && !r.suppressed
              ? h('span', { class: 'cell-note' }, `${int(r.proposed)} voorgesteld, ${int(r.approved)} goedgekeurd${r.realised ? `, waarvan ${int(r.realised)} verhuisd` : ''}`)
              : null,
          ),
          h('td', { class: 'utrecht-table__cell utrecht-table__cell--numeric-data' }, r.carriedIn === null ? '—' : signedShare(r.carriedIn)),
          h('td', { class: 'utrecht-table__cell utrecht-table__cell--numeric-data' }, figure(signedShare(r.balance), divergingBar(r.balance, maxAbs, 100))),
        ),
      ),
    );
  };
  search.input.addEventListener('input', draw);
  province.input.addEventListener('change', draw);
  draw();

  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'gemeenten-kop' },
    heading(2, 'Per gemeente', { id: 'gemeenten-kop' }),
    paragraph(
      'Aanspraak: wat de gemeente in deze periode volgens de verdeelsleutel had moeten krijgen. Toegewezen: voorgestelde en goedgekeurde gezinnen in deze periode. ',
      'Meegenomen: het saldo uit de vorige periode. Saldo: de achterstand (positief) of voorsprong (negatief) nu, het meegenomen saldo inbegrepen. ',
      'Sorteer met de knoppen in de kolomkoppen.',
    ),
    h('div', { class: 'filters__fields', role: 'search', 'aria-label': 'Gemeenten zoeken' }, search.field, province.field),
    count,
    h(
      'div',
      scrollRegion('Saldo per gemeente', 'balances__scroll'),
      h(
        'table',
        { class: 'utrecht-table utrecht-table--html-table balances__table' },
        h('caption', { class: 'utrecht-table__caption sr-only' }, `Aanspraak, toegewezen en saldo per gemeente, ${periodLabel(period)}`),
        h('thead', { class: 'utrecht-table__header' }, h('tr', { class: 'utrecht-table__row' }, headerCells.map((x) => x.th))),
        tbody,
      ),
    ),
  );
}

function reportsSection(period: string) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'rapporten-kop' },
    heading(2, 'Rapporten', { id: 'rapporten-kop' }),
    paragraph(`Download de rapporten over ${periodLabel(period)}, om te openen in een rekenblad.`),
    csvDownloads(
      [
        // The shelter report holds per-family costs: not for policy readers (the API refuses them too).
        session.role === 'policy_viewer' ? null : { path: `/reports/shelter?period=${period}`, label: 'Opvangrapport', file: `opvang-${period}.csv` },
        { path: `/reports/distribution?period=${period}`, label: 'Verdelingsrapport', file: `verdeling-${period}.csv` },
      ].filter((r) => r !== null),
      { notFound: 'Dit rapport is (nog) niet beschikbaar voor deze periode.' },
    ),
  );
}

function balanceWords(b: number): string {
  return b > 0 ? 'achterstand: uw gemeente kan nog gezinnen verwachten' : b < 0 ? 'voorsprong: uw gemeente heeft meer gezinnen ontvangen dan haar aandeel' : 'in balans';
}

/** A municipality reads its own row and the national totals: its balance and its share. */
function ownBalance(row: BalanceRow | undefined, totals: BalanceRow | null, period: string) {
  if (!row) return alertBox('info', [paragraph(`Er is geen saldo voor uw gemeente in ${periodLabel(period)}.`)]);
  const shareOf = totals && totals.entitlement > 0 ? row.entitlement / totals.entitlement : null;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'eigen-kop' },
    heading(2, `${row.name} in ${periodLabel(period)}`, { id: 'eigen-kop' }),
    dataList([
      ['Aanspraak', `${share(row.entitlement)} gezinnen: wat uw gemeente volgens de verdeelsleutel had moeten ontvangen`],
      ['Toegewezen', row.suppressed ? 'minder dan 5 gezinnen' : `${int(row.allocated)} ${row.allocated === 1 ? 'gezin' : 'gezinnen'}${row.proposed !== null && row.approved !== null ? ` (${int(row.proposed)} voorgesteld, ${int(row.approved)} goedgekeurd)` : ''}`],
      ['Meegenomen uit de vorige periode', row.carriedIn === null ? '—' : signedShare(row.carriedIn)],
      ['Saldo', `${signedShare(row.balance)} (${balanceWords(row.balance)})`],
      ['Aandeel', shareOf === null ? 'nog niet bekend: er zijn in deze periode nog geen gezinnen verdeeld' : `${percent(shareOf)} van alle gezinnen die in deze periode zijn verdeeld`],
    ]),
    totals
      ? paragraph(`Landelijk in deze periode: aanspraak ${share(totals.entitlement)}, toegewezen ${totals.suppressed ? 'minder dan 5' : int(totals.allocated)} gezinnen.`)
      : null,
  );
}

const percent = (x: number) => new Intl.NumberFormat('nl-NL', { style: 'percent', maximumFractionDigits: 2 }).format(x);

export async function renderBalances(ctx: PageContext): Promise<void> {
  const title = session.role === 'municipality' ? 'Ons saldo' : 'Verdeling';
  ctx.setTitle(title);
  const current = periodOf(todayInAmsterdam());
  const periods = [current];
  for (let i = 0; i < PERIODS_BACK; i++) periods.push(previousPeriod(periods[periods.length - 1]!));
  const asked = ctx.query.get('periode');
  const period = asked && /^\d{4}-H[12]$/.test(asked) ? asked : current;
  if (!periods.includes(period)) periods.unshift(period);

  const picker = selectField({
    label: 'Periode',
    id: 'periode',
    options: periods.map((p) => ({ value: p, text: periodLabel(p) })),
    value: period,
  });
  const form = h(
    'form',
    { class: 'utrecht-form period-form', 'aria-label': 'Periode kiezen' },
    picker.field,
    h('div', { class: 'utrecht-button-group' }, h('button', { type: 'submit', class: 'utrecht-button utrecht-button--primary-action' }, 'Toon periode')),
  );
  const body = h('div', { 'aria-busy': 'true' }, paragraph('De verdeling wordt geladen…'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    navigate(`/verdeling?${new URLSearchParams({ periode: picker.input.value }).toString()}`);
  });
  add(
    ctx.view,
    heading(1, title),
    takeFlash(),
    paragraph(
      session.role === 'municipality'
        ? 'Hoeveel gezinnen uw gemeente volgens de verdeelsleutel had moeten ontvangen, hoeveel zij er kreeg, en het saldo. Een achterstand of voorsprong schuift door naar volgende perioden.'
        : 'Per gemeente de aanspraak volgens de verdeelsleutel, het aantal toegewezen gezinnen en het saldo. Een achterstand of voorsprong schuift door naar volgende perioden.',
    ),
    form,
    body,
    reportsSection(period),
  );

  let rows: BalanceRow[];
  let totals: BalanceRow | null = null;
  try {
    const [raw, municipalities] = await Promise.all([loadBalances(period), loadMunicipalities()]);
    rows = raw.items.map((r) => toBalanceRow(r, municipalities)).filter((r): r is BalanceRow => r !== null);
    totals = raw.totals ? toBalanceRow({ ...raw.totals, municipality: 'NL', name: 'Nederland', province: '' }, municipalities) : null;
  } catch (err) {
    const unavailable = err instanceof ApiProblem && err.status === 404;
    replaceChildren(
      body,
      unavailable
        ? alertBox('warning', [paragraph(`Het saldo-overzicht is (nog) niet beschikbaar voor ${periodLabel(period)}.`)])
        : problemSummary(err, { title: 'De verdeling kon niet worden geladen' }).element,
    );
    body.removeAttribute('aria-busy');
    return;
  }
  body.removeAttribute('aria-busy');
  const own = session.role === 'municipality' ? session.municipality : null;
  const content: Child[] = own
    ? [ownBalance(rows.find((r) => r.code === own), totals, period)]
    : rows.length === 0
      ? [alertBox('info', [paragraph(`Er zijn geen saldi voor ${periodLabel(period)}.`)])]
      : [provinceChart(sumByProvince(rows), period), municipalityTable(rows, period)];
  replaceChildren(body, ...content);
}
