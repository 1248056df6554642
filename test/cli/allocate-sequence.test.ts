import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createLedger } from '../../src/modules/allocation/engine/index.js';
import { parseWeightsCsv } from '../../src/modules/allocation/engine/weights-csv.js';

const root = resolve(import.meta.dirname, '../..');
const script = join(root, 'scripts/allocate-sequence.ts');
const dir = mkdtempSync(join(tmpdir(), 'allocate-sequence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

// Written once up front: the cases below run concurrently and only read them.
csv('header.csv', 'code,name\nA,x\n');
csv('fraction.csv', 'code,weight\nA,1.5\n');
csv('negative.csv', 'code,population\nA,-3\n');
csv('zeros.csv', 'code,weight\nA,0\nB,0\n');
csv('ok.csv', 'code,weight\nA,1\n');

describe.concurrent('allocate-sequence CLI', () => {
  it('prints one chosen code per line, in order, and nothing else', async () => {
    const file = csv('weights.csv', 'code,name,weight\r\nA,"Alpha, the first",5\r\nB,"Say ""B""",3\r\nC,Gamma,2\r\n');
    const r = await run('--municipalities', file, '--units', '10');
    expect(r).toEqual({ code: 0, stdout: 'A\nB\nA\nC\nA\nB\nA\nB\nA\nC\n', stderr: '' });
  });

  it('reads population, lets weight win when both are present, and ends at A_i = w_i after T units', async () => {
    const both = csv('both.csv', 'population,code,weight\n1,X,0\n1000,Y,4\n1000,Z,1\n');
    const r = await run('--municipalities', both, '--units=5');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['Y', 'Y', 'Y', 'Y', 'Z']);

    const population = csv('population.csv', 'code,population\nP,7\nQ,0\nR,13\nS,1\n');
    const p = await run('--municipalities', population, '--units', '42');
    const counts = new Map<string, number>();
    for (const code of p.stdout.trim().split('\n')) counts.set(code, (counts.get(code) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ P: 14, R: 26, S: 2 });
  });

  it('matches the engine on the CBS 2024 municipalities', async () => {
    const data = [join(root, 'reference-data/municipalities-2024.csv'), join(root, '../shared/data/municipalities-2024.csv')].find((p) =>
      existsSync(p),
    );
    if (!data) return;
    const r = await run('--municipalities', data, '--units', '2000');
    expect(r.code).toBe(0);
    const rows = parseWeightsCsv(readFileSync(data, 'utf8'));
    const ledger = createLedger({
      municipalities: rows.map((row) => ({ code: row.code })),
      key: { version: 1, weights: new Map(rows.map((row) => [row.code, row.weight])) },
    });
    expect(r.stdout).toBe(Array.from({ length: 2000 }, () => `${ledger.allocate()}\n`).join(''));
  });

  it('prints nothing for --units 0', async () => {
    const file = csv('zero-units.csv', 'code,weight\nA,1\n');
    expect(await run('--municipalities', file, '--units', '0')).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it.each([
    ['a missing file', ['--municipalities', '/nonexistent/weights.csv', '--units', '3'], /file not found/],
    ['a header without weight or population', ['--municipalities', 'header.csv', '--units', '3'], /header/],
    ['a non-integer weight', ['--municipalities', 'fraction.csv', '--units', '3'], /non-negative integer/],
    ['a negative weight', ['--municipalities', 'negative.csv', '--units', '3'], /non-negative integer/],
    ['all-zero weights', ['--municipalities', 'zeros.csv', '--units', '3'], /zero/],
    ['negative --units', ['--municipalities', 'ok.csv', '--units', '-1'], /units/],
    ['fractional --units', ['--municipalities', 'ok.csv', '--units', '1.5'], /units/],
    ['missing --units', ['--municipalities', 'ok.csv'], /--units/],
    ['missing --municipalities', ['--units', '2'], /--municipalities/],
    ['an unknown option', ['--municipalities', 'ok.csv', '--units', '2', '--verbose'], /verbose/],
  ])('exits 2 with a message on stderr for %s', async (_, args, message) => {
    const r = await run(...args.map((a) => (a.endsWith('.csv') && !a.startsWith('/') ? join(dir, a) : a)));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});
