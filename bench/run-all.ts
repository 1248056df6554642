/**
 * `npm run bench`: every bench/*-bench.ts, one after another (each loads the machine on its own),
 * the end-to-end bench last because it is the longest. Exits 1 when any of them fails; the
 * others still run. Options: --only a,b (names without -bench.ts), --soak-seconds N (passed to
 * the end-to-end bench; default there 300).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LAST = 'e2e-bench.ts';

const args = parseArgs({ options: { only: { type: 'string' }, 'soak-seconds': { type: 'string' } }, strict: true });
const only = args.values.only?.split(',').map((s) => `${s.trim()}-bench.ts`);

const benches = readdirSync(fileURLToPath(new URL('.', import.meta.url)))
  .filter((f) => f.endsWith('-bench.ts'))
  .filter((f) => !only || only.includes(f))
  .sort((a, b) => (a === LAST ? 1 : b === LAST ? -1 : a.localeCompare(b)));
if (only && benches.length !== only.length) {
  process.stderr.write(`unknown bench in --only: ${only.filter((o) => !benches.includes(o)).join(', ')}\n`);
  process.exit(2);
}

function run(file: string): Promise<{ code: number | null; seconds: number }> {
  const extra = file === LAST && args.values['soak-seconds'] ? ['--soak-seconds', args.values['soak-seconds']] : [];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `bench/${file}`, ...extra], { cwd: ROOT, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : null), seconds: (Date.now() - started) / 1000 }));
  });
}

const outcomes: Array<{ file: string; code: number | null; seconds: number }> = [];
for (const file of benches) {
  process.stdout.write(`\n=== ${file}\n`);
  outcomes.push({ file, ...(await run(file)) });
}
process.stdout.write('\n=== summary\n');
for (const o of outcomes) process.stdout.write(`${o.code === 0 ? 'ok    ' : 'FAILED'} ${o.file} (${o.seconds.toFixed(0)} s${o.code === 0 ? '' : `, exit ${o.code}`})\n`);
if (outcomes.some((o) => o.code !== 0)) process.exitCode = 1;
