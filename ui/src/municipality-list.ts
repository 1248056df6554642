// Choosing several municipalities (a family's network, the municipalities excluded for it):
// pick one from the list, add it, and remove any again. Each chosen one is a list item with its
// own remove button, so the choice is clear by keyboard and screen reader alike.
import { button, h, replaceChildren, srOnly, uid, type Child } from './dom';
import { selectField } from './forms';
import { collator, displayName, nameOf, type Municipality } from './municipalities';

export interface MunicipalityList {
  field: HTMLElement;
  /** The list's select, for focus from an error summary. */
  input: HTMLSelectElement;
  value(): string[];
  set(codes: readonly string[]): void;
  onChange(fn: () => void): void;
  setError(text: string | null): void;
}

export function municipalityList(opts: { legend: string; description?: Child; municipalities: Map<string, Municipality>; max: number; exclude?: string }): MunicipalityList {
  const all = [...opts.municipalities.values()].filter((m) => m.active && m.code !== opts.exclude).sort((a, b) => collator.compare(a.name, b.name));
  let chosen: string[] = [];
  const listeners: Array<() => void> = [];
  const picker = selectField({ label: `${opts.legend}: gemeente kiezen`, description: opts.description, options: [{ value: '', text: 'Kies een gemeente' }, ...all.map((m) => ({ value: m.code, text: displayName(m) }))] });
  const listId = uid('gekozen');
  const list = h('ul', { class: 'utrecht-unordered-list chosen-list', id: listId, 'aria-live': 'polite' });
  const add = button('Toevoegen', {
    onclick: () => {
      const code = picker.input.value;
      if (!code) return picker.setError('Kies eerst een gemeente.');
      if (chosen.length >= opts.max) return picker.setError(`U kunt hoogstens ${opts.max} gemeenten kiezen.`);
      picker.setError(null);
      if (!chosen.includes(code)) chosen.push(code);
      picker.input.value = '';
      draw();
    },
  });
  const draw = () => {
    replaceChildren(
      list,
      chosen.length === 0
        ? h('li', null, 'Nog geen gemeente gekozen.')
        : chosen.map((code) =>
            h('li', { class: 'chosen-list__item' }, nameOf(code), ' ', button(['Verwijderen', srOnly(`: ${nameOf(code)}`)], { class: 'chosen-list__remove', onclick: () => ((chosen = chosen.filter((c) => c !== code)), draw()) })),
          ),
    );
    for (const fn of listeners) fn();
  };
  draw();
  const field = h(
    'fieldset',
    { class: 'utrecht-form-fieldset utrecht-form-fieldset--html-fieldset municipality-list' },
    h('legend', { class: 'utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend' }, opts.legend),
    picker.field,
    h('div', { class: 'utrecht-button-group' }, add),
    h('p', { class: 'utrecht-paragraph chosen-list__heading' }, 'Gekozen:'),
    list,
  );
  return {
    field,
    input: picker.input,
    value: () => [...chosen],
    set: (codes) => {
      chosen = [...codes];
      draw();
    },
    onChange: (fn) => listeners.push(fn),
    setError: (text) => picker.setError(text),
  };
}
