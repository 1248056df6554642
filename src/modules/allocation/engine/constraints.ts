import { EngineInputError, type ChoiceRequest, type RemovedByConstraint } from './types.js';

/** The family's constraints as index sets, plus what the explanation says about them. */
export interface ResolvedConstraints {
  readonly allowed: (i: number) => boolean;
  readonly allowedCount: number;
  /** Region members (known codes), or null when no region restricts the choice. */
  readonly region: ReadonlySet<number> | null;
  /** Every excluded index once (exclusions only, not the region). */
  readonly excludedIndices: readonly number[];
  readonly removed: readonly RemovedByConstraint[];
  readonly unknownCodes: readonly string[];
  /** Allowed network municipalities, in code order. */
  readonly network: readonly number[];
  /** All known network codes asked for, in code order. */
  readonly networkCodes: readonly string[];
  readonly networkNotAllowed: readonly string[];
  /**
   * Preferences in priority order, the network first when asked for: a mask per preference
   * (1 = satisfies) and its allowed members in code order.
   */
  readonly preferences: readonly ResolvedPreference[];
  /** The first reason (in the order given) that removed municipality i; null when it is allowed. */
  reasonOf(i: number): string | null;
}

export interface ResolvedPreference {
  readonly kind: string;
  readonly mask: Uint8Array;
  readonly members: readonly number[];
}

/** More preferences than this cannot be ranked lexicographically in one integer score. */
export const MAX_PREFERENCES = 24;

export const OUTSIDE_REGION = 'outside_region';
/** The preference kind of the family's network municipalities; always ranked first. */
export const NETWORK_PREFERENCE = 'network';

/**
 * Turns codes into ledger indices. Unknown codes are reported, not fatal: a family exclusion
 * naming a municipality that no longer exists (herindeling) must not block the allocation.
 * Cost is O(|excluded| + |region| + |network|), plus up to O(n) to list codes outside a region.
 */
export function resolveConstraints(
  request: Pick<ChoiceRequest, 'excluded' | 'region' | 'network' | 'preferences'>,
  index: ReadonlyMap<string, number>,
  codes: readonly string[],
  maxListed: number,
): ResolvedConstraints {
  const unknown = new Set<string>();
  const byReason = new Map<string, Set<number>>();
  const excluded = new Set<number>();
  for (const ex of request.excluded ?? []) {
    const i = index.get(ex.code);
    if (i === undefined) {
      unknown.add(ex.code);
      continue;
    }
    const reason = ex.reason.length > 0 ? ex.reason : 'unspecified';
    let set = byReason.get(reason);
    if (!set) byReason.set(reason, (set = new Set()));
    set.add(i);
    excluded.add(i);
  }

  let region: Set<number> | null = null;
  if (request.region !== undefined) {
    region = new Set();
    for (const code of request.region) {
      const i = index.get(code);
      if (i === undefined) unknown.add(code);
      else region.add(i);
    }
  }

  const removed: RemovedByConstraint[] = [];
  for (const [reason, set] of byReason) removed.push(listed(reason, [...set].sort((a, b) => a - b), codes, maxListed));
  let allowedCount: number;
  if (region) {
    const outside: number[] = [];
    for (let i = 0; i < codes.length && outside.length < maxListed; i++) if (!region.has(i)) outside.push(i);
    const outsideCount = codes.length - region.size;
    removed.push({
      reason: OUTSIDE_REGION,
      count: outsideCount,
      codes: outside.map((i) => codes[i] as string),
      codesOmitted: outsideCount - outside.length,
    });
    allowedCount = 0;
    for (const i of region) if (!excluded.has(i)) allowedCount++;
  } else {
    allowedCount = codes.length - excluded.size;
  }

  // A mask rather than set lookups: the allowed check sits on the hot path of every choice.
  const blocked = new Uint8Array(codes.length);
  if (region) {
    blocked.fill(1);
    for (const i of region) blocked[i] = 0;
  }
  for (const i of excluded) blocked[i] = 1;
  const allowed = (i: number): boolean => blocked[i] === 0;

  const networkIdx = new Set<number>();
  for (const code of request.network ?? []) {
    const i = index.get(code);
    if (i === undefined) unknown.add(code);
    else networkIdx.add(i);
  }
  const networkSorted = [...networkIdx].sort((a, b) => a - b);

  const preferences: ResolvedPreference[] = [];
  const addPreference = (kind: string, members: Iterable<number>) => {
    const mask = new Uint8Array(codes.length);
    const allowedMembers: number[] = [];
    for (const i of members) {
      if (mask[i] === 1) continue;
      mask[i] = 1;
      if (blocked[i] === 0) allowedMembers.push(i);
    }
    allowedMembers.sort((a, b) => a - b);
    preferences.push({ kind, mask, members: allowedMembers });
  };
  if (request.network !== undefined && networkSorted.length > 0) addPreference(NETWORK_PREFERENCE, networkSorted);
  for (const p of request.preferences ?? []) {
    const members: number[] = [];
    for (const code of p.codes) {
      const i = index.get(code);
      if (i === undefined) unknown.add(code);
      else members.push(i);
    }
    addPreference(p.kind, members);
  }
  if (preferences.length > MAX_PREFERENCES) throw new EngineInputError('invalid_state', `at most ${MAX_PREFERENCES} preferences per choice`);

  const reasonOf = (i: number): string | null => {
    if (blocked[i] === 0) return null;
    for (const [reason, set] of byReason) if (set.has(i)) return reason;
    return OUTSIDE_REGION;
  };

  return {
    reasonOf,
    preferences,
    allowed,
    allowedCount,
    region,
    excludedIndices: [...excluded],
    removed,
    unknownCodes: [...unknown].sort().slice(0, maxListed),
    network: networkSorted.filter(allowed),
    networkCodes: networkSorted.map((i) => codes[i] as string),
    networkNotAllowed: networkSorted.filter((i) => !allowed(i)).map((i) => codes[i] as string),
  };
}

function listed(reason: string, sorted: number[], codes: readonly string[], maxListed: number): RemovedByConstraint {
  return {
    reason,
    count: sorted.length,
    codes: sorted.slice(0, maxListed).map((i) => codes[i] as string),
    codesOmitted: Math.max(0, sorted.length - maxListed),
  };
}
