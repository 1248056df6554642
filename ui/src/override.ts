// Allocating a family to a municipality the coordinator names (override), from a proposal or
// from the worklist: a searchable list of active municipalities, a reason, and a confirmation.
// Searching "Den Haag" finds 's-Gravenhage; choosing the reporting municipality warns first.
import { postJson } from './api';
import { confirmDialog } from './confirm';
import { alertBox, h, heading, paragraph, replaceChildren } from './dom';
import { plural } from './format';
import { selectField, textField, formButtons } from './forms';
import { collator, displayName, matchesMunicipality, nameOf, type Municipality } from './municipalities';
import { type ProblemContext } from './problems';
import { applyFieldErrors, readReason, reasonField } from './reason';
import type { Allocation } from './types';

/** Rows the picker shows at once; the search narrows the rest. */
const PICKER_ROWS = 8;

export const DECISION_FIELDS: Record<string, string> = { '/reason': 'Reden', '/municipality': 'Gemeente', '/category': 'Soort reden' };

export interface OverrideOptions {
  registrationId: string;
  reportingMunicipality: string;
  /** The municipality of the proposal being replaced, if there is one. */
  current: string | null;
  municipalities: Map<string, Municipality>;
  onCancel: () => void;
  busy: (on: boolean) => void;
  showProblem: (err: unknown, ctx: ProblemContext & { fieldIds?: Record<string, string> }) => void;
  onDone: (created: Allocation, to: string) => void;
}

export function overrideForm(o: OverrideOptions): { form: HTMLFormElement; focus: () => void } {
  const candidates = [...o.municipalities.values()].filter((m) => m.active).sort((x, y) => collator.compare(x.name, y.name));
  const search = textField({
    label: 'Zoek een gemeente',
    description: 'Typ een deel van de naam; de lijst hieronder wordt korter.',
    attrs: { autocomplete: 'off', spellcheck: 'false', class: 'utrecht-textbox utrecht-textbox--html-input' },
  });
  const picker = selectField({ label: 'Gemeente', options: [], attrs: { size: PICKER_ROWS, 'aria-required': 'true', class: 'utrecht-select utrecht-select--html-select picker' } });
  const found = h('p', { class: 'utrecht-paragraph picker__count', role: 'status' });
  const warning = h('div', { 'aria-live': 'polite' });
  const fill = () => {
    const keep = picker.input.value;
    const shown = candidates.filter((m) => matchesMunicipality(m, search.input.value));
    replaceChildren(
      picker.input,
      shown.map((m) =>
        h(
          'option',
          { value: m.code, selected: m.code === keep },
          `${displayName(m)} (${m.province})${m.suspended ? ' — opgeschort' : ''}${m.code === o.current ? ' — huidig voorstel' : ''}${m.code === o.reportingMunicipality ? ' — meldende gemeente' : ''}`,
        ),
      ),
    );
    found.textContent = shown.length === 0 ? 'Geen gemeente gevonden.' : `${plural(shown.length, 'gemeente', 'gemeenten')} gevonden.`;
  };
  const reportingWarning = () =>
    `Let op: ${nameOf(o.reportingMunicipality)} is de gemeente die dit gezin meldde. Een gezin gaat normaal juist naar een andere gemeente.`;
  picker.input.addEventListener('change', () =>
    replaceChildren(warning, picker.input.value === o.reportingMunicipality ? alertBox('warning', [paragraph(reportingWarning())]) : null),
  );
  search.input.addEventListener('input', fill);
  // Enter in the search field picks the first match instead of submitting a half-filled form.
  search.input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      if (picker.input.options.length > 0) {
        picker.input.selectedIndex = 0;
        picker.input.dispatchEvent(new Event('change'));
        picker.input.focus();
      }
    }
  });
  fill();

  const reason = reasonField(
    o.current
      ? 'Verplicht. Waarom gaat het gezin naar deze gemeente in plaats van naar het voorstel? De reden komt in de geschiedenis.'
      : 'Verplicht. Waarom gaat het gezin naar deze gemeente? De reden komt in de geschiedenis.',
  );
  const form = h(
    'form',
    { class: 'utrecht-form decision__form', novalidate: true, 'aria-labelledby': 'toewijzen-kop' },
    heading(3, o.current ? 'Aan een andere gemeente toewijzen' : 'Aan een gemeente toewijzen', { id: 'toewijzen-kop' }),
    paragraph(
      o.current ? `In plaats van ${nameOf(o.current)} kiest u zelf de gemeente. ` : 'U kiest zelf de gemeente. ',
      'Deze toewijzing geldt meteen als goedgekeurd.',
    ),
    search.field,
    picker.field,
    found,
    warning,
    reason.field,
    formButtons('Verder naar bevestigen', o.onCancel),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const code = picker.input.value;
    picker.setError(code ? null : 'Kies een gemeente uit de lijst.');
    if (!code) return picker.input.focus();
    const text = readReason(reason);
    if (text === null) return;
    const to = nameOf(code);
    const ok = await confirmDialog({
      title: `Gezin toewijzen aan ${to}?`,
      body: [
        paragraph(`Het gezin uit ${nameOf(o.reportingMunicipality)} gaat naar ${to}${o.current ? ` in plaats van naar ${nameOf(o.current)}` : ''}. De toewijzing geldt als goedgekeurd.`),
        code === o.reportingMunicipality ? alertBox('warning', [paragraph(reportingWarning())]) : null,
        paragraph('Reden:'),
        h('blockquote', { class: 'utrecht-blockquote quote' }, text),
      ],
      confirmText: `Ja, toewijzen aan ${to}`,
      cancelText: 'Terug',
    });
    if (!ok) return;
    o.busy(true);
    try {
      const created = await postJson<Allocation>(`/registrations/${o.registrationId}/allocations`, { municipality: code, reason: text });
      o.onDone(created, to);
    } catch (err) {
      applyFieldErrors(err, { '/reason': reason, '/municipality': picker });
      o.showProblem(err, {
        title: 'Toewijzen is niet gelukt',
        fields: DECISION_FIELDS,
        fieldIds: { '/reason': reason.input.id, '/municipality': picker.input.id },
        messages: { conflict: `${to} is uitgesloten voor dit gezin (bijvoorbeeld om veiligheidsredenen) en kan het niet ontvangen. Kies een andere gemeente.` },
      });
      o.busy(false);
    }
  });
  return { form, focus: () => search.input.focus() };
}
