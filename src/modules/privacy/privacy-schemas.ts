import { Type, type Static } from 'typebox';
import { StringEnum, Timestamp, Uuid } from '../../http/schemas.js';

/**
 * Why a case's personal data is erased before its retention period ends. A ground, not free text:
 * the reason outlives the data in the history and the audit log, so it may not hold personal data.
 */
export const ERASURE_GROUNDS = ['data_subject_request', 'unlawful_processing', 'objection', 'registered_in_error'] as const;
export type ErasureGround = (typeof ERASURE_GROUNDS)[number] | 'retention_period';

export const ErasureBody = Type.Object(
  {
    reason: StringEnum(ERASURE_GROUNDS, 'The ground: a request of the data subject (AVG art. 17), unlawful processing, an objection (art. 21), or a registration made in error'),
    reference: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._/-]+$', description: 'Your reference of the request (a case number; no names): kept in the audit log' }),
    ),
  },
  { additionalProperties: false },
);
export type Erasure = Static<typeof ErasureBody>;

export const ErasureResult = Type.Object(
  {
    registrationId: Uuid,
    pseudonymisedAt: Timestamp,
    reason: StringEnum(ERASURE_GROUNDS),
  },
  { additionalProperties: false },
);
