// The confirmation step before a decision: a native modal <dialog>, which keeps focus inside,
// closes on Escape and makes the page behind it inert. Focus returns to where it was.
import { button, h, heading, type Child } from './dom';

let counter = 0;

export function confirmDialog(opts: { title: string; body: Child[]; confirmText: string; cancelText?: string; destructive?: boolean }): Promise<boolean> {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const n = ++counter;
  return new Promise((resolve) => {
    let result = false;
    const confirm = button(opts.confirmText, { appearance: 'primary', class: opts.destructive ? 'utrecht-button--danger' : undefined, onclick: () => close(true) });
    const cancel = button(opts.cancelText ?? 'Annuleren', { onclick: () => close(false) });
    const dialog = h(
      'dialog',
      { class: 'confirm-dialog', 'aria-labelledby': `bevestig-kop-${n}`, 'aria-describedby': `bevestig-tekst-${n}` },
      heading(2, opts.title, { id: `bevestig-kop-${n}` }),
      h('div', { id: `bevestig-tekst-${n}`, class: 'confirm-dialog__body' }, ...opts.body),
      h('div', { class: 'utrecht-button-group confirm-dialog__buttons' }, confirm, cancel),
    );
    function close(value: boolean) {
      result = value;
      dialog.close();
    }
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    // A destructive step starts on the safe choice; Enter then cancels rather than confirms.
    (opts.destructive ? cancel : confirm).focus();
  });
}
