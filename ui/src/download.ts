// CSV reports need the Authorization header, which a plain link cannot send: fetch the file,
// then hand the browser the blob as a download. Each report comes in two forms: RFC 4180 (comma,
// decimal point, English column names) for programs, and the Dutch spreadsheet dialect
// (semicolon, decimal comma, Dutch column names) for people who open it in a Dutch spreadsheet.
import { apiRequest } from './api';
import { alertBox, button, h, paragraph, replaceChildren } from './dom';
import { describeProblem } from './problems';

/** How long the object URL stays valid: long enough for the browser to start saving. */
const REVOKE_AFTER_MS = 60_000;

export type CsvDialect = 'rfc4180' | 'nl';
const ACCEPT: Record<CsvDialect, string> = { rfc4180: 'text/csv', nl: 'text/csv; dialect=nl' };

function filenameFrom(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain?.[1] ?? null;
}

/** Hands a blob to the browser as a file download. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

/** Downloads `path` as CSV; returns the file name used. Throws ApiProblem like any API call. */
export async function downloadCsv(path: string, fallbackName: string, dialect: CsvDialect = 'rfc4180', init: { method?: 'POST'; body?: unknown } = {}): Promise<string> {
  const res = await apiRequest(path, { accept: ACCEPT[dialect], ...init });
  const blob = new Blob([await res.arrayBuffer()], { type: 'text/csv;charset=utf-8' });
  // Only a plain file name: a server-sent path must not steer where the browser saves.
  const name = (filenameFrom(res.headers.get('content-disposition')) ?? fallbackName).replace(/[\\/]/g, '_');
  saveBlob(blob, name);
  return name;
}

export interface CsvReport {
  path: string;
  /** "Opvangrapport": the buttons say "Download Opvangrapport (CSV)" and "… (Nederlandse spreadsheet)". */
  label: string;
  /** File name when the API gives none; the Dutch form gets -nl before .csv. */
  file: string;
  /** A POST report (the simulation) sends its request body again. */
  post?: unknown;
}

const nlName = (file: string) => file.replace(/\.csv$/, '-nl.csv');

/** Two download buttons per report and one status line that says what happened. */
export function csvDownloads(reports: readonly CsvReport[], opts: { notFound?: string } = {}): HTMLElement {
  const result = h('div', { class: 'reports__result' });
  const one = (r: CsvReport, dialect: CsvDialect) => {
    const what = dialect === 'nl' ? `${r.label} (Nederlandse spreadsheet)` : `${r.label} (CSV)`;
    return button(['Download ', what], {
      onclick: async (ev: Event) => {
        const b = ev.currentTarget as HTMLButtonElement;
        b.disabled = true;
        replaceChildren(result, alertBox('info', [paragraph(`${what} wordt opgehaald…`)], { live: 'polite' }));
        try {
          const init = r.post !== undefined ? { method: 'POST' as const, body: r.post } : {};
          const name = await downloadCsv(r.path, dialect === 'nl' ? nlName(r.file) : r.file, dialect, init);
          replaceChildren(result, alertBox('ok', [paragraph(`${what} is gedownload als ${name}.`)], { live: 'polite' }));
        } catch (err) {
          const d = describeProblem(err, { messages: { not_found: opts.notFound ?? 'Dit rapport is (nog) niet beschikbaar.' } });
          replaceChildren(result, alertBox('error', [paragraph(`${what}: ${d.message}`)], { live: 'assertive' }));
        } finally {
          b.disabled = false;
        }
      },
    });
  };
  return h(
    'div',
    { class: 'downloads' },
    h('div', { class: 'utrecht-button-group downloads__buttons' }, reports.flatMap((r) => [one(r, 'rfc4180'), one(r, 'nl')])),
    paragraph(
      h('small', null, 'CSV: komma als scheidingsteken en een punt in getallen, voor andere programma’s. Nederlandse spreadsheet: puntkomma, decimale komma en Nederlandse kolomnamen.'),
    ),
    result,
  );
}
