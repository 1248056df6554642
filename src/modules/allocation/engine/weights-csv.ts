/**
 * Reads a key from CSV text (pure; the caller reads the file). The header must name `code` and
 * `weight` or `population`; `weight` wins when both are present and other columns are ignored.
 * RFC 4180 quoting ("" inside quotes), CRLF or LF line ends, a UTF-8 byte-order mark and blank
 * lines are accepted. Weights are non-negative integers (population counts), not all zero.
 */

export interface WeightRow {
  readonly code: string;
  readonly weight: bigint;
}

export class WeightsCsvError extends Error {
  override readonly name = 'WeightsCsvError';
}

const INTEGER = /^\d+$/;

export function parseWeightsCsv(text: string): WeightRow[] {
  const records = parseCsvRecords(text.startsWith('\uFEFF') ? text.slice(1) : text);
  const header = records.shift();
  if (!header) throw new WeightsCsvError('the file is empty; expected a header with code and weight or population');
  const names = header.fields.map((h) => h.trim().toLowerCase());
  const codeAt = names.indexOf('code');
  const weightAt = names.includes('weight') ? names.indexOf('weight') : names.indexOf('population');
  if (codeAt < 0 || weightAt < 0) {
    throw new WeightsCsvError(`header must have "code" and "weight" or "population"; found: ${header.fields.join(',')}`);
  }
  const weightName = names[weightAt] as string;
  const rows: WeightRow[] = [];
  const seen = new Set<string>();
  let total = 0n;
  for (const record of records) {
    if (record.fields.length === 1 && (record.fields[0] as string).trim() === '') continue;
    const code = record.fields[codeAt]?.trim();
    const raw = record.fields[weightAt]?.trim();
    if (code === undefined || raw === undefined) {
      throw new WeightsCsvError(`line ${record.line}: expected at least ${Math.max(codeAt, weightAt) + 1} fields`);
    }
    if (code === '') throw new WeightsCsvError(`line ${record.line}: empty code`);
    if (seen.has(code)) throw new WeightsCsvError(`line ${record.line}: code ${code} appears twice`);
    if (!INTEGER.test(raw)) {
      throw new WeightsCsvError(`line ${record.line}: ${weightName} of ${code} must be a non-negative integer, got "${raw}"`);
    }
    seen.add(code);
    const weight = BigInt(raw);
    total += weight;
    rows.push({ code, weight });
  }
  if (rows.length === 0) throw new WeightsCsvError('no municipalities after the header');
  if (total === 0n) throw new WeightsCsvError(`all ${weightName} values are zero`);
  return rows;
}

interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

function parseCsvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let k = 0;
  const endRecord = (): void => {
    fields.push(field);
    records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  while (k < text.length) {
    const ch = text[k] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[k + 1] === '"') {
          field += '"';
          k += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      k++;
      continue;
    }
    if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      endRecord();
      if (ch === '\r' && text[k + 1] === '\n') k++;
      line++;
      recordLine = line;
    } else {
      field += ch;
    }
    k++;
  }
  if (quoted) throw new WeightsCsvError(`line ${recordLine}: unterminated quoted field`);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}
