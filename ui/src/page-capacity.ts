// Declared capacity: dwellings or flexible units a housing corporation can offer in a municipality
// of its working area in a period. The allocation prefers a municipality with matching capacity
// when it is within the tolerance of the quota rule's choice (src/modules/maatwerk).
import { getAll, postJson } from './api';
import { add, alertBox, h, heading, paragraph, replaceChildren } from './dom';
import { int, periodLabel, periodOf, todayInAmsterdam } from './format';
import { checkbox, selectField, textArea, textField } from './forms';
import { byName, loadMunicipalities, nameOf } from './municipalities';
import { problemSummary } from './problems';
import { applyFieldErrors } from './reason';
import { navigate, takeFlash, type PageContext } from './router';
import { session } from './session';
import { cell, dataTable, numericCell, row } from './table';

interface Declaration {
  id: string;
  municipality: string;
  period: string;
  kind: 'dwelling' | 'flex_unit';
  units: number;
  booked: number;
  remaining: number;
  bedrooms: number;
  accessible: boolean;
  note: string | null;
  createdAt: string;
}

const KIND = { dwelling: 'Woning', flex_unit: 'Flexwoning' } as const;
const FIELDS: Record<string, string> = { '/municipality': 'Gemeente', '/period': 'Periode', '/kind': 'Soort', '/units': 'Aantal', '/bedrooms': 'Slaapkamers', '/note': 'Toelichting' };

function nextPeriod(p: string): string {
  const [y, h] = [Number(p.slice(0, 4)), p.slice(6)];
  return h === '1' ? `${y}-H2` : `${y + 1}-H1`;
}

export async function renderCapacity(ctx: PageContext): Promise<void> {
  ctx.setTitle('Capaciteit');
  const body = h('div', { 'aria-busy': 'true' }, paragraph('De capaciteit wordt geladen…'));
  add(
    ctx.view,
    heading(1, 'Capaciteit'),
    takeFlash(),
    paragraph('Geef op hoeveel woningen uw corporatie per periode voor deze gezinnen beschikbaar heeft, per gemeente in uw werkgebied. Bij de verdeling gaat een gezin dan bij voorkeur naar een gemeente met een passende woning.'),
    body,
  );
  let declarations: Declaration[];
  try {
    [declarations] = await Promise.all([getAll<Declaration>('/capacity-declarations', 2000).then((r) => r.items), loadMunicipalities()]);
  } catch (err) {
    replaceChildren(body, problemSummary(err, { title: 'De capaciteit kon niet worden geladen' }).element);
    body.removeAttribute('aria-busy');
    return;
  }
  body.removeAttribute('aria-busy');

  const current = periodOf(todayInAmsterdam());
  const municipality = selectField({ label: 'Gemeente', options: [...session.municipalities].sort(byName).map((c) => ({ value: c, text: nameOf(c) })) });
  const period = selectField({ label: 'Periode', options: [current, nextPeriod(current)].map((p) => ({ value: p, text: periodLabel(p) })), value: current });
  const kind = selectField({ label: 'Soort', options: Object.entries(KIND).map(([value, text]) => ({ value, text })) });
  const units = textField({ label: 'Aantal', type: 'number', attrs: { min: 1, max: 1000, step: 1, inputmode: 'numeric', class: 'utrecht-textbox utrecht-textbox--html-input filter__number' } });
  const bedrooms = textField({ label: 'Slaapkamers per woning', type: 'number', attrs: { min: 1, max: 10, step: 1, inputmode: 'numeric', class: 'utrecht-textbox utrecht-textbox--html-input filter__number' } });
  const accessible = checkbox({ label: 'Toegankelijk (zonder trappen)' });
  const note = textArea({ label: 'Toelichting (niet verplicht)', attrs: { rows: 2, maxlength: 500 } });
  const result = h('div');
  const form = h(
    'form',
    { class: 'utrecht-form decision__form', novalidate: true, 'aria-labelledby': 'opgeven-kop' },
    heading(2, 'Capaciteit opgeven', { id: 'opgeven-kop' }),
    result,
    h('div', { class: 'filters__fields' }, municipality.field, period.field, kind.field, units.field, bedrooms.field),
    accessible.field,
    note.field,
    h('div', { class: 'utrecht-button-group' }, h('button', { type: 'submit', class: 'utrecht-button utrecht-button--primary-action' }, 'Capaciteit opgeven')),
  );
  const byPointer = { '/municipality': municipality, '/period': period, '/kind': kind, '/units': units, '/bedrooms': bedrooms, '/note': note };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const num = (f: { input: HTMLInputElement }) => (f.input.value === '' ? undefined : Number(f.input.value));
    try {
      await postJson('/capacity-declarations', {
        municipality: municipality.input.value,
        period: period.input.value,
        kind: kind.input.value,
        units: num(units),
        bedrooms: num(bedrooms),
        accessible: accessible.input.checked,
        ...(note.input.value.trim() ? { note: note.input.value.trim() } : {}),
      });
      navigate('/capaciteit', { replace: true, flash: { kind: 'ok', text: `De capaciteit voor ${nameOf(municipality.input.value)} is opgegeven.` } });
    } catch (err) {
      applyFieldErrors(err, byPointer);
      const { element } = problemSummary(err, { title: 'De capaciteit is niet opgegeven', fields: FIELDS, fieldIds: Object.fromEntries(Object.entries(byPointer).map(([k, v]) => [k, v.input.id])) });
      replaceChildren(result, element);
      element.focus();
    }
  });

  const table = dataTable({
    caption: 'Opgegeven capaciteit, de nieuwste periode eerst',
    region: 'Opgegeven capaciteit',
    columns: [{ text: 'Gemeente' }, { text: 'Periode' }, { text: 'Soort' }, { text: 'Slaapkamers', numeric: true }, { text: 'Opgegeven', numeric: true }, { text: 'Geboekt', numeric: true }, { text: 'Nog vrij', numeric: true }],
    rows: [...declarations]
      .sort((a, b) => b.period.localeCompare(a.period) || byName(a.municipality, b.municipality))
      .map((d) =>
        row(
          cell(nameOf(d.municipality)),
          cell(periodLabel(d.period)),
          cell(`${KIND[d.kind]}${d.accessible ? ', toegankelijk' : ''}`),
          numericCell(int(d.bedrooms)),
          numericCell(int(d.units)),
          numericCell(int(d.booked)),
          numericCell(int(d.remaining)),
        ),
      ),
  });
  replaceChildren(
    body,
    h('section', { class: 'card', 'aria-labelledby': 'opgegeven-kop' }, heading(2, 'Opgegeven', { id: 'opgegeven-kop' }), declarations.length === 0 ? alertBox('info', [paragraph('U heeft nog geen capaciteit opgegeven.')]) : table.element),
    h('section', { class: 'card' }, form),
  );
}
