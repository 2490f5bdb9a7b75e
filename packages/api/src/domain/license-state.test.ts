// Every form of the license-state rule agrees: on a loaded license (TypeScript), as a Prisma
// filter and as SQL for one organisation's today, and as SQL that derives each organisation's
// today from the clock (the sweep); and the moments a day begins agree between days.ts and
// PostgreSQL; and the same rule on the license counters (LicenseDayCount) counts what it finds on
// the licenses. Licenses are generated around end dates and auto-start days, in two zones, at
// moments on both sides of midnight and of the daylight-saving changes of 2027.
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { Prisma, type License } from '@school-licenses/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, dayAt, formatDay, localTime, parseDay, startOfDay } from './days.ts';
import {
  countedInStateSql,
  countedWhereSql,
  daysLeft,
  expiryMoment,
  heldCountedSql,
  heldLicenses,
  licenseIs,
  licenseState,
  licensesInState,
  licensesInStateSql,
  licensesWhereSql,
  reusableLicenses,
  startOfDaySql,
  todaySql,
  type LicenseRule,
  type LicenseState,
} from './license-state.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
const STATES: LicenseState[] = ['NEW', 'STARTED', 'EXPIRED'];
const RULES: LicenseRule[] = ['HELD', 'REUSABLE', 'ASSIGNABLE', 'AUTO_STARTING_SOON', 'EXPIRING_SOON'];
const ZONES = ['Europe/Stockholm', 'America/New_York'];
const day = (text: string) => parseDay(text)!;

describe('days in a time zone', () => {
  it('begin at 00:00 there, on both sides of a daylight-saving change', () => {
    // Summer time in Sweden starts on 2027-03-28 and ends on 2027-10-31.
    expect(startOfDay(day('2027-03-28'), 'Europe/Stockholm').toISOString()).toBe('2027-03-27T23:00:00.000Z');
    expect(startOfDay(day('2027-03-29'), 'Europe/Stockholm').toISOString()).toBe('2027-03-28T22:00:00.000Z');
    expect(startOfDay(day('2027-10-31'), 'Europe/Stockholm').toISOString()).toBe('2027-10-30T22:00:00.000Z');
    expect(startOfDay(day('2027-11-01'), 'Europe/Stockholm').toISOString()).toBe('2027-10-31T23:00:00.000Z');
    // The day of the change is 23 or 25 hours long: an end date expires at the next midnight, not 24 h on.
    expect(expiryMoment(day('2027-03-28'), 'Europe/Stockholm').toISOString()).toBe('2027-03-28T22:00:00.000Z');
    expect(expiryMoment(day('2027-10-31'), 'Europe/Stockholm').toISOString()).toBe('2027-10-31T23:00:00.000Z');
  });

  it('are the day of the clock there', () => {
    expect(formatDay(dayAt(new Date('2027-03-28T21:59:59.999Z'), 'Europe/Stockholm'))).toBe('2027-03-28');
    expect(formatDay(dayAt(new Date('2027-03-28T22:00:00.000Z'), 'Europe/Stockholm'))).toBe('2027-03-29');
    expect(formatDay(dayAt(new Date('2027-03-28T22:00:00.000Z'), 'America/New_York'))).toBe('2027-03-28');
    expect(parseDay('2027-02-30')).toBeNull();
    expect(parseDay('2027-06-01T00:00:00Z')).toBeNull();
  });

  it('are the day of the clock there at every moment around changes of offset, asked in any order (each zone keeps a minute’s offset)', () => {
    const changes: [string, string][] = [
      ['Europe/Stockholm', '2027-03-28T01:00:00Z'],
      ['Europe/Stockholm', '2027-10-31T01:00:00Z'],
      // Chile changes its clocks at midnight: the day itself jumps or repeats.
      ['America/Santiago', '2027-04-04T03:00:00Z'],
      ['America/Santiago', '2027-09-05T04:00:00Z'],
      ['Asia/Kathmandu', '2027-01-01T18:15:00Z'],
    ];
    for (const [timeZone, change] of changes) {
      const reference = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
      const moments = Array.from({ length: 241 }, (_, i) => new Date(new Date(change).getTime() + (i - 120) * 29_999));
      for (const moment of [...moments, ...moments.reverse(), ...moments.filter((_, i) => i % 7 === 0)]) {
        expect(formatDay(dayAt(moment, timeZone)), `${moment.toISOString()} in ${timeZone}`).toBe(reference.format(moment));
      }
    }
  });
});

describe(`the forms of the license-state rule agree on ${backend}`, () => {
  let db: TestDatabase;
  let licenses: License[];
  const zoneOfSchool = new Map<string, string>();
  const END_DATES = ['2027-03-27', '2027-03-28', '2027-10-30', '2027-10-31', '2027-06-01'];

  beforeAll(async () => {
    db = await openTestDatabase();
    const prisma = db.prisma;
    const supplier = await prisma.supplier.create({ data: { name: 'Förlaget' } });
    const product = await prisma.product.create({ data: { name: 'Matte', supplierId: supplier.id, validityMonths: 12, deliveryMode: 'DIRECT' } });
    for (const timeZone of ZONES) {
      const organisation = await prisma.organisation.create({ data: { name: timeZone, timeZone } });
      const school = await prisma.school.create({ data: { name: timeZone, organisationId: organisation.id } });
      zoneOfSchool.set(school.id, timeZone);
      const order = await prisma.order.create({
        data: { schoolId: school.id, productId: product.id, quantity: 1, deliveryMode: 'DIRECT', status: 'DELIVERED', placedAt: new Date() },
      });
      const rows = END_DATES.flatMap((endDate) => [
        // Started by hand, and new ones whose auto-start day is the end date (so both boundaries are crossed).
        { startedAt: new Date('2026-06-01T10:00:00Z'), autoStartOn: day('2026-10-01'), endDate: day(endDate) },
        { startedAt: null, autoStartOn: day(endDate), endDate: addDays(day(endDate), 365) },
      ]);
      // A holder for every other started license, so the counters count held and unheld ones.
      const holder = await prisma.user.create({ data: { organisationId: organisation.id, name: 'Holder', email: `holder@${organisation.id}.example` } });
      await prisma.license.createMany({
        data: rows.map((row, i) => ({
          ...row,
          schoolId: school.id,
          productId: product.id,
          orderId: order.id,
          deliveredAt: new Date('2026-06-01T00:00:00Z'),
          assignedUserId: row.startedAt && i % 4 === 0 ? holder.id : null,
        })),
      });
    }
    licenses = await prisma.license.findMany();
  });
  afterAll(() => db.close());

  /** Moments just before and at the start of each day around the dates above (or `offsets` days from them), in each zone. */
  function moments(offsets = [0, 1, 2]): Date[] {
    const found: Date[] = [];
    for (const timeZone of ZONES) {
      for (const endDate of END_DATES) {
        for (const offset of offsets) {
          const start = startOfDay(addDays(day(endDate), offset), timeZone);
          found.push(new Date(start.getTime() - 1), start, new Date(start.getTime() + 3_600_000));
        }
      }
    }
    return found;
  }

  it('TypeScript, Prisma and SQL find the same licenses in each state at every moment', async () => {
    const prisma = db.prisma;
    let checked = 0;
    for (const now of moments()) {
      for (const [schoolId, timeZone] of zoneOfSchool) {
        const { today } = localTime(now, timeZone);
        const ofSchool = licenses.filter((license) => license.schoolId === schoolId);
        for (const state of STATES) {
          const expected = ofSchool
            .filter((license) => licenseState(license, today) === state)
            .map((l) => l.id)
            .sort();
          const byPrisma = await prisma.license.findMany({ where: { AND: [{ schoolId }, licensesInState(state, today)] }, select: { id: true } });
          // The SQL on the licenses, the sweep's SQL (today in the organisation's zone) and the
          // counters the trigger keeps, summed with the same rule on their rows: one round trip.
          const [bySql] = await prisma.$queryRaw<{ ids: string[] | null; swept: string[] | null; counted: number }[]>(Prisma.sql`
            SELECT
              (SELECT array_agg(l.id::text) FROM "License" l WHERE l."schoolId" = ${schoolId}::uuid AND ${licensesInStateSql(state, today)}) AS ids,
              (SELECT array_agg(l.id::text) FROM "License" l JOIN "School" s ON s.id = l."schoolId" JOIN "Organisation" o ON o.id = s."organisationId"
                WHERE l."schoolId" = ${schoolId}::uuid AND ${licensesInStateSql(state, todaySql(now))}) AS swept,
              (SELECT coalesce(sum(c.count), 0)::int FROM "LicenseDayCount" c WHERE c."schoolId" = ${schoolId}::uuid AND ${countedInStateSql(state, today)}) AS counted`);
          const context = `${state} at ${now.toISOString()} in ${timeZone}`;
          const sorted = (ids: string[] | null) => [...(ids ?? [])].sort();
          expect(bySql!.counted, `${context}, counted`).toBe(expected.length);
          expect(byPrisma.map((l) => l.id).sort(), context).toEqual(expected);
          expect(sorted(bySql!.ids), context).toEqual(expected);
          expect(sorted(bySql!.swept), context).toEqual(expected);
          checked += expected.length;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('the counters count the held licenses as Prisma finds them at every moment', async () => {
    let held = 0;
    for (const now of moments()) {
      for (const [schoolId, timeZone] of zoneOfSchool) {
        const { today } = localTime(now, timeZone);
        const expected = await db.prisma.license.count({ where: { AND: [{ schoolId }, heldLicenses(today)] } });
        const [counted] = await db.prisma.$queryRaw<{ n: number }[]>(Prisma.sql`
          SELECT coalesce(sum(c.count), 0)::int AS n FROM "LicenseDayCount" c WHERE c."schoolId" = ${schoolId}::uuid AND ${heldCountedSql(today)}`);
        expect(counted!.n, `${now.toISOString()} in ${timeZone}`).toBe(expected);
        held += expected;
      }
    }
    expect(held).toBeGreaterThan(0);
  });

  it("TypeScript, SQL on the licenses, the sweep's SQL and the counters agree on every rule built on the states", async () => {
    const prisma = db.prisma;
    const seen = new Map<LicenseRule, Set<boolean>>(RULES.map((rule) => [rule, new Set()]));
    // 30 and 31 days before each date cross the "soon" boundaries of auto-start days and end dates.
    for (const now of moments([-31, -30, 0, 1])) {
      for (const [schoolId, timeZone] of zoneOfSchool) {
        const { today } = localTime(now, timeZone);
        const ofSchool = licenses.filter((license) => license.schoolId === schoolId);
        for (const rule of RULES) {
          const expected = ofSchool
            .filter((license) => licenseIs(rule, license, today))
            .map((l) => l.id)
            .sort();
          for (const license of ofSchool) seen.get(rule)!.add(licenseIs(rule, license, today));
          const [found] = await prisma.$queryRaw<{ ids: string[] | null; swept: string[] | null; counted: number }[]>(Prisma.sql`
            SELECT
              (SELECT array_agg(l.id::text ORDER BY l.id::text) FROM "License" l WHERE l."schoolId" = ${schoolId}::uuid AND ${licensesWhereSql(rule, today)}) AS ids,
              (SELECT array_agg(l.id::text ORDER BY l.id::text) FROM "License" l JOIN "School" s ON s.id = l."schoolId" JOIN "Organisation" o ON o.id = s."organisationId"
                WHERE l."schoolId" = ${schoolId}::uuid AND ${licensesWhereSql(rule, todaySql(now))}) AS swept,
              (SELECT coalesce(sum(c.count), 0)::int FROM "LicenseDayCount" c WHERE c."schoolId" = ${schoolId}::uuid AND ${countedWhereSql(rule, today)}) AS counted`);
          const context = `${rule} at ${now.toISOString()} in ${timeZone}`;
          const sorted = (ids: string[] | null) => [...(ids ?? [])].sort();
          expect(sorted(found!.ids), context).toEqual(expected);
          expect(sorted(found!.swept), context).toEqual(expected);
          expect(found!.counted, `${context}, counted`).toBe(expected.length);
          const prismaForm = rule === 'HELD' ? heldLicenses(today) : rule === 'REUSABLE' ? reusableLicenses(today) : null;
          if (prismaForm) {
            const byPrisma = await prisma.license.findMany({ where: { AND: [{ schoolId }, prismaForm] }, select: { id: true } });
            expect(byPrisma.map((l) => l.id).sort(), `${context}, Prisma`).toEqual(expected);
          }
        }
      }
    }
    // Each rule holds for some licenses and not for others.
    for (const [rule, values] of seen) expect([rule, values]).toEqual([rule, new Set([true, false])]);
  });

  it('every state occurs, and a license turns at 00:00 of the day in its zone', () => {
    const seen = new Set<LicenseState>();
    for (const now of moments()) for (const license of licenses) seen.add(licenseState(license, dayAt(now, zoneOfSchool.get(license.schoolId)!)));
    expect(seen).toEqual(new Set(STATES));

    const started = licenses.find((l) => l.startedAt && formatDay(l.endDate) === '2027-10-31' && zoneOfSchool.get(l.schoolId) === 'Europe/Stockholm')!;
    const expiry = expiryMoment(started.endDate, 'Europe/Stockholm');
    expect(licenseState(started, dayAt(new Date(expiry.getTime() - 1), 'Europe/Stockholm'))).toBe('STARTED');
    expect(daysLeft(started, dayAt(new Date(expiry.getTime() - 1), 'Europe/Stockholm'))).toBe(1);
    expect(licenseState(started, dayAt(expiry, 'Europe/Stockholm'))).toBe('EXPIRED');
    expect(daysLeft(started, dayAt(expiry, 'Europe/Stockholm'))).toBe(0);
  });

  it('PostgreSQL and days.ts find the same moment a day begins in each zone', async () => {
    for (const [schoolId, timeZone] of zoneOfSchool) {
      const rows = await db.prisma.$queryRaw<{ day: string; start: number }[]>(Prisma.sql`
        SELECT l."endDate"::text AS day, (extract(epoch FROM ${startOfDaySql(Prisma.sql`l."endDate"`)}) * 1000)::float8 AS start
        FROM "License" l JOIN "School" s ON s.id = l."schoolId" JOIN "Organisation" o ON o.id = s."organisationId"
        WHERE l."schoolId" = ${schoolId}::uuid`);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(new Date(row.start).toISOString(), `${row.day} ${timeZone}`).toBe(startOfDay(day(row.day), timeZone).toISOString());
    }
  });
});
