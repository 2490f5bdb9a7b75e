// The concurrency cases, over real HTTP against one or more API servers sharing one database.
// Requests go round-robin over the servers' URLs. Assertions are about outcomes and the rows in
// the database, never about how long anything took.
import type { PrismaClient } from '@school-licenses/db';
import { expect, it } from 'vitest';
import type { AuthConfig } from '../auth/authenticate.ts';
import type { Clock } from '../clock.ts';
import { userActor } from '../auth/authenticate.ts';
import { systemActor } from '../domain/actor.ts';
import { placeOrder } from '../domain/orders.ts';
import { inTransaction } from '../domain/transaction.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../roster/files.ts';
import { importRoster } from '../roster/import.ts';
import { fixtureFiles, fixtureText } from '../roster/testing.ts';
import { checkInvariants } from '../testing/invariants.ts';
import {
  ASSIGN_LICENSE,
  ASSIGN_LICENSE_TO_GROUP,
  ASSIGN_LICENSES,
  DELIVER_ORDER,
  END_GROUP_MEMBERSHIP,
  END_SCHOOL_MEMBERSHIP,
  SET_GROUP_MEMBERSHIP,
  mutate,
  MOVE_LICENSES,
  REDEEM_ACTIVATION_LINK,
  REVOKE_LICENSE,
  tally,
} from '../testing/operations.ts';
import { gid } from '../testing/ids.ts';
import { activationLink, awaitingDelayedOrder, licensePool, orderMore, poolOfTen, tokenOf, type LicensePool } from '../testing/scenarios.ts';

export interface Target {
  prisma: PrismaClient;
  clock: Clock;
  auth: AuthConfig;
  urls(): string[];
}

export const ROUNDS = 3;

export function concurrencyCases(target: () => Target) {
  const urlFor = (i: number) => {
    const urls = target().urls();
    return urls[i % urls.length]!;
  };

  async function setUp(): Promise<{ pool: LicensePool; admin: string }> {
    const { prisma, clock, auth } = target();
    const pool = await poolOfTen(prisma, clock);
    return { pool, admin: await tokenOf(auth, clock, pool.adminId) };
  }

  const assignInput = (pool: LicensePool, student: string, extra: Record<string, unknown> = {}) => ({
    school: pool.gids.school,
    product: pool.gids.product,
    user: student,
    reuseStarted: false,
    ...extra,
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: 100 concurrent assignLicense for 100 users on a pool of 10 → exactly 10 assigned, 90 NO_LICENSE_AVAILABLE`, async () => {
      const { prisma } = target();
      const { pool, admin } = await setUp();
      const outcomes = await Promise.all(pool.gids.students.map((student, i) => mutate(urlFor(i), admin, ASSIGN_LICENSE, assignInput(pool, student))));
      expect(tally(outcomes)).toEqual({ AssignLicensePayload: 10, NO_LICENSE_AVAILABLE: 90 });
      const licenses = outcomes.filter((o) => o.typename === 'AssignLicensePayload').map((o) => o.value.license.id);
      expect(new Set(licenses).size).toBe(10);
      // The database agrees: 10 active assignments of 10 different licenses, each audited once.
      const [row] = await prisma.$queryRaw<{ active: bigint; licenses: bigint; audited: bigint }[]>`
        SELECT
          (SELECT count(*) FROM "Assignment" WHERE "schoolId" = ${pool.schoolId}::uuid AND "endedAt" IS NULL) AS active,
          (SELECT count(DISTINCT "licenseId") FROM "Assignment" WHERE "schoolId" = ${pool.schoolId}::uuid) AS licenses,
          (SELECT count(*) FROM "AuditEvent" WHERE "schoolId" = ${pool.schoolId}::uuid AND action = 'LICENSE_ASSIGNED') AS audited`;
      expect(row).toEqual({ active: 10n, licenses: 10n, audited: 10n });
      expect(await checkInvariants(prisma)).toEqual({});
    });
  }

  it('20 concurrent assignLicense for the same user, with licenses to spare → one assigned, 19 USER_ALREADY_HAS_LICENSE', async () => {
    const { prisma } = target();
    for (let round = 1; round <= ROUNDS; round++) {
      const { pool, admin } = await setUp();
      const student = pool.gids.students[0]!;
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => mutate(urlFor(i), admin, ASSIGN_LICENSE, assignInput(pool, student))));
      expect(tally(outcomes), `round ${round}`).toEqual({ AssignLicensePayload: 1, USER_ALREADY_HAS_LICENSE: 19 });
      expect(await prisma.assignment.count({ where: { schoolId: pool.schoolId } })).toBe(1);
      // The licenses the others locked for a moment are new again.
      expect(await prisma.license.count({ where: { schoolId: pool.schoolId, startedAt: null } })).toBe(9);
    }
    expect(await checkInvariants(prisma)).toEqual({});
  });

  it('concurrent assignLicenses batches share the pool without handing a license out twice', async () => {
    const { prisma } = target();
    const { pool, admin } = await setUp();
    await orderMore(prisma, target().clock, pool, 15); // 25 licenses for 5 overlapping batches of 10 users
    // Overlapping users, in opposite orders: a batch that took user A waits for user B while
    // another batch holds B and waits for A, unless the server orders its locks.
    const batches = Array.from({ length: 5 }, (_, b) => {
      const users = pool.gids.students.slice(b * 6, b * 6 + 10);
      return b % 2 ? users.reverse() : users;
    });
    const outcomes = await Promise.all(
      batches.map((users, i) =>
        mutate(urlFor(i), admin, ASSIGN_LICENSES, { school: pool.gids.school, product: pool.gids.product, users, reuseStarted: false }),
      ),
    );
    expect(outcomes.map((o) => o.typename)).toEqual(Array(5).fill('AssignLicensesPayload'));
    const assigned = outcomes.flatMap((o) =>
      o.value.outcomes.filter((u: { assigned: boolean }) => u.assigned).map((u: { license: { id: string } }) => u.license.id),
    );
    const distinctUsers = new Set(batches.flat()).size; // 34 users want one; 25 licenses
    expect(assigned.length).toBe(Math.min(25, distinctUsers));
    expect(new Set(assigned).size).toBe(assigned.length);
    const codes = outcomes.flatMap((o) =>
      o.value.outcomes.filter((u: { assigned: boolean }) => !u.assigned).map((u: { error: { code: string } }) => u.error.code),
    );
    expect(new Set(codes)).toEqual(new Set(['NO_LICENSE_AVAILABLE', 'USER_ALREADY_HAS_LICENSE']));
    expect(await checkInvariants(prisma)).toEqual({});
  });

  it('revokeLicense twice at once per license → each revoked once; then concurrent reuse hands each out once', async () => {
    const { prisma } = target();
    const { pool, admin } = await setUp();
    const assigned = await Promise.all(pool.gids.students.slice(0, 10).map((s, i) => mutate(urlFor(i), admin, ASSIGN_LICENSE, assignInput(pool, s))));
    const licenses = assigned.map((o) => o.value.license.id as string);
    const revoked = await Promise.all([...licenses, ...licenses].map((license, i) => mutate(urlFor(i), admin, REVOKE_LICENSE, { license })));
    expect(tally(revoked)).toEqual({ LicensePayload: 10, LICENSE_NOT_ASSIGNED: 10 });
    expect(await prisma.auditEvent.count({ where: { schoolId: pool.schoolId, action: 'LICENSE_REVOKED' } })).toBe(10);
    // All ten are reusable; started on one day, they share its end date (end dates are days): 30
    // users reach for them at once, three for each license.
    const endDates = assigned.map((o) => o.value.license.endDate as string);
    const reused = await Promise.all(
      pool.gids.students
        .slice(10, 40)
        .map((s, i) => mutate(urlFor(i), admin, ASSIGN_LICENSE, assignInput(pool, s, { reuseStarted: true, endDate: endDates[i % 10] }))),
    );
    const counts = tally(reused);
    expect(counts.AssignLicensePayload).toBe(10);
    // Losers learn the end date they chose has gone, or that the pool is empty.
    expect((counts.NO_LICENSE_AVAILABLE ?? 0) + (counts.END_DATE_NOT_AVAILABLE ?? 0)).toBe(20);
    const winners = reused.filter((o) => o.typename === 'AssignLicensePayload');
    expect(new Set(winners.map((o) => o.value.license.id))).toEqual(new Set(licenses));
    expect(new Set(winners.map((o) => o.value.license.endDate))).toEqual(new Set(endDates));
    expect(await checkInvariants(prisma)).toEqual({});
  });

  it('moveLicenses racing assignLicense on the same pool → no license both moved and assigned, or moved twice', async () => {
    const { prisma, clock, auth } = target();
    for (let round = 1; round <= ROUNDS; round++) {
      const { pool, admin } = await setUp();
      // A second school of the organisation, and an organisation administrator to move between them.
      const other = await prisma.school.create({ data: { name: `Grannskolan ${round}`, organisationId: pool.organisationId } });
      const orgAdmin = await prisma.user.create({
        data: { name: 'Org Admin', email: `org.${pool.schoolId}@pool.example`, organisationId: pool.organisationId, isOrganisationAdmin: true },
      });
      const mover = await tokenOf(auth, clock, orgAdmin.id);
      const move = { fromSchool: pool.gids.school, toSchool: gid('School', other.id), product: pool.gids.product, count: 3, kind: 'NEW' };
      // 10 licenses: 8 assignments and 4 moves of 3 reach for them at once.
      const outcomes = await Promise.all([
        ...pool.gids.students.slice(0, 8).map((student, i) => mutate(urlFor(i), admin, ASSIGN_LICENSE, assignInput(pool, student))),
        ...Array.from({ length: 4 }, (_, i) => mutate(urlFor(i + 1), mover, MOVE_LICENSES, move)),
      ]);
      const assigned = outcomes.slice(0, 8).filter((o) => o.typename === 'AssignLicensePayload');
      const moves = outcomes.slice(8).filter((o) => o.typename === 'MoveLicensesPayload');
      expect(Object.keys(tally(outcomes)).filter((k) => !['AssignLicensePayload', 'MoveLicensesPayload', 'NO_LICENSE_AVAILABLE'].includes(k))).toEqual([]);
      const movedIds = moves.flatMap((o) => o.value.licenses.map((l: { id: string }) => l.id));
      const assignedIds = assigned.map((o) => o.value.license.id as string);
      expect(new Set([...movedIds, ...assignedIds]).size, `round ${round}`).toBe(movedIds.length + assignedIds.length);
      expect(movedIds.length).toBe(3 * moves.length);
      expect(assignedIds.length + movedIds.length).toBeLessThanOrEqual(10);
      // The database agrees: every moved license is at the other school, unassigned, moved once.
      const [row] = await prisma.$queryRaw<{ there: bigint; held: bigint; audits: bigint }[]>`
        SELECT
          (SELECT count(*) FROM "License" WHERE "schoolId" = ${other.id}::uuid) AS there,
          (SELECT count(*) FROM "License" WHERE "schoolId" = ${other.id}::uuid AND ("assignedUserId" IS NOT NULL OR "startedAt" IS NOT NULL)) AS held,
          (SELECT count(*) FROM "AuditEvent" WHERE "schoolId" = ${other.id}::uuid AND action = 'LICENSE_MOVED_IN') AS audits`;
      expect(row).toEqual({ there: BigInt(movedIds.length), held: 0n, audits: BigInt(movedIds.length) });
      expect(await prisma.license.count({ where: { schoolId: pool.schoolId, assignedUserId: { not: null } } })).toBe(assignedIds.length);
    }
    expect(await checkInvariants(prisma)).toEqual({});
  });

  it('deliverOrder five times at once → delivered once, with its licenses once', async () => {
    const { prisma, clock } = target();
    const { pool } = await setUp();
    for (let round = 1; round <= ROUNDS; round++) {
      const order = await awaitingDelayedOrder(prisma, clock, pool, 7);
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, (_, i) => mutate(urlFor(i), pool.supplierKey, DELIVER_ORDER, { order: gid('Order', order.id) })),
      );
      expect(tally(outcomes), `round ${round}`).toEqual({ OrderPayload: 1, ORDER_ALREADY_DELIVERED: 4 });
      expect(await prisma.license.count({ where: { orderId: order.id } })).toBe(7);
    }
    expect(await checkInvariants(prisma)).toEqual({});
  });

  it('one activation link redeemed by two (and by five) concurrent requests → exactly one succeeds', async () => {
    const { prisma, clock } = target();
    const { pool, admin } = await setUp();
    for (const concurrent of [2, 5, 2]) {
      const { order, token } = await activationLink(prisma, clock, pool, 4);
      const outcomes = await Promise.all(Array.from({ length: concurrent }, (_, i) => mutate(urlFor(i), admin, REDEEM_ACTIVATION_LINK, { token })));
      expect(tally(outcomes)).toEqual({ OrderPayload: 1, ACTIVATION_LINK_ALREADY_REDEEMED: concurrent - 1 });
      expect(await prisma.license.count({ where: { orderId: order.id } })).toBe(4);
    }
    expect(await checkInvariants(prisma)).toEqual({});
  });

  it('students leaving the school while they are being assigned → no leaver keeps a license; each one assigned is back in the pool', async () => {
    const { prisma } = target();
    const { pool, admin } = await setUp();
    const leavers = pool.gids.students.slice(0, 10);
    const outcomes = await Promise.all(
      leavers.flatMap((student, i) => [
        mutate(urlFor(2 * i), admin, ASSIGN_LICENSE, assignInput(pool, student)),
        mutate(urlFor(2 * i + 1), admin, END_SCHOOL_MEMBERSHIP, { school: pool.gids.school, user: student }),
      ]),
    );
    const assigned = outcomes.filter((_, i) => i % 2 === 0);
    const left = outcomes.filter((_, i) => i % 2 === 1);
    expect(left.map((o) => o.value?.change)).toEqual(leavers.map(() => 'ENDED'));
    // Each assignment came first (then was revoked) or second (then refused).
    const tallied = tally(assigned);
    expect(Object.keys(tallied).filter((key) => key !== 'AssignLicensePayload' && key !== 'USER_NOT_IN_SCHOOL')).toEqual([]);
    const ids = pool.studentIds.slice(0, 10);
    expect(await prisma.license.count({ where: { assignedUserId: { in: ids } } })).toBe(0);
    expect(await prisma.assignment.count({ where: { userId: { in: ids }, endReason: 'LEFT_SCHOOL' } })).toBe(tallied.AssignLicensePayload ?? 0);
    expect(await prisma.license.count({ where: { schoolId: pool.schoolId, startedAt: { not: null }, assignedUserId: null } })).toBe(
      tallied.AssignLicensePayload ?? 0,
    );
    expect(await checkInvariants(prisma)).toEqual({});
  });

  // Class licensing (domain/group-licensing.ts): a class of the pool's first `members` students.
  async function aClass(pool: LicensePool, members: number) {
    const { prisma } = target();
    const group = await prisma.group.create({ data: { name: '7A', kind: 'CLASS', organisationId: pool.organisationId, schoolId: pool.schoolId } });
    await prisma.groupMembership.createMany({
      data: pool.studentIds.slice(0, members).map((userId) => ({ groupId: group.id, userId, role: 'STUDENT' as const })),
    });
    return { id: group.id, gid: gid('Group', group.id) };
  }

  /** Licenses anyone could take now (new, or started, unexpired and unassigned) while someone waits: the line was passed by. */
  async function passedBy(pool: LicensePool): Promise<{ free: bigint; waiting: bigint }> {
    const [row] = await target().prisma.$queryRaw<{ free: bigint; waiting: bigint }[]>`
      SELECT
        (SELECT count(*) FROM "License" WHERE "schoolId" = ${pool.schoolId}::uuid AND "productId" = ${pool.productId}::uuid
          AND "assignedUserId" IS NULL AND "endDate" >= CURRENT_DATE) AS free,
        (SELECT count(*) FROM "LicenseWaiter" WHERE "schoolId" = ${pool.schoolId}::uuid AND "isWaiting") AS waiting`;
    return row!;
  }

  it('two admins give one class a product while members join and leave and licenses are revoked → one rule, no license twice, nobody passed over', async () => {
    const { prisma } = target();
    for (let round = 1; round <= ROUNDS; round++) {
      const { pool, admin } = await setUp();
      const group = await aClass(pool, 30);
      // Five licenses held outside the class, to be revoked in the middle of it all.
      const outside = await Promise.all(pool.gids.students.slice(60, 65).map((s, i) => mutate(urlFor(i), admin, ASSIGN_LICENSE, assignInput(pool, s))));
      const held = outside.map((o) => o.value.license.id as string);
      const toGroup = (policy: string) => ({ group: group.gid, product: pool.gids.product, policy, keep: true });
      const leavers = pool.gids.students.slice(0, 5);
      const joiners = pool.gids.students.slice(40, 43);
      const outcomes = await Promise.all([
        mutate(urlFor(0), admin, ASSIGN_LICENSE_TO_GROUP, toGroup('REUSABLE_FIRST')),
        mutate(urlFor(1), admin, ASSIGN_LICENSE_TO_GROUP, toGroup('NEW_FIRST')),
        ...held.map((license, i) => mutate(urlFor(i), admin, REVOKE_LICENSE, { license })),
        ...leavers.map((user, i) => mutate(urlFor(i + 1), admin, END_GROUP_MEMBERSHIP, { group: group.gid, user })),
        ...joiners.map((user, i) => mutate(urlFor(i), admin, SET_GROUP_MEMBERSHIP, { group: group.gid, user, role: 'STUDENT' })),
      ]);
      const [a, b] = outcomes;
      expect(tally([a!, b!]), `round ${round}`).toEqual({ AssignLicenseToGroupPayload: 1, ALREADY_EXISTS: 1 });
      expect(tally(outcomes.slice(2)), `round ${round}`).toEqual({ LicensePayload: 5, GroupMembershipPayload: 8 });
      // 28 members now; the 10 licenses are all theirs, the other 18 wait; no leaver holds one.
      const members = await prisma.groupMembership.findMany({ where: { groupId: group.id, endedAt: null }, select: { userId: true } });
      const ids = members.map((m) => m.userId);
      expect(ids).toHaveLength(28);
      expect(await prisma.license.count({ where: { schoolId: pool.schoolId, assignedUserId: { in: ids } } }), `round ${round}`).toBe(10);
      expect(await prisma.licenseWaiter.count({ where: { groupId: group.id, isWaiting: true, userId: { in: ids } } }), `round ${round}`).toBe(18);
      expect(await prisma.license.count({ where: { assignedUserId: { in: pool.studentIds.slice(0, 5) } } })).toBe(0);
      expect(await passedBy(pool), `round ${round}`).toEqual({ free: 0n, waiting: 18n });
      expect(await prisma.groupLicenseRule.count({ where: { groupId: group.id, isActive: true } })).toBe(1);
    }
    expect(await checkInvariants(prisma)).toEqual({});
  });

  it('ten licenses revoked at once with twenty waiting → each goes to another waiter, the first ten in line', async () => {
    const { prisma } = target();
    const { pool, admin } = await setUp();
    const group = await aClass(pool, 30);
    const given = await mutate(urlFor(0), admin, ASSIGN_LICENSE_TO_GROUP, { group: group.gid, product: pool.gids.product, policy: 'REUSABLE_FIRST' });
    expect(given.value).toMatchObject({ assignedCount: 10, waitingCount: 20 });
    const licenses = given.value.outcomes.filter((o: { outcome: string }) => o.outcome === 'ASSIGNED').map((o: { license: { id: string } }) => o.license.id);
    const line = await prisma.licenseWaiter.findMany({ where: { groupId: group.id, isWaiting: true }, orderBy: [{ queuedAt: 'asc' }, { seq: 'asc' }] });
    const revoked = await Promise.all(licenses.map((license: string, i: number) => mutate(urlFor(i), admin, REVOKE_LICENSE, { license })));
    expect(tally(revoked)).toEqual({ LicensePayload: 10 });
    const served = await prisma.licenseWaiter.findMany({ where: { groupId: group.id, state: 'SERVED' } });
    expect(new Set(served.map((w) => w.userId))).toEqual(new Set(line.slice(0, 10).map((w) => w.userId)));
    expect(new Set(served.map((w) => w.licenseId)).size).toBe(10);
    expect(await passedBy(pool)).toEqual({ free: 0n, waiting: 10n });
    expect(await checkInvariants(prisma)).toEqual({});
  });

  /**
   * The OneRoster fixture with 30 more students of Norrskolan (usr-s01…usr-s30): class 9A's students
   * are those numbered in `members` (and not the fixture's Dan).
   */
  function rosterWith9A(members: number[]) {
    const nn = (n: number) => String(n).padStart(2, '0');
    const all = Array.from({ length: 30 }, (_, i) => i + 1);
    const lines = (name: string, extra: string[], drop = (_line: string) => false) =>
      `${[
        ...fixtureText('oneroster', name)
          .trimEnd()
          .split('\n')
          .filter((line) => !drop(line)),
        ...extra,
      ].join('\n')}\n`;
    return fixtureFiles('oneroster', {
      'users.csv': lines(
        'users.csv',
        all.map((n) => `usr-s${nn(n)},,,true,s${nn(n)}.elev,,Elev,Nummer ${nn(n)},,,s${nn(n)}.elev@norr.example,,,,09,,,,,,,sch-norr,`),
      ),
      'roles.csv': lines(
        'roles.csv',
        all.map((n) => `rol-s${nn(n)},,,usr-s${nn(n)},primary,student,2026-08-17,,sch-norr,`),
      ),
      'enrollments.csv': lines(
        'enrollments.csv',
        members.map((n) => `enr-s${nn(n)},,,cls-9a,sch-norr,usr-s${nn(n)},student,false,,`),
        (line) => line.startsWith('enr-4,'),
      ),
    });
  }

  it('a roster import adds and removes members of a class with a standing rule while one admin assigns and another revokes → no license twice, nobody passed over', async () => {
    const { prisma, clock, auth } = target();
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    for (let round = 1; round <= ROUNDS; round++) {
      const pool = await licensePool(prisma, clock, { licenses: 0, students: 0 });
      const run = (members: number[]) =>
        importRoster(
          prisma,
          clock,
          systemActor,
          { organisationId: pool.organisationId, format: 'oneroster-csv', files: rosterWith9A(members), dryRun: false },
          { maxFileBytes: DEFAULT_MAX_FILE_BYTES },
        );
      expect((await run(range(1, 20))).errors).toEqual([]);
      const byRef = async (externalId: string) => (await prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId } })).id;
      const student = (n: number) => byRef(`usr-s${String(n).padStart(2, '0')}`);
      const norr = await prisma.school.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'sch-norr' } });
      const class9A = await prisma.group.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'cls-9a' } });
      const gunId = await byRef('usr-gun');
      const admin = await tokenOf(auth, clock, gunId);
      await inTransaction(prisma, async (tx) =>
        placeOrder(tx, clock, await userActor(tx, gunId), { schoolId: norr.id, productId: pool.productId, quantity: 10 }),
      );
      const assign = async (n: number, i: number) =>
        mutate(urlFor(i), admin, ASSIGN_LICENSE, {
          school: gid('School', norr.id),
          product: pool.gids.product,
          user: gid('User', await student(n)),
          reuseStarted: false,
        });
      // Five licenses held outside the class; the class's rule gives the other five, fifteen wait.
      const outside = await Promise.all(range(21, 25).map(assign));
      const held = outside.map((o) => o.value.license.id as string);
      const given = await mutate(urlFor(0), admin, ASSIGN_LICENSE_TO_GROUP, {
        group: gid('Group', class9A.id),
        product: pool.gids.product,
        policy: 'NEW_FIRST',
        keep: true,
      });
      expect(given.value, `round ${round}`).toMatchObject({ assignedCount: 5, waitingCount: 15 });

      // At once: the import (6 leave 9A, 2 join), one admin revoking the outside licenses, another
      // assigning to two students outside the class and to one in it.
      const [report, ...outcomes] = await Promise.all([
        run([...range(4, 17), 29, 30]),
        ...held.map((license, i) => mutate(urlFor(i + 1), admin, REVOKE_LICENSE, { license })),
        ...[26, 27, 10].map((n, i) => assign(n, i)),
      ]);
      expect(report.errors, `round ${round}`).toEqual([]);
      expect(report.summary, `round ${round}`).toMatchObject({ groupMembership: { created: 2, ended: 6 } });
      expect(tally(outcomes.slice(0, 5)), `round ${round}`).toEqual({ LicensePayload: 5 });
      // Someone waits all along, so no license is ever free for a student outside the class.
      expect(tally(outcomes.slice(5, 7)), `round ${round}`).toEqual({ NO_LICENSE_AVAILABLE: 2 });
      expect(['USER_ALREADY_HAS_LICENSE', 'NO_LICENSE_AVAILABLE']).toContain(outcomes[7]!.value.code);

      // 16 members: the 10 licenses are theirs, 6 wait, nobody else waits or holds one.
      const members = (await prisma.groupMembership.findMany({ where: { groupId: class9A.id, endedAt: null, role: 'STUDENT' } })).map((m) => m.userId);
      expect(members, `round ${round}`).toHaveLength(16);
      expect(await prisma.license.count({ where: { schoolId: norr.id, assignedUserId: { in: members } } }), `round ${round}`).toBe(10);
      expect(await prisma.license.count({ where: { schoolId: norr.id, assignedUserId: { not: null } } }), `round ${round}`).toBe(10);
      expect(await prisma.licenseWaiter.count({ where: { schoolId: norr.id, isWaiting: true, userId: { in: members } } }), `round ${round}`).toBe(6);
      expect(await prisma.licenseWaiter.count({ where: { schoolId: norr.id, isWaiting: true } }), `round ${round}`).toBe(6);
      const [free] = await prisma.$queryRaw<{ free: bigint }[]>`
        SELECT count(*) AS free FROM "License" WHERE "schoolId" = ${norr.id}::uuid AND "assignedUserId" IS NULL AND "endDate" >= CURRENT_DATE`;
      expect(free!.free, `round ${round}`).toBe(0n);
      // Whoever still waits joined the line after everyone who was served.
      const line = await prisma.licenseWaiter.findMany({
        where: { schoolId: norr.id, state: { in: ['WAITING', 'SERVED'] } },
        orderBy: [{ queuedAt: 'asc' }, { seq: 'asc' }],
      });
      const lastServed = line.map((w) => w.state).lastIndexOf('SERVED');
      const firstWaiting = line.map((w) => w.state).indexOf('WAITING');
      expect(firstWaiting, `round ${round}`).toBeGreaterThan(lastServed);
    }
    expect(await checkInvariants(prisma)).toEqual({});
  });
}
