// The outbox decides "pool exhausted" with the license rules of the school's own days: at 00:30 in
// Stockholm (22:30 UTC, the day before in UTC) a license whose end date was yesterday there is
// expired, so taking the last other one exhausts the pool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userActor } from '../auth/authenticate.ts';
import { assignLicense, revokeLicense } from '../domain/assignments.ts';
import { inTransaction } from '../domain/transaction.ts';
import { startTestApi, type TestApi } from '../testing/harness.ts';
import { assignNewLicense, licensePool, type LicensePool } from '../testing/scenarios.ts';

describe('the outbox', () => {
  let test: TestApi;
  let pool: LicensePool;

  beforeAll(async () => {
    test = await startTestApi();
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 2, students: 2 });
  });
  afterAll(() => test.close());

  it('tells pool.exhausted when the last assignable license is taken, counting days in the organisation’s zone', async () => {
    const prisma = test.db.prisma;
    const first = await assignNewLicense(prisma, test.clock, pool, 0);
    await inTransaction(prisma, async (tx) => revokeLicense(tx, test.clock, await userActor(tx, pool.adminId), { licenseId: first.license.id }));
    const revoked = await prisma.license.findUniqueOrThrow({ where: { id: first.license.id } });
    const endDate = revoked.endDate.toISOString().slice(0, 10);

    // 00:30 in Stockholm the day after that end date: still that day in UTC.
    test.clock.set(`${endDate}T22:30:00.000Z`);
    await inTransaction(prisma, async (tx) =>
      assignLicense(tx, test.clock, await userActor(tx, pool.adminId), {
        schoolId: pool.schoolId,
        productId: pool.productId,
        userId: pool.studentIds[1]!,
        reuseStarted: true,
      }),
    );
    const exhausted = await prisma.event.findMany({ where: { kind: 'pool.exhausted', schoolId: pool.schoolId } });
    expect(exhausted).toHaveLength(1);
  });
});
