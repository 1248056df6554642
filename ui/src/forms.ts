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
