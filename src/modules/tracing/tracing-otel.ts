// The OpenTelemetry SDK behind Tracing, loaded only when traces are exported. Nothing is
// registered globally: the provider and the context manager belong to this container, so two
// containers in one process (tests) keep their spans apart.
import { pooledRandomBytes } from '../../lib/random-pool.js';
import { ROOT_CONTEXT, SpanKind as OtelKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import { parseTraceparent, type OpenSpan, type SpanKind, type SpanOptions, type Tracing, type TracingSettings } from './tracing.js';

const KINDS: Record<SpanKind, OtelKind> = {
  server: OtelKind.SERVER,
  producer: OtelKind.PRODUCER,
  consumer: OtelKind.CONSUMER,
  internal: OtelKind.INTERNAL,
};
/** How long the exporter waits for the collector before dropping a batch. */
const EXPORT_TIMEOUT_MS = 5_000;

export function createOtelTracing(settings: TracingSettings & { tracesUrl: string }): Tracing {
  /**
   * A request without a traceparent header got its trace id before any span existed (the audit
   * log and the logs use it): its server span takes that id. Set and used synchronously around
   * one startSpan call.
   */
  let nextTraceId: string | undefined;
  const idGenerator: IdGenerator = {
    generateTraceId() {
      const id = nextTraceId ?? pooledRandomBytes(16).toString('hex');
      nextTraceId = undefined;
      return id;
    },
    generateSpanId: () => pooledRandomBytes(8).toString('hex'),
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName, ...(settings.role ? { 'spreiding.process.role': settings.role } : {}) }),
    idGenerator,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl, headers: { ...settings.headers }, timeoutMillis: EXPORT_TIMEOUT_MS }))],
  });
  const tracer = provider.getTracer('spreiding');
  const contexts = new AsyncLocalStorageContextManager().enable();

  const remote = (traceparent: string | undefined): Context | undefined => {
    const p = parseTraceparent(traceparent);
    return p ? trace.setSpanContext(ROOT_CONTEXT, { traceId: p.traceId, spanId: p.spanId, traceFlags: p.flags & 1, isRemote: true }) : undefined;
  };
  const header = (span: Span) => {
    const c = span.spanContext();
    return `00-${c.traceId}-${c.spanId}-0${c.traceFlags & 1}`;
  };
  const open = (span: Span, parent: Context): OpenSpan => {
    const ctx = trace.setSpan(parent, span);
    return {
      traceparent: header(span),
      setAttributes: (a) => void span.setAttributes(a),
      run: (fn) => contexts.with(ctx, fn),
      end(failed) {
        if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    };
  };
  const start = (name: string, opts: SpanOptions = {}): OpenSpan => {
    const parent = remote(opts.parent) ?? contexts.active();
    return open(tracer.startSpan(name, { kind: KINDS[opts.kind ?? 'internal'], ...(opts.attributes ? { attributes: opts.attributes } : {}) }, parent), parent);
  };

  return {
    enabled: true,
    start,
    async inSpan(name, fn, opts) {
      const span = start(name, opts);
      let failed = false;
      try {
        return await span.run(fn);
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        span.end(failed);
      }
    },
    startRequest(name, traceId, traceparentHeader, attributes) {
      const parent = remote(traceparentHeader);
      if (parent && trace.getSpanContext(parent)?.traceId !== traceId) return undefined;
      if (!parent) nextTraceId = traceId;
      try {
        return open(tracer.startSpan(name, { kind: OtelKind.SERVER, attributes }, parent ?? ROOT_CONTEXT), parent ?? ROOT_CONTEXT);
      } finally {
        nextTraceId = undefined;
      }
    },
    traceparent() {
      const span = trace.getSpan(contexts.active());
      return span ? header(span) : undefined;
    },
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      contexts.disable();
    },
  };
}
