// The one way the page talks to the API: same origin, the bearer token when the page holds one,
// and every failure turned into an ApiProblem with the API's stable code.
import { session } from './session';

export const API_BASE = '/api/v1';

export interface FieldError {
  in: string;
  pointer: string;
  code: string;
  message: string;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    /** The API's catalogue code, or 'network' when no answer came at all. */
    readonly code: string,
    readonly detail: string,
    readonly errors: readonly FieldError[] = [],
    /** The eligibility criteria a registration failed (problem eligibility_failed). */
    readonly criteria: readonly string[] = [],
  ) {
    super(`${status} ${code}`);
    this.name = 'ApiProblem';
  }
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  502: 'service_unavailable',
  503: 'service_unavailable',
  504: 'service_unavailable',
};

async function toProblem(res: Response): Promise<ApiProblem> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await res.json()) as { code?: unknown; detail?: unknown; errors?: unknown; criteria?: unknown };
      const code = typeof body.code === 'string' ? body.code : (CODE_BY_STATUS[res.status] ?? 'internal_error');
      const errors = Array.isArray(body.errors) ? (body.errors as FieldError[]).filter((e) => e && typeof e.pointer === 'string') : [];
      const criteria = Array.isArray(body.criteria) ? (body.criteria as Array<{ criterion?: unknown }>).map((c) => c?.criterion).filter((c): c is string => typeof c === 'string') : [];
      return new ApiProblem(res.status, code, typeof body.detail === 'string' ? body.detail : '', errors, criteria);
    } catch {
      // A proxy's error page that claims to be JSON: fall through to the status.
    }
  }
  return new ApiProblem(res.status, CODE_BY_STATUS[res.status] ?? 'internal_error', '');
}

let unauthorizedHandler: (() => void) | null = null;
/** Called once per 401 from a request made with the session's credentials (expired, revoked). */
export function setUnauthorizedHandler(fn: () => void): void {
  unauthorizedHandler = fn;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH';
  body?: unknown;
  accept?: string;
  /** Use this token instead of the session's (the sign-in page checks a pasted token). */
  token?: string | null;
  signal?: AbortSignal;
  /** Another prefix than /api/v1 (the UI module's own /ui/principal). */
  base?: string;
}

export async function apiRequest(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  const token = opts.token !== undefined ? opts.token : session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${opts.base ?? API_BASE}${path}`, {
      method: opts.method ?? 'GET',
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      // With the OIDC proxy the session cookie is what gets the Authorization header added.
      credentials: 'same-origin',
      cache: 'no-store',
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiProblem(0, 'network', '');
  }
  if (res.ok) return res;
  const problem = await toProblem(res);
  if (problem.status === 401 && opts.token === undefined && session.signedIn) unauthorizedHandler?.();
  throw problem;
}

export async function getJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  return (await apiRequest(path, opts)).json() as Promise<T>;
}

export async function postJson<T>(path: string, body?: unknown): Promise<T> {
  return (await apiRequest(path, { method: 'POST', ...(body !== undefined ? { body } : {}) })).json() as Promise<T>;
}

export async function patchJson<T>(path: string, body: unknown): Promise<T> {
  return (await apiRequest(path, { method: 'PATCH', body })).json() as Promise<T>;
}

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}

/** Largest page the API serves (PAGE_SIZE_MAX). */
export const MAX_PAGE_SIZE = 200;

/**
 * Every item of a paged collection, up to `limit`. The API bounds a page at 200; the review
 * queue and the municipality list are a few hundred rows, so reading them whole keeps
 * filtering and sorting instant and local.
 */
export async function getAll<T>(path: string, limit = 5000): Promise<{ items: T[]; total: number }> {
  const sep = path.includes('?') ? '&' : '?';
  const items: T[] = [];
  let total = 0;
  for (let page = 1; items.length < limit; page++) {
    const res = await getJson<Page<T>>(`${path}${sep}page=${page}&pageSize=${MAX_PAGE_SIZE}`);
    items.push(...res.items);
    total = res.total;
    if (res.items.length === 0 || items.length >= res.total) break;
  }
  return { items: items.slice(0, limit), total };
}
