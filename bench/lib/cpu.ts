// Where the CPU goes during a phase: on a 2-core machine that runs the service, PostgreSQL, Redis
// and the load generator, throughput is CPU per request divided into the cores. Read from
// /proc (Linux): user + system time of each process, in milliseconds.
import { readFileSync } from 'node:fs';
import { arch, cpus, release, totalmem } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';

const TICKS_PER_SECOND = 100; // CLK_TCK on Linux

export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The PostgreSQL backends serving one database (the service's pool and relay connections). */
export async function backendPids(databaseUrl: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    return rows.map((r) => r.pid);
  } finally {
    await c.end();
  }
}

export interface CpuSnapshot {
  at: number;
  byPid: Map<number, number>;
}

export function snapshot(pids: number[]): CpuSnapshot {
  const byPid = new Map<number, number>();
  for (const pid of pids) {
    const ms = cpuMs(pid);
    if (ms !== undefined) byPid.set(pid, ms);
  }
  return { at: Date.now(), byPid };
}

/** CPU used between two snapshots by these pids (a pid born in between counts from zero). */
export function used(before: CpuSnapshot, after: CpuSnapshot, pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    const end = after.byPid.get(pid);
    if (end !== undefined) total += end - (before.byPid.get(pid) ?? 0);
  }
  return total;
}

/** CPU time of the whole machine that was not idle, milliseconds (all cores together). */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / TICKS_PER_SECOND;
}

/** CPU per unit of work during a phase, by kind of process. */
export interface CpuSplit {
  /** Milliseconds of CPU per accepted registration (or proposal, or job). */
  app: number;
  postgres: number;
  redis: number;
  load: number;
  /** Everything else on the machine meanwhile (other people's work), in cores on average. */
  otherCores: number;
}

export interface CpuWindow {
  busyMs: number;
  snap: CpuSnapshot;
  databaseUrl: string;
  appPids: number[];
  pgPids: number[];
  redisPid: number | undefined;
}

export async function cpuStart(databaseUrl: string, appPids: number[], redisPid: number | undefined): Promise<CpuWindow> {
  const pgPids = await backendPids(databaseUrl);
  return { busyMs: machineBusyMs(), snap: snapshot([...appPids, ...pgPids, ...(redisPid ? [redisPid] : [])]), databaseUrl, appPids, pgPids, redisPid };
}

/** Backends born during the window count from zero; one born and gone within it is missed. */
export async function cpuEnd(w: CpuWindow, units: number, loadCpuMs = 0): Promise<CpuSplit> {
  const pgPids = [...new Set([...w.pgPids, ...(await backendPids(w.databaseUrl))])];
  const after = snapshot([...w.appPids, ...pgPids, ...(w.redisPid ? [w.redisPid] : [])]);
  const app = used(w.snap, after, w.appPids);
  const postgres = used(w.snap, after, pgPids);
  const redis = w.redisPid ? used(w.snap, after, [w.redisPid]) : 0;
  const other = machineBusyMs() - w.busyMs - app - postgres - redis - loadCpuMs;
  return {
    app: app / units,
    postgres: postgres / units,
    redis: w.redisPid ? redis / units : NaN,
    load: loadCpuMs / units,
    otherCores: Math.max(0, other) / (after.at - w.snap.at),
  };
}

export const cpuTotal = (c: CpuSplit) => c.app + c.postgres + (Number.isFinite(c.redis) ? c.redis : 0) + c.load;

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
export function fmtCpu(c: CpuSplit): string {
  return `app ${f2(c.app)} + PostgreSQL ${f2(c.postgres)} + Redis ${f2(c.redis)} + load ${f2(c.load)} = ${f2(cpuTotal(c))}; other work on the machine ${f2(c.otherCores)} cores`;
}

/** The machine in one line (cores, memory, kernel, versions), and redis-server's pid for the CPU split. */
export async function describeMachine(adminUrl: string, redisUrl: string): Promise<{ text: string; redisPid: number | undefined }> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  const pgVersion = (await c.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0]!.v;
  await c.end();
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const info = await r.info('server');
  r.disconnect();
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
  const cpu = cpus();
  return {
    text: `${cpu.length} × ${cpu[0]?.model ?? '?'}; ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory; Linux ${release()} (${arch()}); Node ${process.version}; PostgreSQL ${pgVersion}; Redis ${redisVersion}; all on one machine, with the load generator.`,
    redisPid: Number(/process_id:(\d+)/.exec(info)?.[1]) || undefined,
  };
}
