// Form fields in the NL Design System structure: a visible label tied to the control, an
// optional description, and an error message that the control names in aria-describedby, so an
// error is identified in text next to the field and read out with it (WCAG 3.3.1).
import { h, uid, type Attrs, type Child } from './dom';

export interface Field<T extends HTMLElement> {
  field: HTMLElement;
  input: T;
  setError(text: string | null): void;
}

function wire<T extends HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(
  input: T,
  opts: { id: string; label: Child; description?: Child; kind: string; invalidClass: string },
): Field<T> {
  const descId = `${opts.id}-omschrijving`;
  const errId = `${opts.id}-fout`;
  const description = opts.description
    ? h('div', { class: 'utrecht-form-field__description utrecht-form-field-description', id: descId }, opts.description)
    : null;
  const error = h('div', { class: 'utrecht-form-field__error-message utrecht-form-field-error-message', id: errId, hidden: true });
  const describedBy = () => [description ? descId : null, error.hidden ? null : errId].filter(Boolean).join(' ');
  const field = h(
    'div',
    { class: `utrecht-form-field utrecht-form-field--${opts.kind}` },
    h('div', { class: 'utrecht-form-field__label' }, h('label', { class: 'utrecht-form-label', for: opts.id }, opts.label)),
    description,
    error,
    h('div', { class: 'utrecht-form-field__input' }, input),
  );
  input.id = opts.id;
  const refresh = () => {
    const ids = describedBy();
    if (ids) input.setAttribute('aria-describedby', ids);
    else input.removeAttribute('aria-describedby');
  };
  refresh();
  return {
    field,
    input,
    setError(text) {
      error.hidden = text === null;
      error.textContent = text ? `Fout: ${text}` : '';
      field.classList.toggle('utrecht-form-field--invalid', text !== null);
      input.classList.toggle(opts.invalidClass, text !== null);
      if (text === null) input.removeAttribute('aria-invalid');
      else input.setAttribute('aria-invalid', 'true');
      refresh();
    },
  };
}

export function textField(opts: { label: Child; description?: Child; id?: string; type?: string; attrs?: Attrs }): Field<HTMLInputElement> {
  const id = opts.id ?? uid('veld');
  const input = h('input', { type: opts.type ?? 'text', class: 'utrecht-textbox utrecht-textbox--html-input', ...(opts.attrs ?? {}) });
  return wire(input, { id, label: opts.label, description: opts.description, kind: 'text', invalidClass: 'utrecht-textbox--invalid' });
}

export function textArea(opts: { label: Child; description?: Child; id?: string; attrs?: Attrs }): Field<HTMLTextAreaElement> {
  const id = opts.id ?? uid('veld');
  const input = h('textarea', { class: 'utrecht-textarea utrecht-textarea--html-textarea', rows: 4, ...(opts.attrs ?? {}) });
  return wire(input, { id, label: opts.label, description: opts.description, kind: 'text', invalidClass: 'utrecht-textarea--invalid' });
}

export function selectField(opts: {
  label: Child;
  description?: Child;
  id?: string;
  options: ReadonlyArray<{ value: string; text: string }>;
  value?: string;
  attrs?: Attrs;
}): Field<HTMLSelectElement> {
  const id = opts.id ?? uid('veld');
  const input = h(
    'select',
    { class: 'utrecht-select utrecht-select--html-select', ...(opts.attrs ?? {}) },
    opts.options.map((o) => h('option', { value: o.value, selected: o.value === opts.value }, o.text)),
  );
  return wire(input, { id, label: opts.label, description: opts.description, kind: 'select', invalidClass: 'utrecht-select--invalid' });
}

export interface RadioGroup<V extends string> {
  field: HTMLFieldSetElement;
  /** The first radio, for focus from an error summary. */
  first: HTMLInputElement;
  value(): V | '';
  set(value: V | ''): void;
  onChange(fn: () => void): void;
  setError(text: string | null): void;
}

/**
 * A question with one answer: radios in a fieldset whose legend is the question. The error
 * message sits under the legend and each radio names it, so it is read with every choice.
 */
export function radioGroup<V extends string>(opts: {
  legend: Child;
  description?: Child;
  name?: string;
  options: ReadonlyArray<{ value: V; text: Child }>;
  value?: V | '';
  id?: string;
}): RadioGroup<V> {
  const id = opts.id ?? uid('keuze');
  const name = opts.name ?? id;
  const errId = `${id}-fout`;
  const descId = `${id}-omschrijving`;
  const error = h('div', { class: 'utrecht-form-field__error-message utrecht-form-field-error-message', id: errId, hidden: true });
  const radios = opts.options.map((o, i) => {
    const inputId = `${id}-${i}`;
    const input = h('input', { type: 'radio', class: 'utrecht-radio-button utrecht-radio-button--html-input', id: inputId, name, value: o.value, checked: o.value === opts.value });
    const field = h(
      'div',
      { class: 'utrecht-form-field utrecht-form-field--radio' },
      h('div', { class: 'utrecht-form-field__input' }, input),
      h('div', { class: 'utrecht-form-field__label' }, h('label', { class: 'utrecht-form-label utrecht-form-label--radio', for: inputId }, o.text)),
    );
    return { input, field };
  });
  const describe = () => {
    const ids = [opts.description ? descId : null, error.hidden ? null : errId].filter(Boolean).join(' ');
    for (const r of radios) (ids ? r.input.setAttribute('aria-describedby', ids) : r.input.removeAttribute('aria-describedby'));
  };
  const fieldset = h(
    'fieldset',
    { class: 'utrecht-form-fieldset utrecht-form-fieldset--html-fieldset radio-group', id },
    h('legend', { class: 'utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend' }, opts.legend),
    opts.description ? h('div', { class: 'utrecht-form-field-description', id: descId }, opts.description) : null,
    error,
    radios.map((r) => r.field),
  );
  describe();
  return {
    field: fieldset,
    first: radios[0]!.input,
    value: () => (radios.find((r) => r.input.checked)?.input.value ?? '') as V | '',
    set: (value) => radios.forEach((r) => (r.input.checked = r.input.value === value)),
    onChange: (fn) => radios.forEach((r) => r.input.addEventListener('change', fn)),
    setError(text) {
      error.hidden = text === null;
      error.textContent = text ? `Fout: ${text}` : '';
      fieldset.classList.toggle('utrecht-form-fieldset--invalid', text !== null);
      for (const r of radios) (text === null ? r.input.removeAttribute('aria-invalid') : r.input.setAttribute('aria-invalid', 'true'));
      describe();
    },
  };
}

/** A single yes/no choice as a checkbox with its label beside it. */
export function checkbox(opts: { label: Child; checked?: boolean; id?: string }): { field: HTMLElement; input: HTMLInputElement } {
  const id = opts.id ?? uid('vink');
  const input = h('input', { type: 'checkbox', class: 'utrecht-checkbox utrecht-checkbox--html-input', id, checked: opts.checked ?? false });
  const field = h(
    'div',
    { class: 'utrecht-form-field utrecht-form-field--checkbox' },
    h('div', { class: 'utrecht-form-field__input' }, input),
    h('div', { class: 'utrecht-form-field__label' }, h('label', { class: 'utrecht-form-label utrecht-form-label--checkbox', for: id }, opts.label)),
  );
  return { field, input };
}

/** Fields that can show an error, keyed by the API's JSON pointer. */
export type FieldsByPointer = Record<string, { setError(text: string | null): void }>;

/** The buttons under a form: the primary submit, and a cancel that closes it when given. */
export function formButtons(submitText: string, onCancel?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'utrecht-button-group' },
    h('button', { type: 'submit', class: 'utrecht-button utrecht-button--primary-action' }, submitText),
    onCancel ? h('button', { type: 'button', class: 'utrecht-button utrecht-button--secondary-action', onclick: onCancel }, 'Annuleren') : null,
  );
}
