// Who is signed in. The token lives in this module's memory only: never in localStorage,
// sessionStorage or a cookie, so it is gone when the tab closes or reloads, and no other page
// script or browser extension storage dump can pick it up later.
//
// Two ways to be signed in:
// - 'token': the page holds a bearer token (embedded sign-in, or one pasted by an operator);
// - 'proxy': the organisation's OIDC proxy adds the Authorization header to every API request
//   on its own, and the page sends none.

export type SessionMode = 'token' | 'proxy';
export type Role = 'coordinator' | 'municipality' | 'housing_corporation' | 'policy_viewer' | 'admin';

/** Who the desks are for: the role, and the municipality or working area it speaks for. */
export interface Who {
  role: Role;
  /** Own GM code, for a municipality. */
  municipality: string | null;
  /** Working area, for a housing corporation. */
  municipalities: readonly string[];
}

interface State extends Who {
  mode: SessionMode | null;
  token: string | null;
  /** From the token's exp claim, for the header; the API is the judge of validity. */
  expiresAt: Date | null;
}

const NOBODY: Omit<State, 'mode'> = { token: null, expiresAt: null, role: 'coordinator', municipality: null, municipalities: [] };
const state: State = { mode: null, ...NOBODY };
const listeners = new Set<() => void>();

export const session = {
  get mode() {
    return state.mode;
  },
  get token() {
    return state.token;
  },
  get expiresAt() {
    return state.expiresAt;
  },
  get role() {
    return state.role;
  },
  get municipality() {
    return state.municipality;
  },
  get municipalities() {
    return state.municipalities;
  },
  get signedIn() {
    return state.mode !== null;
  },
};

export function onSessionChange(fn: () => void): void {
  listeners.add(fn);
}

function changed() {
  for (const fn of listeners) fn();
}

export const ROLES: readonly Role[] = ['coordinator', 'municipality', 'housing_corporation', 'policy_viewer', 'admin'];

/** The role claims of a token or of GET /ui/principal; null when they do not describe a desk user. */
export function whoFrom(claims: Claims | null): Who | null {
  if (!claims || typeof claims.role !== 'string' || !(ROLES as readonly string[]).includes(claims.role)) return null;
  const role = claims.role as Role;
  const municipality = typeof claims.municipality === 'string' ? claims.municipality : null;
  const municipalities = Array.isArray(claims.municipalities) ? claims.municipalities.filter((m): m is string => typeof m === 'string') : [];
  if (role === 'municipality' && !municipality) return null;
  if (role === 'housing_corporation' && municipalities.length === 0) return null;
  return { role, municipality: role === 'municipality' ? municipality : null, municipalities: role === 'housing_corporation' ? municipalities : [] };
}

export function signInWithToken(token: string, who: Who): void {
  const claims = readClaims(token);
  Object.assign(state, { mode: 'token', token, ...who });
  state.expiresAt = typeof claims?.exp === 'number' ? new Date(claims.exp * 1000) : null;
  changed();
}

export function signInThroughProxy(who: Who): void {
  Object.assign(state, { mode: 'proxy', ...NOBODY, ...who });
  changed();
}

export function signOut(): void {
  Object.assign(state, { mode: null, ...NOBODY });
  changed();
}

export interface Claims {
  sub?: unknown;
  role?: unknown;
  exp?: unknown;
  municipality?: unknown;
  municipalities?: unknown;
}

/**
 * The payload of a JWT, unverified: only to tell an operator early that a pasted token is for
 * the wrong role or has expired. The API verifies the signature on every request.
 */
export function readClaims(token: string): Claims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' ? (value as Claims) : null;
  } catch {
    return null;
  }
}
