// CSV reports need the Authorization header, which a plain link cannot send: fetch the file,
// then hand the browser the blob as a download.
import { apiRequest } from './api';
import { h } from './dom';

/** How long the object URL stays valid: long enough for the browser to start saving. */
const REVOKE_AFTER_MS = 60_000;

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

/** Downloads `path` as CSV; returns the file name used. Throws ApiProblem like any API call. */
export async function downloadCsv(path: string, fallbackName: string): Promise<string> {
  const res = await apiRequest(path, { accept: 'text/csv' });
  const blob = new Blob([await res.arrayBuffer()], { type: 'text/csv;charset=utf-8' });
  // Only a plain file name: a server-sent path must not steer where the browser saves.
  const name = (filenameFrom(res.headers.get('content-disposition')) ?? fallbackName).replace(/[\\/]/g, '_');
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  return name;
}
