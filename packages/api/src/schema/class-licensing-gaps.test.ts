// Class licensing's gaps closed (issue 22), on a real database (PGlite, or PostgreSQL with
// DATABASE_URL): a waiter given a license another way leaves the line in the same transaction; a
// role change the rule no longer covers takes the rule's license back; a roster import applies
// standing rules to the members it adds, and its dry run reports what they would do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../domain/actor.ts';
import { setGroupMembership } from '../domain/roster.ts';
import { inTransaction } from '../domain/transaction.ts';
import { dataOf, startTestApi, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { gid, rawId } from '../testing/ids.ts';
import { checkInvariants } from '../testing/invariants.ts';
import {
  ASSIGN_LICENSE,
  ASSIGN_LICENSE_TO_GROUP,
  ASSIGN_LICENSES,
  DELIVER_ORDER,
  GROUP_LICENSING,
  PLACE_ORDER,
  REVOKE_LICENSE,
} from '../testing/operations.ts';
import { addDays, formatDay } from '../domain/days.ts';
import { awaitingDelayedOrder } from '../testing/scenarios.ts';
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

  it("a waiter named in a delayed order's reservation gets its license on delivery and leaves the line, before the line is served", async () => {
    const c = await aClass(0, 3);
    const payload = await send(c.admin, ASSIGN_LICENSE_TO_GROUP, { group: c.group, product: c.pool.gids.delayedProduct, policy: 'NEW_FIRST', keep: true });
    expect(payload).toMatchObject({ assignedCount: 0, waitingCount: 3 });
    const [first, second, third] = c.students;
    const placed = await send(c.admin, PLACE_ORDER, {
      school: c.pool.gids.school,
      product: c.pool.gids.delayedProduct,
      quantity: 2,
      reserveFor: [gid('User', third!)],
    });
    expect(placed.__typename).toBe('OrderPayload');
    expect((await send(c.pool.supplierKey, DELIVER_ORDER, { order: placed.order.id })).__typename).toBe('OrderPayload');
    // The reservation first (the third in line), then the line: the first gets the other license.
    const states = await prisma().licenseWaiter.findMany({ where: { groupId: c.groupId } });
    const stateOf = (userId: string) => states.find((w) => w.userId === userId)?.state;
    expect([stateOf(first!), stateOf(second!), stateOf(third!)]).toEqual(['SERVED', 'WAITING', 'SERVED']);
    expect(await prisma().license.count({ where: { orderId: rawId(placed.order.id), assignedUserId: { in: [first!, third!] } } })).toBe(2);
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

  const RENEWAL_VIEWS = /* GraphQL */ `
    query RenewalViews($school: ID!, $product: ID!, $within: Int!, $to: LocalDate!) {
      expiringLicenses(school: $school, product: $product, within: $within) { endDates { endDate licenses assigned } }
      node(id: $school) {
        ... on School {
          products {
            product { id }
            availability { expiring(within: $within) { endDates { endDate licenses assigned } } }
            licenses(state: STARTED, endDateTo: $to, first: 100) { totalCount edges { node { endDate holder { id } } } }
          }
        }
      }
    }`;

  it("the (i)'s expiring and expiringLicenses count what the license list shows as started, on generated data, by the same rule", async () => {
    const pool = await licensePool(prisma(), test.clock, { licenses: 12, students: 20 });
    // A token signed now: the clock moves by months.
    const admin = () => tokenOf(TEST_AUTH, test.clock, pool.adminId);
    const assign = async (i: number, reuseStarted = false, endDate?: string) =>
      send(await admin(), ASSIGN_LICENSE, {
        school: pool.gids.school,
        product: pool.gids.product,
        user: pool.gids.students[i],
        reuseStarted,
        ...(endDate ? { endDate } : {}),
      });
    // A deterministic mix: licenses started on different days, some revoked (reusable), some held,
    // one reused; then past the 4 months, the rest start by themselves without the sweep.
    const started: { license: { id: string; endDate: string } }[] = [];
    for (let i = 0; i < 8; i++) {
      started.push(await assign(i));
      test.clock.advanceDays(3 + ((i * 7) % 11));
    }
    for (const i of [1, 4, 6]) await send(await admin(), REVOKE_LICENSE, { license: started[i]!.license.id });
    expect((await assign(10, true, started[4]!.license.endDate)).__typename).toBe('AssignLicensePayload');
    test.clock.advanceDays(130);
    // What the widest window saw on each day: held, reusable and self-started licenses, then fewer as they expire.
    const seen: number[] = [];
    for (const days of [0, 200, 120]) {
      test.clock.advanceDays(days);
      const today = test.clock.now().toISOString().slice(0, 10);
      for (const within of [1, 30, 90, 365, 730]) {
        const to = formatDay(addDays(new Date(`${today}T00:00:00Z`), within - 1));
        const data = dataOf(await test.request(await admin(), RENEWAL_VIEWS, { school: pool.gids.school, product: pool.gids.product, within, to }));
        const row = data.node.products.find((p: { product: { id: string } }) => p.product.id === pool.gids.product);
        expect(row.licenses.totalCount).toBeLessThanOrEqual(100);
        const fromList = new Map<string, { endDate: string; licenses: number; assigned: number }>();
        for (const { node } of row.licenses.edges as { node: { endDate: string; holder: { id: string } | null } }[]) {
          const entry = fromList.get(node.endDate) ?? { endDate: node.endDate, licenses: 0, assigned: 0 };
          entry.licenses++;
          if (node.holder) entry.assigned++;
          fromList.set(node.endDate, entry);
        }
        const expected = [...fromList.values()].sort((a, b) => a.endDate.localeCompare(b.endDate));
        const label = `${today}, within ${within}`;
        expect(data.expiringLicenses[0]?.endDates ?? [], label).toEqual(expected);
        expect(row.availability.expiring.endDates, label).toEqual(expected);
        if (within === 730) seen.push(expected.reduce((sum, e) => sum + e.licenses, 0));
      }
    }
    // Day 1: the 8 started by assignment and the 4 that started by themselves (no sweep ran).
    expect(seen[0]).toBe(12);
    expect(seen[2]).toBeLessThan(seen[0]!);
  });

  it("a renewal order's renewalOf is in its placed and delivered events and in the admins' delivery notification", async () => {
    const pool = await licensePool(prisma(), test.clock, { licenses: 2, students: 5 });
    const admin = await tokenOf(TEST_AUTH, test.clock, pool.adminId);
    // A started license of the delayed product (delivered, then assigned), to renew.
    const first = await awaitingDelayedOrder(prisma(), test.clock, pool, 1);
    expect((await send(pool.supplierKey, DELIVER_ORDER, { order: gid('Order', first.id) })).__typename).toBe('OrderPayload');
    const held = await send(admin, ASSIGN_LICENSE, {
      school: pool.gids.school,
      product: pool.gids.delayedProduct,
      user: pool.gids.students[0],
      reuseStarted: false,
    });
    const endDate = held.license.endDate as string;
    const placed = await send(admin, PLACE_ORDER, { school: pool.gids.school, product: pool.gids.delayedProduct, quantity: 1, renewalOf: { endDate } });
    expect(placed.__typename).toBe('OrderPayload');
    const orderId = rawId(placed.order.id);
    expect((await send(pool.supplierKey, DELIVER_ORDER, { order: placed.order.id })).__typename).toBe('OrderPayload');
    for (const kind of ['order.placed', 'order.delivered']) {
      const event = await prisma().event.findFirstOrThrow({ where: { kind, orderId } });
      expect((event.data as { after: unknown }).after, kind).toMatchObject({ renewalOf: { endDate, groupId: null } });
    }
    const notification = await prisma().notification.findFirstOrThrow({ where: { orderId, userId: pool.adminId, kind: 'LICENSES_DELIVERED' } });
    expect(notification.message).toContain(`renews the licenses ending ${endDate}`);
  });
});
