// A roster import and a class's standing rule (docs/CLASS-LICENSING.md), on a real database
// (PGlite, or PostgreSQL with DATABASE_URL): the import's roster changes apply the rule in their own
// transactions, as a mutation's do.
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userActor } from '../auth/authenticate.ts';
import { ManualClock } from '../clock.ts';
import { systemActor } from '../domain/actor.ts';
import { assignLicenseToGroup } from '../domain/group-licensing.ts';
import { placeOrder } from '../domain/orders.ts';
import { inTransaction } from '../domain/transaction.ts';
import { TEST_START } from '../testing/harness.ts';
import { checkInvariants } from '../testing/invariants.ts';
import { licensePool } from '../testing/scenarios.ts';
import { DEFAULT_MAX_FILE_BYTES, type RosterFile } from './files.ts';
import { importRoster } from './import.ts';
import { fixtureFiles, fixtureText } from './testing.ts';

let db: TestDatabase;
let clock: ManualClock;

beforeAll(async () => {
  db = await openTestDatabase();
  clock = new ManualClock(TEST_START);
});
afterAll(() => db.close());

const run = (organisationId: string, files: RosterFile[], dryRun = false, batchSize?: number) =>
  importRoster(db.prisma, clock, systemActor, { organisationId, format: 'oneroster-csv', files, dryRun }, { maxFileBytes: DEFAULT_MAX_FILE_BYTES, batchSize });

/** The OneRoster fixture without one person's enrollment in a class. */
const withoutEnrollment = (sourcedId: string, classId: string) =>
  fixtureFiles('oneroster', {
    'enrollments.csv': fixtureText('oneroster', 'enrollments.csv')
      .split('\n')
      .filter((line) => !(line.includes(`,${classId},`) && line.includes(`,${sourcedId},`)))
      .join('\n'),
  });

describe('a roster import and a standing rule', () => {
  it("a student who leaves the class in the files gives back the rule's license, which the next in line gets in the same import", async () => {
    const pool = await licensePool(db.prisma, clock, { licenses: 0, students: 0 });
    expect((await run(pool.organisationId, fixtureFiles('oneroster'))).errors).toEqual([]);
    const prisma = db.prisma;
    const norr = await prisma.school.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'sch-norr' } });
    const class7A = await prisma.group.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'cls-7a' } });
    const gun = await prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'usr-gun' } });
    // One license for 7A's two students (Bo, Cia): one holds it, the other waits.
    const result = await inTransaction(prisma, async (tx) => {
      const principal = await userActor(tx, gun.id);
      await placeOrder(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, quantity: 1 });
      return assignLicenseToGroup(tx, clock, principal, { groupId: class7A.id, productId: pool.productId, policy: 'NEW_FIRST', keep: true });
    });
    expect(result.outcomes.map((o) => o.outcome).sort()).toEqual(['ASSIGNED', 'WAITING']);
    const holder = result.outcomes.find((o) => o.outcome === 'ASSIGNED')!;
    const waiter = result.outcomes.find((o) => o.outcome === 'WAITING')!;
    const holderRef = (await prisma.user.findUniqueOrThrow({ where: { id: holder.userId } })).externalId!;

    const report = await run(pool.organisationId, withoutEnrollment(holderRef, 'cls-7a'));
    expect(report.summary).toMatchObject({ groupMembership: { ended: 1 } });
    expect(await prisma.assignment.findFirstOrThrow({ where: { licenseId: holder.licenseId!, userId: holder.userId } })).toMatchObject({
      endReason: 'LEFT_GROUP',
    });
    expect(await prisma.license.findUniqueOrThrow({ where: { id: holder.licenseId! } })).toMatchObject({ assignedUserId: waiter.userId });
    expect(await prisma.licenseWaiter.findFirstOrThrow({ where: { userId: waiter.userId } })).toMatchObject({ state: 'SERVED', licenseId: holder.licenseId });

    // Back in the class in the next files: the rule queues them (no license is left).
    await run(pool.organisationId, fixtureFiles('oneroster'));
    expect(await prisma.licenseWaiter.findFirstOrThrow({ where: { userId: holder.userId, isWaiting: true } })).toMatchObject({ ruleId: result.rule!.id });
    expect(await checkInvariants(prisma)).toEqual({});
  });

  it('classes that end across many batches give no license to a waiter who is leaving too: waits end before any license is freed', async () => {
    // Norrskolan's 7A with 8 students and 9A with 6, each class with a standing rule for the same
    // product and 2 licenses: 4 hold one, 10 wait. The next files end both classes (the students
    // stay at the school), in batches of 2: a holder leaving in one batch used to serve a waiter
    // whose own leaving came in a later batch, which then took the license back.
    const extra = [
      ...['01', '02', '03', '04', '05', '06'].map((n) => ['s', n, 'cls-7a', '07']),
      ...['01', '02', '03', '04', '05'].map((n) => ['t', n, 'cls-9a', '09']),
    ];
    const lines = (name: string, extraLine: (e: string[]) => string, keep: (line: string) => boolean = () => true) =>
      `${[...fixtureText('oneroster', name).trimEnd().split('\n').filter(keep), ...extra.map(extraLine)].join('\n')}\n`;
    const files = (classesEnded: boolean) => {
      const ended = (line: string) => !classesEnded || !/,cls-(7a|9a),/.test(line);
      return fixtureFiles('oneroster', {
        'users.csv': lines('users.csv', ([k, n, , g]) => `usr-${k}${n},,,true,${k}${n},,Elev,${k}${n},,,${k}${n}@norr.example,,,,${g},,,,,,,sch-norr,`),
        'roles.csv': lines('roles.csv', ([k, n]) => `rol-${k}${n},,,usr-${k}${n},primary,student,2026-08-17,,sch-norr,`),
        'classes.csv': fixtureText('oneroster', 'classes.csv')
          .split('\n')
          .filter((line) => !classesEnded || !/^cls-(7a|9a),/.test(line))
          .join('\n'),
        'enrollments.csv': classesEnded
          ? `${fixtureText('oneroster', 'enrollments.csv').trimEnd().split('\n').filter(ended).join('\n')}\n`
          : lines('enrollments.csv', ([k, n, c]) => `enr-${k}${n},,,${c},sch-norr,usr-${k}${n},student,false,,`),
      });
    };
    const prisma = db.prisma;
    const ruledClasses = async () => {
      const pool = await licensePool(prisma, clock, { licenses: 0, students: 0 });
      expect((await run(pool.organisationId, files(false))).errors).toEqual([]);
      const norr = await prisma.school.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'sch-norr' } });
      const gun = await prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'usr-gun' } });
      for (const externalId of ['cls-7a', 'cls-9a']) {
        const group = await prisma.group.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId } });
        await inTransaction(prisma, async (tx) => {
          const principal = await userActor(tx, gun.id);
          await placeOrder(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, quantity: 2 });
          return assignLicenseToGroup(tx, clock, principal, { groupId: group.id, productId: pool.productId, policy: 'NEW_FIRST', keep: true });
        });
      }
      expect(await prisma.licenseWaiter.count({ where: { organisationId: pool.organisationId, isWaiting: true } })).toBe(10);
      return pool.organisationId;
    };
    const endClasses = async (batchSize: number) => {
      const organisationId = await ruledClasses();
      // The import's own audit events: those after the ones before it (the clock stands still).
      const events = (action: 'LICENSE_ASSIGNED' | 'WAITING_LIST_SERVED' | 'WAITING_LIST_CANCELLED') =>
        prisma.auditEvent.count({ where: { organisationId, action } });
      const before = {
        LICENSE_ASSIGNED: await events('LICENSE_ASSIGNED'),
        WAITING_LIST_SERVED: await events('WAITING_LIST_SERVED'),
        WAITING_LIST_CANCELLED: 0,
      };
      const dry = await run(organisationId, files(true), true, batchSize);
      const report = await run(organisationId, files(true), false, batchSize);
      expect([dry.revokedLicenses, dry.licensesGivenByRules, dry.membersQueued]).toEqual([
        report.revokedLicenses,
        report.licensesGivenByRules,
        report.membersQueued,
      ]);
      expect(report.summary).toMatchObject({ group: { ended: 2 }, groupMembership: { ended: 15 } });
      const count = async (action: keyof typeof before) => (await events(action)) - before[action];
      return {
        revoked: report.revokedLicenses,
        given: report.licensesGivenByRules,
        assigned: await count('LICENSE_ASSIGNED'),
        served: await count('WAITING_LIST_SERVED'),
        cancelled: await count('WAITING_LIST_CANCELLED'),
        free: await prisma.license.count({ where: { school: { organisationId }, assignedUserId: null } }),
      };
    };
    const expected = { revoked: 4, given: 0, assigned: 0, served: 0, cancelled: 10, free: 4 };
    expect(await endClasses(2)).toEqual(expected);
    expect(await endClasses(500)).toEqual(expected);
    expect(await checkInvariants(prisma)).toEqual({});
  });

  it('a student who joins the class in the files gets a license from its standing rule, in the same import', async () => {
    const pool = await licensePool(db.prisma, clock, { licenses: 0, students: 0 });
    const prisma = db.prisma;
    // Cia is at the school (in the maths group), not yet in 7A.
    expect((await run(pool.organisationId, withoutEnrollment('usr-cia', 'cls-7a'))).errors).toEqual([]);
    const norr = await prisma.school.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'sch-norr' } });
    const class7A = await prisma.group.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'cls-7a' } });
    const gun = await prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'usr-gun' } });
    const cia = await prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'usr-cia' } });
    const result = await inTransaction(prisma, async (tx) => {
      const principal = await userActor(tx, gun.id);
      await placeOrder(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, quantity: 2 });
      return assignLicenseToGroup(tx, clock, principal, { groupId: class7A.id, productId: pool.productId, policy: 'NEW_FIRST', keep: true });
    });
    expect(result.outcomes.map((o) => o.outcome)).toEqual(['ASSIGNED']);

    const report = await run(pool.organisationId, fixtureFiles('oneroster'));
    expect(report.summary).toMatchObject({ groupMembership: { created: 1 } });
    expect(await prisma.assignment.findFirstOrThrow({ where: { userId: cia.id, isActive: true } })).toMatchObject({ groupLicenseRuleId: result.rule!.id });
    expect(await checkInvariants(prisma)).toEqual({});
  });

  it("a class's new members get the rule's license or wait; the dry run reports what the rules would do (LEFT_GROUP revokes too) and writes nothing", async () => {
    const pool = await licensePool(db.prisma, clock, { licenses: 0, students: 0 });
    expect((await run(pool.organisationId, fixtureFiles('oneroster'))).errors).toEqual([]);
    const prisma = db.prisma;
    const norr = await prisma.school.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'sch-norr' } });
    const class9A = await prisma.group.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'cls-9a' } });
    const gun = await prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId: 'usr-gun' } });
    const userOf = async (externalId: string) => (await prisma.user.findFirstOrThrow({ where: { organisationId: pool.organisationId, externalId } })).id;
    // Two licenses for 9A: Dan, its only student, gets one.
    await inTransaction(prisma, async (tx) => {
      const principal = await userActor(tx, gun.id);
      await placeOrder(tx, clock, principal, { schoolId: norr.id, productId: pool.productId, quantity: 2 });
      return assignLicenseToGroup(tx, clock, principal, { groupId: class9A.id, productId: pool.productId, policy: 'NEW_FIRST', keep: true });
    });
    // The next files: Dan leaves 9A (staying at the school); Bo and Cia join it.
    const enrollments = fixtureText('oneroster', 'enrollments.csv')
      .split('\n')
      .filter((line) => !line.startsWith('enr-4,'))
      .concat(['enr-10,,,cls-9a,sch-norr,usr-bo,student,false,,', 'enr-11,,,cls-9a,sch-norr,usr-cia,student,false,,'])
      .filter((line) => line.trim() !== '')
      .join('\n');
    const files = () => fixtureFiles('oneroster', { 'enrollments.csv': `${enrollments}\n` });
    const written = () =>
      Promise.all([prisma.assignment.count(), prisma.licenseWaiter.count(), prisma.auditEvent.count(), prisma.event.count(), prisma.groupMembership.count()]);
    const before = await written();
    const dry = await run(pool.organisationId, files(), true);
    expect(dry.errors).toEqual([]);
    expect(dry.summary).toMatchObject({ groupMembership: { created: 2, ended: 1 } });
    // Bo and Cia get the free license and Dan's, which comes back (LEFT_GROUP): whether one of
    // them waits for Dan's a moment within the batch depends on the order the batch writes in.
    // Two given, one revoked, nobody left waiting.
    expect([dry.revokedLicenses, dry.licensesGivenByRules, dry.membersQueued]).toEqual([1, 2, 0]);
    expect(await written()).toEqual(before);

    const real = await run(pool.organisationId, files());
    expect([real.revokedLicenses, real.licensesGivenByRules, real.membersQueued]).toEqual([1, 2, 0]);
    const dan = await userOf('usr-dan');
    expect(await prisma.assignment.findFirstOrThrow({ where: { userId: dan } })).toMatchObject({ endReason: 'LEFT_GROUP' });
    for (const externalId of ['usr-bo', 'usr-cia']) {
      expect(await prisma.assignment.findFirst({ where: { userId: await userOf(externalId), isActive: true } })).toMatchObject({
        groupLicenseRuleId: expect.any(String),
      });
    }
    expect(await prisma.licenseWaiter.count({ where: { organisationId: pool.organisationId, isWaiting: true } })).toBe(0);
    expect(await checkInvariants(prisma)).toEqual({});
  });
});
