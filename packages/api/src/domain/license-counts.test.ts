// The counters a trigger keeps per school, product and days (license-counts.ts) against a recount
// of the licenses, after the writes the API makes, at once from many requests, and after writes
// that no domain code makes yet (moving a license to another school, deleting one), which the
// trigger must cover with no code of their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid } from '../testing/ids.ts';
import { checkInvariants } from '../testing/invariants.ts';
import { ASSIGN_LICENSE, ASSIGN_LICENSES, PLACE_ORDER } from '../testing/operations.ts';
import { checkLicenseCounts } from './license-counts.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`license counters on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
  });
  afterAll(() => test.close());

  it('agree with the licenses of the demo story, which the migration and the seeding wrote', async () => {
    expect(await checkLicenseCounts(test.db.prisma)).toEqual([]);
    expect(await test.db.prisma.licenseDayCount.count({ where: { count: { gt: 0 } } })).toBeGreaterThan(3);
  });

  it('stay right when bulk and single assignments of one product with overlapping users run at once, none deadlocked for good', async () => {
    const prisma = test.db.prisma;
    const school = gid('School', demo.ids.ekskolan);
    const product = gid('Product', demo.ids.matematik);
    const admin = demo.tokens.schoolAdmin;
    const placed = dataOf(await test.request(admin, PLACE_ORDER, { input: { school, product, quantity: 12 } }));
    expect(placed.placeOrder.__typename).toBe('OrderPayload');
    const ekskolan = await prisma.school.findUniqueOrThrow({ where: { id: demo.ids.ekskolan } });
    const students = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        prisma.user.create({
          data: {
            organisationId: ekskolan.organisationId,
            name: `Counter Student ${i}`,
            email: `counter.student.${i}@ekskolan.example`,
            memberships: { create: [{ schoolId: ekskolan.id, role: 'STUDENT' }] },
          },
        }),
      ),
    );
    const user = (i: number) => gid('User', students[i]!.id);
    // Users in different orders and overlapping: the order in which locks are taken matters here.
    const bulk = (users: number[]) => test.request(admin, ASSIGN_LICENSES, { input: { school, product, users: users.map(user), reuseStarted: false } });
    const single = (i: number) => test.request(admin, ASSIGN_LICENSE, { input: { school, product, user: user(i), reuseStarted: false } });
    const answers = await Promise.all([bulk([0, 1, 2, 3]), single(2), bulk([5, 3, 1]), single(4), bulk([6, 7, 4]), single(7), single(0)]);
    for (const answer of answers) expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    const held = await prisma.assignment.count({ where: { userId: { in: students.map((s) => s.id) }, isActive: true } });
    expect(held).toBe(8);
    expect(await checkInvariants(prisma)).toEqual({});
  });

  it('follow writes no domain code makes: a license moved to another school, licenses of several days changed at once, one deleted', async () => {
    const prisma = test.db.prisma;
    const other = await prisma.school.findFirstOrThrow({ where: { id: { not: demo.ids.ekskolan } } });
    const licenses = await prisma.license.findMany({ where: { schoolId: demo.ids.ekskolan, assignedUserId: null }, orderBy: { id: 'asc' }, take: 6 });
    expect(licenses.length).toBe(6);
    await prisma.license.update({ where: { id: licenses[0]!.id }, data: { schoolId: other.id } });
    expect(await checkLicenseCounts(prisma)).toEqual([]);
    // One statement over licenses of different end dates and auto-start days.
    await prisma.$executeRawUnsafe(`UPDATE "License" SET "endDate" = "endDate" + 1, "autoStartOn" = "autoStartOn" - 1 WHERE id = ANY($1::uuid[])`, [
      licenses.slice(1).map((l) => l.id),
    ]);
    expect(await checkLicenseCounts(prisma)).toEqual([]);
    // A license created and deleted in one transaction (the audit log would keep a real one).
    await prisma.$transaction(async (tx) => {
      const copy = licenses[1]!;
      const { id: _id, ...rest } = copy;
      const created = await tx.license.create({ data: { ...rest } });
      expect(await checkLicenseCounts(tx)).toEqual([]);
      await tx.license.delete({ where: { id: created.id } });
    });
    expect(await checkLicenseCounts(prisma)).toEqual([]);
  });

  it('a counter changed behind the trigger is found, with both numbers', async () => {
    const prisma = test.db.prisma;
    const { count, ...key } = await prisma.licenseDayCount.findFirstOrThrow({ where: { count: { gt: 0 } } });
    const row = { ...key, count };
    const where = { schoolId_productId_endDate_autoStartOn_started_assigned: key };
    await prisma.licenseDayCount.update({ where, data: { count: count + 2 } });
    const found = await checkLicenseCounts(prisma);
    expect(found).toEqual([expect.objectContaining({ schoolId: row.schoolId, productId: row.productId, counted: row.count + 2, actual: row.count })]);
    await prisma.licenseDayCount.update({ where, data: { count } });
    expect(await checkLicenseCounts(prisma)).toEqual([]);
  });
});
