// Notifications that help a school act: licenses starting by themselves soon, expiring soon, and
// a pool with nothing left, each told once to the school's administrators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSweep } from '../domain/sweep.ts';
import { startTestApi, type TestApi } from '../testing/harness.ts';
import { licensePool, orderMore, type LicensePool, assignNewLicense } from '../testing/scenarios.ts';
import { publishPendingEvents } from './relay.ts';

describe('notices', () => {
  let test: TestApi;
  let pool: LicensePool;
  const noticesOf = (userId: string, kind: 'POOL_EXHAUSTED' | 'LICENSES_AUTO_STARTING_SOON' | 'LICENSES_EXPIRING_SOON') =>
    test.db.prisma.notification.findMany({ where: { userId, kind }, orderBy: { createdAt: 'asc' } });
  const assign = (student: number) => assignNewLicense(test.db.prisma, test.clock, pool, student);

  beforeAll(async () => {
    test = await startTestApi();
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 3, students: 3 });
  });
  afterAll(() => test.close());

  it('tells the admins when the last license was taken', async () => {
    await assign(0);
    await assign(1);
    await publishPendingEvents(test.db.prisma, test.clock);
    expect(await noticesOf(pool.adminId, 'POOL_EXHAUSTED')).toHaveLength(0);
    await assign(2);
    await publishPendingEvents(test.db.prisma, test.clock);
    const [notice] = await noticesOf(pool.adminId, 'POOL_EXHAUSTED');
    expect(notice?.message).toMatch(/^Every license of Matte .* is taken/);
    expect(await noticesOf(pool.otherOrganisation.adminId, 'POOL_EXHAUSTED')).toHaveLength(0);
  });

  it('tells once that new licenses start by themselves soon, and that assigned ones expire soon', async () => {
    await orderMore(test.db.prisma, test.clock, pool, 4); // start by themselves in 4 months
    test.clock.advanceMonths(3);
    expect((await runSweep(test.db.prisma, test.clock)).notified).toBe(0);
    test.clock.advanceDays(15);
    expect((await runSweep(test.db.prisma, test.clock)).notified).toBe(2); // this admin, and the other organisation's
    const [starting, ...more] = await noticesOf(pool.adminId, 'LICENSES_AUTO_STARTING_SOON');
    expect(more).toEqual([]);
    expect(starting?.message).toMatch(/^4 new license\(s\) of Matte .* start by themselves on \d{4}-\d{2}-\d{2} unless assigned before\.$/);
    expect((await runSweep(test.db.prisma, test.clock)).notified).toBe(0);

    // The three assigned at the start end 12 months after they started.
    test.clock.advanceMonths(8);
    await runSweep(test.db.prisma, test.clock);
    const [expiring] = await noticesOf(pool.adminId, 'LICENSES_EXPIRING_SOON');
    expect(expiring?.message).toMatch(/^3 assigned license\(s\) of Matte .* expire on \d{4}-\d{2}-\d{2}\.$/);
    expect((await runSweep(test.db.prisma, test.clock)).notified).toBe(0);
  });
});
