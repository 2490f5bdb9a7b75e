// The NOK story of reusable started licenses, through the GraphQL API on a real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSweep } from '../domain/sweep.ts';
import type { DemoData } from '../seed/demo.ts';
import { dataOf, TEST_START, tokenFor, startStandardScenario, type TestApi } from '../testing/harness.ts';
import { gid, productGid, userGid } from '../testing/ids.ts';
import { ASSIGN_LICENSE, REMOVE_MY_LICENSE, REVOKE_LICENSE } from '../testing/operations.ts';
import { addMonths } from '../clock.ts';
import { dayAt, DEFAULT_TIME_ZONE, formatDay, parseDay, startOfDay } from '../domain/days.ts';

/** The day `months` after the test's first day (in Stockholm), as the API writes days. */
const day = (months: number) => formatDay(addMonths(dayAt(new Date(TEST_START), DEFAULT_TIME_ZONE), months));

const AVAILABILITY = /* GraphQL */ `
  query Availability($school: ID!, $product: ID!) {
    school(id: $school) {
      product(id: $product) {
        availability {
          newLicenses assignable assigned autoStartingSoon nextAutoStartOn
          reusable { total needsEndDateChoice endDates { endDate count daysLeft } }
        }
      }
    }
  }`;

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`reusable started licenses (NOK) on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let school: string;
  let matematik: string;
  let admin: string;

  const availability = async (product = matematik) => dataOf(await test.request(admin, AVAILABILITY, { school, product })).school.product.availability;
  const assign = async (userEmail: string, input: Record<string, unknown>, product = matematik) =>
    dataOf(
      await test.request(admin, ASSIGN_LICENSE, {
        input: { school, product, user: await userGid(test.db.prisma, userEmail), ...input },
      }),
    ).assignLicense;

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    school = gid('School', demo.ids.ekskolan);
    matematik = gid('Product', demo.ids.matematik);
    admin = demo.tokens.schoolAdmin;
  });
  afterAll(() => test.close());

  it('shows new licenses and reusable started licenses with several end dates', async () => {
    const a = await availability();
    expect(a.newLicenses).toBe(6);
    expect(a.reusable.needsEndDateChoice).toBe(true);
    // Revoked (ends 3 and 5 months from now), given back by a teacher (5.5), auto-started (6).
    // End dates are days: the licenses started on one day share one end date, whatever the hour.
    expect(a.reusable.endDates).toEqual([
      { endDate: day(3), count: 1, daysLeft: 92 },
      { endDate: day(5), count: 1, daysLeft: 154 },
      { endDate: '2027-02-16', count: 1, daysLeft: 169 },
      { endDate: day(6), count: 8, daysLeft: 182 },
    ]);
    expect(a.assignable).toBe(6 + 11);
  });

  it('asks which end date when several exist and none is chosen (END_DATE_REQUIRED)', async () => {
    const result = await assign('svante.student@ekskolan.example', { reuseStarted: true });
    expect(result).toMatchObject({ __typename: 'EndDateChoiceError', code: 'END_DATE_REQUIRED', field: 'endDate' });
    expect(result.availableEndDates).toHaveLength(4);
    expect((await availability()).reusable.total).toBe(11);
  });

  it('refuses an end date the pool does not have (END_DATE_NOT_AVAILABLE), listing those it has', async () => {
    const result = await assign('svante.student@ekskolan.example', { reuseStarted: true, endDate: '2030-01-01' });
    expect(result).toMatchObject({ __typename: 'EndDateChoiceError', code: 'END_DATE_NOT_AVAILABLE', field: 'endDate' });
    expect(result.availableEndDates.map((e: { count: number }) => e.count)).toEqual([1, 1, 1, 8]);
  });

  it('assigns a reusable license with the chosen end date, keeping it, and the pool shrinks', async () => {
    const chosen = day(5);
    const result = await assign('svante.student@ekskolan.example', { reuseStarted: true, endDate: chosen });
    expect(result).toMatchObject({
      __typename: 'AssignLicensePayload',
      license: { state: 'STARTED', endDate: chosen, daysLeft: 154, reusable: false, holder: { name: 'Svante Elev' } },
      assignment: { state: 'ACTIVE' },
    });
    const a = await availability();
    expect(a.reusable.total).toBe(10);
    expect(a.reusable.endDates.map((e: { endDate: string }) => e.endDate)).not.toContain(chosen);
  });

  it('refuses a second license of the same product for one user (USER_ALREADY_HAS_LICENSE)', async () => {
    const result = await assign('svante.student@ekskolan.example', { reuseStarted: false });
    expect(result).toMatchObject({ code: 'USER_ALREADY_HAS_LICENSE', field: 'user' });
  });

  it('refuses a user of another school (USER_NOT_IN_SCHOOL)', async () => {
    const result = await assign('bjorn.student@bjorkskolan.example', { reuseStarted: false });
    expect(result).toMatchObject({ code: 'USER_NOT_IN_SCHOOL', field: 'user' });
  });

  it('starts a new license now, ending after the product validity', async () => {
    const result = await assign('siri.student@ekskolan.example', { reuseStarted: false });
    expect(result.license).toMatchObject({
      state: 'STARTED',
      startedAt: TEST_START,
      endDate: day(12),
      daysLeft: 366,
    });
    expect((await availability()).newLicenses).toBe(5);
  });

  it('revoking a started license keeps its end date and puts it back in the pool', async () => {
    const assigned = await assign('sune.student@ekskolan.example', {
      reuseStarted: true,
      endDate: day(6),
    });
    const revoked = dataOf(await test.request(admin, REVOKE_LICENSE, { input: { license: assigned.license.id } })).revokeLicense;
    expect(revoked.license).toEqual({ id: assigned.license.id, state: 'STARTED', endDate: assigned.license.endDate, reusable: true, holder: null });
    const again = dataOf(await test.request(admin, REVOKE_LICENSE, { input: { license: assigned.license.id } })).revokeLicense;
    expect(again).toMatchObject({ code: 'LICENSE_NOT_ASSIGNED' });
  });

  it('a teacher removes their own license, which becomes reusable; a student may not', async () => {
    const mine = /* GraphQL */ `{ viewer { user { licenses { license { id product { name } } } } } }`;
    // The one the demo story gave Tove.
    const [held, ...others] = dataOf(await test.request(demo.tokens.teacher, mine)).viewer.user.licenses;
    expect(others).toEqual([]);
    expect(held.license.id).toBe(gid('License', demo.ids.heldByTeacher!));
    const removed = dataOf(await test.request(demo.tokens.teacher, REMOVE_MY_LICENSE, { input: { license: held.license.id } })).removeMyLicense;
    expect(removed.license).toMatchObject({ state: 'STARTED', reusable: true });

    const [studentHeld] = dataOf(await test.request(demo.tokens.student, mine)).viewer.user.licenses;
    const refused = dataOf(await test.request(demo.tokens.student, REMOVE_MY_LICENSE, { input: { license: studentHeld.license.id } })).removeMyLicense;
    expect(refused).toMatchObject({ __typename: 'LicenseError', code: 'FORBIDDEN', field: 'license' });
  });

  it('licenses not started before their auto-start day start by themselves at its 00:00, before any sweep', async () => {
    const noBoken = await productGid(test.db.prisma, 'NO-boken');
    const before = await availability(noBoken);
    expect(before).toMatchObject({ newLicenses: 5, autoStartingSoon: 5, reusable: { total: 0 } });
    const deadlineDay = parseDay(before.nextAutoStartOn)!;
    const deadline = startOfDay(deadlineDay, DEFAULT_TIME_ZONE);
    test.clock.set(new Date(deadline.getTime() - 1));
    try {
      expect((await availability(noBoken)).newLicenses).toBe(5);
      test.clock.set(deadline);
      const after = await availability(noBoken);
      expect(after.newLicenses).toBe(0);
      // The end date counts from the deadline day, not from when anyone noticed.
      const endDate = formatDay(addMonths(deadlineDay, 12));
      expect(after.reusable.endDates).toEqual([{ endDate, count: 5, daysLeft: 366 }]);

      const first = await runSweep(test.db.prisma, test.clock);
      expect(first.autoStarted).toBeGreaterThanOrEqual(5);
      expect(await runSweep(test.db.prisma, test.clock)).toEqual({ autoStarted: 0, assignmentsExpired: 0, notified: 0, eventsPruned: 0 });
      const written = await test.db.prisma.license.findMany({ where: { product: { name: 'NO-boken' } } });
      expect(written.map((l) => l.startedAt?.toISOString())).toEqual(Array(5).fill(deadline.toISOString()));
      expect(written.map((l) => formatDay(l.endDate))).toEqual(Array(5).fill(endDate));
      expect(await test.db.prisma.auditEvent.count({ where: { action: 'LICENSE_AUTO_STARTED', licenseId: { in: written.map((l) => l.id) } } })).toBe(5);
      expect(await availability(noBoken)).toEqual(after);
    } finally {
      test.clock.set(TEST_START);
    }
  });

  it('an expired license is never reusable, and its holder can get a new one', async () => {
    test.clock.set(addMonths(new Date(TEST_START), 7));
    const tokenAtStart = admin;
    admin = await tokenFor(test, 'sara.admin@ekskolan.example');
    try {
      const a = await availability();
      // Every started license of the story has ended by now; only the ones started today remain.
      const today = formatDay(dayAt(test.clock.now(), DEFAULT_TIME_ZONE));
      expect(a.reusable.endDates.every((e: { endDate: string }) => e.endDate >= today)).toBe(true);
      // The new licenses have auto-started by now too: Saga gets a reusable one.
      expect(a.newLicenses).toBe(0);
      const renewed = await assign('saga.student@ekskolan.example', { reuseStarted: true, endDate: a.reusable.endDates[0].endDate });
      expect(renewed).toMatchObject({ __typename: 'AssignLicensePayload', license: { endDate: a.reusable.endDates[0].endDate } });
      const history = await test.db.prisma.assignment.findMany({
        where: { user: { email: 'saga.student@ekskolan.example' }, license: { productId: demo.ids.matematik } },
        orderBy: { assignedAt: 'asc' },
      });
      expect(history.map((h) => h.endReason)).toEqual(['EXPIRED', null]);
    } finally {
      admin = tokenAtStart;
      test.clock.set(TEST_START);
    }
  });

  it('records every change with who, what and when', async () => {
    const events = await test.db.prisma.auditEvent.findMany({ where: { action: { in: ['LICENSE_ASSIGNED', 'LICENSE_REVOKED', 'LICENSE_REMOVED_BY_SELF'] } } });
    expect(events.length).toBeGreaterThan(5);
    for (const event of events) {
      expect(event.actorLabel).toBeTruthy();
      expect(event.licenseId).toBeTruthy();
      expect(event.userId).toBeTruthy();
    }
  });
});
