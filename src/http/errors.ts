// The error catalogue: every problem a client can meet, with a stable code. Rendered once, by
// the error handler, as RFC 9457 application/problem+json.

export const ERRORS = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  eligibility_failed: { status: 400, title: 'The family does not meet the eligibility criteria' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'Not allowed for this caller' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  not_acceptable: { status: 406, title: 'No acceptable representation' },
  duplicate_registration: { status: 409, title: 'A household member is already in an active registration' },
  illegal_transition: { status: 409, title: 'This action is not possible in the current state' },
  overlapping_shelter_stay: { status: 409, title: 'The shelter stay overlaps another stay of this family' },
  shelter_stay_locked: { status: 409, title: 'The shelter stay is evidence of a closed period or case; record a correction' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  idempotency_key_reused: { status: 422, title: 'The Idempotency-Key was used for a different request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal server error' },
  service_unavailable: { status: 503, title: 'The service is temporarily unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** A field-level error: where (a JSON pointer into the request part) and what. */
export interface FieldError {
  in: 'body' | 'query' | 'path' | 'header';
  pointer: string;
  code: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; criteria?: { criterion: string; message: string }[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = ERRORS[code].status;
  }
}

export const PROBLEM_TYPE_BASE = 'urn:nl:spreiding:problem:';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  errors?: FieldError[];
  criteria?: { criterion: string; message: string }[];
}

export function problemBody(err: AppError, instance?: string): ProblemBody {
  const body: ProblemBody = {
    type: PROBLEM_TYPE_BASE + err.code,
    title: ERRORS[err.code].title,
    status: err.status,
    detail: err.detail,
    code: err.code,
  };
  if (instance) body.instance = instance;
  if (err.extra.errors) body.errors = err.extra.errors;
  if (err.extra.criteria) body.criteria = err.extra.criteria;
  return body;
}

export const notFound = (what: string) => new AppError('not_found', `${what} does not exist or is not visible to you.`);
export const illegalTransition = (detail: string) => new AppError('illegal_transition', detail);
