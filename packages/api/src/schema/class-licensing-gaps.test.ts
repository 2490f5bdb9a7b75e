// Class licensing's gaps closed (issue 22), on a real database (PGlite, or PostgreSQL with
// DATABASE_URL): a waiter given a license another way leaves the line in the same transaction; a
// role change the rule no longer covers takes the rule's license back; a roster import applies
// standing rules to the members it adds, and its dry run reports what they would do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../domain/actor.ts';
import { setGroupMembership } from '../domain/roster.ts';
import { inTransaction } from '../domain/transaction.ts';
import { dataOf, startTestApi, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { gid } from '../testing/ids.ts';
import { checkInvariants } from '../testing/invariants.ts';
import { ASSIGN_LICENSE, ASSIGN_LICENSE_TO_GROUP, ASSIGN_LICENSES, GROUP_LICENSING, REVOKE_LICENSE } from '../testing/operations.ts';
import { licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`class licensing's gaps on ${backend}`, () => {
  let test: TestApi;
  beforeAll(async () => {
    test = await startTestApi();
  });
  afterAll(async () => {
    await test?.close();
  });

  const prisma = () => test.db.prisma;
  const send = async (token: string, query: string, input: Record<string, unknown>) => {
    const response = await test.request(token, query, { input });
    return Object.values(dataOf(response) as object)[0];
  };

  interface Class {
    pool: LicensePool;
    admin: string;
    group: string;
    groupId: string;
    /** The group's students (the first `members` of the pool's students), by user id order. */
    students: string[];
  }

  /** A school with `licenses` new licenses and a class of `members` students. */
  async function aClass(licenses: number, members: number): Promise<Class> {
    const pool = await licensePool(prisma(), test.clock, { licenses, students: members + 10 });
    const admin = await tokenOf(TEST_AUTH, test.clock, pool.adminId);
    const group = await prisma().group.create({
      data: { name: '7A', kind: 'CLASS', organisationId: pool.organisationId, schoolId: pool.schoolId, startedAt: test.clock.now() },
    });
    const students = [...pool.studentIds.slice(0, members)].sort();
    await prisma().groupMembership.createMany({ data: students.map((userId) => ({ groupId: group.id, userId, role: 'STUDENT' as const })) });
    return { pool, admin, group: gid('Group', group.id), groupId: group.id, students };
  }

  const waiting = async (c: Class) =>
    (await prisma().licenseWaiter.findMany({ where: { groupId: c.groupId, isWaiting: true }, orderBy: [{ queuedAt: 'asc' }, { seq: 'asc' }] })).map(
      (w) => w.userId,
    );

  it('a waiter given a license by assignLicense or a bulk assignment leaves the line (SERVED, with that license) in the same transaction', async () => {
    const c = await aClass(1, 4);
    const payload = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, { group: c.group, product: c.pool.gids.product, policy: 'NEW_FIRST', keep: true });
    expect(payload).toMatchObject({ assignedCount: 1, waitingCount: 3 });
    const [, second, third, fourth] = c.students;
    expect(await waiting(c)).toEqual([second, third, fourth]);
    // Two more licenses, written without a delivery (which would serve the line): one given by hand to
    // the third in line, one to the fourth in a bulk assignment.
    const {
      id: _,
      assignedUserId: __,
      startedAt: ___,
      ...like
    } = await prisma().license.findFirstOrThrow({ where: { schoolId: c.pool.schoolId, productId: c.pool.productId } });
    await prisma().license.createMany({ data: [like, like] });
    const single = await send(c.admin, ASSIGN_LICENSE, {
      school: c.pool.gids.school,
      product: c.pool.gids.product,
      user: gid('User', third!),
      reuseStarted: false,
    });
    expect(single.__typename).toBe('AssignLicensePayload');
    const bulk = await send(c.admin, ASSIGN_LICENSES, {
      school: c.pool.gids.school,
      product: c.pool.gids.product,
      users: [gid('User', fourth!)],
      reuseStarted: false,
    });
    expect(bulk.__typename).toBe('AssignLicensesPayload');
    expect(await waiting(c)).toEqual([second]);
    const ended = await prisma().licenseWaiter.findMany({ where: { userId: { in: [third!, fourth!] } } });
    const holders = await prisma().license.findMany({ where: { id: { in: ended.map((w) => w.licenseId!) } } });
    expect(ended.map((w) => [w.state, holders.find((l) => l.id === w.licenseId)?.assignedUserId])).toEqual(
      expect.arrayContaining([
        ['SERVED', third],
        ['SERVED', fourth],
      ]),
    );
    const audits = await prisma().auditEvent.findMany({ where: { action: 'WAITING_LIST_SERVED', userId: { in: [third!, fourth!] } } });
    expect(audits).toHaveLength(2);
    expect(await prisma().event.count({ where: { kind: 'waiting_list.served', userId: { in: [third!, fourth!] } } })).toBe(2);
    // The view agrees, and a revoke now serves the one still waiting, not a holder.
    const view = dataOf(await test.request(c.admin, GROUP_LICENSING, { group: c.group })).node;
    expect(view.waitingList.map((w: { user: { id: string } }) => w.user.id)).toEqual([gid('User', second!)]);
    await send(c.admin, REVOKE_LICENSE, { license: single.license.id });
    expect(await waiting(c)).toEqual([]);
    expect(await prisma().license.count({ where: { assignedUserId: second! } })).toBe(1);
    await checkInvariants(prisma());
  });

  it("a role change the rule no longer covers takes the rule's license back (LEFT_GROUP) and serves the line with it; keepOnLeave keeps it", async () => {
    const c = await aClass(2, 3);
    const payload = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, { group: c.group, product: c.pool.gids.product, policy: 'NEW_FIRST', keep: true });
    expect(payload).toMatchObject({ assignedCount: 2, waitingCount: 1 });
    const [first, , third] = c.students;
    // The first student becomes the class's teacher: the rule covers students only.
    await inTransaction(prisma(), (tx) => setGroupMembership(tx, test.clock.now(), systemActor, { groupId: c.groupId, userId: first!, role: 'TEACHER' }));
    const ended = await prisma().assignment.findFirstOrThrow({ where: { userId: first! } });
    expect([ended.isActive, ended.endReason]).toEqual([null, 'LEFT_GROUP']);
    // The license went to the one waiting.
    expect(await waiting(c)).toEqual([]);
    expect(await prisma().license.findFirst({ where: { id: ended.licenseId } })).toMatchObject({ assignedUserId: third });
    // Back to student: they wait again (no license left).
    await inTransaction(prisma(), (tx) => setGroupMembership(tx, test.clock.now(), systemActor, { groupId: c.groupId, userId: first!, role: 'STUDENT' }));
    expect(await waiting(c)).toEqual([first]);
    // A waiter whose role the rule no longer covers leaves the line.
    await inTransaction(prisma(), (tx) => setGroupMembership(tx, test.clock.now(), systemActor, { groupId: c.groupId, userId: first!, role: 'TEACHER' }));
    expect(await waiting(c)).toEqual([]);
    expect(await prisma().licenseWaiter.findFirst({ where: { userId: first!, state: 'CANCELLED' } })).not.toBeNull();
    await checkInvariants(prisma());

    // With keepOnLeave, the license stays, as it would on leaving the group.
    const kept = await aClass(1, 1);
    await send(kept.admin, ASSIGN_LICENSE_TO_GROUP, { group: kept.group, product: kept.pool.gids.product, policy: 'NEW_FIRST', keep: true, keepOnLeave: true });
    await inTransaction(prisma(), (tx) =>
      setGroupMembership(tx, test.clock.now(), systemActor, { groupId: kept.groupId, userId: kept.students[0]!, role: 'TEACHER' }),
    );
    expect(await prisma().assignment.findFirstOrThrow({ where: { userId: kept.students[0]! } })).toMatchObject({ isActive: true });
  });
});
