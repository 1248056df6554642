// DOM building without innerHTML: every text from the API goes in as a text node, so nothing it
// contains can become markup or script. Attributes are set one by one, never a `style` attribute
// (the Content-Security-Policy forbids inline styles; CSSOM properties are allowed).

export type Child = Node | string | number | null | undefined | false | readonly Child[];
type Handler = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Handler>;

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child as readonly Child[]) append(parent, c);
    return;
  }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

function applyAttrs(el: Element, attrs: Attrs | undefined): void {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      el.addEventListener(name.replace(/^on/, '').toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyAttrs(el, attrs ?? undefined);
  for (const c of children) append(el, c);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs ?? undefined);
  for (const c of children) append(el, c);
  return el;
}

/** Element.append that skips null, false and undefined, like h(). */
export function add(parent: Element, ...children: Child[]): void {
  for (const c of children) append(parent, c);
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  for (const c of children) append(parent, c);
}

/** Text for screen readers only (the visible layout says it by position or icon). */
export const srOnly = (...children: Child[]) => h('span', { class: 'sr-only' }, ...children);

let idCounter = 0;
/** Ids for label/aria wiring; unique per page load. */
export const uid = (prefix: string) => `${prefix}-${++idCounter}`;

export function heading(level: 1 | 2 | 3, text: Child, attrs: Attrs = {}) {
  const tag = `h${level}` as 'h1' | 'h2' | 'h3';
  const cls = `utrecht-heading-${level}${attrs.class ? ` ${String(attrs.class)}` : ''}`;
  return h(tag, { ...attrs, class: cls }, text);
}

export const paragraph = (...children: Child[]) => h('p', { class: 'utrecht-paragraph' }, ...children);

/** An NL Design System data list: label/value pairs, as a <dl>. */
export function dataList(rows: ReadonlyArray<readonly [string, Child]>, attrs: Attrs = {}) {
  return h(
    'dl',
    { ...attrs, class: `utrecht-data-list utrecht-data-list--rows${attrs.class ? ` ${String(attrs.class)}` : ''}` },
    rows.map(([key, value]) =>
      h('div', { class: 'utrecht-data-list__item' }, h('dt', { class: 'utrecht-data-list__item-key' }, key), h('dd', { class: 'utrecht-data-list__item-value utrecht-data-list__item-value--html-dd' }, value)),
    ),
  );
}

export type AlertKind = 'info' | 'ok' | 'warning' | 'error';
/** An alert box; `live` makes screen readers announce it when it appears. */
export function alertBox(kind: AlertKind, children: Child[], opts: { live?: 'polite' | 'assertive'; attrs?: Attrs } = {}) {
  const role = opts.live === 'assertive' ? 'alert' : opts.live === 'polite' ? 'status' : undefined;
  const extra = opts.attrs?.class ? ` ${String(opts.attrs.class)}` : '';
  return h(
    'div',
    { ...(opts.attrs ?? {}), class: `utrecht-alert utrecht-alert--${kind}${extra}`, role },
    h('div', { class: 'utrecht-alert__content' }, h('div', { class: 'utrecht-alert__message' }, ...children)),
  );
}

export function button(text: Child, attrs: Attrs & { appearance?: 'primary' | 'secondary' | 'subtle' } = {}) {
  const { appearance = 'secondary', ...rest } = attrs;
  return h(
    'button',
    { type: 'button', ...rest, class: `utrecht-button utrecht-button--${appearance}-action${rest.class ? ` ${String(rest.class)}` : ''}` },
    text,
  );
}

export function link(href: string, text: Child, attrs: Attrs = {}) {
  return h('a', { ...attrs, href, class: `utrecht-link utrecht-link--html-a${attrs.class ? ` ${String(attrs.class)}` : ''}` }, text);
}

/**
 * Attributes of a box around a table that may scroll sideways on a narrow screen: a scrollable
 * region must be reachable by keyboard (WCAG 2.1.1) and, being focusable, needs a name.
 */
export function scrollRegion(label: string, extraClass = ''): Attrs {
  return { class: `utrecht-table-container ${extraClass}`.trim(), tabindex: '0', role: 'region', 'aria-label': label };
}
