// The operators' tools on a real, seeded PostgreSQL: simulate-key (what a key would do) and
// close-period (the same closing as the API, as a system actor).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestApp, type TestApp } from '../../support/harness.js';
import { checkInvariants } from '../../support/invariants.js';
import { ROOT } from '../../support/processes.js';
import { parseCsv } from '../../../src/lib/csv.js';

let t: TestApp;
const dir = mkdtempSync(join(tmpdir(), 'simulate-key-'));
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.close();
});

async function run(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...t.env } as NodeJS.ProcessEnv,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function keyFile(name: string, body: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
}

describe('simulate-key', () => {
  it('prints every municipality\'s share and units after N units under the population key', async () => {
    const res = await run('scripts/simulate-key.ts', '--key', keyFile('population.json', { kind: 'population' }), '--units', '1000');
    expect(res.code, res.stderr).toBe(0);
    const rows = parseCsv(res.stdout);
    expect(rows[0]).toEqual(['code', 'name', 'share', 'units']);
    expect(rows).toHaveLength(343);
    expect(rows.find((r) => r[0] === 'GM0363')).toEqual(['GM0363', 'Amsterdam', '0.05190331', '52']);
    let sum = 0;
    for (const [, , share, units] of rows.slice(1)) {
      const e = 1000 * Number(share);
      // The quota property: within one unit of the entitlement (share rounded to 8 decimals: tolerance 1e-5).
      expect(Number(units)).toBeGreaterThanOrEqual(Math.floor(e - 1e-5));
      expect(Number(units)).toBeLessThanOrEqual(Math.ceil(e + 1e-5));
      sum += Number(units);
    }
    expect(sum).toBe(1000);
  });

  it('runs a fixed table exactly: after T units everyone holds its weight', async () => {
    const res = await run('scripts/simulate-key.ts', '--key', keyFile('fixed.json', { kind: 'fixed', shares: [{ municipality: 'GM0014', weight: 3 }, { municipality: 'GM0034', weight: 1 }] }), '--units', '8');
    expect(res.code, res.stderr).toBe(0);
    const rows = parseCsv(res.stdout).slice(1);
    expect(rows.filter((r) => r[3] !== '0')).toEqual([
      ['GM0014', 'Groningen', '0.75000000', '6'],
      ['GM0034', 'Almere', '0.25000000', '2'],
    ]);
  });

  it('refuses an invalid key with every problem, exit 2, nothing on stdout', async () => {
    const res = await run(
      'scripts/simulate-key.ts', '--key',
      keyFile('bad.json', { kind: 'composite', components: [{ attribute: 'population', weight: '0.5' }, { attribute: 'nope', weight: '0.4' }] }),
      '--units', '10',
    );
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('/components/1/attribute');
    expect(res.stderr).toContain('sum to exactly 1');
    expect((await run('scripts/simulate-key.ts', '--key', keyFile('x.json', { kind: 'other' }), '--units', '1')).code).toBe(2);
    expect((await run('scripts/simulate-key.ts', '--units', '1')).code).toBe(2);
    expect((await run('scripts/simulate-key.ts', '--key', join(dir, 'missing.json'), '--units', '1')).stderr).toContain('file not found');
  });
});

describe('close-period', () => {
  it('closes an ended period with the service, audited as the system', async () => {
    const res = await run('scripts/close-period.ts', '2026-H1');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^closed 2026-H1 \(2026-01-01 – 2026-06-30\)/);
    expect(res.stdout).toContain('342 balances snapshotted; carry factor 1, cap none');
    const c = new pg.Client({ connectionString: t.databaseUrl });
    await c.connect();
    try {
      const { rows } = await c.query(`select status, closed_by from periods where period = '2026-H1'`);
      expect(rows[0]).toMatchObject({ status: 'closed', closed_by: expect.stringMatching(/^system:close-period:/) });
      const { rows: audit } = await c.query(`select actor_role from audit_events where action = 'period.close'`);
      expect(audit).toEqual([{ actor_role: 'system' }]);
    } finally {
      await c.end();
    }
    expect(await checkInvariants(t.databaseUrl)).toEqual([]);
  });

  it('refuses a second closing (exit 1) and a period that has not ended without --force', async () => {
    const again = await run('scripts/close-period.ts', '2026-H1');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already closed');
    const current = await run('scripts/close-period.ts', '2099-H1');
    expect(current.code).toBe(1);
    expect(current.stderr).toContain('has not started');
    expect((await run('scripts/close-period.ts', '2026-H7')).code).toBe(2);
    expect((await run('scripts/close-period.ts')).code).toBe(2);
  });
});
