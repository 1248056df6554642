// Invariants of the workflow and the ledger, checked straight in the database after a scenario.
// Each check derives the expected value from a different source than the one that stores it
// (allocation rows vs. counters, movements vs. running rows), so a missed or doubled update shows.
import pg from 'pg';
import { add, formatRational, parseRational, ZERO, type Rational } from '../../src/modules/allocation/engine/index.js';

/** Registration status → the status its one active allocation must have (undefined: none). */
const ACTIVE_ALLOCATION_FOR: Record<string, string | undefined> = {
  queued: undefined,
  needs_attention: undefined,
  closed: undefined,
  proposed: 'proposed',
  approved: 'approved',
  accepted: 'accepted',
  transferred: 'accepted',
  housed: 'accepted',
};
const OUTBOX_MAX_AGE_MS = 60_000;
/** Violations listed per check before the rest is only counted, so a broken run stays readable. */
const LISTED = 10;

/**
 * Returns every violation found (empty = all invariants hold). `now` replaces the database's
 * clock for the outbox check when the app under test runs on a fixed clock.
 */
export async function checkInvariants(databaseUrl: string, opts: { now?: Date } = {}): Promise<string[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  const out: string[] = [];
  const report = (check: string, lines: string[]) => {
    for (const l of lines.slice(0, LISTED)) out.push(`${check}: ${l}`);
    if (lines.length > LISTED) out.push(`${check}: … and ${lines.length - LISTED} more`);
  };
  try {
    // One snapshot for every query, so a worker committing meanwhile cannot fake a violation.
    await c.query('begin isolation level repeatable read read only');
    const q = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await c.query<T>(text, values)).rows;

    // 1. Every registration has exactly the active allocation its status calls for.
    const regs = await q<{ id: string; status: string; receiving: string | null; active: Array<{ status: string; municipality: string }> | null }>(`
      select r.id, r.status, r.receiving_municipality as receiving,
             json_agg(json_build_object('status', a.status, 'municipality', a.municipality)) filter (where a.id is not null) as active
      from registrations r
      left join allocations a on a.registration_id = r.id and a.status in ('proposed', 'approved', 'accepted')
      group by r.id`);
    const wrong: string[] = [];
    for (const r of regs) {
      const active = r.active ?? [];
      if (!(r.status in ACTIVE_ALLOCATION_FOR)) {
        wrong.push(`${r.id} has unknown status ${r.status}`);
        continue;
      }
      const want = ACTIVE_ALLOCATION_FOR[r.status];
      if (want === undefined) {
        if (active.length > 0) wrong.push(`${r.id} (${r.status}) has ${active.length} active allocation(s)`);
      } else if (active.length !== 1) {
        wrong.push(`${r.id} (${r.status}) has ${active.length} active allocations, not 1`);
      } else if (active[0]!.status !== want) {
        wrong.push(`${r.id} (${r.status}) has an active allocation with status ${active[0]!.status}, not ${want}`);
      } else if (want !== 'proposed' && r.receiving !== active[0]!.municipality) {
        wrong.push(`${r.id} (${r.status}) names ${r.receiving} as receiver but is allocated to ${active[0]!.municipality}`);
      }
    }
    report('one active allocation', wrong);

    // 2. A per municipality = its allocation and release movements = its active allocations.
    const allocated = await q<{ code: string; ledger: number; moved: number; active: number }>(`
      select l.municipality as code, l.allocated as ledger,
             coalesce(mv.units, 0)::int as moved, coalesce(al.units, 0)::int as active
      from municipality_ledger l
      left join (select municipality, sum(units) as units from ledger_movements where kind in ('allocation', 'release') group by municipality) mv
        on mv.municipality = l.municipality
      left join (select municipality, sum(units) as units from allocations where status in ('proposed', 'approved', 'accepted') group by municipality) al
        on al.municipality = l.municipality
      where l.allocated <> coalesce(mv.units, 0) or l.allocated <> coalesce(al.units, 0)`);
    report('allocated = movements', allocated.map((r) => `${r.code}: ledger ${r.ledger}, movements ${r.moved}, active allocations ${r.active}`));
    const strayMoves = await q<{ code: string }>(`
      select distinct m.municipality as code from ledger_movements m
      where m.municipality is not null and not exists (select 1 from municipality_ledger l where l.municipality = m.municipality)`);
    report('movements without a ledger row', strayMoves.map((r) => r.code));

    // 3. Units per period and key version = the accrual movements booked there.
    const units = await q<{ period: string; v: number; stored: number; moved: number }>(`
      select coalesce(u.period, m.period) as period, coalesce(u.key_version, m.key_version) as v,
             coalesce(u.units, 0)::int as stored, coalesce(m.units, 0)::int as moved
      from period_key_units u
      full join (select period, key_version, sum(units) as units from ledger_movements where kind = 'accrual' group by period, key_version) m
        on m.period = u.period and m.key_version = u.key_version
      where coalesce(u.units, 0) <> coalesce(m.units, 0)`);
    report('period_key_units = accruals', units.map((r) => `${r.period} v${r.v}: stored ${r.stored}, movements ${r.moved}`));
    // … and = the shares still held by registrations (a closed registration took its shares out).
    const held = await q<{ v: number; stored: number; held: number }>(`
      select coalesce(u.v, r.v) as v, coalesce(u.units, 0)::int as stored, coalesce(r.units, 0)::int as held
      from (select key_version as v, sum(units) as units from period_key_units group by key_version) u
      full join (select accrued_key_version as v, sum(accrued_units) as units from registrations
                 where accrued_key_version is not null and status <> 'closed' group by accrued_key_version) r on r.v = u.v
      where coalesce(u.units, 0) <> coalesce(r.units, 0)`);
    report('accrued units = open registrations', held.map((r) => `key v${r.v}: period_key_units ${r.stored}, registrations ${r.held}`));

    // 4. The carried part of E = the settlement, merge and shelter-credit movements (exact fractions).
    const deltas = await q<{ code: string; delta: string }>(`
      select municipality as code, entitlement_delta as delta from ledger_movements where kind in ('settlement', 'merge', 'shelter_credit') order by seq`);
    const summed = new Map<string, Rational>();
    for (const d of deltas) summed.set(d.code, add(summed.get(d.code) ?? ZERO, parseRational(d.delta)));
    const carried = await q<{ code: string; carried: string }>(`select municipality as code, carried from municipality_ledger`);
    report(
      'carried = settlements, mergers and shelter credits',
      carried
        .filter((r) => formatRational(parseRational(r.carried)) !== formatRational(summed.get(r.code) ?? ZERO))
        .map((r) => `${r.code}: ledger ${r.carried}, movements ${formatRational(summed.get(r.code) ?? ZERO)}`),
    );

    // 5. The ledger head: seq at or past every movement (caches are keyed by it), a known key.
    const [head] = await q<{ seq: string; max: string | null; key_known: boolean }>(`
      select s.seq::text as seq, (select max(seq)::text from ledger_movements) as max,
             exists (select 1 from distribution_keys k where k.version = s.key_version) as key_known
      from ledger_state s where s.id = 1`);
    if (!head) out.push('ledger head: ledger_state row 1 is missing');
    else {
      if (head.max !== null && BigInt(head.seq) < BigInt(head.max)) out.push(`ledger head: seq ${head.seq} is behind the last movement ${head.max}`);
      if (!head.key_known) out.push('ledger head: the current key version does not exist');
    }

    // 6. Counters, as review-service books them in the allocation's own period: proposed while
    //    under review; approved from approval (override: at once) until a decline or withdrawal,
    //    so accepted and transferred ones stay in it; realised at transfer.
    const counters = await q<{ period: string; code: string; p: number; a: number; r: number; ep: number; ea: number; er: number }>(`
      with expected as (
        select a.period, a.municipality,
               sum(a.units) filter (where a.status = 'proposed') as p,
               sum(a.units) filter (where a.status in ('approved', 'accepted')) as a,
               sum(a.units) filter (where a.status = 'accepted' and r.status in ('transferred', 'housed')) as r
        from allocations a join registrations r on r.id = a.registration_id
        group by a.period, a.municipality
      )
      select coalesce(c.period, e.period) as period, coalesce(c.municipality, e.municipality) as code,
             coalesce(c.proposed, 0)::int as p, coalesce(c.approved, 0)::int as a, coalesce(c.realised, 0)::int as r,
             coalesce(e.p, 0)::int as ep, coalesce(e.a, 0)::int as ea, coalesce(e.r, 0)::int as er
      from period_counters c
      full join expected e on e.period = c.period and e.municipality = c.municipality
      where coalesce(c.proposed, 0) <> coalesce(e.p, 0) or coalesce(c.approved, 0) <> coalesce(e.a, 0) or coalesce(c.realised, 0) <> coalesce(e.r, 0)`);
    report('counters = allocations', counters.map((r) => `${r.period} ${r.code}: counters ${r.p}/${r.a}/${r.r}, allocations ${r.ep}/${r.ea}/${r.er} (proposed/approved/realised)`));

    // 7. Settlement snapshots are consistent: balance = E − A, and closed periods have them.
    const snaps = await q<{ period: string; code: string; entitlement: string; allocated: number; balance: string }>(`
      select period, municipality as code, entitlement, allocated, balance from period_settlements`);
    report(
      'settlement balance = E − A',
      snaps
        .filter((s) => formatRational(parseRational(s.balance)) !== formatRational(add(parseRational(s.entitlement), { num: -BigInt(s.allocated), den: 1n })))
        .map((s) => `${s.period} ${s.code}: ${s.entitlement} − ${s.allocated} ≠ ${s.balance}`),
    );
    const unsnapped = await q<{ period: string }>(`
      select p.period from periods p where p.status = 'closed' and not exists (select 1 from period_settlements s where s.period = p.period)`);
    report('closed periods have settlements', unsnapped.map((r) => r.period));

    // 8. The outbox drains: nothing older than a minute is still unsent.
    const cutoff = opts.now ? new Date(opts.now.getTime() - OUTBOX_MAX_AGE_MS) : null;
    const stale = await q<{ id: string; job: string; created: Date }>(
      `select id, job_name as job, created_at as created from outbox
       where sent_at is null and created_at < coalesce($1::timestamptz, now() - interval '${OUTBOX_MAX_AGE_MS} milliseconds')`,
      [cutoff],
    );
    report('outbox drained', stale.map((r) => `${r.job} ${r.id} unsent since ${r.created.toISOString()}`));
    await c.query('commit');
  } finally {
    await c.end();
  }
  return out;
}
