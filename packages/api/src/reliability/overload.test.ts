// Overload on PostgreSQL. A busy pool (one connection, a short wait for it): a client is told a
// mutation succeeded exactly when it did, and a request that found no connection in time is a
// 503 SERVICE_UNAVAILABLE with Retry-After, not a 500. A lock held elsewhere ends the waiting
// transaction after lock_timeout, also as a 503, with nothing written.
import { openDatabase } from '@school-licenses/db';
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { TEST_AUTH, TEST_START } from '../testing/harness.ts';
import { eventually, listen, postGraphQL, type Listening } from '../testing/http.ts';
import { checkInvariants } from '../testing/invariants.ts';
import { ASSIGN_LICENSE } from '../testing/operations.ts';
import { licensePool, tokenOf } from '../testing/scenarios.ts';
import { decodeId } from '../schema/global-ids.ts';
import { createApi, READY_SATURATION_MS } from '../yoga.ts';

describe.skipIf(!process.env.DATABASE_URL)('a busy pool on PostgreSQL', () => {
  let db: TestDatabase;
  let server: Listening;
  const clock = new ManualClock(TEST_START);

  beforeAll(async () => {
    db = await openTestDatabase({ maxConnections: 1, connectionTimeoutMs: 150, lockTimeoutMs: 300 });
    server = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, log: { ...console, error: () => {} } }));
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('100 concurrent assignLicense on one connection: answered as assigned exactly when assigned', async () => {
    const pool = await licensePool(db.prisma, clock, { licenses: 100, students: 100 });
    const admin = await tokenOf(TEST_AUTH, clock, pool.adminId);
    const responses = await Promise.all(
      pool.gids.students.map((user) =>
        postGraphQL(server.url, admin, ASSIGN_LICENSE, { input: { school: pool.gids.school, product: pool.gids.product, user, reuseStarted: false } }),
      ),
    );
    const outcomes = responses.map((r) => ({ typename: r.data?.assignLicense?.__typename, value: r.data?.assignLicense }));
    // Every other answer is overload: 503 with Retry-After and a code, no data, never a 500.
    for (const response of responses.filter((r) => !r.data?.assignLicense)) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    }
    const told = outcomes.filter((o) => o.typename === 'AssignLicensePayload').map((o) => o.value.assignment.id as string);
    const assignments = await db.prisma.assignment.findMany({ where: { schoolId: pool.schoolId }, select: { id: true } });
    // Some must have waited too long for the connection, or the test proves nothing.
    expect(told.length).toBeLessThan(100);
    expect(told.length).toBeGreaterThan(0);
    expect(new Set(told.map((id) => decodeId(id).id))).toEqual(new Set(assignments.map((a) => a.id)));
    expect(await checkInvariants(db.prisma)).toEqual({});
  });

  it('a lock held elsewhere ends the waiting mutation after lock_timeout: 503, nothing written', async () => {
    const pool = await licensePool(db.prisma, clock, { licenses: 1, students: 1 });
    const admin = await tokenOf(TEST_AUTH, clock, pool.adminId);
    // Another process holds the lock an assignment of this user and product takes.
    const other = await openDatabase({ url: db.url });
    try {
      const response = await other.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`assign:${pool.studentIds[0]}:${pool.productId}`}, 0))`;
        return postGraphQL(server.url, admin, ASSIGN_LICENSE, {
          input: { school: pool.gids.school, product: pool.gids.product, user: pool.gids.students[0], reuseStarted: false },
        });
      });
      expect(response.status).toBe(503);
      expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(await db.prisma.assignment.count({ where: { schoolId: pool.schoolId } })).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('/ready fails once requests have waited for a pool connection a while, and recovers', async () => {
    const busy = await openTestDatabase({ maxConnections: 1, connectionTimeoutMs: 20_000 });
    const api = await listen(createApi({ prisma: busy.prisma, clock, auth: TEST_AUTH, poolWaiting: () => busy.waiting() }));
    const ready = () => fetch(api.url.replace('/graphql', '/ready')).then((r) => r.status);
    try {
      expect(await ready()).toBe(200);
      const pool = await licensePool(busy.prisma, clock, { licenses: 1, students: 1 });
      const admin = await tokenOf(TEST_AUTH, clock, pool.adminId);
      let waiting: Promise<unknown> | undefined;
      // The test holds the only connection; a request's credential lookup waits for it.
      await busy.prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        waiting = postGraphQL(api.url, admin, `{ viewer { kind } }`);
        await eventually(async () => expect(busy.waiting()).toBeGreaterThan(0), 'a request to wait for the pool');
        // A moment's queue is not saturation: ready still, until it has lasted READY_SATURATION_MS.
        expect(await ready()).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, READY_SATURATION_MS));
        expect(await ready()).toBe(503);
      });
      expect(((await waiting) as { status: number }).status).toBe(200);
      expect(await ready()).toBe(200);
    } finally {
      await api.close();
      await busy.close();
    }
  });
});
