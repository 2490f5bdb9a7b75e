import { describe, expect, it } from 'vitest';
import { cpuTicks, postgresCpuMs, stealPercent } from './machine.ts';
import { openSql } from './sql.ts';

describe('steal time', () => {
  it.runIf(process.platform === 'linux')('reads the machine CPU time from /proc/stat, growing while the process works', () => {
    const before = cpuTicks()!;
    const until = Date.now() + 60;
    while (Date.now() < until); // at least 6 ticks of 10 ms go by
    const after = cpuTicks()!;
    expect(before.total).toBeGreaterThan(0);
    expect(after.total).toBeGreaterThan(before.total);
    expect(after.steal).toBeGreaterThanOrEqual(before.steal);
    const steal = stealPercent(before, after)!;
    expect(steal).toBeGreaterThanOrEqual(0);
    expect(steal).toBeLessThan(100);
  });

  it('is the share of the ticks between two readings; unknown without them', () => {
    expect(stealPercent({ steal: 10, total: 1_000 }, { steal: 30, total: 1_400 })).toBe(5);
    expect(stealPercent(null, { steal: 30, total: 1_400 })).toBeUndefined();
    expect(stealPercent({ steal: 10, total: 1_000 }, { steal: 10, total: 1_000 })).toBeUndefined();
  });
});

describe("PostgreSQL's CPU time", () => {
  it.runIf(process.platform === 'linux' && !!process.env.DATABASE_URL)('grows by the work of a backend, one that ended included', async () => {
    const before = postgresCpuMs()!;
    // A connection of its own, closed before the second reading: its backend has ended by then.
    const sql = await openSql({ url: process.env.DATABASE_URL }, 1);
    await sql.query('SELECT count(*) FROM generate_series(1, 3000000)');
    await sql.close();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the server reaps the backend
    expect(postgresCpuMs()! - before).toBeGreaterThan(100);
  });
});
