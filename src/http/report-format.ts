import type { FastifyReply, FastifyRequest } from 'fastify';
import { toCsv } from '../lib/csv.js';
import { AppError } from './errors.js';

export type ReportFormat = 'json' | 'csv';

/** Content negotiation for reports: JSON by default, CSV when the client asks for text/csv. */
export function reportFormat(request: FastifyRequest): ReportFormat {
  const accept = request.headers.accept;
  if (!accept || accept === '*/*') return 'json';
  const types = accept.split(',').map((part) => {
    const [type, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { type: type!.trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
  });
  const quality = (t: string) => Math.max(0, ...types.filter((x) => x.type === t).map((x) => x.q));
  const csv = quality('text/csv');
  const json = Math.max(quality('application/json'), quality('application/*'), quality('*/*'));
  if (csv > 0 && csv >= json) return 'csv';
  if (json > 0) return 'json';
  throw new AppError('not_acceptable', 'Reports are available as application/json and text/csv.');
}

/** Sends a CSV report as a download with a stable file name. */
export function sendCsv(
  reply: FastifyReply,
  filename: string,
  columns: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null | undefined>>,
) {
  return reply
    .type('text/csv; charset=utf-8; header=present')
    .header('Content-Disposition', `attachment; filename="${filename}"`)
    .serializer((p: unknown) => p as string)
    .send(toCsv(columns, rows));
}
