// What else the machine did during a measurement: on a shared virtual machine the host takes CPU
// time from the guest ("steal"), which shows up as latency no code change can remove.
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuTicks {
  steal: number;
  total: number;
}

/** The machine's CPU time so far, in clock ticks, from /proc/stat; null where there is none (not Linux). */
export function cpuTicks(): CpuTicks | null {
  try {
    // cpu  user nice system idle iowait irq softirq steal ...
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { steal: fields[7] ?? 0, total: fields.reduce((sum, ticks) => sum + ticks, 0) };
  } catch {
    return null;
  }
}

/** The share of the machine's CPU time the host took between two readings, in percent. */
export function stealPercent(before: CpuTicks | null, after: CpuTicks | null): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  return ((after.steal - before.steal) / (after.total - before.total)) * 100;
}

/**
 * CPU time so far (user + system, in ms) of the PostgreSQL server's processes on this machine, by
 * process id, from /proc; null where there is none. Every database's backends count: the figure
 * is the benchmark's only while nothing else uses the server.
 */
export function postgresCpuMs(): Map<number, number> | null {
  try {
    const times = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // ended meanwhile
      }
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times.set(Number(entry), ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND);
    }
    return times;
  } catch {
    return null;
  }
}

/** The CPU time PostgreSQL's processes spent between two readings, in ms (a process that ended in between is left out). */
export function postgresCpuMsBetween(before: Map<number, number> | null, after: Map<number, number> | null): number | undefined {
  if (!before || !after || after.size === 0) return undefined;
  let spent = 0;
  for (const [pid, ms] of after) spent += ms - (before.get(pid) ?? 0);
  return spent;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's times, on every common architecture. */
export const CLOCK_TICKS_PER_SECOND = 100;
