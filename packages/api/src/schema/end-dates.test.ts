// End dates are days and expiry holds at every moment: each rule at the moment just before and
// just after an end date and an auto-start day, with no sweep run, on both sides of the
// daylight-saving changes of 2027 in Europe/Stockholm (the organisation's default zone).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSweep } from '../domain/sweep.ts';
import { dataOf, startTestApi, TEST_AUTH, type TestApi } from '../testing/harness.ts';
import { ASSIGN_LICENSE, REVOKE_LICENSE } from '../testing/operations.ts';
import { licensePool, orderMore, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { decodeId } from './global-ids.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

const LICENSE = /* GraphQL */ `
  query License($id: ID!) {
    node(id: $id) {
      ... on License {
        state endDate daysLeft reusable startedAt autoStartOn holder { id }
        assignments(first: 5) { edges { node { state endedAt endReason } } }
      }
    }
  }`;
const AVAILABILITY = /* GraphQL */ `
  query Availability($school: ID!, $product: ID!) {
    school(id: $school) {
      product(id: $product) {
        availability { newLicenses assigned expired nextAutoStartOn reusable { total endDates { endDate count daysLeft } } }
        held: licenses(assigned: true) { totalCount }
      }
    }
  }`;
const MY_LICENSES = /* GraphQL */ `{ viewer { user { licenses { license { id endDate daysLeft } } } } }`;

/** One millisecond before a moment. */
const justBefore = (moment: string) => new Date(new Date(moment).getTime() - 1);

describe(`end dates and expiry at every moment on ${backend}`, () => {
  let test: TestApi;
  let pool: LicensePool;
  /** License and student (global ID and user id) of the licenses ending on either side of 2027's daylight-saving changes. */
  const held: Record<'march' | 'october', { license: string; student: string; userId: string }> = {} as never;

  /** A request as this user, with a token signed at the clock's now. */
  const request = async (userId: string, query: string, variables: Record<string, unknown> = {}) =>
    dataOf(await test.request(await tokenOf(TEST_AUTH, test.clock, userId), query, variables));
  const license = async (id: string) => (await request(pool.adminId, LICENSE, { id })).node;
  const availability = async () => (await request(pool.adminId, AVAILABILITY, { school: pool.gids.school, product: pool.gids.product })).school.product;
  const assign = async (student: string, input: Record<string, unknown> = { reuseStarted: false }) =>
    (await request(pool.adminId, ASSIGN_LICENSE, { input: { school: pool.gids.school, product: pool.gids.product, user: student, ...input } })).assignLicense;

  beforeAll(async () => {
    test = await startTestApi();
    // Delivered on 1 March 2026 (auto-start day 1 July 2026), valid 12 months once started.
    test.clock.set('2026-03-01T09:00:00Z');
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 3, students: 6 });
    // Started at 13:00 on 28 March 2026 in Stockholm: usable through 28 March 2027, the day summer time starts.
    test.clock.set('2026-03-28T12:00:00Z');
    const march = await assign(pool.gids.students[0]!);
    // Started on 31 October 2026 from a new order: usable through 31 October 2027, the day summer time ends.
    test.clock.set('2026-10-31T12:00:00Z');
    await orderMore(test.db.prisma, test.clock, pool, 1);
    const october = await assign(pool.gids.students[1]!);
    for (const [key, result, student] of [
      ['march', march, 0],
      ['october', october, 1],
    ] as const) {
      held[key] = { license: result.license.id, student: pool.gids.students[student]!, userId: pool.studentIds[student]! };
    }
    expect([march.license.endDate, october.license.endDate]).toEqual(['2027-03-28', '2027-10-31']);
  });
  afterAll(() => test.close());

  it.each([
    ['march', '2027-03-28', '2027-03-28T22:00:00.000Z'],
    ['october', '2027-10-31', '2027-10-31T23:00:00.000Z'],
  ] as const)('a license ending %s is usable through %s and expired from 00:00 the next day (%s), sweep or not', async (key, endDate, expiry) => {
    const { license: id, userId } = held[key];
    test.clock.set(justBefore(expiry));
    expect(await license(id)).toMatchObject({ state: 'STARTED', endDate, daysLeft: 1, reusable: false, holder: { id: held[key].student } });
    expect((await request(userId, MY_LICENSES)).viewer.user.licenses).toEqual([{ license: { id, endDate, daysLeft: 1 } }]);

    test.clock.set(expiry);
    expect(await license(id)).toMatchObject({
      state: 'EXPIRED',
      endDate,
      daysLeft: 0,
      reusable: false,
      holder: null,
      // Not written down yet, but already ended at the expiry.
      assignments: { edges: [{ node: { state: 'EXPIRED', endedAt: expiry, endReason: 'EXPIRED' } }] },
    });
    expect((await request(userId, MY_LICENSES)).viewer.user.licenses).toEqual([]);
    const revoked = (await request(pool.adminId, REVOKE_LICENSE, { input: { license: id } })).revokeLicense;
    expect(revoked).toMatchObject({ __typename: 'LicenseError', code: 'LICENSE_NOT_ASSIGNED', field: 'license' });
    // Still stored as held: nothing was written.
    expect((await test.db.prisma.license.findUniqueOrThrow({ where: { id: decodeId(id).id } })).assignedUserId).not.toBeNull();
  });

  it('the (i) counts an expired license as expired, not assigned, and the pool never offers it', async () => {
    test.clock.set(justBefore('2027-03-28T22:00:00.000Z'));
    const before = await availability();
    test.clock.set('2027-03-28T22:00:00.000Z');
    const after = await availability();
    expect(after.availability.assigned).toBe(before.availability.assigned - 1);
    expect(after.availability.expired).toBe(before.availability.expired + 1);
    expect(after.held.totalCount).toBe(before.held.totalCount - 1);
    expect(after.availability.reusable.endDates.map((e: { endDate: string }) => e.endDate)).not.toContain('2027-03-28');
  });

  it('a request that writes an expired assignment down ends it at the expiry, by the system', async () => {
    // The March student gets a new license five hours after the old one expired.
    test.clock.set('2027-03-29T03:00:00.000Z');
    await orderMore(test.db.prisma, test.clock, pool, 1);
    const renewed = await assign(held.march.student);
    expect(renewed).toMatchObject({ __typename: 'AssignLicensePayload', license: { endDate: '2028-03-29' } });
    const { id } = decodeId(held.march.license);
    const ended = await test.db.prisma.assignment.findFirstOrThrow({ where: { licenseId: id } });
    expect(ended).toMatchObject({ isActive: null, endReason: 'EXPIRED', endedById: null, endedAt: new Date('2027-03-28T22:00:00.000Z') });
    const events = await test.db.prisma.auditEvent.findMany({ where: { licenseId: id, action: 'ASSIGNMENT_EXPIRED' } });
    expect(events).toEqual([
      expect.objectContaining({ actorLabel: 'system', actorUserId: null, actorCredentialId: null, createdAt: new Date('2027-03-28T22:00:00.000Z') }),
    ]);
  });

  it('the sweep ends expired assignments at their expiry too, by the system, once', async () => {
    test.clock.set('2027-11-15T12:00:00.000Z');
    const report = await runSweep(test.db.prisma, test.clock);
    expect(report.assignmentsExpired).toBeGreaterThanOrEqual(1);
    const { id } = decodeId(held.october.license);
    expect(await test.db.prisma.assignment.findFirstOrThrow({ where: { licenseId: id } })).toMatchObject({
      endReason: 'EXPIRED',
      endedById: null,
      endedAt: new Date('2027-10-31T23:00:00.000Z'),
    });
    expect(await test.db.prisma.auditEvent.findMany({ where: { licenseId: id, action: 'ASSIGNMENT_EXPIRED' } })).toEqual([
      expect.objectContaining({ actorLabel: 'system', createdAt: new Date('2027-10-31T23:00:00.000Z') }),
    ]);
    expect((await runSweep(test.db.prisma, test.clock)).assignmentsExpired).toBe(0);
  });
});

describe(`the auto-start day at every moment on ${backend}`, () => {
  let test: TestApi;
  let pool: LicensePool;

  beforeAll(async () => {
    test = await startTestApi();
    // Delivered at 23:30 on 30 June 2026 in UTC: 1 July in Stockholm, so the auto-start day is 1 November.
    test.clock.set('2026-06-30T23:30:00Z');
    pool = await licensePool(test.db.prisma, test.clock, { licenses: 2, students: 3 });
  });
  afterAll(() => test.close());

  const admin = () => tokenOf(TEST_AUTH, test.clock, pool.adminId);
  const availability = async () =>
    dataOf(await test.request(await admin(), AVAILABILITY, { school: pool.gids.school, product: pool.gids.product })).school.product.availability;

  it('starts new licenses at 00:00 of their auto-start day in the zone, with the end date counted from that day', async () => {
    expect((await availability()).nextAutoStartOn).toBe('2026-11-01');
    // 1 November 2026 begins at 23:00 UTC on 31 October (winter time from 25 October).
    test.clock.set(justBefore('2026-10-31T23:00:00.000Z'));
    expect(await availability()).toMatchObject({ newLicenses: 2, reusable: { total: 0 } });
    test.clock.set('2026-10-31T23:00:00.000Z');
    expect(await availability()).toMatchObject({
      newLicenses: 0,
      nextAutoStartOn: null,
      reusable: { total: 2, endDates: [{ endDate: '2027-11-01', count: 2, daysLeft: 366 }] },
    });
  });

  it('a license reused before the sweep gets its auto-start in its history, at the deadline, by the system', async () => {
    test.clock.set('2026-11-03T10:00:00.000Z');
    const result = dataOf(
      await test.request(await admin(), ASSIGN_LICENSE, {
        input: { school: pool.gids.school, product: pool.gids.product, user: pool.gids.students[0], reuseStarted: true },
      }),
    ).assignLicense;
    expect(result).toMatchObject({ __typename: 'AssignLicensePayload', license: { startedAt: '2026-10-31T23:00:00.000Z', endDate: '2027-11-01' } });
    const { id } = decodeId(result.license.id);
    const events = await test.db.prisma.auditEvent.findMany({ where: { licenseId: id }, orderBy: { createdAt: 'asc' } });
    expect(events.map((e) => [e.action, e.actorLabel, e.createdAt.toISOString()])).toEqual([
      ['LICENSE_CREATED', 'Pool Admin', '2026-06-30T23:30:00.000Z'],
      ['LICENSE_AUTO_STARTED', 'system', '2026-10-31T23:00:00.000Z'],
      ['LICENSE_ASSIGNED', 'Pool Admin', '2026-11-03T10:00:00.000Z'],
    ]);
    // The sweep then starts the others only: the reused license's start is already written.
    expect((await runSweep(test.db.prisma, test.clock)).autoStarted).toBeGreaterThan(0);
    expect(await test.db.prisma.auditEvent.count({ where: { licenseId: id, action: 'LICENSE_AUTO_STARTED' } })).toBe(1);
  });
});
