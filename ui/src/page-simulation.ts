// What-if simulation (contract A of issue 15): distribute a number of households, or the real
// arrivals of a past period, with another key, and compare with today's key per province and
// per municipality. Nothing is stored; this is how municipalities agree on a key.
import { postJson } from './api';
import { bar, divergingBar } from './bars';
import { add, alertBox, button, dataList, h, heading, paragraph, replaceChildren } from './dom';
import { csvDownloads } from './download';
import { int, periodLabel, periodOf, previousPeriod, signed, todayInAmsterdam } from './format';
import { radioGroup, selectField, textArea, textField, type FieldsByPointer } from './forms';
import { collator, loadMunicipalities, matchesMunicipality, searchKey, type Municipality } from './municipalities';
import { problemSummary } from './problems';
import { applyFieldErrors } from './reason';
import { takeFlash, type PageContext } from './router';
import { cell, dataTable, numericCell, row, rowHeader } from './table';

type Key =
  | { kind: 'current' }
  | { kind: 'population' }
  | { kind: 'composite'; components: Array<{ attribute: string; weight: number }> }
  | { kind: 'fixed'; weights: Record<string, string> };

interface SimulationRequest {
  key: Key;
  units?: number;
  period?: string;
}

export interface SimulationResult {
  key: { kind: string; description: string };
  baseline: { kind: 'current'; version: number };
  source: 'units' | 'period';
  period: string | null;
  units: number;
  municipalities: Array<{ code: string; name: string; province: string; share: string; units: number; baselineUnits: number; difference: number }>;
  provinces: Array<{ province: string; units: number; baselineUnits: number; difference: number }>;
}

const MAX_COMPONENTS = 10;
const PERIODS_BACK = 6;

const FIELDS: Record<string, string> = { '/units': 'Aantal gezinnen', '/period': 'Periode', '/key': 'Verdeelsleutel', '/key/weights': 'Vaste tabel' };

/** "Amsterdam; 120" or "GM0363;120" per line → a fixed table; every line that cannot be read is named. */
export function parseFixedTable(text: string, municipalities: Map<string, Municipality>): { weights: Record<string, string>; errors: string[] } {
  const byName = new Map([...municipalities.values()].map((m) => [searchKey(m.name), m.code]));
  const weights: Record<string, string> = {};
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^(.+?)[;\t,]\s*(\d{1,15})\s*$/.exec(line.trim());
    const code = m ? (/^GM\d{4}$/i.test(m[1]!.trim()) ? m[1]!.trim().toUpperCase() : (byName.get(searchKey(m[1]!)) ?? [...municipalities.values()].find((x) => matchesMunicipality(x, m[1]!) && searchKey(m[1]!).length >= 4)?.code)) : undefined;
    if (!m) errors.push(`regel ${i + 1}: schrijf de gemeente, een puntkomma en een heel getal`);
    else if (!code || !municipalities.has(code)) errors.push(`regel ${i + 1}: “${m[1]!.trim()}” is geen gemeente`);
    else weights[code] = String(Number(m[2]));
  });
  return { weights, errors };
}

function resultView(r: SimulationResult, request: SimulationRequest) {
  const maxUnits = Math.max(1, ...r.provinces.flatMap((p) => [p.units, p.baselineUnits]));
  const maxDiff = Math.max(1, ...r.provinces.map((p) => Math.abs(p.difference)));
  const provinces = dataTable({
    caption: 'Per provincie: gezinnen met de gekozen sleutel, met de huidige sleutel, en het verschil',
    region: 'Uitkomst per provincie',
    columns: [{ text: 'Provincie' }, { text: 'Gekozen sleutel', numeric: true }, { text: 'Huidige sleutel', numeric: true }, { text: 'Verschil', numeric: true }],
    rows: r.provinces.map((p) =>
      row(
        rowHeader(p.province),
        numericCell(h('span', { class: 'figure' }, h('span', { class: 'figure__number' }, int(p.units)), bar(p.units, maxUnits, 'entitlement', 90))),
        numericCell(h('span', { class: 'figure' }, h('span', { class: 'figure__number' }, int(p.baselineUnits)), bar(p.baselineUnits, maxUnits, 'count', 90))),
        numericCell(h('span', { class: 'figure' }, h('span', { class: 'figure__number' }, signed(p.difference).replace(/,00$/, '')), divergingBar(p.difference, maxDiff, 100))),
      ),
    ),
  });
  const search = textField({ label: 'Zoek gemeente', type: 'search', attrs: { autocomplete: 'off' } });
  const count = h('p', { class: 'utrecht-paragraph', role: 'status' });
  const maxMunDiff = Math.max(1, ...r.municipalities.map((m) => Math.abs(m.difference)));
  // Largest changes first: that is what a municipality looks for.
  const sorted = [...r.municipalities].sort((a, b) => Math.abs(b.difference) - Math.abs(a.difference) || collator.compare(a.name, b.name));
  const table = dataTable({
    caption: 'Per gemeente, de grootste verschillen eerst',
    region: 'Uitkomst per gemeente',
    columns: [{ text: 'Gemeente' }, { text: 'Provincie' }, { text: 'Aandeel', numeric: true }, { text: 'Gekozen sleutel', numeric: true }, { text: 'Huidige sleutel', numeric: true }, { text: 'Verschil', numeric: true }],
    class: 'simulation__table',
  });
  const draw = () => {
    const shown = sorted.filter((m) => matchesMunicipality(m, search.input.value));
    count.textContent = `${int(shown.length)} van ${int(sorted.length)} gemeenten.`;
    replaceChildren(
      table.body,
      shown.map((m) =>
        row(
          rowHeader(m.name),
          cell(m.province),
          numericCell(`${(Number(m.share) * 100).toLocaleString('nl-NL', { maximumFractionDigits: 3 })}%`),
          numericCell(int(m.units)),
          numericCell(int(m.baselineUnits)),
          numericCell(h('span', { class: 'figure' }, h('span', { class: 'figure__number' }, m.difference > 0 ? `+${int(m.difference)}` : int(m.difference)), divergingBar(m.difference, maxMunDiff, 80))),
        ),
      ),
    );
  };
  search.input.addEventListener('input', draw);
  draw();
  const fileBase = `simulatie-${r.key.kind}-${r.units}`;
  return [
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'uitkomst-kop' },
      heading(2, 'Uitkomst', { id: 'uitkomst-kop' }),
      dataList([
        ['Gekozen sleutel', r.key.description],
        ['Vergeleken met', `de huidige verdeelsleutel (versie ${r.baseline.version})`],
        ['Aantal gezinnen', r.source === 'period' && r.period ? `${int(r.units)}: de echte aanmeldingen van ${periodLabel(r.period)}` : int(r.units)],
      ]),
      paragraph('Beide sleutels verdelen dezelfde gezinnen één voor één vanaf een leeg saldo, zonder beperkingen per gezin. Positief verschil: meer gezinnen dan met de huidige sleutel.'),
      csvDownloads([{ path: '/distribution/simulations', label: 'Uitkomst per gemeente', file: `${fileBase}.csv`, post: request }]),
    ),
    h('section', { class: 'card', 'aria-labelledby': 'sim-provincie-kop' }, heading(2, 'Per provincie', { id: 'sim-provincie-kop' }), provinces.element),
    h('section', { class: 'card', 'aria-labelledby': 'sim-gemeente-kop' }, heading(2, 'Per gemeente', { id: 'sim-gemeente-kop' }), search.field, count, table.element),
  ];
}

export async function renderSimulation(ctx: PageContext): Promise<void> {
  ctx.setTitle('Simulatie');
  const result = h('div', { class: 'simulation__result' });
  add(
    ctx.view,
    heading(1, 'Simulatie'),
    takeFlash(),
    paragraph('Wat als de gezinnen met een andere verdeelsleutel werden verdeeld? Kies een sleutel en een aantal gezinnen, of de echte aanmeldingen van een afgelopen periode, en vergelijk per provincie en per gemeente met de huidige sleutel. Er wordt niets opgeslagen.'),
  );
  let municipalities: Map<string, Municipality>;
  try {
    municipalities = await loadMunicipalities();
  } catch (err) {
    add(ctx.view, problemSummary(err, { title: 'De simulatie kon niet worden geladen' }).element);
    return;
  }

  const kind = radioGroup({
    legend: 'Verdeelsleutel',
    options: [
      { value: 'population', text: 'Naar inwonertal' },
      { value: 'composite', text: 'Samengesteld uit kenmerken met gewichten' },
      { value: 'fixed', text: 'Een vaste tabel per gemeente' },
      { value: 'current', text: 'De huidige verdeelsleutel (ter controle)' },
    ],
    value: 'population',
  });
  const components = h('div', { class: 'components' });
  const componentRows: Array<{ attribute: ReturnType<typeof textField>; weight: ReturnType<typeof textField>; element: HTMLElement }> = [];
  const addComponent = (attribute = '', weight = '') => {
    if (componentRows.length >= MAX_COMPONENTS) return;
    const n = componentRows.length + 1;
    const a = textField({ label: `Kenmerk ${n}`, description: n === 1 ? 'population (inwonertal) of de naam van een geladen kenmerk.' : undefined, attrs: { value: attribute, autocomplete: 'off', spellcheck: 'false', maxlength: 50 } });
    const w = textField({ label: `Gewicht ${n}`, type: 'number', attrs: { value: weight, min: 1, max: 1000, step: 1, inputmode: 'numeric', class: 'utrecht-textbox utrecht-textbox--html-input filter__number' } });
    const element = h('div', { class: 'filters__fields' }, a.field, w.field);
    componentRows.push({ attribute: a, weight: w, element });
    components.append(element);
  };
  addComponent('population', '3');
  const compositeBox = h(
    'fieldset',
    { class: 'utrecht-form-fieldset utrecht-form-fieldset--html-fieldset' },
    h('legend', { class: 'utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend' }, 'Kenmerken en gewichten'),
    paragraph('Elk kenmerk telt mee naar zijn gewicht, een heel getal van 1 tot 1000. Bijvoorbeeld inwonertal 3 en sociale huurwoningen 1: driekwart naar inwonertal.'),
    components,
    h('div', { class: 'utrecht-button-group' }, button('Kenmerk toevoegen', { onclick: () => (addComponent(), componentRows[componentRows.length - 1]?.attribute.input.focus()) })),
  );
  const fixed = textArea({
    label: 'Vaste tabel',
    description: 'Eén gemeente per regel: de naam, een puntkomma en een heel getal als gewicht, bijvoorbeeld “Amsterdam; 120”. Gemeenten die u niet noemt krijgen gewicht 0.',
    attrs: { rows: 6, spellcheck: 'false' },
  });
  const showKind = () => {
    compositeBox.hidden = kind.value() !== 'composite';
    fixed.field.hidden = kind.value() !== 'fixed';
  };
  kind.onChange(showKind);
  showKind();

  const source = radioGroup({
    legend: 'Welke gezinnen?',
    options: [
      { value: 'units', text: 'Een aantal gezinnen' },
      { value: 'period', text: 'De echte aanmeldingen van een afgelopen periode' },
    ],
    value: 'units',
  });
  const units = textField({ label: 'Aantal gezinnen', description: 'Een heel getal van 1 tot 1.000.000.', type: 'number', attrs: { value: '1000', min: 1, max: 1_000_000, step: 1, inputmode: 'numeric', class: 'utrecht-textbox utrecht-textbox--html-input filter__number' } });
  const periods: string[] = [];
  for (let p = previousPeriod(periodOf(todayInAmsterdam())), i = 0; i < PERIODS_BACK; i++, p = previousPeriod(p)) periods.push(p);
  const period = selectField({ label: 'Periode', options: [periodOf(todayInAmsterdam()), ...periods].map((p) => ({ value: p, text: periodLabel(p) })) });
  const showSource = () => {
    units.field.hidden = source.value() !== 'units';
    period.field.hidden = source.value() !== 'period';
  };
  source.onChange(showSource);
  showSource();

  const summary = h('div');
  const submit = h('button', { type: 'submit', class: 'utrecht-button utrecht-button--primary-action' }, 'Simuleren');
  const form = h(
    'form',
    { class: 'utrecht-form simulation__form card', novalidate: true, 'aria-label': 'Simulatie instellen' },
    summary,
    kind.field,
    compositeBox,
    fixed.field,
    source.field,
    units.field,
    period.field,
    h('div', { class: 'utrecht-button-group' }, submit),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    replaceChildren(summary);
    for (const f of [units, period, fixed, ...componentRows.flatMap((c) => [c.attribute, c.weight])]) f.setError(null);
    let key: Key;
    const k = kind.value() || 'population';
    if (k === 'composite') {
      key = { kind: 'composite', components: componentRows.filter((c) => c.attribute.input.value.trim() !== '').map((c) => ({ attribute: c.attribute.input.value.trim(), weight: Number(c.weight.input.value) })) };
    } else if (k === 'fixed') {
      const parsed = parseFixedTable(fixed.input.value, municipalities);
      if (parsed.errors.length > 0 || Object.keys(parsed.weights).length === 0) {
        fixed.setError(parsed.errors.length > 0 ? `${parsed.errors.slice(0, 5).join('; ')}.` : 'Vul ten minste één gemeente met een gewicht in.');
        return fixed.input.focus();
      }
      key = { kind: 'fixed', weights: parsed.weights };
    } else {
      key = { kind: k };
    }
    const request: SimulationRequest = source.value() === 'period' ? { key, period: period.input.value } : { key, units: units.input.value === '' ? (undefined as never) : Number(units.input.value) };
    submit.disabled = true;
    replaceChildren(result, alertBox('info', [paragraph('De simulatie wordt berekend…')], { live: 'polite' }));
    result.setAttribute('aria-busy', 'true');
    try {
      const r = await postJson<SimulationResult>('/distribution/simulations', request);
      replaceChildren(result, ...resultView(r, request));
      result.querySelector<HTMLElement>('#uitkomst-kop')?.setAttribute('tabindex', '-1');
      result.querySelector<HTMLElement>('#uitkomst-kop')?.focus();
    } catch (err) {
      replaceChildren(result);
      const fieldIds: Record<string, string> = { '/units': units.input.id, '/period': period.input.id, '/key/weights': fixed.input.id };
      componentRows.forEach((c, i) => {
        fieldIds[`/key/components/${i}/attribute`] = c.attribute.input.id;
        fieldIds[`/key/components/${i}/weight`] = c.weight.input.id;
      });
      const byPointer: FieldsByPointer = { '/units': units, '/period': period, '/key/weights': fixed };
      componentRows.forEach((c, i) => {
        byPointer[`/key/components/${i}/attribute`] = c.attribute;
        byPointer[`/key/components/${i}/weight`] = c.weight;
      });
      applyFieldErrors(err, byPointer);
      const labels: Record<string, string> = { ...FIELDS };
      componentRows.forEach((_, i) => {
        labels[`/key/components/${i}/attribute`] = `Kenmerk ${i + 1}`;
        labels[`/key/components/${i}/weight`] = `Gewicht ${i + 1}`;
      });
      const { element } = problemSummary(err, {
        title: 'De simulatie is niet gelukt',
        fields: labels,
        fieldIds,
        messages: { conflict: 'In deze periode zijn geen gezinnen aangemeld; kies een andere periode of een aantal gezinnen.' },
      });
      replaceChildren(summary, element);
      element.focus();
    } finally {
      submit.disabled = false;
      result.removeAttribute('aria-busy');
    }
  });
  add(ctx.view, form, result);
}
