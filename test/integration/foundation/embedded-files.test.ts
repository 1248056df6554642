// Embedded mode keeps the database in DATA_DIR (finding 15): nobody but the service's own user may
// read it. PGlite's file system creates files 0666 whatever the umask, so the service makes the
// directories 0700 and the files 0600 at start and at a clean stop.
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../../src/db/client.js';

const dataDir = mkdtempSync(join(tmpdir(), 'spreiding-embedded-files-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function modes(dir: string, out: Array<{ path: string; mode: number; dir: boolean }> = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    out.push({ path, mode: statSync(path).mode & 0o777, dir: e.isDirectory() });
    if (e.isDirectory()) modes(path, out);
  }
  return out;
}

describe('the embedded database on disk', () => {
  it('is readable by its owner only: directories 0700, files 0600', async () => {
    chmodSync(dataDir, 0o755);
    const database = await createDatabase({ databaseUrl: undefined, dataDir, poolMax: 1 });
    await database.migrate();
    expect(statSync(join(dataDir, 'pglite')).mode & 0o777).toBe(0o700);
    await database.close();

    const all = modes(join(dataDir, 'pglite'));
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((e) => e.dir && e.mode !== 0o700)).toEqual([]);
    expect(all.filter((e) => !e.dir && e.mode !== 0o600)).toEqual([]);

    // Opened again (as after an upgrade from a version that left them 0666): tightened at start.
    chmodSync(all.find((e) => !e.dir)!.path, 0o666);
    const again = await createDatabase({ databaseUrl: undefined, dataDir, poolMax: 1 });
    await again.close();
    expect(modes(join(dataDir, 'pglite')).filter((e) => (e.dir ? e.mode !== 0o700 : e.mode !== 0o600))).toEqual([]);
  }, 120_000);
});
