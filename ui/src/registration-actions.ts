// What the person looking at a registration can do now, by role and status: the coordinator
// proposes a family that needs attention again or allocates it by hand; the receiving
// municipality accepts or declines an approved family; either records the move. The API decides
// whether the step is allowed; these panels only offer the steps that fit.
import { postJson } from './api';
import { confirmDialog } from './confirm';
import { add, button, h, heading, paragraph, replaceChildren } from './dom';
import { date, todayInAmsterdam } from './format';
import { selectField, textField, formButtons } from './forms';
import { nameOf, type Municipality } from './municipalities';
import { DECISION_FIELDS, overrideForm } from './override';
import { problemSummary, type ProblemContext } from './problems';
import { applyFieldErrors, readReason, reasonField, REASON_MIN } from './reason';
import { navigate } from './router';
import { session } from './session';
import type { Registration } from './types';

const DECLINE_CATEGORIES = [
  ['no_housing_available', 'Geen woning beschikbaar'],
  ['capacity_reached', 'Onze opvangcapaciteit is bereikt'],
  ['needs_not_met', 'Wij kunnen niet voorzien in de behoeften van het gezin'],
  ['safety', 'Veiligheid'],
  ['network_elsewhere', 'Het gezin heeft een netwerk elders'],
  ['other', 'Andere reden'],
] as const;

interface Panel {
  section: HTMLElement;
  result: HTMLElement;
  panel: HTMLElement;
  buttons: HTMLButtonElement[];
}

function busy(p: Panel, on: boolean) {
  for (const b of [...p.buttons, ...p.panel.querySelectorAll('button')]) b.disabled = on;
}

function showProblem(p: Panel, err: unknown, ctx: ProblemContext & { fieldIds?: Record<string, string> }) {
  const { element } = problemSummary(err, ctx);
  replaceChildren(p.result, element);
  element.focus();
}

/** After a step: the same page again, fresh from the API, with a message on top. */
const reload = (reg: Registration, text: string) => navigate(`/registraties/${reg.id}`, { replace: true, flash: { kind: 'ok', text } });

function reproposeForm(p: Panel, reg: Registration) {
  const reason = reasonField(`Niet verplicht; als u een reden geeft, minstens ${REASON_MIN} tekens. Bijvoorbeeld wat er veranderd is sinds de weigering.`, 'Toelichting');
  const form = h(
    'form',
    { class: 'utrecht-form decision__form', novalidate: true, 'aria-labelledby': 'opnieuw-kop' },
    heading(3, 'Opnieuw laten voorstellen', { id: 'opnieuw-kop' }),
    paragraph('Het gezin gaat terug in de wachtrij en krijgt vanzelf een nieuw voorstel. Gemeenten die het gezin eerder weigerden of die eerder werden afgewezen, doen niet meer mee.'),
    reason.field,
    formButtons('Verder naar bevestigen', () => replaceChildren(p.panel)),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = readReason(reason, { optional: true });
    if (text === null) return;
    const ok = await confirmDialog({ title: 'Opnieuw laten voorstellen?', body: [paragraph(`Het gezin uit ${nameOf(reg.reportingMunicipality)} krijgt een nieuw voorstel.`)], confirmText: 'Ja, opnieuw voorstellen' });
    if (!ok) return;
    busy(p, true);
    try {
      await postJson(`/registrations/${reg.id}/reproposal`, text ? { reason: text } : {});
      reload(reg, 'Het gezin staat weer in de wachtrij. Er volgt vanzelf een nieuw voorstel.');
    } catch (err) {
      applyFieldErrors(err, { '/reason': reason });
      showProblem(p, err, { title: 'Opnieuw voorstellen is niet gelukt', fields: DECISION_FIELDS, fieldIds: { '/reason': reason.input.id } });
      busy(p, false);
    }
  });
  replaceChildren(p.result);
  replaceChildren(p.panel, form);
  reason.input.focus();
}

function declineForm(p: Panel, reg: Registration, allocationId: string) {
  const category = selectField({
    label: 'Soort reden',
    options: [{ value: '', text: 'Kies de soort reden' }, ...DECLINE_CATEGORIES.map(([value, text]) => ({ value, text }))],
    attrs: { 'aria-required': 'true' },
  });
  const reason = reasonField(`Verplicht, minstens ${REASON_MIN} tekens. De coördinator leest de reden en zoekt een andere gemeente.`);
  const form = h(
    'form',
    { class: 'utrecht-form decision__form', novalidate: true, 'aria-labelledby': 'weigeren-kop' },
    heading(3, 'Gezin weigeren', { id: 'weigeren-kop' }),
    paragraph('Na het weigeren gaat het gezin terug naar de coördinator, die een andere gemeente zoekt.'),
    category.field,
    reason.field,
    formButtons('Verder naar bevestigen', () => replaceChildren(p.panel)),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    category.setError(category.input.value ? null : 'Kies de soort reden.');
    if (!category.input.value) return category.input.focus();
    const text = readReason(reason);
    if (text === null) return;
    const ok = await confirmDialog({
      title: 'Gezin weigeren?',
      body: [paragraph(`Het gezin uit ${nameOf(reg.reportingMunicipality)} komt niet naar uw gemeente. Reden:`), h('blockquote', { class: 'utrecht-blockquote quote' }, text)],
      confirmText: 'Ja, weigeren',
      cancelText: 'Terug',
      destructive: true,
    });
    if (!ok) return;
    busy(p, true);
    try {
      await postJson(`/allocations/${allocationId}/decline`, { reason: text, category: category.input.value });
      reload(reg, 'U heeft het gezin geweigerd. De coördinator zoekt een andere gemeente.');
    } catch (err) {
      applyFieldErrors(err, { '/reason': reason, '/category': category });
      showProblem(p, err, { title: 'Weigeren is niet gelukt', fields: DECISION_FIELDS, fieldIds: { '/reason': reason.input.id, '/category': category.input.id } });
      busy(p, false);
    }
  });
  replaceChildren(p.result);
  replaceChildren(p.panel, form);
  category.input.focus();
}

async function accept(p: Panel, reg: Registration, allocationId: string) {
  replaceChildren(p.panel);
  replaceChildren(p.result);
  const ok = await confirmDialog({
    title: 'Gezin accepteren?',
    body: [paragraph(`Het gezin uit ${nameOf(reg.reportingMunicipality)} komt naar uw gemeente. Daarna legt u de verhuizing vast zodra het gezin verhuisd is.`)],
    confirmText: 'Ja, accepteren',
  });
  if (!ok) return;
  busy(p, true);
  try {
    await postJson(`/allocations/${allocationId}/accept`);
    reload(reg, 'U heeft het gezin geaccepteerd.');
  } catch (err) {
    showProblem(p, err, { title: 'Accepteren is niet gelukt' });
    busy(p, false);
  }
}

function transferForm(p: Panel, reg: Registration) {
  const today = todayInAmsterdam();
  const on = textField({ label: 'Verhuisd op', description: `Een datum van ${date(reg.reportedOn)} tot en met vandaag.`, type: 'date', attrs: { min: reg.reportedOn, max: today, value: today } });
  const form = h(
    'form',
    { class: 'utrecht-form decision__form', novalidate: true, 'aria-labelledby': 'verhuizing-kop' },
    heading(3, 'Verhuizing vastleggen', { id: 'verhuizing-kop' }),
    paragraph('Met de verhuizing eindigt de noodopvang bij de meldende gemeente.'),
    on.field,
    formButtons('Verhuizing vastleggen', () => replaceChildren(p.panel)),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const value = on.input.value;
    on.setError(value ? null : 'Vul de datum van de verhuizing in.');
    if (!value) return on.input.focus();
    busy(p, true);
    try {
      await postJson(`/registrations/${reg.id}/transfer`, { transferredOn: value });
      reload(reg, `De verhuizing op ${date(value)} is vastgelegd.`);
    } catch (err) {
      applyFieldErrors(err, { '/transferredOn': on });
      showProblem(p, err, { title: 'Vastleggen is niet gelukt', fields: { '/transferredOn': 'Verhuisd op' }, fieldIds: { '/transferredOn': on.input.id } });
      busy(p, false);
    }
  });
  replaceChildren(p.result);
  replaceChildren(p.panel, form);
  on.input.focus();
}

/** The panel of steps, or null when there is nothing to do here for this role and status. */
export function actionsSection(reg: Registration, municipalities: Map<string, Municipality>): HTMLElement | null {
  const p: Panel = {
    section: h('section', { class: 'card decision', 'aria-labelledby': 'doen-kop' }, heading(2, 'Wat kunt u doen?', { id: 'doen-kop' })),
    result: h('div', { class: 'decision__result' }),
    panel: h('div', { class: 'decision__panel' }),
    buttons: [],
  };
  const coordinator = session.role === 'coordinator';
  const own = session.role === 'municipality' ? session.municipality : null;
  const intro: Array<HTMLElement | null> = [];

  if (coordinator && ['needs_attention', 'queued', 'approved'].includes(reg.status)) {
    if (reg.status === 'needs_attention') {
      intro.push(paragraph('Dit gezin vraagt uw aandacht: laat het opnieuw voorstellen, of wijs het zelf aan een gemeente toe.'));
      p.buttons.push(button('Opnieuw laten voorstellen', { appearance: 'primary', onclick: () => reproposeForm(p, reg) }));
    }
    const current = reg.status === 'approved' ? reg.receivingMunicipality : null;
    p.buttons.push(
      button(current ? 'Aan een andere gemeente toewijzen' : 'Aan een gemeente toewijzen', {
        onclick: () => {
          replaceChildren(p.result);
          const { form, focus } = overrideForm({
            registrationId: reg.id,
            reportingMunicipality: reg.reportingMunicipality,
            current,
            municipalities,
            onCancel: () => replaceChildren(p.panel),
            busy: (on) => busy(p, on),
            showProblem: (err, ctx) => showProblem(p, err, ctx),
            onDone: (_created, to) => reload(reg, `Het gezin is toegewezen aan ${to}. Deze toewijzing geldt als goedgekeurd.`),
          });
          replaceChildren(p.panel, form);
          focus();
        },
      }),
    );
  }
  if (own && reg.status === 'approved' && reg.receivingMunicipality === own && reg.activeAllocationId) {
    const allocationId = reg.activeAllocationId;
    intro.push(paragraph('De coördinator heeft dit gezin aan uw gemeente toegewezen. Accepteer het gezin, of weiger het met een reden.'));
    p.buttons.push(button('Accepteren', { appearance: 'primary', onclick: () => void accept(p, reg, allocationId) }), button('Weigeren', { onclick: () => declineForm(p, reg, allocationId) }));
  }
  if ((own || coordinator) && reg.status === 'accepted') {
    intro.push(paragraph(`${nameOf(reg.receivingMunicipality)} heeft het gezin geaccepteerd. Leg de verhuizing vast zodra het gezin verhuisd is.`));
    p.buttons.push(button('Verhuizing vastleggen', { onclick: () => transferForm(p, reg) }));
  }
  if (p.buttons.length === 0) return null;
  add(p.section, intro, h('div', { class: 'utrecht-button-group decision__buttons' }, p.buttons), p.result, p.panel);
  return p.section;
}
