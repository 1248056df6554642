// Housing offers (contract B of issue 15): a housing corporation offers a dwelling to a family
// allocated to a municipality of its working area; the receiving municipality (or the
// coordinator) accepts or declines it; the corporation sets the move-in date or withdraws.
// No address or other personal data is in an offer.
import { getJson, patchJson, type Page } from './api';
import { button, h, replaceChildren } from './dom';
import { date, plural } from './format';
import { nameOf } from './municipalities';
import { problemSummary } from './problems';
import { cell, dataTable, row, type Column } from './table';
import { statusBadge } from './family';

export interface HousingOffer {
  id: string;
  registrationId: string;
  municipality: string;
  offeredOn: string;
  moveInDate: string | null;
  bedrooms: number;
  accessible: boolean;
  status: 'offered' | 'accepted' | 'declined' | 'withdrawn';
  createdAt: string;
  updatedAt: string;
}

const STATUS: Record<HousingOffer['status'], string> = { offered: 'Aangeboden', accepted: 'Geaccepteerd', declined: 'Afgewezen', withdrawn: 'Ingetrokken' };
export const offerStatus = (s: HousingOffer['status']) => STATUS[s] ?? s;
const TONE: Record<HousingOffer['status'], string> = { offered: 'proposed', accepted: 'accepted', declined: 'declined', withdrawn: 'withdrawn' };

export function dwellingText(o: Pick<HousingOffer, 'bedrooms' | 'accessible'>): string {
  return `${plural(o.bedrooms, 'slaapkamer', 'slaapkamers')}${o.accessible ? ', toegankelijk' : ''}`;
}

/** Every offer the caller may see, optionally for one family (the API scopes by role). */
export async function loadOffers(registrationId?: string): Promise<HousingOffer[]> {
  const items: HousingOffer[] = [];
  for (let page = 1; page <= 25; page++) {
    const q = new URLSearchParams({ page: String(page), pageSize: '200' });
    if (registrationId) q.set('registrationId', registrationId);
    const res = await getJson<Page<HousingOffer>>(`/housing-offers?${q.toString()}`);
    items.push(...res.items);
    if (res.items.length === 0 || items.length >= res.total) break;
  }
  return items;
}

export interface OfferAction {
  text: (o: HousingOffer) => string;
  applies: (o: HousingOffer) => boolean;
  run: (o: HousingOffer) => void | Promise<void>;
}

/** The offers as a table; `actions` add a button per offer where they apply. */
export function offersTable(offers: readonly HousingOffer[], opts: { caption: string; actions?: OfferAction[]; family?: (o: HousingOffer) => HTMLElement | string }) {
  const columns: Column[] = [
    ...(opts.family ? [{ text: 'Gezin' }] : []),
    { text: 'Gemeente' },
    { text: 'Aangeboden op' },
    { text: 'Woning' },
    { text: 'Verhuisdatum' },
    { text: 'Status' },
    ...(opts.actions ? [{ text: 'Actie' }] : []),
  ];
  return dataTable({
    caption: opts.caption,
    region: opts.caption,
    columns,
    class: 'offers__table',
    rows: offers.map((o) =>
      row(
        opts.family ? cell(opts.family(o)) : null,
        cell(nameOf(o.municipality)),
        cell(h('time', { datetime: o.offeredOn, class: 'nowrap' }, date(o.offeredOn))),
        cell(dwellingText(o)),
        cell(o.moveInDate ? h('time', { datetime: o.moveInDate, class: 'nowrap' }, date(o.moveInDate)) : 'nog niet bekend'),
        cell(statusBadge(offerStatus(o.status), TONE[o.status])),
        opts.actions
          ? cell(
              h(
                'div',
                { class: 'utrecht-button-group offers__actions' },
                opts.actions.filter((a) => a.applies(o)).map((a) => button(a.text(o), { onclick: () => void a.run(o) })),
              ),
            )
          : null,
      ),
    ),
  });
}

/** Changes one offer (accept, decline, withdraw, move-in date) and reports in `result`. */
export async function changeOffer(o: HousingOffer, patch: Record<string, unknown>, result: HTMLElement, title: string): Promise<HousingOffer | null> {
  try {
    return await patchJson<HousingOffer>(`/housing-offers/${o.id}`, patch);
  } catch (err) {
    const { element } = problemSummary(err, {
      title,
      fields: { '/moveInDate': 'Verhuisdatum', '/status': 'Status' },
      messages: { conflict: 'Dit aanbod is intussen gewijzigd en kan zo niet meer worden aangepast. Ververs de pagina.', illegal_transition: 'Dit aanbod is intussen gewijzigd en kan zo niet meer worden aangepast. Ververs de pagina.' },
    });
    replaceChildren(result, element);
    element.focus();
    return null;
  }
}
