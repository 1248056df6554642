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

/**
 * Text a client sends must be well-formed Unicode without control characters (tab, line feed and
 * carriage return excepted) and without bidirectional embeddings, overrides or isolates. A lone
 * surrogate does not survive UTF-8: it would be stored as U+FFFD, silently changing the data;
 * U+FFFD itself means the body was not valid UTF-8; NUL and other controls have no place in a name
 * or a note; and an override (U+202E) makes a name display as another (Trojan Source). Checked on
 * every string of every request part, whatever its schema says, after the schema.
 */
const FORBIDDEN_TEXT =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every string value that breaks the text rule, with its JSON pointer (iterative: nesting may be deep). */
function textErrors(data: unknown): AjvLikeError[] {
  const errors: AjvLikeError[] = [];
  const stack: Array<[unknown, string]> = [[data, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (FORBIDDEN_TEXT.test(value)) {
        errors.push({ instancePath: path, keyword: 'text', message: 'must be text without control characters, direction overrides or broken characters', params: {} });
      }
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}/${i}`]);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) stack.push([v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`]);
    }
  }
  return errors;
}

type Validate = ((data: unknown, ctx?: unknown) => boolean) & { errors?: AjvLikeError[] | null; schemaEnv?: unknown };

/**
 * Numbers in a query or path are written in decimal: ajv's coercion would also read `0x10`, `1e2`
 * or ` 5` as numbers, so a proxy and this API would disagree about the value of a parameter.
 */
const DECIMAL = { integer: /^-?[0-9]{1,16}$/, number: /^-?[0-9]{1,16}(\.[0-9]{1,16})?$/ } as const;

function numeralErrors(data: unknown, numeric: ReadonlyArray<[string, 'integer' | 'number']>): AjvLikeError[] {
  if (numeric.length === 0 || data === null || typeof data !== 'object') return [];
  const errors: AjvLikeError[] = [];
  for (const [name, type] of numeric) {
    const raw = (data as Record<string, unknown>)[name];
    if (typeof raw === 'string' && !DECIMAL[type].test(raw)) {
      errors.push({ instancePath: `/${name}`, keyword: 'type', message: `must be ${type === 'integer' ? 'a whole number' : 'a number'} in decimal digits`, params: {} });
    }
  }
  return errors;
}

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const validate = (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as unknown as Validate;
  const properties = ((schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {}) as Record<string, { type?: unknown }>;
  const numeric =
    httpPart === 'body'
      ? []
      : Object.entries(properties).flatMap(([name, s]) => (s.type === 'integer' || s.type === 'number' ? [[name, s.type] as [string, 'integer' | 'number']] : []));
  const checked: Validate = (data, ctx) => {
    // Before ajv, which coerces query and path strings in place.
    const numerals = numeralErrors(data, numeric);
    const valid = validate(data, ctx);
    const text = textErrors(data);
    const errors = [...(valid ? [] : (validate.errors ?? [])), ...numerals, ...text];
    checked.errors = errors.length === 0 ? null : errors;
    return checked.errors === null;
  };
  // Fastify passes the parent object when ajv may replace the root value (coercion, defaults).
  if (validate.schemaEnv) checked.schemaEnv = validate.schemaEnv;
  return checked as unknown as ReturnType<FastifySchemaCompiler<unknown>>;
};

/** Field errors in one problem: enough to fix any real request, not a megabyte for a hostile one. */
export const MAX_FIELD_ERRORS = 100;

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
