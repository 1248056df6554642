// The housing corporation's families: those allocated (approved or later) to the municipalities
// of its working area, with minimal data only (no names, BSNs or notes: the API leaves them
// out), and a form to offer a dwelling to one of them.
import { getAll, postJson } from './api';
import { add, alertBox, button, h, heading, paragraph, replaceChildren, srOnly } from './dom';
import { agesText } from './family';
import { date, int, plural, todayInAmsterdam } from './format';
import { checkbox, selectField, textField, formButtons } from './forms';
import { needsList, registrationStatus } from './labels';
import { byName, loadMunicipalities, nameOf } from './municipalities';
import { problemSummary } from './problems';
import { applyFieldErrors } from './reason';
import { navigate, takeFlash, type PageContext } from './router';
import { session } from './session';
import { cell, dataTable, numericCell, row } from './table';

export interface AssignedFamily {
  registrationId: string;
  receivingMunicipality: string;
  status: 'approved' | 'accepted' | 'transferred';
  adults: number;
  childrenAges: number[];
  householdSize: number;
  needs: Record<string, unknown>;
  reportedOn: string;
  approvedOn: string | null;
  transferredOn: string | null;
  /** Live housing offers (contract B); absent on an API without offers. */
  offers?: number;
}

/** How the corporation tells its families apart without any personal data. */
export const familyText = (f: Pick<AssignedFamily, 'householdSize' | 'receivingMunicipality' | 'approvedOn' | 'reportedOn'>) =>
  `gezin van ${plural(f.householdSize, 'persoon', 'personen')} in ${nameOf(f.receivingMunicipality)}, toegewezen op ${date(f.approvedOn ?? f.reportedOn)}`;

export async function loadAssigned(): Promise<AssignedFamily[]> {
  return (await getAll<AssignedFamily>('/assigned-families', 2000)).items;
}

const OFFER_FIELDS: Record<string, string> = { '/municipality': 'Gemeente', '/offeredOn': 'Aangeboden op', '/moveInDate': 'Verhuisdatum', '/bedrooms': 'Slaapkamers', '/accessible': 'Toegankelijk' };

function offerForm(f: AssignedFamily, onCancel: () => void) {
  const today = todayInAmsterdam();
  const area = [...session.municipalities].sort(byName);
  const municipality = selectField({ label: 'Gemeente van de woning', options: area.map((c) => ({ value: c, text: nameOf(c) })), value: f.receivingMunicipality });
  const offeredOn = textField({ label: 'Aangeboden op', type: 'date', attrs: { value: today, max: today } });
  const moveIn = textField({ label: 'Verhuisdatum (niet verplicht)', description: 'Als die al bekend is; u kunt haar later vastleggen.', type: 'date' });
  const bedrooms = textField({ label: 'Aantal slaapkamers', type: 'number', attrs: { min: 1, max: 10, step: 1, inputmode: 'numeric', class: 'utrecht-textbox utrecht-textbox--html-input filter__number' } });
  const accessible = checkbox({ label: 'De woning is toegankelijk (zonder trappen)' });
  const result = h('div');
  const form = h(
    'form',
    { class: 'utrecht-form decision__form', novalidate: true, 'aria-labelledby': 'aanbod-kop' },
    heading(2, 'Woning aanbieden', { id: 'aanbod-kop' }),
    paragraph(`Voor het ${familyText(f)}. Vul geen adres of andere persoonsgegevens in.`),
    result,
    municipality.field,
    offeredOn.field,
    moveIn.field,
    bedrooms.field,
    accessible.field,
    formButtons('Aanbod vastleggen', onCancel),
  );
  const byPointer = { '/municipality': municipality, '/offeredOn': offeredOn, '/moveInDate': moveIn, '/bedrooms': bedrooms };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const n = bedrooms.input.value === '' ? undefined : Number(bedrooms.input.value);
    const body = {
      registrationId: f.registrationId,
      municipality: municipality.input.value,
      offeredOn: offeredOn.input.value || undefined,
      moveInDate: moveIn.input.value || null,
      bedrooms: n,
      accessible: accessible.input.checked,
    };
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    try {
      await postJson('/housing-offers', body);
      navigate('/aanbiedingen', { flash: { kind: 'ok', text: `Het aanbod voor het ${familyText(f)} is vastgelegd.` } });
    } catch (err) {
      applyFieldErrors(err, byPointer);
      const { element } = problemSummary(err, {
        title: 'Het aanbod is niet vastgelegd',
        fields: OFFER_FIELDS,
        fieldIds: Object.fromEntries(Object.entries(byPointer).map(([k, v]) => [k, v.input.id])),
        messages: { not_found: 'Dit gezin is niet (meer) aan een gemeente in uw werkgebied toegewezen.' },
      });
      replaceChildren(result, element);
      element.focus();
      for (const b of form.querySelectorAll('button')) b.disabled = false;
    }
  });
  return { form, focus: () => municipality.input.focus() };
}

export async function renderAssigned(ctx: PageContext): Promise<void> {
  ctx.setTitle('Gezinnen');
  const body = h('div', { 'aria-busy': 'true' }, paragraph('De gezinnen worden geladen…'));
  add(
    ctx.view,
    heading(1, 'Gezinnen'),
    takeFlash(),
    paragraph('Gezinnen die zijn toegewezen aan de gemeenten in uw werkgebied, met alleen wat u nodig heeft om een woning te zoeken. Bied een woning aan vanuit de lijst.'),
    body,
  );
  let families: AssignedFamily[];
  try {
    [families] = await Promise.all([loadAssigned(), loadMunicipalities()]);
  } catch (err) {
    replaceChildren(body, problemSummary(err, { title: 'De gezinnen konden niet worden geladen' }).element);
    body.removeAttribute('aria-busy');
    return;
  }
  body.removeAttribute('aria-busy');
  if (families.length === 0) {
    replaceChildren(body, alertBox('info', [paragraph('Er zijn nu geen gezinnen toegewezen aan de gemeenten in uw werkgebied.')]));
    return;
  }
  const panel = h('div', { class: 'decision__panel' });
  const table = dataTable({
    caption: 'Gezinnen in uw werkgebied',
    region: 'Gezinnen in uw werkgebied',
    class: 'assigned__table',
    columns: [{ text: 'Gemeente' }, { text: 'Toegewezen op' }, { text: 'Huishouden' }, { text: 'Behoeften' }, { text: 'Status' }, { text: 'Aanbiedingen', numeric: true }, { text: 'Actie' }],
    rows: families.map((f) => {
      const needs = needsList(f.needs);
      return row(
        cell(nameOf(f.receivingMunicipality)),
        cell(f.approvedOn ? h('time', { datetime: f.approvedOn, class: 'nowrap' }, date(f.approvedOn)) : '—'),
        cell(`${plural(f.adults, 'volwassene', 'volwassenen')}, kinderen: ${agesText(f.childrenAges)}`),
        cell(needs.length === 0 ? 'geen bijzondere' : needs.join(', ')),
        cell(registrationStatus(f.status)),
        numericCell(f.offers === undefined ? '—' : int(f.offers)),
        cell(
          f.status === 'transferred'
            ? 'verhuisd'
            : button(['Woning aanbieden', srOnly(`: ${familyText(f)}`)], {
                onclick: () => {
                  const { form, focus } = offerForm(f, () => replaceChildren(panel));
                  replaceChildren(panel, form);
                  focus();
                },
              }),
        ),
      );
    }),
  });
  replaceChildren(body, h('p', { class: 'utrecht-paragraph', role: 'status' }, `${plural(families.length, 'gezin', 'gezinnen')} in uw werkgebied.`), table.element, panel);
}
