import type { ServiceMetrics } from '../modules/metrics/service-metrics.js';
import type { Tracing } from '../modules/tracing/tracing.js';
import type { JobContext, JobHandlers, JobName } from './jobs.js';

/**
 * Every job handler with its metrics (run time by outcome, wait before the first run, failures)
 * and a consumer span continuing the trace its payload carries (`traceparent`), so the spans the
 * job starts (the allocation statement) join the request that queued it.
 */
export function instrumentJobs(handlers: JobHandlers, deps: { queue: string; metrics: ServiceMetrics; tracing: Tracing }): JobHandlers {
  const { queue, metrics, tracing } = deps;
  const wrap = (name: JobName, handler: (payload: never, ctx: JobContext) => Promise<void>) =>
    async (payload: { traceparent?: string }, ctx: JobContext) => {
      const started = performance.now();
      const waited = ctx.attempt === 1 && ctx.queuedAt !== undefined ? Math.max(0, (Date.now() - ctx.queuedAt) / 1000) : undefined;
      let outcome: 'completed' | 'failed' = 'failed';
      try {
        await tracing.inSpan(`${name} process`, () => handler(payload as never, ctx), {
          kind: 'consumer',
          ...(payload.traceparent ? { parent: payload.traceparent } : {}),
          attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.operation.type': 'process', 'spreiding.job.attempt': ctx.attempt },
        });
        outcome = 'completed';
      } finally {
        metrics.jobDone(queue, name, outcome, (performance.now() - started) / 1000, waited);
      }
    };
  const out: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(handlers)) out[name] = wrap(name as JobName, handler as never);
  return out as JobHandlers;
}
