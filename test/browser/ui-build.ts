// The browser tests need the built UI. `npm ci` builds it (prepare), but a developer who edits
// ui/src and runs the tests must not test yesterday's bundle: rebuild when any source is newer.
// Test files run in parallel, so one builds while the others wait on a lock file.
import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/processes.js';

const UI = join(ROOT, 'ui');
const BUILT = join(UI, 'dist', 'index.html');
const LOCK = join(UI, '.build.lock');
/** A lock older than this was left by a run that died mid-build. */
const STALE_LOCK_MS = 120_000;
const BUILD_TIMEOUT_MS = 120_000;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function upToDate(): boolean {
  if (!existsSync(BUILT)) return false;
  const sources = Math.max(newestSource(join(UI, 'src')), statSync(join(UI, 'index.html')).mtimeMs, statSync(join(UI, 'vite.config.ts')).mtimeMs);
  return statSync(BUILT).mtimeMs >= sources;
}

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(join(ROOT, 'node_modules/.bin/vite'), ['build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, timeout: BUILD_TIMEOUT_MS }, (err, _stdout, stderr) =>
      err ? reject(new Error(`vite build failed: ${stderr || err.message}`)) : resolve(),
    );
  });
}

export async function ensureUiBuilt(): Promise<void> {
  for (;;) {
    if (upToDate()) return;
    let fd: number;
    try {
      fd = openSync(LOCK, 'wx');
    } catch {
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { force: true });
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      if (!upToDate()) await build();
      return;
    } finally {
      closeSync(fd);
      rmSync(LOCK, { force: true });
    }
  }
}
