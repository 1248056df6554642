import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams, Page } from '../../http/schemas.js';
import { actorOf } from '../audit/audit-service.js';
import { RegistrationSummary, type RegistrationSummaryView } from '../registrations/registrations-schemas.js';
import { AllocationSchema, ListAllocationsQuery, OptionalReasonBody, OutcomeBody, OverrideBody, ReasonBody, TransferBody } from './review-schemas.js';
import type { ReviewService } from './review-service.js';

export const reviewRoutes: FastifyPluginAsyncTypebox<{ service: ReviewService }> = async (app, { service }) => {
  const actor = (req: { principal: Parameters<typeof actorOf>[0]; traceId: string }) => actorOf(req.principal, req.traceId);

  app.get(
    '/allocations',
    {
      config: { roles: ['coordinator', 'municipality'] },
      schema: {
        operationId: 'listAllocations',
        tags: ['Allocations'],
        summary: 'Allocations, oldest family first: by the date the family was reported and registered (the review queue: status=proposed)',
        querystring: ListAllocationsQuery,
        response: { 200: Page(AllocationSchema, 'AllocationPage'), ...errorResponses(400, 403) },
      },
    },
    async (req) => service.list(actor(req), req.principal, req.query),
  );

  app.get(
    '/allocations/:id',
    {
      config: { roles: ['coordinator', 'municipality'] },
      schema: {
        operationId: 'getAllocation',
        tags: ['Allocations'],
        summary: 'One allocation with its explanation',
        params: IdParams,
        response: { 200: AllocationSchema, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => service.get(actor(req), req.principal, req.params.id),
  );

  const decision = (path: string, operationId: string, summaryText: string, roles: ('coordinator' | 'municipality')[], withReason: boolean, run: (req: any) => Promise<any>) =>
    app.post(
      path,
      {
        config: { roles },
        schema: {
          operationId,
          tags: ['Allocations'],
          summary: summaryText,
          params: IdParams,
          ...(withReason ? { body: ReasonBody } : {}),
          response: { 200: AllocationSchema, ...errorResponses(400, 403, 404, 409, 415) },
        },
      },
      run,
    );

  decision('/allocations/:id/approve', 'approveAllocation', 'Approve a proposal (coordinator)', ['coordinator'], false, (req) => service.approve(actor(req), req.principal, req.params.id));
  decision('/allocations/:id/reject', 'rejectAllocation', 'Reject a proposal with a reason; a new proposal is queued that skips every rejected municipality (coordinator)', ['coordinator'], true, (req) =>
    service.reject(actor(req), req.principal, req.params.id, req.body.reason, req.body.category),
  );
  decision('/allocations/:id/accept', 'acceptAllocation', 'Accept an approved family (receiving municipality)', ['municipality'], false, (req) => service.accept(actor(req), req.principal, req.params.id));
  decision('/allocations/:id/decline', 'declineAllocation', 'Decline an approved family with a reason; it goes back to the coordinator (receiving municipality)', ['municipality'], true, (req) =>
    service.decline(actor(req), req.principal, req.params.id, req.body.reason, req.body.category),
  );

  app.post(
    '/registrations/:id/allocations',
    {
      config: { roles: ['coordinator'] },
      schema: {
        operationId: 'overrideAllocation',
        tags: ['Allocations'],
        summary: 'Allocate to a named municipality with a reason (coordinator override; counts as approved)',
        params: IdParams,
        body: OverrideBody,
        response: { 201: AllocationSchema, ...errorResponses(400, 403, 404, 409, 415) },
      },
    },
    async (req, reply) => {
      const allocation = await service.override(actor(req), req.principal, req.params.id, req.body.municipality, req.body.reason);
      reply.header('Location', `/api/v1/allocations/${allocation.id}`);
      return reply.code(201).send(allocation);
    },
  );

  // The answer is the registration as the transition left it (never a 404 for a change that happened).
  const transition = (path: string, operationId: string, summaryText: string, roles: ('coordinator' | 'municipality')[], body: object, run: (req: any) => Promise<RegistrationSummaryView>) =>
    app.post(
      path,
      {
        config: { roles },
        schema: {
          operationId,
          tags: ['Registrations'],
          summary: summaryText,
          params: IdParams,
          body,
          response: { 200: RegistrationSummary, ...errorResponses(400, 403, 404, 409, 415) },
        },
      },
      async (req: any) => run(req),
    );

  transition('/registrations/:id/reproposal', 'reproposeRegistration', 'Queue a registration that needs attention for a new proposal (coordinator)', ['coordinator'], OptionalReasonBody, (req) =>
    service.repropose(actor(req), req.principal, req.params.id, req.body.reason),
  );
  transition('/registrations/:id/transfer', 'transferRegistration', 'The family moved to the receiving municipality; ends the shelter', ['municipality', 'coordinator'], TransferBody, (req) =>
    service.transfer(actor(req), req.principal, req.params.id, req.body.transferredOn),
  );
  transition('/registrations/:id/outcome', 'recordOutcome', 'Record the outcome: housed after transfer, or close earlier (releases the ledger)', ['municipality', 'coordinator'], OutcomeBody, (req) =>
    service.outcome(actor(req), req.principal, req.params.id, req.body.type, req.body.reason),
  );
};
