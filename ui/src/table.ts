// Tables in the NL Design System structure, inside a box that scrolls sideways on its own when
// the table is wider than the screen (the page itself never does), with a caption for screen
// readers. Shared by every list and report in the desks.
import { h, scrollRegion, type Child } from './dom';

export interface Column {
  text: Child;
  numeric?: boolean;
}

export const cell = (...c: Child[]) => h('td', { class: 'utrecht-table__cell' }, ...c);
export const numericCell = (...c: Child[]) => h('td', { class: 'utrecht-table__cell utrecht-table__cell--numeric-data' }, ...c);
export const rowHeader = (...c: Child[]) => h('th', { scope: 'row', class: 'utrecht-table__header-cell' }, ...c);
export const row = (...cells: Child[]) => h('tr', { class: 'utrecht-table__row' }, ...cells);

export function headerRow(columns: readonly Column[]) {
  return h(
    'tr',
    { class: 'utrecht-table__row' },
    columns.map((c) => h('th', { scope: 'col', class: `utrecht-table__header-cell${c.numeric ? ' utrecht-table__header-cell--numeric-column' : ''}` }, c.text)),
  );
}

export interface TableParts {
  /** The scrolling box with the table in it: what goes on the page. */
  element: HTMLElement;
  table: HTMLTableElement;
  body: HTMLTableSectionElement;
}

/**
 * `caption` names the table for screen readers; `region` names the scroll box (a focusable
 * region needs a name); both are short Dutch phrases.
 */
export function dataTable(opts: { caption: string; region: string; columns: readonly Column[]; rows?: Child[]; footer?: Child; class?: string }): TableParts {
  const body = h('tbody', { class: 'utrecht-table__body' }, ...(opts.rows ?? []));
  const table = h(
    'table',
    { class: `utrecht-table utrecht-table--html-table${opts.class ? ` ${opts.class}` : ''}` },
    h('caption', { class: 'utrecht-table__caption sr-only' }, opts.caption),
    h('thead', { class: 'utrecht-table__header' }, headerRow(opts.columns)),
    body,
    opts.footer ? h('tfoot', { class: 'utrecht-table__footer' }, opts.footer) : null,
  );
  return { element: h('div', scrollRegion(opts.region), table), table, body };
}
