// Class licensing through the GraphQL API on a real database (PGlite, or PostgreSQL with
// DATABASE_URL): a product given to a group by each policy, the dry run, standing rules as members
// join and leave (by mutation and through the roster interface the import uses), the waiting list
// served by revokes, leavers and deliveries, who may, and the events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, userActor } from '../auth/authenticate.ts';
import { systemActor } from '../domain/actor.ts';
import { removeMyLicense } from '../domain/assignments.ts';
import { endSchoolMembership, setGroupMembership } from '../domain/roster.ts';
import { inTransaction } from '../domain/transaction.ts';
import { dataOf, startTestApi, type TestApi } from '../testing/harness.ts';
import { gid, rawId } from '../testing/ids.ts';
import { addMonths } from '../clock.ts';
import { checkInvariants } from '../testing/invariants.ts';
import {
  ASSIGN_LICENSE,
  ASSIGN_LICENSE_TO_GROUP,
  DELIVER_ORDER,
  END_GROUP,
  END_GROUP_LICENSE_RULE,
  END_GROUP_MEMBERSHIP,
  GROUP_LICENSING,
  REVOKE_LICENSE,
  SET_GROUP_MEMBERSHIP,
  SET_SCHOOL_MEMBERSHIP,
} from '../testing/operations.ts';
import { awaitingDelayedOrder, licensePool, orderMore, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { TEST_AUTH } from '../testing/harness.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`class licensing on ${backend}`, () => {
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
    const value = Object.values(dataOf(response) as object)[0];
    return value;
  };

  interface Class {
    pool: LicensePool;
    admin: string;
    group: string;
    groupId: string;
    /** The group's students (the first `members` of the pool's students), by user id order. */
    students: string[];
    teacherId: string;
  }

  /** A school with `licenses` new licenses, and a class of `members` students and one teacher. */
  async function aClass(licenses: number, members: number): Promise<Class> {
    const pool = await licensePool(prisma(), test.clock, { licenses, students: members + 10 });
    const admin = await tokenOf(TEST_AUTH, test.clock, pool.adminId);
    const group = await prisma().group.create({
      data: { name: '7A', kind: 'CLASS', organisationId: pool.organisationId, schoolId: pool.schoolId, startedAt: test.clock.now() },
    });
    const teacher = await prisma().user.create({
      data: {
        name: 'Lärare',
        email: `teacher.${group.id}@pool.example`,
        organisationId: pool.organisationId,
        memberships: { create: { schoolId: pool.schoolId, role: 'TEACHER' } },
      },
    });
    const students = [...pool.studentIds.slice(0, members)].sort();
    await prisma().groupMembership.createMany({
      data: [
        ...students.map((userId) => ({ groupId: group.id, userId, role: 'STUDENT' as const })),
        { groupId: group.id, userId: teacher.id, role: 'TEACHER' },
      ],
    });
    return { pool, admin, group: gid('Group', group.id), groupId: group.id, students, teacherId: teacher.id };
  }

  /** The end date of a license started now: today + the product's 12 months (tests run at 08:00 UTC, the same day in Stockholm). */
  const aYearFromToday = () => addMonths(test.clock.now(), 12).toISOString().slice(0, 10);
  const toGroup = (c: Class, extra: Record<string, unknown> = {}) => ({ group: c.group, product: c.pool.gids.product, policy: 'REUSABLE_FIRST', ...extra });

  /** Started licenses returned to the pool, one per end date: started `days` apart (one a day). */
  async function reusable(c: Class, studentIndexes: number[]): Promise<string[]> {
    const endDates: string[] = [];
    for (const i of studentIndexes) {
      const assigned = await send(c.admin, ASSIGN_LICENSE, {
        school: c.pool.gids.school,
        product: c.pool.gids.product,
        user: gid('User', c.pool.studentIds[i]!),
        reuseStarted: false,
      });
      expect(assigned.__typename).toBe('AssignLicensePayload');
      await send(c.admin, REVOKE_LICENSE, { license: assigned.license.id });
      endDates.push(assigned.license.endDate);
      test.clock.advanceDays(1);
    }
    return endDates;
  }

  const outcomesByUser = (payload: { outcomes: { user: { id: string }; outcome: string; endDate: string | null; waitReason: string | null }[] }) =>
    Object.fromEntries(payload.outcomes.map((o) => [o.user.id, { outcome: o.outcome, endDate: o.endDate, waitReason: o.waitReason }]));

  it('a dry run tells each student the end date they would get or why they would wait, and writes nothing', async () => {
    const c = await aClass(3, 5);
    const before = await Promise.all([prisma().assignment.count(), prisma().licenseWaiter.count(), prisma().auditEvent.count(), prisma().event.count()]);
    const payload = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { policy: 'NEW_FIRST', dryRun: true }));
    expect(payload.__typename).toBe('AssignLicenseToGroupPayload');
    expect(payload).toMatchObject({ dryRun: true, rule: null, assignedCount: 3, waitingCount: 2 });
    // Students only, by user id: the teacher is not included by default.
    expect(payload.outcomes.map((o: { user: { id: string } }) => o.user.id)).toEqual(c.students.map((id) => gid('User', id)));
    expect(payload.outcomes.map((o: { outcome: string }) => o.outcome)).toEqual(['ASSIGNED', 'ASSIGNED', 'ASSIGNED', 'WAITING', 'WAITING']);
    expect(payload.outcomes[0]).toMatchObject({ endDate: aYearFromToday(), license: null, waitReason: null });
    expect(payload.outcomes[4]).toMatchObject({ endDate: null, waitReason: 'NO_LICENSE_AVAILABLE' });
    const after = await Promise.all([prisma().assignment.count(), prisma().licenseWaiter.count(), prisma().auditEvent.count(), prisma().event.count()]);
    expect(after).toEqual(before);
  });

  it('REUSABLE_FIRST takes reusable licenses earliest end date first, then new ones; the rest wait in order; a repeat changes nothing', async () => {
    const c = await aClass(3, 4);
    // Two reusable licenses, started on different days (students outside the class), and one new.
    const endDates = await reusable(c, [8, 9]);
    const newEndDate = aYearFromToday();
    expect([endDates[0]! < endDates[1]!, endDates[1]! < newEndDate]).toEqual([true, true]);
    const payload = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { roles: ['STUDENT', 'TEACHER'] }));
    expect(payload).toMatchObject({ dryRun: false, assignedCount: 3, waitingCount: 2 });
    // 4 students and the teacher (by user id); licenses in that order: earliest end date first.
    const assigned = payload.outcomes.filter((o: { outcome: string }) => o.outcome === 'ASSIGNED').map((o: { endDate: string }) => o.endDate);
    expect(assigned).toEqual([endDates[0], endDates[1], newEndDate]);
    for (const o of payload.outcomes.filter((o: { outcome: string }) => o.outcome === 'ASSIGNED')) expect(o.license.endDate).toBe(o.endDate);
    // The two without wait in order, visible on the group and on each user.
    const view = dataOf(await test.request(c.admin, GROUP_LICENSING, { group: c.group })).node;
    const waiting = payload.outcomes.filter((o: { outcome: string }) => o.outcome === 'WAITING').map((o: { user: { id: string } }) => o.user.id);
    expect(view.waitingList.map((w: { user: { id: string } }) => w.user.id)).toEqual(waiting);
    expect(view.waitingList.map((w: { position: number; reason: string; state: string }) => [w.position, w.reason, w.state])).toEqual([
      [1, 'NO_LICENSE_AVAILABLE', 'WAITING'],
      [2, 'NO_LICENSE_AVAILABLE', 'WAITING'],
    ]);
    const own = await tokenOf(
      TEST_AUTH,
      test.clock,
      (await prisma().user.findFirstOrThrow({ where: { id: { in: [...c.students, c.teacherId] }, licenseWaits: { some: {} } } })).id,
    );
    const mine = dataOf(await test.request(own, 'query { viewer { user { licenseWaits { position product { id } } } } }')).viewer.user;
    expect(mine.licenseWaits).toHaveLength(1);
    expect(mine.licenseWaits[0].product.id).toBe(c.pool.gids.product);
    // Again: the holders already hold, the waiters already wait; nothing new is written.
    const count = await prisma().licenseWaiter.count();
    const again = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { roles: ['STUDENT', 'TEACHER'] }));
    expect(again.outcomes.map((o: { outcome: string }) => o.outcome).sort()).toEqual(['ALREADY_HOLDS', 'ALREADY_HOLDS', 'ALREADY_HOLDS', 'WAITING', 'WAITING']);
    expect(await prisma().licenseWaiter.count()).toBe(count);
    expect(await checkInvariants(prisma())).toEqual({});
  });

  it('ONLY_NEW leaves reusable licenses alone; NEW_FIRST falls back to them; REUSABLE_WITH_END_DATE takes only the end date chosen', async () => {
    const c = await aClass(3, 2);
    const endDates = await reusable(c, [8, 9, 10]); // every new license used, then given back: 3 reusable, 3 end dates
    await orderMore(prisma(), test.clock, c.pool, 1);
    const onlyNew = outcomesByUser(await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { policy: 'ONLY_NEW', dryRun: true })));
    expect(Object.values(onlyNew).map((o) => o.outcome)).toEqual(['ASSIGNED', 'WAITING']);
    const newFirst = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { policy: 'NEW_FIRST', dryRun: true }));
    expect(newFirst.outcomes.map((o: { endDate: string }) => o.endDate)).toEqual([aYearFromToday(), endDates[0]]);
    const chosen = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { policy: 'REUSABLE_WITH_END_DATE', endDate: endDates[1] }));
    expect(chosen.outcomes.map((o: { outcome: string; endDate: string | null; waitReason: string | null }) => [o.outcome, o.endDate, o.waitReason])).toEqual([
      ['ASSIGNED', endDates[1], null],
      ['WAITING', null, 'END_DATE_NOT_AVAILABLE'],
    ]);
    // The policy's end date belongs to REUSABLE_WITH_END_DATE only.
    expect(await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { policy: 'REUSABLE_WITH_END_DATE' }))).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'endDate',
    });
    expect(await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { endDate: endDates[0] }))).toMatchObject({ code: 'INVALID_INPUT', field: 'endDate' });
  });

  it('a freed license goes to the first in line in the same transaction: revoked, given back by a teacher, a leaver, a delivery', async () => {
    const c = await aClass(1, 4);
    const first = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { roles: ['TEACHER'] }));
    expect(first.outcomes.map((o: { outcome: string }) => o.outcome)).toEqual(['ASSIGNED']); // the teacher
    const students = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c));
    expect(students.waitingCount).toBe(4);
    const line = (
      await prisma().licenseWaiter.findMany({ where: { groupId: c.groupId, isWaiting: true }, orderBy: [{ queuedAt: 'asc' }, { seq: 'asc' }] })
    ).map((w) => w.userId);
    const holderOf = async (userId: string) => prisma().license.findFirst({ where: { assignedUserId: userId } });

    // The teacher gives theirs back: the first student gets it, with its end date.
    const teacherLicense = (await holderOf(c.teacherId))!;
    await inTransaction(prisma(), async (tx) => removeMyLicense(tx, test.clock, await userActor(tx, c.teacherId), { licenseId: teacherLicense.id }));
    expect((await holderOf(line[0]!))?.id).toBe(teacherLicense.id);
    expect((await holderOf(line[0]!))?.endDate).toEqual(teacherLicense.endDate);

    // An admin revokes it: the second in line gets it.
    await send(c.admin, REVOKE_LICENSE, { license: gid('License', teacherLicense.id) });
    expect((await holderOf(line[1]!))?.id).toBe(teacherLicense.id);
    expect(await prisma().assignment.findFirst({ where: { userId: line[1]!, isActive: true } })).toMatchObject({ assignedById: null });

    // The holder leaves the school: the third gets it; the leaver's place in other lines is gone.
    await inTransaction(prisma(), async (tx) => endSchoolMembership(tx, test.clock.now(), systemActor, { schoolId: c.pool.schoolId, userId: line[1]! }));
    expect((await holderOf(line[2]!))?.id).toBe(teacherLicense.id);

    // A delivery of two: the fourth gets one, the other stays new.
    await orderMore(prisma(), test.clock, c.pool, 2);
    expect(await holderOf(line[3]!)).not.toBeNull();
    expect(await prisma().licenseWaiter.count({ where: { groupId: c.groupId, isWaiting: true } })).toBe(0);
    const states = await prisma().licenseWaiter.groupBy({ by: ['state'], where: { groupId: c.groupId }, _count: { _all: true } });
    expect(Object.fromEntries(states.map((s) => [s.state, s._count._all]))).toEqual({ SERVED: 4 });

    // Each service is in the audit log and in the feed, by the system.
    const served = await prisma().event.findMany({ where: { schoolId: c.pool.schoolId, kind: 'waiting_list.served' } });
    expect(served).toHaveLength(4);
    expect(served.every((e) => e.actorLabel === 'system' && e.productId === c.pool.productId)).toBe(true);
    expect(await prisma().auditEvent.count({ where: { schoolId: c.pool.schoolId, action: 'WAITING_LIST_SERVED' } })).toBe(4);
    expect(await checkInvariants(prisma())).toEqual({});
  });

  it('a waiter who is no longer a student or teacher of the school (an administrator now) leaves the line when their turn comes', async () => {
    const c = await aClass(1, 3);
    const given = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c));
    expect(given).toMatchObject({ assignedCount: 1, waitingCount: 2 });
    const line = await prisma().licenseWaiter.findMany({ where: { groupId: c.groupId, isWaiting: true }, orderBy: [{ queuedAt: 'asc' }, { seq: 'asc' }] });
    const promoted = await send(c.admin, SET_SCHOOL_MEMBERSHIP, { school: c.pool.gids.school, user: gid('User', line[0]!.userId), role: 'SCHOOL_ADMIN' });
    expect(promoted.change).toBe('UPDATED');
    const held = given.outcomes.find((o: { outcome: string }) => o.outcome === 'ASSIGNED').license.id;
    await send(c.admin, REVOKE_LICENSE, { license: held });
    expect(await prisma().licenseWaiter.findUniqueOrThrow({ where: { id: line[0]!.id } })).toMatchObject({ state: 'CANCELLED' });
    expect(await prisma().licenseWaiter.findUniqueOrThrow({ where: { id: line[1]!.id } })).toMatchObject({ state: 'SERVED', licenseId: rawId(held) });
    expect(await checkInvariants(prisma())).toEqual({});
  });

  it("a delayed order's delivery serves the waiting list for its product", async () => {
    const c = await aClass(0, 3);
    const delayed = { product: c.pool.gids.delayedProduct };
    expect((await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, delayed))).waitingCount).toBe(3);
    const order = await awaitingDelayedOrder(prisma(), test.clock, c.pool, 2);
    const delivered = await send(c.pool.supplierKey, DELIVER_ORDER, { order: gid('Order', order.id) });
    expect(delivered.__typename).toBe('OrderPayload');
    const line = await prisma().licenseWaiter.findMany({ where: { groupId: c.groupId }, orderBy: [{ queuedAt: 'asc' }, { seq: 'asc' }] });
    expect(line.map((w) => w.state)).toEqual(['SERVED', 'SERVED', 'WAITING']);
    expect(await prisma().license.count({ where: { orderId: order.id, assignedUserId: { in: line.slice(0, 2).map((w) => w.userId) } } })).toBe(2);
  });

  it('a standing rule gives a joiner a license, takes it back from a leaver (LEFT_GROUP) with its end date, and serves the line with it', async () => {
    const c = await aClass(2, 2);
    const made = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { keep: true }));
    expect(made.rule).toMatchObject({ policy: 'REUSABLE_FIRST', roles: ['STUDENT'], keepOnLeave: false, endedAt: null });
    expect(made.assignedCount).toBe(2);
    // A second rule for the same product: refused.
    expect(await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { keep: true }))).toMatchObject({ code: 'ALREADY_EXISTS', field: 'product' });

    // Two join by mutation: no license left, both wait.
    const [joinerA, joinerB] = c.pool.studentIds.slice(2, 4) as [string, string];
    for (const user of [joinerA, joinerB]) {
      const joined = await send(c.admin, SET_GROUP_MEMBERSHIP, { group: c.group, user: gid('User', user), role: 'STUDENT' });
      expect(joined.change).toBe('CREATED');
    }
    expect(
      (await prisma().licenseWaiter.findMany({ where: { groupId: c.groupId, isWaiting: true }, orderBy: [{ queuedAt: 'asc' }, { seq: 'asc' }] })).map(
        (w) => w.userId,
      ),
    ).toEqual([joinerA, joinerB]);

    // A holder leaves the group: their license goes back with its end date, and to joiner A.
    const leaver = c.students[0]!;
    const license = (await prisma().license.findFirst({ where: { assignedUserId: leaver } }))!;
    await send(c.admin, END_GROUP_MEMBERSHIP, { group: c.group, user: gid('User', leaver) });
    const ended = await prisma().assignment.findFirstOrThrow({ where: { licenseId: license.id, userId: leaver } });
    expect(ended).toMatchObject({ endReason: 'LEFT_GROUP', isActive: null });
    const now = await prisma().license.findUniqueOrThrow({ where: { id: license.id } });
    expect(now).toMatchObject({ assignedUserId: joinerA, endDate: license.endDate, startedAt: license.startedAt });
    expect(await prisma().event.count({ where: { licenseId: license.id, kind: 'license.revoked' } })).toBe(1);

    // Joiner B leaves the school while waiting: off the list, nothing else.
    await send(c.admin, END_GROUP_MEMBERSHIP, { group: c.group, user: gid('User', joinerB) });
    expect(await prisma().licenseWaiter.findFirstOrThrow({ where: { userId: joinerB } })).toMatchObject({ state: 'CANCELLED', isWaiting: null });

    // A license the student held before the rule is theirs: leaving does not take it.
    const outsider = c.pool.studentIds[5]!;
    await send(c.admin, REVOKE_LICENSE, {
      license: gid('License', (await prisma().license.findFirstOrThrow({ where: { assignedUserId: c.students[1]! } })).id),
    });
    await orderMore(prisma(), test.clock, c.pool, 1);
    const own = await send(c.admin, ASSIGN_LICENSE, {
      school: c.pool.gids.school,
      product: c.pool.gids.product,
      user: gid('User', outsider),
      reuseStarted: false,
    });
    expect(own.__typename).toBe('AssignLicensePayload');
    await send(c.admin, SET_GROUP_MEMBERSHIP, { group: c.group, user: gid('User', outsider), role: 'STUDENT' });
    await send(c.admin, END_GROUP_MEMBERSHIP, { group: c.group, user: gid('User', outsider) });
    expect((await prisma().license.findUniqueOrThrow({ where: { id: rawId(own.license.id) } })).assignedUserId).toBe(outsider);
    expect(await checkInvariants(prisma())).toEqual({});
  });

  it('through the roster interface the import uses, a joiner gets a license and a leaver of the school gives it back, in the same transaction', async () => {
    const c = await aClass(1, 0);
    await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { keep: true, policy: 'ONLY_NEW' }));
    const joiner = c.pool.studentIds[0]!;
    await inTransaction(prisma(), async (tx) => {
      await setGroupMembership(tx, test.clock.now(), systemActor, { groupId: c.groupId, userId: joiner, role: 'STUDENT' });
      // Seen inside the import's own transaction.
      expect(await tx.license.count({ where: { assignedUserId: joiner } })).toBe(1);
    });
    const assignment = await prisma().assignment.findFirstOrThrow({ where: { userId: joiner } });
    expect(assignment.groupLicenseRuleId).not.toBeNull();
    await inTransaction(prisma(), (tx) => endSchoolMembership(tx, test.clock.now(), systemActor, { schoolId: c.pool.schoolId, userId: joiner }));
    expect(await prisma().assignment.findUniqueOrThrow({ where: { id: assignment.id } })).toMatchObject({ endReason: 'LEFT_GROUP' });
  });

  it('keepOnLeave keeps the license; ending the rule or the group cancels its waiters and leaves licenses with their holders', async () => {
    const c = await aClass(1, 3);
    const made = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { keep: true, keepOnLeave: true }));
    expect(made).toMatchObject({ assignedCount: 1, waitingCount: 2 });
    const holder = made.outcomes.find((o: { outcome: string }) => o.outcome === 'ASSIGNED').user.id;
    await send(c.admin, END_GROUP_MEMBERSHIP, { group: c.group, user: holder });
    expect(await prisma().assignment.count({ where: { schoolId: c.pool.schoolId, isActive: true } })).toBe(1);

    const ended = await send(c.admin, END_GROUP_LICENSE_RULE, { rule: made.rule.id });
    expect(ended).toMatchObject({ ended: true, rule: { id: made.rule.id } });
    expect(ended.rule.endedAt).not.toBeNull();
    expect(await prisma().licenseWaiter.count({ where: { groupId: c.groupId, state: 'CANCELLED' } })).toBe(2);
    expect(await send(c.admin, END_GROUP_LICENSE_RULE, { rule: made.rule.id })).toMatchObject({ ended: false });
    const view = dataOf(await test.request(c.admin, GROUP_LICENSING, { group: c.group })).node;
    expect(view.licenseRules).toEqual([]);
    expect(view.waitingList).toEqual([]);

    // A group that ends takes its rules with it; its members keep their licenses.
    const again = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, toGroup(c, { keep: true, policy: 'NEW_FIRST' }));
    expect(again.rule.policy).toBe('NEW_FIRST');
    await send(c.admin, END_GROUP, { group: c.group });
    expect(await prisma().groupLicenseRule.count({ where: { groupId: c.groupId, isActive: true } })).toBe(0);
    expect(await prisma().assignment.count({ where: { schoolId: c.pool.schoolId, isActive: true } })).toBe(1);
    expect(await prisma().auditEvent.count({ where: { groupId: c.groupId, action: 'GROUP_LICENSE_RULE_ENDED' } })).toBe(2);
    expect(await prisma().event.count({ where: { schoolId: c.pool.schoolId, kind: 'group_license_rule.created' } })).toBe(2);
  });

  it("only the school's and the organisation's administrators and read-write keys may; nobody else sees the rules or the line", async () => {
    const c = await aClass(2, 2);
    const teacher = await tokenOf(TEST_AUTH, test.clock, c.teacherId);
    const student = await tokenOf(TEST_AUTH, test.clock, c.students[0]!);
    const otherAdmin = await tokenOf(TEST_AUTH, test.clock, c.pool.otherOrganisation.adminId);
    const key = async (kind: 'ORGANISATION_READ' | 'ORGANISATION_READ_WRITE') =>
      (await createApiKey(prisma(), test.clock, { name: kind, kind, organisationId: c.pool.organisationId })).key;
    const dry = toGroup(c, { dryRun: true });
    expect(await send(teacher, ASSIGN_LICENSE_TO_GROUP, dry)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await send(student, ASSIGN_LICENSE_TO_GROUP, dry)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await send(await key('ORGANISATION_READ'), ASSIGN_LICENSE_TO_GROUP, dry)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await send(otherAdmin, ASSIGN_LICENSE_TO_GROUP, dry)).toMatchObject({ code: 'NOT_FOUND', field: 'group' });
    expect(await send(c.pool.supplierKey, ASSIGN_LICENSE_TO_GROUP, dry)).toMatchObject({ code: 'NOT_FOUND' });
    const made = await send(await key('ORGANISATION_READ_WRITE'), ASSIGN_LICENSE_TO_GROUP, toGroup(c, { keep: true }));
    expect(made).toMatchObject({ assignedCount: 2 });
    expect(await send(teacher, END_GROUP_LICENSE_RULE, { rule: made.rule.id })).toMatchObject({ code: 'NOT_FOUND' });
    expect(await send(otherAdmin, END_GROUP_LICENSE_RULE, { rule: made.rule.id })).toMatchObject({ code: 'NOT_FOUND' });
    const seen = dataOf(await test.request(teacher, GROUP_LICENSING, { group: c.group })).node;
    expect(seen?.licenseRules ?? []).toEqual([]);
  });

  it('a retry with the same idempotency key returns the first answer and assigns nothing more', async () => {
    const c = await aClass(1, 2);
    const input = toGroup(c, { idempotencyKey: 'class-7a-matte' });
    const first = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, input);
    await orderMore(prisma(), test.clock, c.pool, 1); // serves the waiter
    const count = await prisma().assignment.count({ where: { schoolId: c.pool.schoolId } });
    const retry = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, input);
    expect(retry).toEqual(first);
    expect(await prisma().assignment.count({ where: { schoolId: c.pool.schoolId } })).toBe(count);
    expect(await send(c.admin, ASSIGN_LICENSE_TO_GROUP, { ...input, policy: 'ONLY_NEW' })).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });
});
