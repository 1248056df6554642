// The coordinator's worklist: families that need attention (declined by the receiving
// municipality, or no municipality allowed at all) and deadlines that passed. Each family opens
// on its registration page, where it can be proposed again or allocated by hand.
import { getAll, getJson } from './api';
import { add, alertBox, h, heading, link, paragraph, replaceChildren, srOnly } from './dom';
import { householdText } from './family';
import { date, days, lastDayOf } from './format';
import { signalStage } from './labels';
import { loadMunicipalities, nameOf } from './municipalities';
import { openSignals, signalBadge } from './page-registrations';
import { problemSummary } from './problems';
import { takeFlash, type PageContext } from './router';
import { cell, dataTable, row } from './table';
import type { HistoryEntry, Registration, Signal } from './types';

/** Why is known from each family's history; read for this many families at most. */
const HISTORY_LOOKUPS = 50;

/** The step that put the family on the worklist, in words. */
export function attentionReason(history: readonly HistoryEntry[]): string {
  const last = [...history].reverse().find((e) => e.toStatus === 'needs_attention');
  if (!last) return 'Vraagt aandacht';
  if (last.action === 'declined') return `Geweigerd door ${nameOf(last.municipality)}${last.reason ? `: “${last.reason}”` : ''}`;
  if (last.action === 'no_allowed_municipality') return 'Geen enkele gemeente mocht dit gezin ontvangen (door de beperkingen)';
  return 'Vraagt aandacht';
}

function daysSince(isoDate: string): number {
  return Math.max(0, Math.round((Date.now() - Date.parse(`${isoDate}T00:00:00Z`)) / 86_400_000));
}

export async function renderWorklist(ctx: PageContext): Promise<void> {
  ctx.setTitle('Werklijst');
  const body = h('div', { 'aria-busy': 'true' }, paragraph('De werklijst wordt geladen…'));
  add(
    ctx.view,
    heading(1, 'Werklijst'),
    takeFlash(),
    paragraph('Gezinnen waarvoor u iets moet doen: een gemeente weigerde het gezin, of geen enkele gemeente mocht het ontvangen. Daaronder de termijnen die zijn verstreken.'),
    body,
  );
  let attention: Registration[];
  let signals: Signal[];
  try {
    const [a, s] = await Promise.all([getAll<Registration>('/registrations?status=needs_attention', 1000), getAll<Signal>('/signals?status=open', 1000), loadMunicipalities()]);
    // Oldest registration first: the longest-waiting family is the most urgent.
    attention = a.items.sort((x, y) => x.reportedOn.localeCompare(y.reportedOn) || x.createdAt.localeCompare(y.createdAt));
    signals = s.items.filter((x) => x.stage !== 'attention');
  } catch (err) {
    replaceChildren(body, problemSummary(err, { title: 'De werklijst kon niet worden geladen' }).element);
    body.removeAttribute('aria-busy');
    return;
  }
  const why = new Map<string, string>();
  await Promise.all(
    attention.slice(0, HISTORY_LOOKUPS).map(async (r) => {
      const history = await getJson<{ items: HistoryEntry[] }>(`/registrations/${r.id}/history`).catch(() => null);
      if (history) why.set(r.id, attentionReason(history.items));
    }),
  );
  const worst = await openSignals().catch(() => new Map<string, Signal['level']>());
  body.removeAttribute('aria-busy');

  const families = dataTable({
    caption: 'Gezinnen die aandacht vragen, het langst wachtende eerst',
    region: 'Tabel van de gezinnen die aandacht vragen',
    columns: [{ text: 'Gemeld op' }, { text: 'Meldende gemeente' }, { text: 'Huishouden' }, { text: 'Waarom' }, { text: 'Gezin' }],
    rows: attention.map((r) =>
      row(
        cell(h('time', { datetime: r.reportedOn, class: 'nowrap' }, date(r.reportedOn)), h('span', { class: 'cell-note' }, `${days(daysSince(r.reportedOn))} geleden`)),
        cell(nameOf(r.reportingMunicipality)),
        cell(householdText(r)),
        cell(why.get(r.id) ?? 'Vraagt aandacht', ' ', signalBadge(worst.get(r.id))),
        cell(link(`/registraties/${r.id}`, ['Behandelen', srOnly(`: gezin uit ${nameOf(r.reportingMunicipality)}, gemeld op ${date(r.reportedOn)}`)])),
      ),
    ),
    class: 'worklist__table',
  });
  const deadlines = dataTable({
    caption: 'Verstreken termijnen, de oudste eerst',
    region: 'Tabel van de verstreken termijnen',
    columns: [{ text: 'Fase' }, { text: 'Aan zet' }, { text: 'Uiterlijk' }, { text: 'Signaal' }, { text: 'Gezin' }],
    rows: [...signals]
      .sort((x, y) => x.dueAt.localeCompare(y.dueAt))
      .map((s) =>
        row(
          cell(signalStage(s.stage)),
          cell(s.municipality ? `gemeente ${nameOf(s.municipality)}` : 'de coördinator'),
          cell(h('time', { datetime: s.dueAt, class: 'nowrap' }, lastDayOf(s.dueAt))),
          cell(signalBadge(s.level)),
          cell(
            s.stage === 'review' && s.allocationId
              ? link(`/voorstellen/${s.allocationId}`, ['Voorstel bekijken', srOnly(`: ${signalStage(s.stage).toLowerCase()}, uiterlijk ${lastDayOf(s.dueAt)}`)])
              : link(`/registraties/${s.registrationId}`, ['Gezin bekijken', srOnly(`: ${signalStage(s.stage).toLowerCase()}, uiterlijk ${lastDayOf(s.dueAt)}`)]),
          ),
        ),
      ),
  });
  replaceChildren(
    body,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'aandacht-kop' },
      heading(2, 'Gezinnen die aandacht vragen', { id: 'aandacht-kop' }),
      attention.length === 0
        ? alertBox('ok', [paragraph('Er zijn geen gezinnen die aandacht vragen.')])
        : [paragraph(`${attention.length === 1 ? '1 gezin vraagt' : `${attention.length} gezinnen vragen`} aandacht. Open een gezin om het opnieuw te laten voorstellen of zelf aan een gemeente toe te wijzen.`), families.element],
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'termijnen-kop' },
      heading(2, 'Verstreken termijnen', { id: 'termijnen-kop' }),
      signals.length === 0 ? alertBox('ok', [paragraph('Er zijn geen verstreken termijnen.')]) : deadlines.element,
    ),
  );
}
