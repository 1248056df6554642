/**
 * The drill of issue 13 as a measured figure: a webhook receiver that hangs must not raise the
 * latency of intake or of proposals. One api and one worker process (as in production) on a
 * fresh database and BullMQ prefix per scenario; the reporting municipality subscribes to every
 * event, so each proposal is a delivery; families arrive at a fixed rate (paced, open loop).
 *
 *   floor      no subscription
 *   fast       3 subscriptions to a receiver that answers 204 at once (the same fan-out work
 *              as hanging: the fair comparison for the receiver's effect)
 *   hanging    3 subscriptions to a receiver that accepts the connection and never answers
 *              (each attempt waits WEBHOOK_TIMEOUT_MS, 5 s; the webhook queue backs up)
 *   fast, own process   as fast, with the deliveries in a worker process of their own
 *              (WORKER_QUEUES=allocation and WORKER_QUEUES=webhooks, as docker-compose runs them)
 *
 * The three run in turn, `--rounds` times (default 2), so drift of a shared machine hits each
 * alike; the summary compares means, and the spread between rounds of one scenario shows the noise.
 *
 * Per scenario: accepted/s, POST latency p50/p99 (client side), proposal lag p50/p99
 * (registrations.created_at → allocations.created_at), and the deliveries by status when the
 * phase ends. Writes bench/RESULTS.md, section "## Webhook isolation".
 *
 *   npx tsx bench/webhook-isolation-bench.ts [--rate 50] [--seconds 10] [--subscriptions 3] [--rounds 2] [--no-write]
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { cpus, loadavg, release } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from '../test/support/redis-server.js';
import type { LoadResult, LoadSpec } from './lib/load.js';
import { createNamedDatabase, municipalityToken, prepareDatabase, serviceEnv, spawnService, until, waitReady, type Service } from './lib/stack.js';
import { finishRun } from './lib/results.js';

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECTION = '## Webhook isolation';
const REPORTER = 'GM0363';
const WARMUP_SECONDS = 3;
/** 8-digit BSN bases per load run (three per request). */
const BSN_BLOCK = 2_000_000;
/** p99 lag or POST latency under a hanging receiver may be at most this much above the floor's (noise on a shared machine). */
const TOLERANCE = 1.5;

const args = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    subscriptions: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    'no-write': { type: 'boolean', default: false },
  },
  strict: true,
});
const RATE = Number(args.values.rate);
const SECONDS = Number(args.values.seconds);
const SUBSCRIPTIONS = Number(args.values.subscriptions);
const ROUNDS = Number(args.values.rounds);

const log = (s: string) => process.stdout.write(`${s}\n`);
const problems: string[] = [];
let nextBsnBlock = 30_000_000;

interface Receiver {
  url: string;
  requests: number;
  close(): Promise<void>;
}

/** A receiver in this process: `fast` answers 204 at once, `hang` never answers. */
async function receiver(kind: 'fast' | 'hang'): Promise<Receiver> {
  const hanging: ServerResponse[] = [];
  const r = { requests: 0 };
  const server: Server = createServer((req, res) => {
    r.requests++;
    req.resume();
    req.on('end', () => {
      if (kind === 'hang') hanging.push(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/events`,
    get requests() {
      return r.requests;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function withClient<T>(url: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

async function load(baseUrl: string, token: string, rate: number, seconds: number): Promise<LoadResult> {
  const spec: LoadSpec = { url: baseUrl, path: '/api/v1/registrations', token, rate, durationSec: seconds, connections: 10, bsnStart: nextBsnBlock, reportingMunicipality: REPORTER };
  nextBsnBlock += BSN_BLOCK;
  const p = spawnService('load', 'bench/lib/load.ts', { LOAD_SPEC: JSON.stringify(spec) });
  const code = await p.exited;
  const line = p.output().split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`load generator failed (exit ${code}):\n${p.output().slice(-3000)}`);
  const result = JSON.parse(line.slice('RESULT '.length)) as LoadResult;
  const bad = Object.entries(result.statuses).filter(([s]) => !s.startsWith('2'));
  if (bad.length > 0 || result.errors > 0) problems.push(`non-2xx ${JSON.stringify(Object.fromEntries(bad))}, errors ${result.errors}`);
  return result;
}

interface Scenario {
  name: 'floor' | 'fast' | 'hanging' | 'fast, own process';
  round: number;
  receiver: 'fast' | 'hang' | null;
  /** Deliveries in a worker process of their own. */
  ownProcess?: boolean;
}

interface Row {
  scenario: Scenario['name'];
  round: number;
  subscriptions: number;
  accepted: number;
  postP50: number;
  postP99: number;
  lagP50: number;
  lagP99: number;
  deliveries: Record<string, number>;
  received: number;
}

async function run(s: Scenario): Promise<Row> {
  const rand = randomBytes(4).toString('hex');
  const db = await createNamedDatabase(ADMIN_URL, `spreiding_webhook_bench_${rand}`);
  await prepareDatabase(db.url);
  const prefix = `whbench_${rand}`;
  const port = await freePort();
  const env = serviceEnv({ databaseUrl: db.url, redisUrl: REDIS_URL, prefix, port, extra: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  const procs: Service[] = [];
  const recv = s.receiver ? await receiver(s.receiver) : null;
  try {
    procs.push(spawnService('api', 'src/server.ts', env));
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitReady(baseUrl, 60_000, procs[0]);
    if (s.ownProcess) {
      procs.push(spawnService('worker', 'src/worker.ts', { ...env, WORKER_QUEUES: 'allocation' }));
      procs.push(spawnService('webhook worker', 'src/worker.ts', { ...env, WORKER_QUEUES: 'webhooks' }));
    } else procs.push(spawnService('worker', 'src/worker.ts', env));
    const subscriptions = recv ? SUBSCRIPTIONS : 0;
    for (let i = 0; i < subscriptions; i++) {
      const res = await fetch(`${baseUrl}/api/v1/webhook-subscriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await municipalityToken(REPORTER, `bench:${s.name}:subscriber`)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${recv!.url}?n=${i}` }),
      });
      if (res.status !== 201) throw new Error(`subscribing answered ${res.status}: ${await res.text()}`);
    }
    // Warm-up (JIT, pools), then the measured phase under its own subject.
    await load(baseUrl, await municipalityToken(REPORTER, `bench:${s.name}:warmup`), RATE, WARMUP_SECONDS);
    const sub = `bench:${s.name}:measured`;
    const result = await load(baseUrl, await municipalityToken(REPORTER, sub), RATE, SECONDS);
    await until(
      async () => withClient(db.url, async (c) => ((await c.query<{ n: number }>(`select count(*)::int as n from registrations where status <> 'proposed'`)).rows[0]!.n === 0 ? true : undefined)),
      `${s.name}: every registration proposed`,
      120_000,
      250,
    );
    const lag = await withClient(db.url, async (c) => {
      const { rows } = await c.query<{ p50: number; p99: number }>(
        `select percentile_cont(0.5) within group (order by ms) as p50, percentile_cont(0.99) within group (order by ms) as p99
           from (select extract(epoch from a.created_at - r.created_at) * 1000 as ms
                   from registrations r join allocations a on a.registration_id = r.id where r.created_by_sub = $1) x`,
        [sub],
      );
      return { p50: Number(rows[0]!.p50), p99: Number(rows[0]!.p99) };
    });
    const deliveries = await withClient(db.url, async (c) =>
      Object.fromEntries((await c.query<{ status: string; n: number }>(`select status, count(*)::int as n from webhook_deliveries group by status`)).rows.map((r) => [r.status, r.n])),
    );
    return {
      scenario: s.name,
      round: s.round,
      subscriptions,
      accepted: result.okPerSec,
      postP50: result.latencyMs.p50,
      postP99: result.latencyMs.p99,
      lagP50: lag.p50,
      lagP99: lag.p99,
      deliveries,
      received: recv?.requests ?? 0,
    };
  } finally {
    const codes = await Promise.all(procs.reverse().map((p) => p.stop()));
    if (codes.some((c) => c !== 0)) problems.push(`${s.name}: a process exited with ${codes.join(', ')}:\n${procs.map((p) => p.output().slice(-1500)).join('\n')}`);
    await recv?.close();
    const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const keys = await r.keys(`${prefix}:*`);
    if (keys.length > 0) await r.del(...keys);
    r.disconnect();
    await db.drop();
  }
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');


function report(rows: Row[], started: Date, load: [number, number]): string {
  const of = (name: Scenario['name']) => rows.filter((r) => r.scenario === name);
  const mean = (name: Scenario['name'], pick: (r: Row) => number) => of(name).reduce((s, r) => s + pick(r), 0) / of(name).length;
  const spread = (name: Scenario['name'], pick: (r: Row) => number) => Math.max(...of(name).map(pick)) / Math.min(...of(name).map(pick));
  const vs = (base: Scenario['name'], pick: (r: Row) => number, of_: Scenario['name'] = 'hanging') => mean(of_, pick) / mean(base, pick);
  const lagP99 = (r: Row) => r.lagP99;
  const postP99 = (r: Row) => r.postP99;
  const met = vs('fast', lagP99) <= TOLERANCE && vs('fast', postP99) <= TOLERANCE;
  const lines = [
    SECTION,
    '',
    `\`npx tsx bench/webhook-isolation-bench.ts --rate ${RATE} --seconds ${SECONDS} --subscriptions ${SUBSCRIPTIONS} --rounds ${ROUNDS}\`, run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; Linux ${release()}; Node ${process.version}; PostgreSQL, Redis, api, worker, receivers and the load generator all on it. ` +
      `The machine is shared with other work: 1-minute load average ${load[0].toFixed(1)} before, ${load[1].toFixed(1)} after. Compare rows of this run only.`,
    `Each row: a fresh database and prefix, one api and one worker process (default settings: webhook concurrency 8, timeout 5 s, retries from 30 s), ` +
      `${WARMUP_SECONDS} s warm-up, then ${SECONDS} s of ${RATE} new families per second (paced, open loop). The subscriptions are the reporting municipality's, ` +
      'for every event, so every proposal is a delivery to each; "hanging" accepts the connection and never answers. Scenarios run in turn, round after round.',
    '',
    '| Scenario | Round | Subscriptions | Accepted/s | POST p50 / p99 (ms) | Lag p50 / p99 (ms) | Deliveries when the phase ended | Requests at the receiver |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.round} | ${r.subscriptions} | ${f1(r.accepted)} | ${f1(r.postP50)} / ${f1(r.postP99)} | ${f1(r.lagP50)} / ${f1(r.lagP99)} | ${
          Object.entries(r.deliveries).map(([k, v]) => `${k} ${v}`).join(', ') || '–'
        } | ${r.received} |`,
    ),
    '',
    `Means over the rounds. Hanging vs fast receiver (the same fan-out work, only the receiver differs): POST p99 × ${vs('fast', postP99).toFixed(2)}, ` +
      `lag p99 × ${vs('fast', lagP99).toFixed(2)}. Hanging vs no subscription (the floor): POST p99 × ${vs('floor', postP99).toFixed(2)}, lag p99 × ${vs('floor', lagP99).toFixed(2)}. ` +
      `Noise: the floor's own rounds differ by × ${spread('floor', postP99).toFixed(2)} (POST p99) and × ${spread('floor', lagP99).toFixed(2)} (lag p99). ` +
      `Target: hanging at most × ${TOLERANCE} of fast — ${met ? 'met' : 'NOT met'}. ` +
      `A fast receiver, deliveries in the allocation worker's process vs the floor: lag p99 × ${vs('floor', lagP99, 'fast').toFixed(2)}; ` +
      `in a process of their own: lag p99 × ${vs('floor', lagP99, 'fast, own process').toFixed(2)}.`,
    '',
    'Deliveries run on their own BullMQ queue and worker (concurrency 8) with a deadline per attempt, outside every business transaction; ' +
      'a waiting delivery holds an idle socket, not a database connection or a slot of the allocation queue. What subscriptions do cost the ' +
      'allocation path, whatever the receiver does, is the fan-out (one outbox row per batch of proposals and a `notify` job that writes the ' +
      'delivery rows) and, when receivers answer fast, the CPU of the deliveries themselves: in the same process they compete with the ' +
      'allocations for its event loop (and on this 2-core machine for the cores), which is why docker-compose runs them in a `webhook-worker` ' +
      '(`WORKER_QUEUES`).',
  ];
  return lines.join('\n');
}

async function main() {
  const started = new Date();
  const loadBefore = loadavg()[0]!;
  const scenarios: Scenario[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    scenarios.push(
      { name: 'floor', round, receiver: null },
      { name: 'fast', round, receiver: 'fast' },
      { name: 'hanging', round, receiver: 'hang' },
      { name: 'fast, own process', round, receiver: 'fast', ownProcess: true },
    );
  }
  const rows: Row[] = [];
  for (const s of scenarios) {
    log(`scenario ${s.name}, round ${s.round}…`);
    rows.push(await run(s));
    log(JSON.stringify(rows.at(-1)));
  }
  const text = report(rows, started, [loadBefore, loadavg()[0]!]);
  finishRun(SECTION, text, problems, args.values['no-write']);
}

await main();
