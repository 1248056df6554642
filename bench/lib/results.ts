// bench/RESULTS.md is shared by every bench: each replaces its own section and leaves the rest.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

/**
 * Replaces the section that starts with the line `heading` (up to the next `## ` or `# ` heading)
 * with `body`, which starts with that heading line; appends it when there is none yet.
 */
export function writeResultsSection(heading: string, body: string): void {
  const text = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : '# Benchmark results\n';
  const section = `${body.replace(/\n*$/, '')}\n`;
  const start = text.startsWith(`${heading}\n`) ? 0 : text.indexOf(`\n${heading}\n`) + 1;
  if (start === 0 && !text.startsWith(`${heading}\n`)) {
    writeFileSync(RESULTS_FILE, `${text.replace(/\n*$/, '')}\n\n${section}`);
    return;
  }
  const rest = text.slice(start + heading.length);
  const next = /\n## |\n# /.exec(rest);
  const end = next ? start + heading.length + next.index + 1 : text.length;
  writeFileSync(RESULTS_FILE, `${text.slice(0, start)}${section}${next ? '\n' : ''}${text.slice(end)}`);
}

/** The commit the measured code came from, marked when the working tree differs from it there (results written by an earlier bench of the same run do not count). */
export function gitCommit(paths: readonly string[] = ['src', 'migrations', 'bench', ':(exclude)bench/RESULTS.md']): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', ...paths], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

/**
 * Prints a bench's section, then writes it to RESULTS.md unless `noWrite`. A run that had problems
 * lists them, exits non-zero and writes nothing, so it never replaces the figures of a good run.
 */
export function finishRun(heading: string, text: string, problems: readonly string[], noWrite: boolean | undefined): void {
  const print = (s: string) => process.stdout.write(`${s}\n`);
  print(`\n${text}`);
  if (problems.length > 0) {
    print(`\nPROBLEMS:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exitCode = 1;
  } else if (!noWrite) {
    writeResultsSection(heading, text);
    print(`written to ${RESULTS_FILE} (${heading})`);
  }
}
