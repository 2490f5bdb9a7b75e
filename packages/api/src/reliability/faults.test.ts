// A real database error in the middle of a mutation (a trigger that raises, created by the test)
// leaves nothing half-written, answers with a masked error naming the request id, and logs the
// cause with that id.
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { TEST_AUTH, TEST_START } from '../testing/harness.ts';
import { listen, postGraphQL, type Listening } from '../testing/http.ts';
import { checkInvariants, writeSnapshot } from '../testing/invariants.ts';
import { ASSIGN_LICENSE, ASSIGN_LICENSES, DELIVER_ORDER, PLACE_ORDER, REDEEM_ACTIVATION_LINK, REVOKE_LICENSE } from '../testing/operations.ts';
import { gid } from '../testing/ids.ts';
import { activationLink, awaitingDelayedOrder, licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { createApi } from '../yoga.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`faults in the middle of a mutation on ${backend}`, () => {
  let db: TestDatabase;
  let server: Listening;
  const clock = new ManualClock(TEST_START);
  const logged: string[] = [];
  const log = {
    debug() {},
    info() {},
    warn: (...args: unknown[]) => logged.push(args.map(String).join(' ')),
    error: (...args: unknown[]) => logged.push(args.map(String).join(' ')),
  };
  let pool: LicensePool;
  let admin: string;

  /** Every INSERT into the table fails (from the `after`-th row of the school on), until dropped. */
  async function injectFault(table: 'AuditEvent' | 'Assignment' | 'License', after = 0) {
    await db.prisma.$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION test_inject_fault() RETURNS trigger AS $$
      BEGIN
        IF (SELECT count(*) FROM "${table}" WHERE "schoolId" = NEW."schoolId") >= ${after} THEN
          RAISE EXCEPTION 'injected fault: % is unavailable', TG_TABLE_NAME;
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await db.prisma.$executeRawUnsafe(`CREATE TRIGGER test_inject_fault BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION test_inject_fault()`);
    return table;
  }
  let faulty: string | null = null;

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await listen(createApi({ prisma: db.prisma, clock, auth: TEST_AUTH, graphiql: false, log }));
    pool = await licensePool(db.prisma, clock, { licenses: 10, students: 20 });
    admin = await tokenOf(TEST_AUTH, clock, pool.adminId);
  });
  afterEach(async () => {
    if (faulty) await db.prisma.$executeRawUnsafe(`DROP TRIGGER IF EXISTS test_inject_fault ON "${faulty}"`);
    faulty = null;
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  /** Sends the mutation while the fault is in place: nothing changes, the answer is masked. */
  async function expectNothingWritten(token: string, query: string, input: Record<string, unknown>) {
    const before = await writeSnapshot(db.prisma);
    logged.length = 0;
    const response = await postGraphQL(server.url, token, query, { input });
    expect(await writeSnapshot(db.prisma)).toEqual(before);
    // Masked: a generic message with the request id; nothing of the cause.
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[\w-]{8,}$/);
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: `Unexpected error. (request id ${requestId})`,
        extensions: expect.objectContaining({ code: 'INTERNAL_SERVER_ERROR', requestId }),
      }),
    ]);
    for (const leak of ['injected', 'AuditEvent', 'Assignment', 'INSERT', 'prisma', 'stack', '.ts:', 'P20']) {
      expect(response.text).not.toContain(leak);
    }
    // Logged, with the request id, for whoever runs the server.
    expect(logged.some((line) => line.includes(`[request ${requestId}]`) && line.includes('injected fault'))).toBe(true);
    return response;
  }

  it('assignLicense: the audit insert fails after the license and assignment were written → neither stays', async () => {
    faulty = await injectFault('AuditEvent');
    const input = { school: pool.gids.school, product: pool.gids.product, user: pool.gids.students[0], reuseStarted: false, idempotencyKey: 'fault-1' };
    await expectNothingWritten(admin, ASSIGN_LICENSE, input);
    // The key was not used up: once the database is well, the retry goes through.
    await db.prisma.$executeRawUnsafe(`DROP TRIGGER test_inject_fault ON "AuditEvent"`);
    faulty = null;
    const retry = await postGraphQL(server.url, admin, ASSIGN_LICENSE, { input });
    expect(retry.data.assignLicense.__typename).toBe('AssignLicensePayload');
  });

  it('assignLicenses: the third assignment of a batch fails → the first two are rolled back too', async () => {
    const assigned = await db.prisma.assignment.count({ where: { schoolId: pool.schoolId } });
    faulty = await injectFault('Assignment', assigned + 2);
    await expectNothingWritten(admin, ASSIGN_LICENSES, {
      school: pool.gids.school,
      product: pool.gids.product,
      users: pool.gids.students.slice(1, 5),
      reuseStarted: false,
    });
  });

  it('placeOrder with direct delivery and pre-assignments: licenses fail to be created → no order either', async () => {
    faulty = await injectFault('License');
    await expectNothingWritten(admin, PLACE_ORDER, {
      school: pool.gids.school,
      product: pool.gids.product,
      quantity: 3,
      preAssignTo: pool.gids.students.slice(6, 8),
    });
  });

  it('deliverOrder: the audit of the delivery fails → the order still awaits delivery, without licenses', async () => {
    const order = await awaitingDelayedOrder(db.prisma, clock, pool, 4);
    faulty = await injectFault('AuditEvent');
    await expectNothingWritten(pool.supplierKey, DELIVER_ORDER, { order: gid('Order', order.id) });
    expect(await db.prisma.order.findUniqueOrThrow({ where: { id: order.id } })).toMatchObject({ status: 'AWAITING_DELIVERY', deliveredAt: null });
  });

  it('redeemActivationLink: delivery fails after the link was claimed → the link is still unused', async () => {
    const { token } = await activationLink(db.prisma, clock, pool, 2);
    faulty = await injectFault('License');
    await expectNothingWritten(admin, REDEEM_ACTIVATION_LINK, { token });
    await db.prisma.$executeRawUnsafe(`DROP TRIGGER test_inject_fault ON "License"`);
    faulty = null;
    const retry = await postGraphQL(server.url, admin, REDEEM_ACTIVATION_LINK, { input: { token } });
    expect(retry.data.redeemActivationLink.__typename).toBe('OrderPayload');
  });

  it('revokeLicense: the audit insert fails → the holder keeps the license', async () => {
    const license = await db.prisma.license.findFirstOrThrow({ where: { schoolId: pool.schoolId, assignedUserId: { not: null } } });
    faulty = await injectFault('AuditEvent');
    await expectNothingWritten(admin, REVOKE_LICENSE, { license: gid('License', license.id) });
    expect(await db.prisma.license.findUniqueOrThrow({ where: { id: license.id } })).toMatchObject({ assignedUserId: license.assignedUserId });
  });

  it('after all the faults every invariant still holds', async () => {
    expect(await checkInvariants(db.prisma)).toEqual({});
  });
});
