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
 * CPU time so far (user + system, in ms) of the PostgreSQL server's processes on this machine,
 * those that ended included (the server's main process counts the time of the backends it reaped),
 * from /proc; null where there is none. Every database's backends count: the figure is the
 * benchmark's only while nothing else uses the server.
 */
export function postgresCpuMs(): number | null {
  try {
    let total = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // ended meanwhile: its parent has its time
      }
      if (!stat.includes('(postgres)')) continue;
      // With the time of its children it has waited for: the backends that ended.
      total += statCpuMs(stat, { withChildren: true });
    }
    return total;
  } catch {
    return null;
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's times, on every common architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * The CPU time (user + system, in ms) of a process's /proc/<pid>/stat text; `withChildren`: with
 * that of its children it has waited for (cutime, cstime).
 */
export function statCpuMs(stat: string, { withChildren = false } = {}): number {
  // The fields after the command's closing parenthesis: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]) + (withChildren ? Number(fields[13]) + Number(fields[14]) : 0);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}
