// Prometheus metrics on their own port (METRICS_PORT), never on the API's; bearer-protected with
// METRICS_TOKEN. A registration and its proposal move the series an operator watches, and no
// label carries an id or a municipality code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/harness.js';
import { waitFor } from '../../support/processes.js';
import { register, waitForStatus } from '../../support/workflow.js';

const TOKEN = 'metrics-token-0123456789abcdef';
let t: TestApp;
let url: string;

beforeAll(async () => {
  t = await startTestApp({ redis: true, relay: true, worker: true, env: { METRICS_PORT: '0', METRICS_TOKEN: TOKEN } });
  // What startApi and startWorker do in the processes: one metrics server for both roles.
  url = (await t.container.serveMetrics(() => true))!;
  expect(await t.container.serveMetrics(() => true)).toBe(url);
});
afterAll(async () => {
  await t?.close();
});

async function scrape(): Promise<{ text: string; value: (series: string) => number | undefined }> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { text, value: (series) => values.get(series) };
}

describe('/metrics', () => {
  it('is served on the metrics port only, and only with the bearer token', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    // The public API has no such path.
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/metrics' })).statusCode).toBe(404);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
  });

  it('a registration and its proposal change the series', async () => {
    const post = 'spreiding_http_request_duration_seconds_count{method="POST",route="/api/v1/registrations",status_code="202"}';
    const lag = 'spreiding_proposal_lag_seconds_count';
    const jobs = 'spreiding_job_duration_seconds_count{queue="spreiding",job="allocate",outcome="completed"}';
    const lock = 'spreiding_ledger_lock_wait_seconds_count';
    const before = await scrape();
    expect(before.value('spreiding_registrations{status="proposed"}')).toBe(0);
    expect(before.value('spreiding_registrations{status="queued"}')).toBe(0);
    expect(before.value(post)).toBeUndefined();
    expect(before.value(lag)).toBe(0);

    const { id } = await register(t);
    await waitForStatus(t, id, 'proposed');
    const detail = await t.app.inject({ url: `/api/v1/registrations/${id}`, headers: await t.auth('coordinator') });
    expect(detail.statusCode).toBe(200);

    // State is read from the database at most every 2 s: wait for the next read.
    const after = await waitFor(async () => {
      const s = await scrape();
      return s.value('spreiding_registrations{status="proposed"}') === 1 ? s : undefined;
    }, 'the proposed registration in /metrics', 10_000, 250);
    expect(after.value('spreiding_registrations{status="queued"}')).toBe(0);
    expect(after.value(post)).toBe(1);
    expect(after.value('spreiding_http_request_duration_seconds_count{method="GET",route="/api/v1/registrations/:id",status_code="200"}')).toBeGreaterThanOrEqual(1);
    expect(after.value(lag)).toBe(1);
    expect(after.value(jobs)).toBeGreaterThanOrEqual(1);
    expect(after.value('spreiding_job_wait_seconds_count{queue="spreiding",job="allocate"}')).toBeGreaterThanOrEqual(1);
    expect(after.value(lock)).toBeGreaterThanOrEqual(1);
    expect(after.value('spreiding_outbox_unsent')).toBe(0);
    expect(after.value('spreiding_outbox_oldest_unsent_age_seconds')).toBe(0);
    expect(after.value('spreiding_queue_jobs{queue="spreiding",state="failed"}')).toBe(0);
    expect(after.value('spreiding_db_pool_connections{state="max"}')).toBe(10);
    expect(after.value('spreiding_db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(0);
    expect(after.text).toContain('process_cpu_seconds_total');

    // Bounded labels: no ids, no municipality codes, no URLs.
    expect(after.text).not.toContain(id);
    expect(after.text).not.toMatch(/GM\d{4}/);
    expect(after.text).not.toMatch(/route="\/api\/v1\/registrations\/[0-9a-f]{8}-/);
  });

  it('open deadline signals show by stage and level (spreiding_deadline_signals_open)', async () => {
    const { id } = await register(t);
    await waitForStatus(t, id, 'proposed');
    // The scan that raises signals is tested with a fixed clock in signals/deadlines.test.ts; here a
    // raised escalation and a resolved reminder, as the scan leaves them.
    const { sql } = await import('drizzle-orm');
    const at = new Date().toISOString();
    await t.container.db.execute(sql`
      insert into deadline_signals (id, registration_id, stage, level, stage_started_at, due_at, raised_at, resolved_at)
      values (gen_random_uuid(), ${id}, 'review', 'escalation', ${at}, ${at}, ${at}, null),
             (gen_random_uuid(), ${id}, 'review', 'reminder', ${at}, ${at}, ${at}, ${at})`);
    const s = await waitFor(async () => {
      const x = await scrape();
      return x.value('spreiding_deadline_signals_open{stage="review",level="escalation"}') === 1 ? x : undefined;
    }, 'the open signal in /metrics', 10_000, 250);
    expect(s.value('spreiding_deadline_signals_open{stage="review",level="reminder"}')).toBeUndefined();
  });

  it('an unsent outbox row shows as backlog with its age', async () => {
    await t.container.startRelay().stop();
    const created = new Date(Date.now() - 90_000);
    await t.container.db.execute(
      (await import('drizzle-orm')).sql`insert into outbox (id, job_name, job_id, payload, created_at) values (gen_random_uuid(), 'close-due-periods', 'metrics-test', '{"v":1}', ${created.toISOString()})`,
    );
    const s = await waitFor(async () => {
      const x = await scrape();
      return x.value('spreiding_outbox_unsent') === 1 ? x : undefined;
    }, 'the unsent row in /metrics', 10_000, 250);
    expect(s.value('spreiding_outbox_oldest_unsent_age_seconds')).toBeGreaterThanOrEqual(89);
  });
});
