// The CBS municipality list, read once per sign-in: codes become names everywhere, and the
// override picker and the balances page search it locally.
import { getAll } from './api';
import { onSessionChange } from './session';

export interface Municipality {
  code: string;
  name: string;
  province: string;
  population: number;
  suspended: boolean;
  capacityPerPeriod: number | null;
  active: boolean;
}

let loading: Promise<Map<string, Municipality>> | null = null;
let loaded: Map<string, Municipality> | null = null;

// A failed or unauthenticated read must not stick: the next sign-in reads again.
onSessionChange(() => {
  loading = null;
  loaded = null;
});

export function loadMunicipalities(): Promise<Map<string, Municipality>> {
  loading ??= getAll<Municipality>('/municipalities').then(
    ({ items }) => {
      loaded = new Map(items.map((m) => [m.code, m]));
      return loaded;
    },
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

/** The name when the list is loaded, else the code (never blank). */
export function nameOf(code: string | null | undefined): string {
  if (!code) return '—';
  return loaded?.get(code)?.name ?? code;
}

export function provinceOf(code: string): string | undefined {
  return loaded?.get(code)?.province;
}

// 's-Gravenhage sorts under S, as in the CBS list: the apostrophe does not count.
export const collator = new Intl.Collator('nl-NL', { sensitivity: 'base', numeric: true, ignorePunctuation: true });

export function byName(a: string, b: string): number {
  return collator.compare(nameOf(a), nameOf(b));
}

/** Case, diacritics, spaces and punctuation do not matter: "s gravenhage" finds 's-Gravenhage. */
export const searchKey = (t: string) => t.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * The names people use for municipalities whose official (CBS) name is another. Searching by
 * either finds the municipality; the list shows the official name.
 */
const ALIASES: ReadonlyArray<readonly [string, string]> = [
  ['Den Haag', 'GM0518'],
  ['Den Bosch', 'GM0796'],
];

export function matchesMunicipality(m: Pick<Municipality, 'code' | 'name'>, query: string): boolean {
  const q = searchKey(query);
  if (q === '') return true;
  if (searchKey(m.name).includes(q) || m.code.toLowerCase().includes(q)) return true;
  return ALIASES.some(([alias, code]) => code === m.code && searchKey(alias).includes(q));
}

/** The alias people search by, when there is one ("'s-Gravenhage (Den Haag)"). */
export function displayName(m: Pick<Municipality, 'code' | 'name'>): string {
  const alias = ALIASES.find(([a, code]) => code === m.code && !searchKey(m.name).includes(searchKey(a)));
  return alias ? `${m.name} (${alias[0]})` : m.name;
}
