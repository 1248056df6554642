// RFC 4180 CSV: what a policy officer's spreadsheet opens as it is, and what CBS exports; and the
// Dutch spreadsheet dialect beside it (semicolons, decimal comma), for a spreadsheet set to Dutch.

/** Parses a CSV document into rows of fields (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string, separator: ',' | ';' = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a BOM from Excel
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** Rows as objects keyed by the (trimmed, lower-cased) header. */
export function parseCsvRecords(text: string): { header: string[]; records: Record<string, string>[] } {
  const [head, ...body] = parseCsv(text);
  if (!head) return { header: [], records: [] };
  const header = head.map((h) => h.trim().toLowerCase());
  return { header, records: body.map((r) => Object.fromEntries(header.map((h, i) => [h, (r[i] ?? '').trim()]))) };
}

/** What a spreadsheet reads as the start of a formula (OWASP CSV injection), tab and CR included. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain decimal number, as our reports write amounts ("-1.2500"): a spreadsheet reads it as a number, never a formula. */
const PLAIN_NUMBER = /^[-+]?\d+(\.\d+)?$/;

/**
 * A text cell that a spreadsheet would run as a formula (=HYPERLINK(…), +cmd|…, @SUM(…)) gets a
 * single quote in front, so it shows as the text it is. Numbers (JavaScript numbers, and text
 * that is a plain decimal such as a negative balance) stay numbers.
 */
export function neutralised(s: string): string {
  return FORMULA_START.test(s) && !PLAIN_NUMBER.test(s) ? `'${s}` : s;
}

export type CsvCell = string | number | boolean | null | undefined;

function escapeField(v: CsvCell): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? neutralised(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with a header row and CRLF line ends (RFC 4180). Numbers are written plainly, never localised. */
export function toCsv(columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<CsvCell>>): string {
  return [columns, ...rows].map((r) => r.map(escapeField).join(',')).join('\r\n') + '\r\n';
}

/**
 * A cell as a spreadsheet set to Dutch reads it: a decimal comma in numbers (JavaScript numbers and
 * plain decimal text alike), ja/nee for booleans; text neutralised as in RFC 4180 mode. The comma
 * needs no quotes here: the separator is the semicolon.
 */
function dutchField(v: CsvCell): string {
  if (v === null || v === undefined) return '';
  let s: string;
  if (typeof v === 'boolean') s = v ? 'ja' : 'nee';
  else if (typeof v === 'number') s = String(v).replace('.', ',');
  else s = PLAIN_NUMBER.test(v) ? v.replace('.', ',') : neutralised(v);
  return /[";\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The BOM tells a spreadsheet the file is UTF-8 (without it, Excel reads "Súdwest-Fryslân" as Windows-1252). */
const BOM = '\ufeff';

/**
 * The Dutch spreadsheet dialect: what Excel or LibreOffice with Dutch settings opens by a double
 * click, columns and numbers intact. Semicolon separator, decimal comma, a UTF-8 BOM, CRLF line
 * ends, quoting as RFC 4180 does, and the same neutralisation of formulas.
 */
export function toDutchCsv(columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<CsvCell>>): string {
  return BOM + [columns.map(dutchField), ...rows.map((r) => r.map(dutchField))].map((r) => r.join(';')).join('\r\n') + '\r\n';
}
