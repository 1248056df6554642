// Traces: one trace from the intake request through the outbox and the job to the allocation
// statement, joined by the W3C trace id the audit log records. Off unless an OTLP endpoint is
// configured; then the OpenTelemetry SDK is loaded (tracing-otel.ts). Off, every call below is a
// plain function call: no SDK loaded, no context kept, no span made.

export type SpanKind = 'server' | 'producer' | 'consumer' | 'internal';
export type SpanAttributes = Record<string, string | number | boolean>;

export interface SpanOptions {
  kind?: SpanKind;
  /** A W3C traceparent to continue (a job's payload); otherwise the active span is the parent. */
  parent?: string;
  attributes?: SpanAttributes;
}

/** A span ended by hand (its work does not fit in one function call). */
export interface OpenSpan {
  /** This span as a W3C traceparent, for whatever continues its work elsewhere. */
  readonly traceparent: string;
  setAttributes(attributes: SpanAttributes): void;
  /** Runs fn with this span active (its spans become children). */
  run<T>(fn: () => T): T;
  end(failed?: boolean): void;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Runs fn in a new span (child of `parent` or of the active span); off: fn(). */
  inSpan<T>(name: string, fn: () => Promise<T>, opts?: SpanOptions): Promise<T>;
  /** Starts a span ended by hand; undefined when off. */
  start(name: string, opts?: SpanOptions): OpenSpan | undefined;
  /**
   * The server span of an HTTP request, with the request's trace id (`traceId`: the one its
   * traceparent header carried, or the one made for it), so traces and audit rows join.
   */
  startRequest(name: string, traceId: string, traceparentHeader: string | undefined, attributes: SpanAttributes): OpenSpan | undefined;
  /** The active span as a W3C traceparent (for a job payload); undefined when off or none. */
  traceparent(): string | undefined;
  /** Sends what is buffered now. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export const tracingOff: Tracing = {
  enabled: false,
  inSpan: (_name, fn) => fn(),
  start: () => undefined,
  startRequest: () => undefined,
  traceparent: () => undefined,
  flush: async () => {},
  shutdown: async () => {},
};

export interface TracingSettings {
  tracesUrl: string | undefined;
  headers: Readonly<Record<string, string>>;
  serviceName: string;
  /** The process's role (api, worker, all), as the service.instance role attribute. */
  role?: string;
}

export async function createTracing(settings: TracingSettings): Promise<Tracing> {
  if (settings.tracesUrl === undefined) return tracingOff;
  const { createOtelTracing } = await import('./tracing-otel.js');
  return createOtelTracing({ ...settings, tracesUrl: settings.tracesUrl });
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A W3C traceparent (version 00) split up; undefined when malformed or all zeros. */
export function parseTraceparent(value: string | undefined): { traceId: string; spanId: string; flags: number } | undefined {
  const m = value ? TRACEPARENT.exec(value) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, flags: parseInt(m[3]!, 16) };
}
