// OpenTelemetry traces, exported over OTLP/HTTP to a collector (here a stand-in receiver on
// loopback, an outside party): the intake request, its statement, the outbox relay's send, the
// allocate job and the allocation statement are one trace, whose id is the audit log's trace id.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { familyBody } from '../../support/families.js';
import { waitFor } from '../../support/processes.js';
import { waitForStatus } from '../../support/workflow.js';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

const received: ExportedSpan[] = [];
const bodies: string[] = [];
let collector: Server;
let t: TestApp;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        bodies.push(body);
        const doc = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: ExportedSpan[] }> }> };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) received.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  t = await startTestApp({ redis: true, relay: true, worker: true, env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
});
afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => collector?.close(resolve));
});

async function registerTraced(traceparent?: string) {
  const body = familyBody({ reportingMunicipality: 'GM0363' });
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/registrations',
    headers: { ...(await t.auth('municipality', { municipality: 'GM0363' })), ...(traceparent ? { traceparent } : {}) },
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(202);
  const id = res.json().id as string;
  await waitForStatus(t, id, 'proposed');
  return { id, body };
}

/** The spans of one trace, once the five of intake → job → allocation have arrived. */
async function traceOf(traceId: string): Promise<Map<string, ExportedSpan>> {
  return waitFor(async () => {
    await t.container.tracing.flush();
    const spans = received.filter((s) => s.traceId === traceId);
    const byName = new Map(spans.map((s) => [s.name, s]));
    return byName.has('allocation batch statement') && byName.has('POST /api/v1/registrations') ? byName : undefined;
  }, `the spans of trace ${traceId}`, 10_000, 200);
}

function expectChain(spans: Map<string, ExportedSpan>, parentOfServer: string | undefined) {
  const server = spans.get('POST /api/v1/registrations')!;
  const intake = spans.get('registration intake statement');
  const send = spans.get('allocate send');
  const job = spans.get('allocate process');
  const statement = spans.get('allocation batch statement')!;
  expect([intake, send, job].map((s) => s?.name)).toEqual(['registration intake statement', 'allocate send', 'allocate process']);
  expect(server.parentSpanId || undefined).toBe(parentOfServer);
  expect(intake!.parentSpanId).toBe(server.spanId);
  expect(send!.parentSpanId).toBe(intake!.spanId);
  expect(job!.parentSpanId).toBe(send!.spanId);
  expect(statement.parentSpanId).toBe(job!.spanId);
  // OTLP kinds: 2 server, 4 producer, 5 consumer.
  expect([server.kind, send!.kind, job!.kind]).toEqual([2, 4, 5]);
  const attrs = Object.fromEntries(server.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
  expect(attrs).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/api/v1/registrations' });
}

describe('one trace from intake to allocation', () => {
  it('continues the caller’s traceparent: the spans join under its trace id, which the audit log records', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const { id, body } = await registerTraced(`00-${traceId}-${callerSpan}-01`);
    const spans = await traceOf(traceId);
    expectChain(spans, callerSpan);

    const audit = await sqlRows<{ action: string; trace_id: string }>(t.databaseUrl, `select action, trace_id from audit_events where registration_id = $1 order by id`, [id]);
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['registration.create', 'allocation.propose']));
    for (const a of audit.filter((x) => ['registration.create', 'allocation.propose'].includes(x.action))) expect(a.trace_id).toBe(traceId);

    // Spans carry route patterns and kinds of work, never ids or personal data.
    const exported = bodies.join('\n');
    expect(exported).not.toContain(id);
    for (const p of [...body.household.adults, ...body.household.children]) {
      expect(exported).not.toContain(p.bsn);
      expect(exported).not.toContain(p.name);
    }
  });

  it('without a traceparent, the server span takes the trace id made for the request (and audited)', async () => {
    const { id } = await registerTraced();
    const [row] = await sqlRows<{ trace_id: string }>(t.databaseUrl, `select trace_id from audit_events where registration_id = $1 and action = 'registration.create'`, [id]);
    expect(row!.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const spans = await traceOf(row!.trace_id);
    expectChain(spans, undefined);
    const [propose] = await sqlRows<{ trace_id: string }>(t.databaseUrl, `select trace_id from audit_events where registration_id = $1 and action = 'allocation.propose'`, [id]);
    expect(propose!.trace_id).toBe(row!.trace_id);
  });

  it('a caller that did not sample its trace gets none exported', async () => {
    const traceId = randomBytes(16).toString('hex');
    await registerTraced(`00-${traceId}-${randomBytes(8).toString('hex')}-00`);
    await t.container.tracing.flush();
    expect(received.filter((s) => s.traceId === traceId)).toEqual([]);
  });
});

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('loads nothing and traces nothing', async () => {
    const off = await startTestApp();
    try {
      expect(off.container.tracing.enabled).toBe(false);
      expect(off.container.tracing.traceparent()).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});
