/**
 * Prints the order in which the allocation engine would hand out N units under a key, one
 * code per line, on a fresh ledger without family constraints — so an operator can check a
 * key before adopting it.
 *
 *   npm run --silent allocate-sequence -- --municipalities <file.csv> --units <N>
 *
 * The CSV needs a header with `code` and `weight` or `population` (weight wins). Errors go to
 * stderr with exit code 2; stdout carries nothing but the codes.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLedger } from '../src/modules/allocation/engine/index.js';
import { parseWeightsCsv, WeightsCsvError } from '../src/modules/allocation/engine/weights-csv.js';

const USAGE = 'usage: allocate-sequence --municipalities <file.csv> --units <N>\n';
const EXIT_USAGE = 2;
/** Lines gathered before one write: fewer syscalls without holding the whole output. */
const LINES_PER_WRITE = 4096;

function fail(message: string): never {
  process.stderr.write(`allocate-sequence: ${message}\n${USAGE}`);
  process.exit(EXIT_USAGE);
}

function readArgs(): { file: string; units: number } {
  let values: { municipalities?: string | undefined; units?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: {
        municipalities: { type: 'string' },
        units: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (values.municipalities === undefined || values.municipalities === '') fail('--municipalities <file.csv> is required');
  if (values.units === undefined) fail('--units <N> is required');
  const units = values.units.trim();
  if (!/^\d+$/.test(units) || !Number.isSafeInteger(Number(units))) {
    fail(`--units must be a non-negative integer, got "${values.units}"`);
  }
  return { file: values.municipalities, units: Number(units) };
}

async function main(): Promise<void> {
  const { file, units } = readArgs();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail(code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${(err as Error).message}`);
  }
  let rows;
  try {
    rows = parseWeightsCsv(text);
  } catch (err) {
    if (err instanceof WeightsCsvError) fail(`${file}: ${err.message}`);
    throw err;
  }
  const ledger = createLedger({
    municipalities: rows.map((r) => ({ code: r.code })),
    key: { version: 1, weights: new Map(rows.map((r) => [r.code, r.weight])) },
  });

  // A closed pipe (e.g. `| head`) ends the run quietly: the reader has what it wanted.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`allocate-sequence: ${err.message}\n`);
    process.exit(1);
  });
  let left = units;
  while (left > 0) {
    const batch = Math.min(left, LINES_PER_WRITE);
    let chunk = '';
    for (let k = 0; k < batch; k++) chunk += `${ledger.allocate()}\n`;
    left -= batch;
    if (!process.stdout.write(chunk)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}

await main();
