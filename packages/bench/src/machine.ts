// What else the machine did during a measurement: on a shared virtual machine the host takes CPU
// time from the guest ("steal"), which shows up as latency no code change can remove.
import { readFileSync } from 'node:fs';

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
