/**
 * Time of the shelter report over a year of data (`npx tsx bench/shelter-report-bench.ts`).
 * Creates its own database on the local PostgreSQL, bulk-loads 10,000 registrations and 30,000
 * shelter stays with SQL, then times GET /api/v1/reports/shelter (JSON and CSV, through
 * app.inject) against baselines measured in the same run, and writes the figures to
 * bench/RESULTS.md under "## Reports". Target: median under 200 ms.
 *
 * BENCH_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the server.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { seedReferenceData } from '../src/db/seed.js';
import { createLogger } from '../src/logger.js';
import { signToken } from '../src/modules/auth/auth-tokens.js';
import { createShelterReportRepository } from '../src/modules/reports/shelter-report-repository.js';

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REGISTRATIONS = 10_000;
const STAYS_PER_REGISTRATION = 3;
const WARM_UP_RUNS = 5;
const TIMED_RUNS = 30;
const TARGET_MS = 200;
/** "Today" for the report: mid-December, so the second half-year has open stays and waits. */
const TODAY = '2026-12-15T10:00:00Z';
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const SECRET = randomBytes(32).toString('base64');

interface Timing {
  what: string;
  median: number;
  p95: number;
  runs: number;
}

/** Nearest-rank percentile of a sorted sample. */
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function time(what: string, run: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < WARM_UP_RUNS; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const t = { what, median: percentile(samples, 50), p95: percentile(samples, 95), runs: TIMED_RUNS };
  process.stdout.write(`  ${what.padEnd(58)} median ${t.median.toFixed(1).padStart(7)} ms   p95 ${t.p95.toFixed(1).padStart(7)} ms\n`);
  return t;
}

async function admin(statement: string) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

/**
 * A year of registrations, skewed towards the large cities as in reality (index ~ u³ over the
 * municipalities by population), and three consecutive stays per family; the last one ends at
 * the transfer, stays open while the family waits, or ends on its own after closing.
 * Pseudo-random values come from hashtext of the row id, so each row gets its own.
 */
const LOAD_REGISTRATIONS = `
  with codes as (select array_agg(code order by population desc) as c from municipalities where active),
  draws as (
    select i, random() as u_m, random() as u_day, random() as u_status, 1 + floor(random() * 12)::int as to_proposal,
           1 + floor(random() * 8)::int as to_approval, 7 + floor(random() * 60)::int as to_transfer
    from generate_series(1, ${REGISTRATIONS}) i
  ),
  shaped as (
    select d.*, codes.c[1 + floor(array_length(codes.c, 1) * d.u_m ^ 3)::int] as municipality,
           date '2026-01-01' + floor(d.u_day * 349)::int as reported_on,
           case when d.u_status < 0.55 then 'transferred' when d.u_status < 0.65 then 'accepted' when d.u_status < 0.75 then 'approved'
                when d.u_status < 0.85 then 'proposed' when d.u_status < 0.92 then 'queued' else 'closed' end as status
    from draws d cross join codes
  )
  insert into registrations (id, status, reporting_municipality, reported_on, subgroup, eligibility, adults, children,
                             first_proposed_at, approved_at, transferred_on, closed_at, outcome, created_at, updated_at, created_by_sub)
  select gen_random_uuid(), status, municipality, reported_on, 'caribbean', '{}'::jsonb, 1, 2,
         case when status <> 'queued' then (reported_on + to_proposal)::timestamp at time zone 'Europe/Amsterdam' + interval '11 hours' end,
         case when status in ('approved', 'accepted', 'transferred') then (reported_on + to_proposal + to_approval)::timestamp at time zone 'Europe/Amsterdam' + interval '15 hours' end,
         case when status = 'transferred' then reported_on + to_proposal + to_approval + to_transfer end,
         case when status = 'closed' then (reported_on + 30)::timestamp at time zone 'Europe/Amsterdam' end,
         case when status = 'closed' then 'own_network' end,
         reported_on::timestamp at time zone 'Europe/Amsterdam', now(), 'bench'
  from shaped`;

const LOAD_STAYS = `
  with lengths as (
    select r.*, 2 + abs(hashtext(r.id::text || 'a')) % 21 as first_nights, 3 + abs(hashtext(r.id::text || 'b')) % 40 as second_nights,
           abs(hashtext(r.id::text || 'c')) as h
    from registrations r
  ),
  stays as (
    select l.id as registration_id, l.reporting_municipality, k,
           case k when 1 then l.reported_on when 2 then l.reported_on + l.first_nights else l.reported_on + l.first_nights + l.second_nights end as start_date,
           l.first_nights, l.second_nights, l.status, l.transferred_on, l.reported_on, l.h
    from lengths l cross join generate_series(1, ${STAYS_PER_REGISTRATION}) k
  )
  insert into shelter_stays (id, registration_id, municipality, type, start_date, end_date, nightly_cost_cents, closed_automatically, created_at, updated_at)
  select gen_random_uuid(), registration_id, reporting_municipality, (array['hotel', 'holiday_park', 'shelter_facility', 'other'])[1 + (h + k) % 4],
         start_date,
         case when k = 1 then start_date + first_nights
              when k = 2 then start_date + second_nights
              when transferred_on is not null then greatest(start_date, transferred_on)
              when status in ('queued', 'proposed', 'approved', 'accepted') then null
              else start_date + 1 + h % 30 end,
         5000 + (h % 200) * 100, k = 3 and transferred_on is not null, now(), now()
  from stays`;

function machine(serverVersion: string): string {
  const cpus = os.cpus();
  return [
    `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}`,
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory`,
    `${os.type()} ${os.release()} (${os.arch()})`,
    `Node ${process.version}`,
    `PostgreSQL ${serverVersion}`,
  ].join('; ');
}

/** Replaces this bench's subsection under "## Reports" and leaves every other section as it was. */
function writeResults(section: string) {
  const heading = '## Reports';
  const mine = '### Shelter report';
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  if (!text.includes(`\n${heading}\n`)) text = `${text.trimEnd()}\n\n${heading}\n`;
  const start = text.indexOf(`\n${heading}\n`) + heading.length + 2;
  const nextH2 = text.indexOf('\n## ', start);
  const end = nextH2 === -1 ? text.length : nextH2 + 1;
  let block = text.slice(start, end);
  const at = block.indexOf(mine);
  if (at === -1) block = `${block.trimEnd()}\n\n${section}\n`;
  else {
    const after = block.indexOf('\n### ', at + mine.length);
    block = `${block.slice(0, at)}${section}\n${after === -1 ? '' : block.slice(after + 1)}`;
  }
  writeFileSync(RESULTS, `${text.slice(0, start)}${block.replace(/^\n+/, '\n')}${end < text.length ? `\n${text.slice(end)}` : ''}`.replace(/\n{3,}/g, '\n\n'));
}

async function main() {
  const name = `spreiding_bench_${Date.now().toString(36)}`;
  await admin(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const config = loadConfig({
    DATABASE_URL: url.toString(),
    AUTH_JWT_SECRET: SECRET,
    PII_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PII_HMAC_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const clock = { now: () => new Date(TODAY) };
  const container = await createContainer({ config, logger: createLogger(config.logLevel), clock });
  try {
    await container.database.migrate();
    await seedReferenceData(container.db);
    const db = container.db;

    process.stdout.write(`Loading ${REGISTRATIONS} registrations and ${REGISTRATIONS * STAYS_PER_REGISTRATION} stays into ${name}…\n`);
    const loadStart = performance.now();
    await db.execute(sql.raw(LOAD_REGISTRATIONS));
    await db.execute(sql.raw(LOAD_STAYS));
    await db.execute(sql.raw('analyze registrations; analyze shelter_stays'));
    const loadMs = performance.now() - loadStart;
    const counts = (await db.execute(sql`select (select count(*) from registrations)::int as r, (select count(*) from shelter_stays)::int as s,
      (select count(*) from shelter_stays where end_date is null)::int as open, (select count(distinct reporting_municipality) from registrations)::int as m,
      current_setting('server_version') as v`)) as unknown as { rows: Array<{ r: number; s: number; open: number; m: number; v: string }> };
    const c = counts.rows[0]!;
    process.stdout.write(`  loaded in ${(loadMs / 1000).toFixed(1)} s: ${c.r} registrations, ${c.s} stays (${c.open} open), ${c.m} reporting municipalities\n\n`);

    const app = await buildApp(container);
    await app.ready();
    const coordinator = { authorization: `Bearer ${await signToken(SECRET, { sub: 'bench:coordinator', role: 'coordinator', expiresInSeconds: 3600 })}` };
    const amsterdam = { authorization: `Bearer ${await signToken(SECRET, { sub: 'bench:amsterdam', role: 'municipality', municipality: 'GM0363', expiresInSeconds: 3600 })}` };
    const get = (query: string, headers: Record<string, string>) => async () => {
      const res = await app.inject({ url: `/api/v1/reports/shelter?${query}`, headers });
      if (res.statusCode !== 200) throw new Error(`${query}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return res;
    };
    const sample = await get('period=2026-H2', coordinator)();
    const rows = sample.json().items.length as number;
    const totals = sample.json().totals;
    process.stdout.write(`2026-H2: ${rows} municipality rows, ${totals.nights} nights, €${(totals.costCents / 100).toLocaleString('en-GB')} (sample)\n`);

    const repo = createShelterReportRepository();
    const timings = [
      await time('Shelter report 2026-H2, all municipalities, JSON', get('period=2026-H2', coordinator)),
      await time('Shelter report 2026-H2, all municipalities, CSV', get('period=2026-H2', { ...coordinator, accept: 'text/csv' })),
      await time('Shelter report 2026-H1, all municipalities, JSON', get('period=2026-H1', coordinator)),
      await time('Baseline: same report for one municipality (GM0363), JSON', get('period=2026-H2', amsterdam)),
      await time('Baseline: the report query alone (no HTTP), all', () =>
        repo.aggregate(db, { startsOn: '2026-07-01', endsOn: '2026-12-31', today: '2026-12-15', longStayDays: config.shelter.longStayDays, municipality: undefined })),
      await time('Baseline: select count(*) from shelter_stays', () => db.execute(sql`select count(*) from shelter_stays`)),
    ];
    await app.close();

    const worst = Math.max(...timings.slice(0, 3).map((t) => t.median));
    const verdict = worst < TARGET_MS ? `met (slowest report median ${worst.toFixed(1)} ms)` : `NOT met (slowest report median ${worst.toFixed(1)} ms)`;
    process.stdout.write(`\nTarget < ${TARGET_MS} ms: ${verdict}\n`);
    writeResults(
      [
        '### Shelter report',
        '',
        `\`npx tsx bench/shelter-report-bench.ts\`, run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
        `Machine: ${machine(c.v)}.`,
        `Data: ${c.r.toLocaleString('en-GB')} registrations over 2026 (${c.m} reporting municipalities, skewed to the large cities), ` +
          `${c.s.toLocaleString('en-GB')} stays (${c.open.toLocaleString('en-GB')} open); report date ${TODAY.slice(0, 10)}; ` +
          `bulk-loaded with SQL in ${(loadMs / 1000).toFixed(1)} s. Every figure through \`app.inject\` unless marked; ` +
          `${WARM_UP_RUNS} warm-up runs, then ${TIMED_RUNS} timed runs; p95 is nearest-rank.`,
        '',
        '| What | Median (ms) | p95 (ms) | Runs |',
        '| --- | ---: | ---: | ---: |',
        ...timings.map((t) => `| ${t.what} | ${t.median.toFixed(1)} | ${t.p95.toFixed(1)} | ${t.runs} |`),
        '',
        `Target: median under ${TARGET_MS} ms — ${verdict}. No extra index was needed: the report is one statement ` +
          '(date arithmetic, `percentile_cont`, `GROUPING SETS`) over two sequential scans.',
      ].join('\n'),
    );
    process.stdout.write(`Wrote ${RESULTS}\n`);
  } finally {
    await container.close();
    await admin(`drop database if exists ${name} with (force)`);
  }
}

await main();
