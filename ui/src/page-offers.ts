// The housing corporation's own offers: set the move-in date once it is known, or withdraw an
// offer. The receiving municipality accepts or declines them on its side.
import { confirmDialog } from './confirm';
import { add, alertBox, h, heading, paragraph, replaceChildren } from './dom';
import { date, todayInAmsterdam } from './format';
import { textField, formButtons } from './forms';
import { loadMunicipalities, nameOf } from './municipalities';
import { changeOffer, dwellingText, loadOffers, offersTable, type HousingOffer } from './offers';
import { familyText, loadAssigned, type AssignedFamily } from './page-assigned';
import { problemSummary } from './problems';
import { navigate, takeFlash, type PageContext } from './router';

const LIVE: ReadonlyArray<HousingOffer['status']> = ['offered', 'accepted'];

function moveInForm(o: HousingOffer, result: HTMLElement, onCancel: () => void) {
  const when = textField({ label: 'Verhuisdatum', type: 'date', attrs: { min: o.offeredOn, value: o.moveInDate ?? todayInAmsterdam() } });
  const form = h(
    'form',
    { class: 'utrecht-form decision__form', novalidate: true, 'aria-labelledby': 'verhuisdatum-kop' },
    heading(2, 'Verhuisdatum vastleggen', { id: 'verhuisdatum-kop' }),
    paragraph(`Voor de woning in ${nameOf(o.municipality)} (${dwellingText(o)}), aangeboden op ${date(o.offeredOn)}.`),
    when.field,
    formButtons('Verhuisdatum opslaan', onCancel),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    when.setError(when.input.value ? null : 'Vul de verhuisdatum in.');
    if (!when.input.value) return when.input.focus();
    if (await changeOffer(o, { moveInDate: when.input.value }, result, 'De verhuisdatum is niet opgeslagen')) {
      navigate('/aanbiedingen', { replace: true, flash: { kind: 'ok', text: `De verhuisdatum ${date(when.input.value)} is vastgelegd.` } });
    }
  });
  return { form, focus: () => when.input.focus() };
}

export async function renderOffers(ctx: PageContext): Promise<void> {
  ctx.setTitle('Aanbiedingen');
  const body = h('div', { 'aria-busy': 'true' }, paragraph('De aanbiedingen worden geladen…'));
  add(ctx.view, heading(1, 'Aanbiedingen'), takeFlash(), paragraph('De woningen die uw corporatie heeft aangeboden, met hun status. Leg de verhuisdatum vast of trek een aanbod in.'), body);
  let offers: HousingOffer[];
  let families: AssignedFamily[];
  try {
    [offers, families] = await Promise.all([loadOffers(), loadAssigned(), loadMunicipalities()]);
  } catch (err) {
    replaceChildren(body, problemSummary(err, { title: 'De aanbiedingen konden niet worden geladen' }).element);
    body.removeAttribute('aria-busy');
    return;
  }
  body.removeAttribute('aria-busy');
  if (offers.length === 0) {
    replaceChildren(body, alertBox('info', [paragraph('U heeft nog geen woningen aangeboden. Dat doet u bij ', h('a', { href: '/gezinnen', class: 'utrecht-link utrecht-link--html-a' }, 'Gezinnen'), '.')]));
    return;
  }
  const byId = new Map(families.map((f) => [f.registrationId, f]));
  const result = h('div');
  const panel = h('div', { class: 'decision__panel' });
  const withdraw = async (o: HousingOffer) => {
    const ok = await confirmDialog({
      title: 'Aanbod intrekken?',
      body: [paragraph(`De woning in ${nameOf(o.municipality)} (${dwellingText(o)}) wordt niet meer aangeboden.`)],
      confirmText: 'Ja, intrekken',
      destructive: true,
    });
    if (ok && (await changeOffer(o, { status: 'withdrawn' }, result, 'Intrekken is niet gelukt'))) {
      navigate('/aanbiedingen', { replace: true, flash: { kind: 'ok', text: 'Het aanbod is ingetrokken.' } });
    }
  };
  const table = offersTable(
    [...offers].sort((a, b) => b.offeredOn.localeCompare(a.offeredOn)),
    {
      caption: 'Aanbiedingen van uw corporatie, de nieuwste eerst',
      family: (o) => {
        const f = byId.get(o.registrationId);
        return f ? familyText(f) : 'gezin niet meer in uw werkgebied';
      },
      actions: [
        {
          text: (o) => `Verhuisdatum: aanbod van ${date(o.offeredOn)}`,
          applies: (o) => LIVE.includes(o.status),
          run: (o) => {
            const { form, focus } = moveInForm(o, result, () => replaceChildren(panel));
            replaceChildren(panel, form);
            focus();
          },
        },
        { text: (o) => `Intrekken: aanbod van ${date(o.offeredOn)}`, applies: (o) => LIVE.includes(o.status), run: withdraw },
      ],
    },
  );
  replaceChildren(body, result, table.element, panel);
}
