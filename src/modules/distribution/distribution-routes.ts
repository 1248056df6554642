import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import {
  BalancesQuery, BalancesView, CloseQuery, CloseView, KeyBody, KeyQuery, KeyView, MergeBody, MergeView, PeriodParams, ShelterCreditRunView,
} from './distribution-schemas.js';
import type { DistributionService } from './distribution-service.js';

export const distributionRoutes: FastifyPluginAsyncTypebox<{ service: DistributionService }> = async (app, { service }) => {
  app.get(
    '/distribution/key',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'getDistributionKey',
        tags: ['Distribution'],
        summary: 'The current distribution key (or an earlier version): definition, exact weights and each municipality\'s share',
        querystring: KeyQuery,
        response: { 200: KeyView, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.getKey(req.query.version),
  );

  app.put(
    '/distribution/key',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'setDistributionKey',
        tags: ['Distribution'],
        summary: 'Adopt a new key version (population, composite of attributes, or a fixed table); it applies from the next allocation',
        description:
          'Every PUT creates a new version; versions are never changed or reused, and each allocation records the version it used. ' +
          'Composite weights are computed exactly (integers over a common denominator). All problems of a body are reported at once.',
        body: KeyBody,
        response: { 200: KeyView, ...errorResponses(400, 403, 415) },
      },
    },
    async (req) => service.putKey(actorOf(req.principal, req.traceId), req.body),
  );

  app.get(
    '/distribution/balances',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'getDistributionBalances',
        tags: ['Distribution'],
        summary: 'Every municipality\'s entitlement, proposed, approved, realised and balance in a period',
        description: 'All municipalities in one response (or one province). Fractions are exact ("num/den"); the *Display numbers are rounded.',
        querystring: BalancesQuery,
        response: { 200: BalancesView, ...errorResponses(400, 403) },
      },
    },
    async (req) => service.balances(req.query),
  );

  app.post(
    '/distribution/periods/:period/close',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'closeDistributionPeriod',
        tags: ['Distribution'],
        summary: 'Close a period: snapshot every balance and carry clamp(factor × balance, ±cap) into the next period',
        description:
          'Periods close once and in order, after their last day (Europe/Amsterdam); 409 otherwise. force=true closes the current ' +
          'period early. A scheduled job closes ended periods by itself.',
        params: PeriodParams,
        querystring: CloseQuery,
        response: { 200: CloseView, ...errorResponses(400, 403, 409) },
      },
    },
    async (req) => service.closePeriod(actorOf(req.principal, req.traceId), req.params.period, { force: req.query.force }),
  );

  app.post(
    '/distribution/mergers',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'mergeMunicipalities',
        tags: ['Distribution'],
        summary: 'Herindeling: move the balances of merged municipalities to the new one and deactivate the old codes',
        description: 'The current key must already give the old codes weight 0 (409 otherwise). Repeatable: a second call moves any balance left since.',
        body: MergeBody,
        response: { 200: MergeView, ...errorResponses(400, 403, 409, 415) },
      },
    },
    async (req) => service.merge(actorOf(req.principal, req.traceId), req.body),
  );

  app.post(
    '/distribution/shelter-credits',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'bookShelterCredits',
        tags: ['Distribution'],
        summary: 'Book the current period\'s shelter credits now (the hourly job does it too)',
        description:
          'With the key option shelterCredit, every family sheltered for more than minimumNights nights in the period, not yet credited, ' +
          'moves its units of entitlement from its reporting municipality to the others in proportion to the key. Idempotent.',
        response: { 200: ShelterCreditRunView, ...errorResponses(400, 403) },
      },
    },
    async (req) => service.bookShelterCredits(actorOf(req.principal, req.traceId)),
  );
};
