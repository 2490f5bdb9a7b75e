// A busy pool: a client is told a mutation succeeded exactly when it did. On PostgreSQL with a
// pool of one connection and a short wait for it, 100 concurrent assignLicense requests: every
// assignment in the database was answered as assigned, and every request answered otherwise
// assigned nothing.
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { TEST_AUTH, TEST_START } from '../testing/harness.ts';
import { listen, type Listening } from '../testing/http.ts';
import { checkInvariants } from '../testing/invariants.ts';
import { ASSIGN_LICENSE, mutate } from '../testing/operations.ts';
import { licensePool, tokenOf } from '../testing/scenarios.ts';
import { decodeId } from '../schema/global-ids.ts';
import { createApi } from '../yoga.ts';

describe.skipIf(!process.env.DATABASE_URL)('a busy pool on PostgreSQL', () => {
  let db: TestDatabase;
  let server: Listening;
  const clock = new ManualClock(TEST_START);

  beforeAll(async () => {
    db = await openTestDatabase({ maxConnections: 1, connectionTimeoutMs: 150 });
    server = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, log: { ...console, error: () => {} } }));
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('100 concurrent assignLicense on one connection: answered as assigned exactly when assigned', async () => {
    const pool = await licensePool(db.prisma, clock, { licenses: 100, students: 100 });
    const admin = await tokenOf(TEST_AUTH, clock, pool.adminId);
    const outcomes = await Promise.all(
      pool.gids.students.map((user) =>
        mutate(server.url, admin, ASSIGN_LICENSE, { school: pool.gids.school, product: pool.gids.product, user, reuseStarted: false }),
      ),
    );
    const told = outcomes.filter((o) => o.typename === 'AssignLicensePayload').map((o) => o.value.assignment.id as string);
    const assignments = await db.prisma.assignment.findMany({ where: { schoolId: pool.schoolId }, select: { id: true } });
    // Some must have waited too long for the connection, or the test proves nothing.
    expect(told.length).toBeLessThan(100);
    expect(told.length).toBeGreaterThan(0);
    expect(new Set(told.map((id) => decodeId(id).id))).toEqual(new Set(assignments.map((a) => a.id)));
    expect(await checkInvariants(db.prisma)).toEqual({});
  });
});
