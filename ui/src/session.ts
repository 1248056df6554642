// Who is signed in. The token lives in this module's memory only: never in localStorage,
// sessionStorage or a cookie, so it is gone when the tab closes or reloads, and no other page
// script or browser extension storage dump can pick it up later.
//
// Two ways to be signed in:
// - 'token': the page holds a bearer token (embedded sign-in, or one pasted by an operator);
// - 'proxy': the organisation's OIDC proxy adds the Authorization header to every API request
//   on its own, and the page sends none.

export type SessionMode = 'token' | 'proxy';

interface State {
  mode: SessionMode | null;
  token: string | null;
  /** From the token's exp claim, for the header; the API is the judge of validity. */
  expiresAt: Date | null;
  subject: string | null;
}

const state: State = { mode: null, token: null, expiresAt: null, subject: null };
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
  get subject() {
    return state.subject;
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

export function signInWithToken(token: string): void {
  const claims = readClaims(token);
  state.mode = 'token';
  state.token = token;
  state.expiresAt = typeof claims?.exp === 'number' ? new Date(claims.exp * 1000) : null;
  state.subject = typeof claims?.sub === 'string' ? claims.sub : null;
  changed();
}

export function signInThroughProxy(): void {
  state.mode = 'proxy';
  state.token = null;
  state.expiresAt = null;
  state.subject = null;
  changed();
}

export function signOut(): void {
  state.mode = null;
  state.token = null;
  state.expiresAt = null;
  state.subject = null;
  changed();
}

export interface Claims {
  sub?: unknown;
  role?: unknown;
  exp?: unknown;
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
