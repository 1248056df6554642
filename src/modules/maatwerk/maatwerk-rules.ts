// What a family needs against what municipalities can offer (DESIGN §5 maatwerk). Pure: the
// allocation service turns a registration, the profiles, the needs policy and the declared
// capacity into the engine's hard removals and soft preferences, and back into Dutch.
import type { Exclusion, Preference } from '../allocation/engine/index.js';
import type { Facilities } from '../../db/schema/index.js';

export const NEED_KINDS = ['medicalCare', 'specialEducation', 'accessibleHousing', 'largeDwelling', 'languageSupport'] as const;
export type NeedKind = (typeof NEED_KINDS)[number];
export type NeedMode = 'hard' | 'soft';

/** The facility in a municipality's profile that meets each need. */
export const FACILITY_OF: Record<NeedKind, keyof Facilities> = {
  medicalCare: 'medicalCare',
  specialEducation: 'specialEducation',
  accessibleHousing: 'accessibleDwellings',
  largeDwelling: 'largeDwellings',
  languageSupport: 'languageSupport',
};
export const FACILITIES = ['medicalCare', 'specialEducation', 'accessibleDwellings', 'largeDwellings', 'languageSupport'] as const satisfies ReadonlyArray<keyof Facilities>;

/** A family asking for at least this many bedrooms needs a large dwelling (the profile's 4+ bedrooms). */
export const LARGE_DWELLING_BEDROOMS = 4;

export const REGION_KINDS = ['labour_market', 'wmo', 'province'] as const;
export type RegionKind = (typeof REGION_KINDS)[number];

export interface NeedsPolicy {
  /** 0: the built-in default, never stored. */
  version: number;
  needs: Record<NeedKind, NeedMode>;
  /** How a municipality that has not stated a facility counts for a hard need. */
  unknownProfile: 'available' | 'unavailable';
}

/** Every need hard; a municipality without a statement is not removed (most have no profile yet). */
export const DEFAULT_NEEDS_POLICY: NeedsPolicy = {
  version: 0,
  needs: Object.fromEntries(NEED_KINDS.map((k) => [k, 'hard'])) as Record<NeedKind, NeedMode>,
  unknownProfile: 'available',
};

/** The needs a registration's `needs` object asks for, in NEED_KINDS order. */
export function familyNeeds(needs: Record<string, unknown>): NeedKind[] {
  const out: NeedKind[] = [];
  if (needs.medicalCare === true) out.push('medicalCare');
  if (needs.specialEducation === true) out.push('specialEducation');
  if (needs.accessibleHousing === true) out.push('accessibleHousing');
  if (typeof needs.minimumBedrooms === 'number' && needs.minimumBedrooms >= LARGE_DWELLING_BEDROOMS) out.push('largeDwelling');
  if (needs.languageSupport === true) out.push('languageSupport');
  return out;
}

export interface ProfileRow {
  municipality: string;
  facilities: Facilities;
  labourMarketRegion: string | null;
  wmoRegion: string | null;
}

export interface MunicipalityRef {
  code: string;
  name: string;
  province: string;
  active: boolean;
}

/** Profiles turned into code lists per need and per region, built once per profile change. */
export interface ProfileIndex {
  /** Active codes whose profile says they cannot offer it (plus the unstated ones, if the policy says so). */
  lacking: ReadonlyMap<NeedKind, readonly string[]>;
  /** Active codes whose profile says they can offer it. */
  offering: ReadonlyMap<NeedKind, readonly string[]>;
  regions: Readonly<Record<RegionKind, ReadonlyMap<string, readonly string[]>>>;
  names: ReadonlyMap<string, string>;
}

export function buildProfileIndex(municipalities: readonly MunicipalityRef[], profiles: readonly ProfileRow[], policy: NeedsPolicy): ProfileIndex {
  const byCode = new Map(profiles.map((p) => [p.municipality, p]));
  const lacking = new Map<NeedKind, string[]>(NEED_KINDS.map((k) => [k, []]));
  const offering = new Map<NeedKind, string[]>(NEED_KINDS.map((k) => [k, []]));
  const regions: Record<RegionKind, Map<string, string[]>> = { labour_market: new Map(), wmo: new Map(), province: new Map() };
  const add = (m: Map<string, string[]>, key: string | null, code: string) => {
    if (key === null) return;
    const list = m.get(key) ?? [];
    list.push(code);
    m.set(key, list);
  };
  for (const m of municipalities) {
    if (!m.active) continue;
    const p = byCode.get(m.code);
    for (const kind of NEED_KINDS) {
      const stated = p?.facilities[FACILITY_OF[kind]];
      if (stated === true) offering.get(kind)!.push(m.code);
      else if (stated === false || policy.unknownProfile === 'unavailable') lacking.get(kind)!.push(m.code);
    }
    add(regions.province, m.province, m.code);
    add(regions.labour_market, p?.labourMarketRegion ?? null, m.code);
    add(regions.wmo, p?.wmoRegion ?? null, m.code);
  }
  return { lacking, offering, regions, names: new Map(municipalities.map((m) => [m.code, m.name])) };
}

export interface OpenDeclaration {
  id: string;
  municipality: string;
  kind: 'dwelling' | 'flex_unit';
  remaining: number;
  bedrooms: number;
  accessible: boolean;
  createdAt: string;
}

export interface FamilyShape {
  needs: Record<string, unknown>;
  regionRestriction: { kind: RegionKind; code: string } | null;
  workRegion: string | null;
}

const matches = (d: OpenDeclaration, needs: Record<string, unknown>) =>
  d.remaining > 0 &&
  d.bedrooms >= (typeof needs.minimumBedrooms === 'number' ? needs.minimumBedrooms : 1) &&
  (needs.accessibleHousing !== true || d.accessible);

/**
 * The declaration a family allocated to `code` is booked against: the smallest dwelling that
 * fits, an accessible one only when needed or when nothing else fits, then the oldest declaration.
 */
export function pickDeclaration(open: readonly OpenDeclaration[], code: string, needs: Record<string, unknown>): OpenDeclaration | undefined {
  const fitting = open.filter((d) => d.municipality === code && matches(d, needs));
  fitting.sort((a, b) => a.bedrooms - b.bedrooms || Number(a.accessible) - Number(b.accessible) || (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  return fitting[0];
}

export interface MaatwerkPlan {
  excluded: Exclusion[];
  region: readonly string[] | undefined;
  preferences: Preference[];
  needs: Array<{ kind: NeedKind; mode: NeedMode }>;
}

export const WORK_REGION_PREFERENCE = 'work_region';
export const CAPACITY_PREFERENCE = 'declared_capacity';
export const needPreference = (kind: NeedKind) => `need:${kind}`;
export const needReason = (kind: NeedKind) => `need_unmet:${kind}`;

/**
 * Hard removals and soft preferences for one family. Preferences in their stated order (the
 * engine puts the network first): work region, declared matching capacity, then soft needs.
 */
export function planFor(family: FamilyShape, index: ProfileIndex, policy: NeedsPolicy, open: readonly OpenDeclaration[]): MaatwerkPlan {
  const excluded: Exclusion[] = [];
  const preferences: Preference[] = [];
  const needs = familyNeeds(family.needs).map((kind) => ({ kind, mode: policy.needs[kind] }));
  if (family.workRegion !== null) {
    preferences.push({ kind: WORK_REGION_PREFERENCE, codes: index.regions.labour_market.get(family.workRegion) ?? [] });
  }
  const capacity = new Set(open.filter((d) => matches(d, family.needs)).map((d) => d.municipality));
  if (capacity.size > 0) preferences.push({ kind: CAPACITY_PREFERENCE, codes: capacity });
  for (const n of needs) {
    if (n.mode === 'hard') for (const code of index.lacking.get(n.kind) ?? []) excluded.push({ code, reason: needReason(n.kind) });
    else preferences.push({ kind: needPreference(n.kind), codes: index.offering.get(n.kind) ?? [] });
  }
  const r = family.regionRestriction;
  return { excluded, region: r ? (index.regions[r.kind].get(r.code) ?? []) : undefined, preferences, needs };
}
