import { Ajv, type Options } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from './errors.js';

// ajv-formats ships CommonJS; its default export arrives nested under ESM interop.
const addFormats = ((addFormatsImport as unknown as { default?: typeof addFormatsImport }).default ?? addFormatsImport) as unknown as (
  ajv: Ajv,
) => void;

const common: Options = {
  allErrors: true, // every field-level error at once (ADR)
  removeAdditional: false, // unknown properties are refused, not silently dropped
  useDefaults: true,
  strict: false,
};

/** Bodies are JSON and must have the right types; query strings and paths arrive as text. */
const bodyAjv = new Ajv({ ...common, coerceTypes: false });
const textAjv = new Ajv({ ...common, coerceTypes: 'array' });
addFormats(bodyAjv);
addFormats(textAjv);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;

interface AjvLikeError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** A union (e.g. integer or null) fails once per branch; the most specific failure says most. */
const rank = (keyword: string) => (keyword === 'anyOf' || keyword === 'oneOf' ? 0 : keyword === 'type' ? 1 : 2);

export function toFieldErrors(part: string | undefined, errors: readonly AjvLikeError[]): FieldError[] {
  const where: FieldError['in'] = part === 'querystring' ? 'query' : part === 'params' ? 'path' : part === 'headers' ? 'header' : 'body';
  const all = errors.map((e) => {
    let pointer = e.instancePath || '';
    let message = e.message ?? 'is not valid';
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      pointer = `${pointer}/${e.params.additionalProperty}`;
      message = 'is not a known property';
    } else if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') {
      pointer = `${pointer}/${e.params.missingProperty}`;
      message = 'is required';
    }
    return { in: where, pointer: pointer || '/', code: e.keyword, message };
  });
  const best = new Map<string, FieldError>();
  for (const e of all) {
    const seen = best.get(e.pointer);
    if (!seen || rank(e.code) > rank(seen.code)) best.set(e.pointer, e);
  }
  return [...best.values()];
}
