// Recording emergency shelter: a new stay (type, dates, cost per night, where) and the end of a
// stay that is still running. The reporting municipality shelters the family until the move.
import { patchJson, postJson } from './api';
import { h, heading, paragraph, replaceChildren } from './dom';
import { date, todayInAmsterdam } from './format';
import { selectField, textField, formButtons } from './forms';
import { problemSummary } from './problems';
import { applyFieldErrors } from './reason';
import { navigate } from './router';
import type { ShelterStay } from './types';

const TYPES = [
  ['hotel', 'Hotel'],
  ['holiday_park', 'Vakantiepark'],
  ['shelter_facility', 'Opvangvoorziening'],
  ['other', 'Anders'],
] as const;

const FIELDS: Record<string, string> = {
  '/type': 'Soort opvang',
  '/startDate': 'Van',
  '/endDate': 'Tot',
  '/nightlyCostCents': 'Kosten per nacht',
  '/location': 'Locatie',
};

/** "89,50", "89.50", "€ 89" → cents; null when it is not an amount. */
export function euroCents(text: string): number | null {
  const t = text.replace(/[€\s]/g, '');
  if (!/^\d{1,6}([.,]\d{1,2})?$/.test(t)) return null;
  return Math.round(Number(t.replace(',', '.')) * 100);
}

function show(result: HTMLElement, err: unknown, fieldIds: Record<string, string>, title: string) {
  const { element } = problemSummary(err, {
    title,
    fields: FIELDS,
    fieldIds,
    messages: {
      overlapping_shelter_stay: 'Dit verblijf overlapt met een ander verblijf van dit gezin. Pas de data aan.',
      shelter_stay_locked: 'Dit verblijf is al verantwoord (de periode is afgesloten) en kan niet meer worden gewijzigd. Vraag de coördinator om een correctie.',
    },
  });
  replaceChildren(result, element);
  element.focus();
}

/** The form for a new stay; after saving the registration page is shown again. */
export function newStayForm(registrationId: string, reportedOn: string, onCancel: () => void): { form: HTMLFormElement; focus: () => void } {
  const today = todayInAmsterdam();
  const type = selectField({ label: 'Soort opvang', options: [{ value: '', text: 'Kies de soort opvang' }, ...TYPES.map(([value, text]) => ({ value, text }))] });
  const start = textField({ label: 'Van', description: 'De eerste nacht.', type: 'date', attrs: { min: reportedOn, max: today } });
  const end = textField({ label: 'Tot', description: 'De dag van vertrek. Laat leeg zolang het gezin er nog verblijft.', type: 'date', attrs: { min: reportedOn } });
  const cost = textField({ label: 'Kosten per nacht', description: 'In euro, bijvoorbeeld 89,50.', attrs: { inputmode: 'decimal', autocomplete: 'off', class: 'utrecht-textbox utrecht-textbox--html-input filter__number' } });
  const location = textField({ label: 'Locatie (niet verplicht)', description: 'De naam van het hotel of de voorziening; geen adres van het gezin.', attrs: { maxlength: 500 } });
  const result = h('div');
  const form = h(
    'form',
    { class: 'utrecht-form decision__form', novalidate: true, 'aria-labelledby': 'verblijf-kop' },
    heading(3, 'Verblijf vastleggen', { id: 'verblijf-kop' }),
    result,
    type.field,
    start.field,
    end.field,
    cost.field,
    location.field,
    formButtons('Verblijf opslaan', onCancel),
  );
  const byPointer = { '/type': type, '/startDate': start, '/endDate': end, '/nightlyCostCents': cost, '/location': location };
  const ids = Object.fromEntries(Object.entries(byPointer).map(([k, f]) => [k, f.input.id]));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const cents = cost.input.value.trim() === '' ? undefined : euroCents(cost.input.value);
    // The API checks everything else; an amount it cannot read is said here, in euros.
    if (cents === null) {
      cost.setError('Vul een bedrag in euro in, bijvoorbeeld 89,50.');
      return cost.input.focus();
    }
    const body: Record<string, unknown> = { type: type.input.value || undefined, startDate: start.input.value || undefined, nightlyCostCents: cents };
    if (end.input.value) body.endDate = end.input.value;
    if (location.input.value.trim()) body.location = location.input.value.trim();
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    try {
      await postJson(`/registrations/${registrationId}/shelter-stays`, body);
      navigate(`/registraties/${registrationId}`, { replace: true, flash: { kind: 'ok', text: 'Het verblijf in de noodopvang is vastgelegd.' } });
    } catch (err) {
      applyFieldErrors(err, byPointer);
      show(result, err, ids, 'Het verblijf is niet opgeslagen');
      for (const b of form.querySelectorAll('button')) b.disabled = false;
    }
  });
  return { form, focus: () => type.input.focus() };
}

/** Ends a running stay on the day the family left. */
export function endStayForm(stay: ShelterStay, registrationId: string, onCancel: () => void): { form: HTMLFormElement; focus: () => void } {
  const today = todayInAmsterdam();
  const end = textField({ label: 'Vertrokken op', description: `Vanaf ${date(stay.startDate)}; de nacht van vertrek telt niet mee.`, type: 'date', attrs: { min: stay.startDate, max: today, value: today } });
  const result = h('div');
  const form = h(
    'form',
    { class: 'utrecht-form decision__form', novalidate: true, 'aria-label': `Verblijf vanaf ${date(stay.startDate)} beëindigen` },
    paragraph(`Verblijf vanaf ${date(stay.startDate)} beëindigen.`),
    result,
    end.field,
    formButtons('Verblijf beëindigen', onCancel),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!end.input.value) {
      end.setError('Vul de datum van vertrek in.');
      return end.input.focus();
    }
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    try {
      await patchJson(`/shelter-stays/${stay.id}`, { endDate: end.input.value });
      navigate(`/registraties/${registrationId}`, { replace: true, flash: { kind: 'ok', text: `Het verblijf is beëindigd op ${date(end.input.value)}.` } });
    } catch (err) {
      applyFieldErrors(err, { '/endDate': end });
      show(result, err, { '/endDate': end.input.id }, 'Het verblijf is niet beëindigd');
      for (const b of form.querySelectorAll('button')) b.disabled = false;
    }
  });
  return { form, focus: () => end.input.focus() };
}
