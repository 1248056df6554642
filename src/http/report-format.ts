import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { toCsv, toDutchCsv, type CsvCell } from '../lib/csv.js';
import { AppError } from './errors.js';

/** JSON; CSV by RFC 4180; or CSV in the Dutch spreadsheet dialect (`Accept: text/csv; dialect=nl`). */
export type ReportFormat = 'json' | 'csv' | 'csv-nl';

/** A report's columns: the English name (RFC 4180, as in the JSON) and the Dutch one (dialect=nl). */
export type CsvColumns = ReadonlyArray<readonly [en: string, nl: string]>;

/** The Dutch dialect's media type parameter, and its content type. */
export const DUTCH_DIALECT = 'nl';
const CSV_TYPE = 'text/csv; charset=utf-8; header=present';
const DUTCH_CSV_TYPE = `${CSV_TYPE}; dialect=${DUTCH_DIALECT}`;

/** What every CSV answer's OpenAPI description says about the two dialects. */
export const CSV_NEGOTIATION =
  '`Accept: text/csv` gives RFC 4180 CSV (comma, decimal point, English column names as in the JSON); ' +
  '`Accept: text/csv; dialect=nl` the Dutch spreadsheet dialect (semicolon, decimal comma, Dutch column names, UTF-8 BOM, file name ending in -nl.csv).';

interface Offer {
  format: ReportFormat | null;
  q: number;
}

/** One entry of an Accept header: the format it names (null: none of ours) and its quality. */
function offerOf(part: string): Offer & { type: string } {
  const [rawType, ...rawParams] = part.split(';');
  const type = rawType!.trim().toLowerCase();
  const params = new Map(
    rawParams.map((p) => {
      const [k, ...v] = p.split('=');
      return [k!.trim().toLowerCase(), v.join('=').trim().replace(/^"(.*)"$/, '$1').toLowerCase()] as const;
    }),
  );
  const q = params.has('q') ? Number(params.get('q')) : 1;
  const quality = Number.isFinite(q) ? Math.min(1, Math.max(0, q)) : 0;
  if (type !== 'text/csv') return { type, format: null, q: quality };
  const dialect = params.get('dialect');
  // A dialect we do not write is not acceptable as plain CSV either.
  const format = dialect === undefined ? 'csv' : dialect === DUTCH_DIALECT ? 'csv-nl' : null;
  return { type, format, q: quality };
}

/**
 * Content negotiation for reports: JSON by default, CSV when the client asks for text/csv, the
 * Dutch dialect when it asks for `text/csv; dialect=nl`. At equal quality the more specific wins
 * (the Dutch dialect over plain CSV, CSV over a JSON wildcard).
 */
export function reportFormat(request: FastifyRequest): ReportFormat {
  const accept = request.headers.accept;
  if (!accept || accept === '*/*') return 'json';
  const offers = accept.split(',').map(offerOf);
  const quality = (f: ReportFormat) => Math.max(0, ...offers.filter((o) => o.format === f).map((o) => o.q));
  const json = Math.max(0, ...offers.filter((o) => ['application/json', 'application/*', '*/*'].includes(o.type)).map((o) => o.q));
  const nl = quality('csv-nl');
  const csv = quality('csv');
  if (nl > 0 && nl >= csv && nl >= json) return 'csv-nl';
  if (csv > 0 && csv >= json) return 'csv';
  if (json > 0) return 'json';
  throw new AppError('not_acceptable', 'Reports are available as application/json, text/csv and text/csv; dialect=nl.');
}

export const isCsv = (format: ReportFormat): format is 'csv' | 'csv-nl' => format !== 'json';

/**
 * Sends a CSV report as a download with a stable file name (`<name>.csv`, or `<name>-nl.csv` in
 * the Dutch dialect), its columns named in the format's language.
 */
export function sendCsv(reply: FastifyReply, format: 'csv' | 'csv-nl', name: string, columns: CsvColumns, rows: ReadonlyArray<ReadonlyArray<CsvCell>>) {
  const dutch = format === 'csv-nl';
  return reply
    .type(dutch ? DUTCH_CSV_TYPE : CSV_TYPE)
    .header('Content-Disposition', `attachment; filename="${name}${dutch ? '-nl' : ''}.csv"`)
    .serializer((p: unknown) => p as string)
    .send(dutch ? toDutchCsv(columns.map(([, nl]) => nl), rows) : toCsv(columns.map(([en]) => en), rows));
}

/** The CSV entries of a report's 200 response in the OpenAPI document: both dialects. */
export function csvContent(maxLength: number) {
  return {
    'text/csv': { schema: Type.String({ maxLength, description: 'RFC 4180: comma, decimal point, English column names, header row' }) },
    [`text/csv; dialect=${DUTCH_DIALECT}`]: {
      schema: Type.String({ maxLength, description: 'Dutch spreadsheet dialect: semicolon, decimal comma, Dutch column names, UTF-8 BOM, CRLF, header row' }),
    },
  };
}
