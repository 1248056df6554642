import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams, Page } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { CreatedSubscriptionSchema, CreateSubscriptionBody, DeliverySchema, PageQuery, SubscriptionSchema } from './webhook-schemas.js';
import type { WebhooksService } from './webhook-service.js';

const SUBSCRIBERS = ['municipality', 'housing_corporation', 'coordinator'] as const;

export const webhookRoutes: FastifyPluginAsyncTypebox<{ service: WebhooksService }> = async (app, { service }) => {
  app.post(
    '/webhook-subscriptions',
    {
      config: { roles: SUBSCRIBERS },
      schema: {
        operationId: 'createWebhookSubscription',
        tags: ['Notifications'],
        summary: 'Subscribe an https endpoint to events about families the caller may see (NL GOV CloudEvents, HMAC-signed)',
        description:
          'Events carry ids and links only; fetch the rest with your own token. A municipality hears of families it reports and, ' +
          'from approval on, of families allocated to it; a housing corporation of approved families in its working area. The ' +
          'answer holds the signing secret, once. Deliveries are signed per Standard Webhooks (webhook-id, webhook-timestamp, ' +
          'webhook-signature: v1,base64(HMAC-SHA256(secret, id.timestamp.body))).',
        body: CreateSubscriptionBody,
        response: {
          201: { description: 'Subscribed', ...CreatedSubscriptionSchema, headers: { Location: { type: 'string', description: 'The subscription' } } },
          ...errorResponses(400, 403, 409, 415),
        },
      },
    },
    async (req, reply) => {
      const created = await service.create(actorOf(req.principal, req.traceId), req.principal, req.body);
      reply.header('Location', `/api/v1/webhook-subscriptions/${created.id}`);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/webhook-subscriptions',
    {
      config: { roles: SUBSCRIBERS },
      schema: {
        operationId: 'listWebhookSubscriptions',
        tags: ['Notifications'],
        summary: 'The subscriptions of the caller\'s organisation (the coordinator: all)',
        querystring: PageQuery,
        response: { 200: Page(SubscriptionSchema, 'WebhookSubscriptionPage'), ...errorResponses(400, 403) },
      },
    },
    async (req) => service.list(req.principal, req.query),
  );

  app.get(
    '/webhook-subscriptions/:id',
    {
      config: { roles: SUBSCRIBERS },
      schema: {
        operationId: 'getWebhookSubscription',
        tags: ['Notifications'],
        summary: 'One subscription (without its secret)',
        params: IdParams,
        response: { 200: SubscriptionSchema, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.get(req.principal, req.params.id),
  );

  app.delete(
    '/webhook-subscriptions/:id',
    {
      config: { roles: SUBSCRIBERS },
      schema: {
        operationId: 'deleteWebhookSubscription',
        tags: ['Notifications'],
        summary: 'Unsubscribe; deliveries still waiting are cancelled',
        params: IdParams,
        response: { 204: { description: 'Deleted', type: 'null' }, ...errorResponses(400, 403, 404) },
      },
    },
    async (req, reply) => {
      await service.remove(actorOf(req.principal, req.traceId), req.principal, req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhook-subscriptions/:id/deliveries',
    {
      config: { roles: SUBSCRIBERS },
      schema: {
        operationId: 'listWebhookDeliveries',
        tags: ['Notifications'],
        summary: 'The delivery log of a subscription, newest first: status, attempts, the last answer or error',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: Page(DeliverySchema, 'WebhookDeliveryPage'), ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.deliveries(req.principal, req.params.id, req.query),
  );
};
