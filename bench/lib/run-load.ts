// Runs the load generator (bench/lib/load.ts) in a process of its own and reads its result;
// every run gets BSNs no earlier run used, so each request is a new, valid family.
import type { LoadResult, LoadSpec } from './load.js';
import { spawnService } from './stack.js';

/** 8-digit BSN bases per load run: three per request, far more than any run sends. */
const BSN_BLOCK = 2_000_000;

export function createLoadRunner(reportingMunicipality: string, problems: string[]) {
  let nextBsnBlock = 10_000_000;
  return async function runLoad(spec: Omit<LoadSpec, 'bsnStart' | 'reportingMunicipality'>): Promise<LoadResult> {
    const full: LoadSpec = { ...spec, bsnStart: nextBsnBlock, reportingMunicipality };
    nextBsnBlock += BSN_BLOCK;
    const load = spawnService('load', 'bench/lib/load.ts', { LOAD_SPEC: JSON.stringify(full) });
    const code = await load.exited;
    const line = load.output().split('\n').find((l) => l.startsWith('RESULT '));
    if (code !== 0 || !line) throw new Error(`load generator failed (exit ${code}):\n${load.output().slice(-3000)}`);
    const result = JSON.parse(line.slice('RESULT '.length)) as LoadResult;
    if (result.ok * 3 > BSN_BLOCK) throw new Error('a load run used more BSNs than its block holds');
    const bad = Object.entries(result.statuses).filter(([s]) => !s.startsWith('2'));
    if (bad.length > 0 || result.errors > 0) problems.push(`${spec.url}${spec.path}: non-2xx ${JSON.stringify(Object.fromEntries(bad))}, errors ${result.errors}`);
    return result;
  };
}
