// A reason for a decision (reject, decline, override, re-propose, close): the API wants at least
// REASON_MIN characters, so a shorter one is refused here, before any confirmation is asked.
import { ApiProblem } from './api';
import { textArea, type Field, type FieldsByPointer } from './forms';

/** The API's minLength for every reason (ReasonBody, OverrideBody, DeclineBody). */
export const REASON_MIN = 3;
export const REASON_MAX = 2000;

export function reasonField(description: string, label = 'Reden'): Field<HTMLTextAreaElement> {
  return textArea({ label, description, attrs: { rows: 3, maxlength: REASON_MAX, 'aria-required': 'true' } });
}

/** The trimmed reason, or null after showing what is wrong and moving focus to the field. */
export function readReason(field: Field<HTMLTextAreaElement>, opts: { optional?: boolean } = {}): string | null {
  const text = field.input.value.trim();
  const problem =
    text === '' ? (opts.optional ? null : 'Vul een reden in.') : text.length < REASON_MIN ? `Vul een reden van minstens ${REASON_MIN} tekens in.` : null;
  field.setError(problem);
  if (problem) {
    field.input.focus();
    return null;
  }
  return text;
}

/** Puts each field error the API returned next to its field; clears the others. */
export function applyFieldErrors(err: unknown, fields: FieldsByPointer): void {
  if (!(err instanceof ApiProblem)) return;
  for (const [pointer, field] of Object.entries(fields)) {
    const e = err.errors.find((x) => x.pointer === pointer);
    field.setError(e ? (e.code === 'minLength' ? 'Deze waarde is te kort.' : e.code === 'maxLength' ? 'Deze waarde is te lang.' : e.code === 'required' ? 'Dit veld is verplicht.' : 'Deze waarde is niet geldig.') : null);
  }
}
