// The load generator, in its own process so its CPU is not the server's event loop: valid
// registrations, each with new BSNs. As fast as the server answers: autocannon with a fixed
// number of connections (closed loop). At a fixed rate: a paced sender that starts request i at
// t0 + i/rate whatever the answers do (open loop) — autocannon's own rate limit sends each
// second's quota back to back at the start of the second, a burst every second rather than
// a rate, which would measure the burst's queue instead of the service.
// Input: the LOAD_SPEC environment variable (JSON, see LoadSpec). Output: one line
// `RESULT {…}` (LoadResult) on stdout.
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import { familyBody } from '../../test/support/families.js';

export interface LoadSpec {
  url: string;
  /** When saturating, spread the connections over these base URLs (several api processes). */
  urls?: string[];
  path: string;
  /** Sent as `Authorization: Bearer …` when set. */
  token?: string;
  /** Requests per second over all connections; 0 = as fast as the server answers. */
  rate: number;
  durationSec: number;
  connections: number;
  /**
   * First 8-digit base of this run's BSNs. Runs against one database get disjoint ranges, so no
   * family is ever a duplicate of another (409) — each request is a new, valid registration.
   */
  bsnStart: number;
  reportingMunicipality: string;
}

export interface LoadResult {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  sent: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Latency of 2xx answers, milliseconds (client side: from writing the request to the last byte). */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  ok: number;
  okPerSec: number;
  bsnEnd: number;
  /** CPU used by the load generator itself (user + system), milliseconds. */
  cpuMs: number;
}

/** Sockets the paced sender may open; far more than a healthy server needs at the rates used. */
const PACED_MAX_SOCKETS = 256;
/** Paced requests start this long after the process is ready, so the first ones are not late. */
const PACED_LEAD_MS = 50;

/** 11-proef: the ninth digit makes the weighted sum divisible by 11; bases whose check would be 10 are skipped. */
function bsnFrom(base: number): string | undefined {
  const digits = String(base).padStart(8, '0');
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(digits[i]) * (9 - i);
  const check = sum % 11;
  return check === 10 ? undefined : digits + String(check);
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function main() {
  const spec = JSON.parse(process.env.LOAD_SPEC ?? '') as LoadSpec;
  let next = spec.bsnStart;
  const bsn = () => {
    for (;;) {
      const v = bsnFrom(next++);
      if (v) return v;
    }
  };
  const body = () =>
    JSON.stringify(
      familyBody({
        reportingMunicipality: spec.reportingMunicipality,
        household: {
          adults: [{ bsn: bsn(), name: 'Maria Martina', birthDate: '1990-04-12' }],
          children: [
            { bsn: bsn(), name: 'Jayden Martina', birthDate: '2015-06-30' },
            { bsn: bsn(), name: 'Zoë Martina', birthDate: '2020-02-29' },
          ],
        },
      }),
    );

  const cpuBefore = process.cpuUsage();
  const run = spec.rate > 0 ? await paced(spec, body) : await saturate(spec, body);
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = Float64Array.from(run.latencies).sort();
  const ok = run.latencies.length;
  const out: LoadResult = {
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    durationSec: run.durationSec,
    sent: run.sent,
    statuses: run.statuses,
    errors: run.errors,
    timeouts: run.timeouts,
    latencyMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.length ? sorted[sorted.length - 1]! : NaN,
      mean: ok ? run.latencies.reduce((a, b) => a + b, 0) / ok : NaN,
    },
    ok,
    okPerSec: ok / run.durationSec,
    bsnEnd: next,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

interface Run {
  startedAt: Date;
  finishedAt: Date;
  durationSec: number;
  sent: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Of 2xx answers, milliseconds. */
  latencies: number[];
}

async function saturate(spec: LoadSpec, body: () => string): Promise<Run> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: spec.urls ?? spec.url,
    connections: spec.connections,
    duration: spec.durationSec,
    timeout: 30,
    headers: { 'content-type': 'application/json', ...(spec.token ? { authorization: `Bearer ${spec.token}` } : {}) },
    requests: [{ method: 'POST', path: spec.path, setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body() }) }],
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
  });
  const result = await new Promise<Record<string, any>>((resolve, reject) => {
    instance.on('done', resolve);
    instance.on('error', reject);
  });
  const statuses: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = Number((v as { count: number }).count);
  return {
    startedAt: new Date(result.start),
    finishedAt: new Date(result.finish),
    durationSec: result.duration,
    sent: result.requests.sent,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    latencies,
  };
}

async function paced(spec: LoadSpec, body: () => string): Promise<Run> {
  const agent = new Agent({ keepAlive: true, maxSockets: PACED_MAX_SOCKETS });
  const target = new URL(spec.path, spec.url);
  const headers = { 'content-type': 'application/json', ...(spec.token ? { authorization: `Bearer ${spec.token}` } : {}) };
  const total = Math.round(spec.rate * spec.durationSec);
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let errors = 0;
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const payload = body();
      const req = request(target, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(payload) } }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          statuses[status] = (statuses[status] ?? 0) + 1;
          // From when the request was due, not when it went out: a late start counts against us.
          if (status >= 200 && status < 300) latencies.push(performance.now() - due);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(payload);
    });
  const startedAt = new Date();
  const t0 = performance.now() + PACED_LEAD_MS;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / spec.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(due));
  }
  await Promise.all(inFlight);
  const finishedAt = new Date();
  agent.destroy();
  return { startedAt, finishedAt, durationSec: spec.durationSec, sent: total, statuses, errors, timeouts: 0, latencies };
}

await main();
