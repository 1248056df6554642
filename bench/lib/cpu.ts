// Where the CPU goes during a phase: on a 2-core machine that runs the service, PostgreSQL, Redis
// and the load generator, throughput is CPU per request divided into the cores. Read from
// /proc (Linux): user + system time of each process, in milliseconds.
import { readFileSync } from 'node:fs';
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
