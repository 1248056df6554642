import { Type } from 'typebox';
import { MunicipalityCode, PagingQuery, StringEnum, Timestamp, Uuid } from '../../http/schemas.js';
import { EVENT_TYPES } from './webhook-events.js';

const EventTypeSchema = StringEnum(EVENT_TYPES, 'CloudEvents type (reverse DNS)');

export const CreateSubscriptionBody = Type.Object(
  {
    url: Type.String({
      format: 'uri',
      pattern: '^https?://',
      minLength: 10,
      maxLength: 2000,
      description: 'Where events are POSTed (https; it must resolve to public addresses)',
      examples: ['https://zaken.gemeente.example/spreiding/events'],
    }),
    eventTypes: Type.Optional(Type.Array(EventTypeSchema, { minItems: 1, maxItems: EVENT_TYPES.length, uniqueItems: true, description: 'Only these types; absent: every type' })),
  },
  { additionalProperties: false },
);

const SubscriptionFields = {
  id: Uuid,
  url: Type.String({ maxLength: 2000 }),
  eventTypes: Type.Array(EventTypeSchema, { maxItems: EVENT_TYPES.length, description: 'Empty: every type' }),
  owner: Type.Object(
    {
      role: StringEnum(['municipality', 'housing_corporation', 'coordinator'] as const),
      municipality: Type.Union([MunicipalityCode, Type.Null()]),
    },
    { additionalProperties: false },
  ),
  status: StringEnum(['active', 'retired'] as const, 'retired: the receiver answered 410 Gone; nothing is delivered any more'),
  createdAt: Timestamp,
  retiredAt: Type.Union([Timestamp, Type.Null()]),
};

export const SubscriptionSchema = Type.Object(SubscriptionFields, { additionalProperties: false, title: 'WebhookSubscription' });

export const CreatedSubscriptionSchema = Type.Object(
  {
    ...SubscriptionFields,
    secret: Type.String({
      maxLength: 100,
      description: 'The signing secret (whsec_ + base64 of 32 bytes). Shown only in this answer: store it now.',
    }),
  },
  { additionalProperties: false, title: 'CreatedWebhookSubscription' },
);

export const DeliverySchema = Type.Object(
  {
    id: Uuid,
    eventId: Uuid,
    eventType: EventTypeSchema,
    subject: Uuid,
    eventTime: Timestamp,
    status: StringEnum(['pending', 'delivered', 'failed', 'cancelled'] as const, 'pending: not yet delivered (it is retried); failed: given up'),
    attempts: Type.Integer({ minimum: 0 }),
    lastStatusCode: Type.Union([Type.Integer({ minimum: 0, maximum: 999 }), Type.Null()]),
    lastError: Type.Union([Type.String({ maxLength: 300 }), Type.Null()], { description: 'timeout, unreachable, http_status, … of the last failed attempt' }),
    lastDurationMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    createdAt: Timestamp,
    lastAttemptAt: Type.Union([Timestamp, Type.Null()]),
    deliveredAt: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false, title: 'WebhookDelivery' },
);

export const PageQuery = Type.Object({ ...PagingQuery }, { additionalProperties: false });
