// Every instance runs the sweep on its timer: one step runs on one instance at a time (an advisory
// lock), and sweeps on several instances at once start each license once, with one audit event.
// PostgreSQL only: PGlite is one process's (and has one connection, which the held lock would take).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSweep } from '../domain/sweep.ts';
import { startStandardScenario, type TestApi } from '../testing/harness.ts';
import { checkInvariants } from '../testing/invariants.ts';

describe.skipIf(!process.env.DATABASE_URL)('the sweep on several instances', () => {
  let test: TestApi;
  beforeAll(async () => {
    ({ test } = await startStandardScenario());
    // Two years on: every license that starts by itself is due, and assignments have expired.
    test.clock.set(new Date(test.clock.now().getTime() + 2 * 366 * 86_400_000));
  });
  afterAll(() => test?.close());

  it('a sweep that finds another one running leaves the work to it', async () => {
    const due = await test.db.prisma.license.count({ where: { startedAt: null } });
    expect(due).toBeGreaterThan(0);
    const whileHeld = await test.db.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('school-licenses:sweep'))`;
      return runSweep(test.db.prisma, test.clock);
    });
    expect(whileHeld).toEqual({ autoStarted: 0, assignmentsExpired: 0, notified: 0, eventsPruned: 0 });
    expect(await test.db.prisma.license.count({ where: { startedAt: null } })).toBe(due);
  });

  it('three sweeps at once start each due license once, each with one audit event', async () => {
    const due = await test.db.prisma.license.findMany({ where: { startedAt: null }, select: { id: true } });
    const reports = await Promise.all([1, 2, 3].map(() => runSweep(test.db.prisma, test.clock)));
    expect(reports.reduce((sum, report) => sum + report.autoStarted, 0)).toBe(due.length);
    const audits = await test.db.prisma.auditEvent.groupBy({
      by: ['licenseId'],
      where: { action: 'LICENSE_AUTO_STARTED', licenseId: { in: due.map((l) => l.id) } },
      _count: true,
    });
    expect(audits.map((a) => a._count)).toEqual(Array(due.length).fill(1));
    expect(await test.db.prisma.license.count({ where: { startedAt: null } })).toBe(0);
    expect(await checkInvariants(test.db.prisma)).toEqual({});
  });
});
