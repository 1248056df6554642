// Schemas shared by every module. Every string and array is bounded.
import { Type, type TSchema } from 'typebox';
import { ERRORS, type ErrorCode } from './errors.js';

/** A string enum (a plain `enum` in the OpenAPI document, typed as the union of its values). */
export const StringEnum = <const T extends readonly string[]>(values: T, description?: string) =>
  Type.Enum(values as unknown as T[number][], { type: 'string', ...(description ? { description } : {}) });

export const MunicipalityCode = Type.String({ pattern: '^GM[0-9]{4}$', minLength: 6, maxLength: 6, description: 'CBS municipality code', examples: ['GM0363'] });
export const Uuid = Type.String({ format: 'uuid', maxLength: 36, minLength: 36 });
export const CalendarDate = Type.String({ format: 'date', maxLength: 10, minLength: 10, description: 'Calendar date, YYYY-MM-DD' });
export const Timestamp = Type.String({ format: 'date-time', maxLength: 40 });
/**
 * A nullable date as OpenAPI 3.0 writes it (`nullable`), not as a union: the ADR linter wants
 * `format: date` on every *Date property itself. Ajv and the serializer both honour `nullable`.
 */
export const NullableDate = (description: string) =>
  Type.Unsafe<string | null>({ type: 'string', format: 'date', minLength: 10, maxLength: 10, nullable: true, description });
export const Reason = Type.String({ minLength: 3, maxLength: 2000, description: 'Why; shown to the coordinator and kept in the history (encrypted at rest).' });
/** Years 2000–2099: year 0 is not a date PostgreSQL knows, and nothing here predates 2000 (PERIOD_PATTERN agrees). */
export const Period = Type.String({ pattern: '^20[0-9]{2}-H[12]$', minLength: 7, maxLength: 7, description: 'Half-year period (2000–2099)', examples: ['2026-H1'] });

export const PAGE_SIZE_MAX = 200;
export const PagingQuery = {
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: PAGE_SIZE_MAX, default: 50 }),
};

export function Page<T extends TSchema>(item: T, name: string) {
  return Type.Object(
    {
      items: Type.Array(item, { maxItems: PAGE_SIZE_MAX }),
      page: Type.Integer({ minimum: 1 }),
      pageSize: Type.Integer({ minimum: 1 }),
      total: Type.Integer({ minimum: 0 }),
    },
    { $id: undefined, title: name },
  );
}

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

const FieldErrorSchema = Type.Object({
  in: Type.Union([Type.Literal('body'), Type.Literal('query'), Type.Literal('path'), Type.Literal('header')]),
  pointer: Type.String({ maxLength: 500 }),
  code: Type.String({ maxLength: 100 }),
  message: Type.String({ maxLength: 500 }),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ maxLength: 200 }),
    title: Type.String({ maxLength: 200 }),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.String({ maxLength: 2000 }),
    code: Type.String({ maxLength: 100, enum: Object.keys(ERRORS) }),
    instance: Type.Optional(Type.String({ maxLength: 500 })),
    errors: Type.Optional(Type.Array(FieldErrorSchema, { maxItems: 1000 })),
    criteria: Type.Optional(
      Type.Array(Type.Object({ criterion: Type.String({ maxLength: 100 }), message: Type.String({ maxLength: 500 }) }), { maxItems: 20 }),
    ),
  },
  { description: 'RFC 9457 problem details' },
);

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request', 401: 'Not authenticated', 403: 'Forbidden', 404: 'Not found', 406: 'Not acceptable',
  409: 'Conflict with the current state', 413: 'Body too large', 415: 'Unsupported media type', 422: 'Unprocessable',
  429: 'Too many requests', 500: 'Internal error', 503: 'Temporarily unavailable',
};

/** Error responses for a route's schema; 401, 429, 500 and 503 are possible on every protected route. */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const s of new Set([...statuses, 401, 429, 500, 503])) {
    out[s] = { description: STATUS_TEXT[s] ?? 'Error', content: { 'application/problem+json': { schema: ProblemSchema } } };
  }
  return out;
}

/** Codes a route can answer with, for documentation and tests. */
export type RouteErrorCode = ErrorCode;
